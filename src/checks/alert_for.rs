use super::{groups, parsed_expr, report_rule, Check, CheckInfo, Settings};
use crate::diagnostic::{Diagnostic, Severity};
use crate::promql::{walk, Expr};
use crate::rules::duration::Duration;
use crate::rules::RuleFile;

pub struct AlertFor;

static INFO: CheckInfo = CheckInfo {
    id: "alert/for",
    severity: Severity::Warning,
    default_enabled: true,
    summary: "`for`/`keep_firing_for` that means nothing (shorter than the group interval) or is absurdly long",
    docs: r#"## What it does
Reports, on alerting rules:
- a `for` or `keep_firing_for` above zero but shorter than the group's evaluation interval (its
  `interval:`, else `[lint] evaluation-interval`, default 1m): Prometheus only looks at the alert
  once per interval, so `for: 30s` behaves exactly like `for: 1m`;
- a `for` or `keep_firing_for` longer than `[checks."alert/for"] max` (default 24h);
- as *info*: no `for` on an expression over `rate()`, `irate()`, `increase()`, `delta()` or
  `deriv()` of a window of 5m or less, where one noisy evaluation pages.

(Durations that do not parse are `structure/duration`'s.)

## Why is this bad?
A `for` shorter than the interval reads as a promise the rule cannot keep. A `for` of days means the
alert pages days after the problem began; pending state that long rarely survives restarts and
rule reloads (Prometheus restores it only across short outages, `--rules.alert.for-outage-tolerance`,
default 1h). Without `for`, a short-window rate pages on a single spike or scrape hiccup.

## Example
```yaml
- alert: HighErrorRate
  expr: rate(errors_total[1m]) > 5
  for: 15s                             # the group runs every 1m: same as 1m
```
Write `for: 5m` (or at least the interval).

## Fixed
```yaml
- alert: HighErrorRate
  expr: rate(errors_total[1m]) > 5
  for: 5m                              # at least the group's 1m interval
```"#,
};

/// A rate window this short, without `for`, pages on one noisy evaluation.
const SHORT_WINDOW_MS: u64 = 5 * 60 * 1000;

impl Check for AlertFor {
    fn info(&self) -> &'static CheckInfo {
        &INFO
    }

    fn check_file(&self, file: &RuleFile, settings: &Settings, out: &mut Vec<Diagnostic>) {
        for group in groups(file) {
            let interval = group
                .interval
                .as_ref()
                .map_or(settings.evaluation_interval, |i| i.value);
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
                                format!("`{field}: {d}` is shorter than the group's evaluation interval ({interval}): it acts as {interval}"),
                            )
                            .label("shorter than the interval")
                            .help(format!("write `{field}: {interval}` or longer, or `0s` to mean none")),
                        );
                    } else if d > settings.max_for {
                        out.push(
                            report_rule(
                                &INFO,
                                file,
                                group,
                                rule,
                                value.span,
                                format!("`{field}: {d}` is longer than {}: the alert pages long after the problem starts", settings.max_for),
                            )
                            .label("absurdly long")
                            .help("alert on a faster signal (a rate, a prediction) or raise [checks.\"alert/for\"] max"),
                        );
                    }
                }
                let no_for = rule.for_.as_ref().is_none_or(|f| f.value.is_zero());
                if !no_for {
                    continue;
                }
                let Some((expr, parsed)) = parsed_expr(rule) else {
                    continue;
                };
                if let Some((function, window)) = short_rate(parsed) {
                    let at = rule.for_.as_ref().map_or(expr.text.span, |f| f.span);
                    let mut d = report_rule(
                        &INFO,
                        file,
                        group,
                        rule,
                        at,
                        format!(
                            "no `for` on `{function}()` over {window}: one noisy evaluation pages"
                        ),
                    )
                    .label("fires on the first evaluation")
                    .help("add `for:` of a few evaluations (e.g. `for: 5m`), or widen the window");
                    d.severity = Severity::Info;
                    out.push(d);
                }
            }
        }
    }
}

/// The first rate-like function over a short window, and that window.
fn short_rate(expr: &Expr) -> Option<(&'static str, Duration)> {
    let mut found = None;
    walk(expr, &mut |e| {
        if found.is_some() {
            return;
        }
        let Expr::Call(call) = e else { return };
        if !matches!(
            call.func.name,
            "rate" | "irate" | "increase" | "delta" | "idelta" | "deriv"
        ) {
            return;
        }
        let range = match call.args.args.first().map(|a| a.as_ref()) {
            Some(Expr::MatrixSelector(m)) => m.range,
            Some(Expr::Subquery(s)) => s.range,
            _ => return,
        };
        let millis = range.as_millis() as u64;
        if millis <= SHORT_WINDOW_MS {
            found = Some((call.func.name, Duration { millis }));
        }
    });
    found
}

#[cfg(test)]
mod tests {
    use super::super::testing::run;
    use super::*;

    fn rule(extra: &str) -> String {
        format!("groups:\n- name: g\n  interval: 1m\n  rules:\n  - alert: A\n    expr: rate(e_total[5m]) > 1\n{extra}")
    }

    #[test]
    fn reports_for_shorter_than_the_interval_and_absurdly_long() {
        let found = run(&AlertFor, &rule("    for: 30s\n    keep_firing_for: 3d\n"));
        assert_eq!(found.len(), 2, "{found:?}");
        assert_eq!(found[0].0, "7:10");
        assert!(found[0].1.contains("acts as 1m"));
        assert_eq!(found[1].0, "8:22");
        assert!(found[1].1.contains("longer than 1d"));
    }

    #[test]
    fn no_for_on_a_short_rate_is_info() {
        let found = run(&AlertFor, &rule(""));
        assert_eq!(found.len(), 1);
        assert!(found[0].1.contains("rate()"), "{found:?}");
        let wide = "groups:\n- name: g\n  rules:\n  - alert: A\n    expr: rate(e_total[1h]) > 1\n";
        assert!(run(&AlertFor, wide).is_empty());
    }

    #[test]
    fn sensible_durations_pass() {
        assert!(run(&AlertFor, &rule("    for: 5m\n    keep_firing_for: 10m\n")).is_empty());
        assert!(run(&AlertFor, &rule("    for: 1m\n")).is_empty());
    }
}
