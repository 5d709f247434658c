use std::sync::Arc;

use serde::Deserialize;

use super::{
    duration_option, groups, read_options, report_rule, Check, CheckInfo, FileContext, OptionDoc,
    Options, OptionsError, RawOptions,
};
use crate::diagnostic::{Diagnostic, Severity};
use crate::rules::duration::Duration;
use crate::rules::RuleFile;

pub struct AlertForLong;

static INFO: CheckInfo = CheckInfo {
    id: "alert/for-long",
    severity: Severity::Warning,
    default_enabled: false,
    options: &[OptionDoc {
        name: "max",
        default: "\"24h\"",
        doc: "A `for` or `keep_firing_for` longer than this is reported.",
    }],
    summary: "A `for`/`keep_firing_for` longer than its `max` option (default 24h)",
    docs: r#"## What it does
Reports a `for` or `keep_firing_for` longer than `[checks."alert/for-long"] max` (default 24h).

Off by default: a week-long `for` on a `task`-level capacity hint is often deliberate; turn it on
(`[lint] enable = ["alert/for-long"]`) to review them.

## Why is this bad?
A `for` of days means the alert pages days after the problem began, and a single evaluation where
the condition does not hold (a scrape gap, a restart of the target) starts the wait over; an
outage of Prometheus longer than `--rules.alert.for-outage-tolerance` (default 1h) does too. A
window in the expression (`min_over_time(...[1w])`, `predict_linear`) says the same without the
fragility.

## Example
```yaml
- alert: HostCpuIsUnderutilized
  expr: avg by (instance) (rate(node_cpu_seconds_total{mode="idle"}[5m])) > 0.8
  for: 1w
```

## Fixed
```yaml
- alert: HostCpuIsUnderutilized
  expr: avg by (instance) (avg_over_time(rate(node_cpu_seconds_total{mode="idle"}[5m])[1w:5m])) > 0.8
  for: 1h
```"#,
};

/// `[checks."alert/for-long"]`.
#[derive(Debug, Clone)]
struct ForLongOptions {
    max: Duration,
}

impl Default for ForLongOptions {
    fn default() -> Self {
        ForLongOptions {
            max: Duration::from_secs(24 * 3600),
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawForLong {
    max: Option<toml::Spanned<String>>,
}

impl Check for AlertForLong {
    fn info(&self) -> &'static CheckInfo {
        &INFO
    }

    fn configure(&self, raw: RawOptions<'_>) -> Result<Options, OptionsError> {
        let raw: RawForLong = read_options(raw)?;
        let mut options = ForLongOptions::default();
        if let Some(max) = &raw.max {
            options.max = duration_option(max)?;
        }
        Ok(Arc::new(options))
    }

    fn check_file(&self, file: &RuleFile, cx: &FileContext<'_>, out: &mut Vec<Diagnostic>) {
        let max = cx.settings.options::<ForLongOptions>(INFO.id).max;
        for group in groups(file) {
            for rule in group.rules.iter().filter(|r| r.is_alert()) {
                let fields = [
                    ("for", &rule.for_),
                    ("keep_firing_for", &rule.keep_firing_for),
                ];
                for (field, value) in fields {
                    let Some(value) = value else { continue };
                    let d = value.value;
                    if d > max {
                        out.push(
                            report_rule(
                                &INFO,
                                file,
                                group,
                                rule,
                                value.span,
                                format!("`{field}: {d}` is longer than {max}: the alert pages long after the problem starts, and one evaluation without the condition starts the wait again"),
                            )
                            .label("absurdly long")
                            .help("alert on a faster signal (a rate, a prediction, a longer range in the expression) or raise [checks.\"alert/for-long\"] max"),
                        );
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::{configured, run, run_with};
    use super::*;

    const TEXT: &str = "groups:\n- name: g\n  rules:\n  - alert: A\n    expr: up == 0\n    for: 2d\n    keep_firing_for: 3d\n  - alert: B\n    expr: up == 0\n    for: 1d\n";

    #[test]
    fn reports_for_longer_than_the_maximum() {
        let found = run(&AlertForLong, TEXT);
        let places: Vec<&str> = found.iter().map(|(p, _)| p.as_str()).collect();
        assert_eq!(places, ["6:10", "7:22"], "{found:?}");
        assert!(found[0].1.contains("longer than 1d"), "{found:?}");
        let settings = configured(&AlertForLong, "max = \"1w\"");
        assert!(run_with(&AlertForLong, TEXT, &settings).is_empty());
    }
}
