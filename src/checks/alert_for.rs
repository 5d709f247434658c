use super::{groups, report_rule, Check, CheckInfo, FileContext};
use crate::diagnostic::{Diagnostic, Severity};
use crate::rules::RuleFile;

pub struct AlertFor;

static INFO: CheckInfo = CheckInfo {
    id: "alert/for",
    severity: Severity::Warning,
    default_enabled: false,
    options: &[],
    summary: "`for`/`keep_firing_for` shorter than the group's evaluation interval, which acts as the interval",
    docs: r#"## What it does
Reports a `for` or `keep_firing_for` above zero but shorter than the group's evaluation interval:
its `interval:`, else `[lint] evaluation-interval`, else the default of the file's world: 30s for
PrometheusRule manifests (the Prometheus Operator's `evaluationInterval`); for plain rule files,
which say nothing of their server, 15s, the interval of Prometheus's example configuration and the
shortest in common use, so that what is reported is wrong on any usual server (Prometheus's
built-in default is 1m: set `[lint] evaluation-interval = "1m"` if yours runs with it). The
finding says which it assumed.

(Durations that do not parse are `structure/duration`'s; absurdly long ones `alert/for-long`'s.)

Off by default (`--extend-select alert/for`): the alert still fires, one evaluation later than
written, which on repositories never tuned on mattered to their maintainers in 3 of 7 findings
(docs/corpus-findings.md).

## Why is this bad?
Prometheus only looks at the alert once per interval, so `for: 30s` behaves exactly like `for: 1m`:
the rule reads as a promise it cannot keep, and the next reader tunes the wrong number.

## Example
```yaml
- alert: HighErrorRate
  expr: rate(errors_total[5m]) > 5
  for: 15s                             # the group runs every 1m: same as 1m
```
Write `for: 5m` (or at least the interval).

## Fixed
```yaml
- alert: HighErrorRate
  expr: rate(errors_total[5m]) > 5
  for: 5m                              # at least the group's 1m interval
```"#,
};

impl Check for AlertFor {
    fn info(&self) -> &'static CheckInfo {
        &INFO
    }

    fn check_file(&self, file: &RuleFile, cx: &FileContext<'_>, out: &mut Vec<Diagnostic>) {
        let default = cx.evaluation_interval(file);
        for group in groups(file) {
            let (interval, why) = match &group.interval {
                Some(i) => (i.value, format!("its `interval: {}`", i.value)),
                None => (default.value, default.to_string()),
            };
            for rule in group.rules.iter().filter(|r| r.is_alert()) {
                let fields = [
                    ("for", &rule.for_),
                    ("keep_firing_for", &rule.keep_firing_for),
                ];
                for (field, value) in fields {
                    let Some(value) = value else { continue };
                    let d = value.value;
                    if !d.is_zero() && d < interval {
                        out.push(
                            report_rule(
                                &INFO,
                                file,
                                group,
                                rule,
                                value.span,
                                format!("`{field}: {d}` is shorter than the group's evaluation interval ({why}): it acts as {interval}"),
                            )
                            .label("shorter than the interval")
                            .help(format!("write `{field}: {interval}` or longer, or `0s` to mean none; if your groups run more often, set `[lint] evaluation-interval`")),
                        );
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::run;
    use super::*;

    fn rule(interval: &str, extra: &str) -> String {
        format!("groups:\n- name: g\n{interval}  rules:\n  - alert: A\n    expr: rate(e_total[5m]) > 1\n{extra}")
    }

    #[test]
    fn reports_for_shorter_than_the_interval() {
        let found = run(
            &AlertFor,
            &rule(
                "  interval: 1m\n",
                "    for: 30s\n    keep_firing_for: 20s\n",
            ),
        );
        assert_eq!(found.len(), 2, "{found:?}");
        assert_eq!(found[0].0, "7:10");
        assert!(
            found[0].1.contains("(its `interval: 1m`): it acts as 1m"),
            "{found:?}"
        );
        assert_eq!(found[1].0, "8:22");
    }

    #[test]
    fn the_default_interval_depends_on_the_files_world() {
        // A plain file: only what is wrong at 15s, the shortest interval in common use.
        assert!(run(&AlertFor, &rule("", "    for: 30s\n")).is_empty());
        let found = run(&AlertFor, &rule("", "    for: 10s\n"));
        assert!(
            found[0]
                .1
                .contains("(15s at the least: Prometheus's example configuration"),
            "{found:?}"
        );
        // A manifest: the Operator evaluates every 30s, so `for: 30s` means what it says.
        let manifest = "apiVersion: monitoring.coreos.com/v1\nkind: PrometheusRule\nmetadata: {name: r}\nspec:\n  groups:\n  - name: g\n    rules:\n    - alert: A\n      expr: up == 0\n      for: 30s\n    - alert: B\n      expr: up == 0\n      for: 10s\n";
        let found = run(&AlertFor, manifest);
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(
            found[0]
                .1
                .contains("(30s, the Prometheus Operator's default)"),
            "{found:?}"
        );
    }

    #[test]
    fn sensible_durations_pass() {
        assert!(run(
            &AlertFor,
            &rule(
                "  interval: 1m\n",
                "    for: 5m\n    keep_firing_for: 10m\n"
            )
        )
        .is_empty());
        assert!(run(
            &AlertFor,
            &rule("", "    for: 1m\n    keep_firing_for: 0s\n")
        )
        .is_empty());
    }
}
