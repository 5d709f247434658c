use std::sync::Arc;

use serde::Deserialize;

use super::{
    duration_option, groups, read_options, report, Check, CheckInfo, FileContext, OptionDoc,
    Options, OptionsError, RawOptions,
};
use crate::diagnostic::{Diagnostic, Severity};
use crate::rules::duration::Duration;
use crate::rules::RuleFile;

pub struct GroupInterval;

static INFO: CheckInfo = CheckInfo {
    id: "group/interval",
    severity: Severity::Warning,
    default_enabled: true,
    options: &[OptionDoc {
        name: "max",
        default: "\"5m\"",
        doc: "A group `interval` longer than this is reported.",
    }],
    summary: "A group `interval` longer than 5m: its recorded series go stale between evaluations",
    docs: r#"## What it does
Reports a group whose `interval` is longer than `[checks."group/interval"] max` (default 5m,
Prometheus's lookback delta).

## Why is this bad?
An instant query only looks back 5 minutes for a sample. A recording rule evaluated every 10m
writes a series that is *absent* half of the time: dashboards show gaps, and alerts built on it
resolve and fire again (`absent()` ones fire). Alerts in such a group also react to a problem up
to one interval late, and `for` counts in steps of the interval.

## Example
```yaml
- name: slow evaluation
  interval: 10m                        # recorded series vanish between evaluations
```
Evaluate every 5m or less; for expensive queries, record a cheaper intermediate series instead.

## Fixed
```yaml
- name: slow evaluation
  interval: 5m
```"#,
};

/// `[checks."group/interval"]`.
#[derive(Debug, Clone)]
struct IntervalOptions {
    max: Duration,
}

impl Default for IntervalOptions {
    fn default() -> Self {
        // Prometheus's lookback delta: a series not written for 5m is gone
        // from instant queries, so a slower recording rule has gaps.
        IntervalOptions {
            max: Duration::from_secs(5 * 60),
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawInterval {
    max: Option<toml::Spanned<String>>,
}

impl Check for GroupInterval {
    fn info(&self) -> &'static CheckInfo {
        &INFO
    }

    fn configure(&self, raw: RawOptions<'_>) -> Result<Options, OptionsError> {
        let raw: RawInterval = read_options(raw)?;
        let mut options = IntervalOptions::default();
        if let Some(max) = &raw.max {
            options.max = duration_option(max)?;
        }
        Ok(Arc::new(options))
    }

    fn check_file(&self, file: &RuleFile, cx: &FileContext<'_>, out: &mut Vec<Diagnostic>) {
        let max = cx.settings.options::<IntervalOptions>(INFO.id).max;
        for group in groups(file) {
            let Some(interval) = &group.interval else {
                continue;
            };
            if interval.value <= max {
                continue;
            }
            let has_records = group.rules.iter().any(|r| !r.is_alert());
            let why = if has_records {
                "its recording rules' series go stale between evaluations"
            } else {
                "its alerts react up to one interval late"
            };
            out.push(
                report(
                    &INFO,
                    file,
                    interval.span,
                    format!(
                        "group interval {} is longer than {}: {why}",
                        interval.value, max
                    ),
                )
                .group(group.name())
                .label("too slow")
                .help(format!("evaluate every {} or less", max)),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::{configured, places, run_with};
    use super::*;

    const TEXT: &str = "groups:\n- name: slow\n  interval: 10m\n  rules:\n  - record: job:up:sum\n    expr: sum by (job) (up)\n- name: fast\n  interval: 30s\n  rules: []\n";

    #[test]
    fn reports_a_slow_group() {
        assert_eq!(places(&GroupInterval, TEXT), ["3:13"]);
    }

    #[test]
    fn the_limit_is_configurable() {
        let settings = configured(&GroupInterval, "max = \"15m\"");
        assert!(run_with(&GroupInterval, TEXT, &settings).is_empty());
    }
}
