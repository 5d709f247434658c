use super::{groups, parsed_expr, report_rule, Check, CheckInfo, FileContext};
use crate::diagnostic::{Diagnostic, Severity};
use crate::promql::{walk, Expr};
use crate::rules::duration::Duration;
use crate::rules::RuleFile;

pub struct AlertForMissing;

static INFO: CheckInfo = CheckInfo {
    id: "alert/for-missing",
    severity: Severity::Info,
    default_enabled: false,
    options: &[],
    summary: "No `for` on an alert over a rate of a short window, which pages on one evaluation",
    docs: r#"## What it does
Reports an alerting rule without `for` (or `for: 0s`) whose expression takes `rate()`, `irate()`,
`increase()`, `delta()`, `idelta()` or `deriv()` over a window of 5m or less. Off by default: many
such alerts mean "any error at all" on purpose; turn it on (`[lint] enable = ["alert/for-missing"]`)
to review them.

## Why is this bad?
Without `for`, a short-window rate pages on a single spike or a scrape hiccup, and resolves at the
next evaluation: a page that was over before anyone looked.

## Example
```yaml
- alert: HighErrorRate
  expr: rate(errors_total[1m]) > 5
```

## Fixed
```yaml
- alert: HighErrorRate
  expr: rate(errors_total[1m]) > 5
  for: 5m
```"#,
};

/// A rate window this short, without `for`, pages on one noisy evaluation.
const SHORT_WINDOW_MS: u64 = 5 * 60 * 1000;

impl Check for AlertForMissing {
    fn info(&self) -> &'static CheckInfo {
        &INFO
    }

    fn check_file(&self, file: &RuleFile, _cx: &FileContext<'_>, out: &mut Vec<Diagnostic>) {
        for group in groups(file) {
            for rule in group.rules.iter().filter(|r| r.is_alert()) {
                let no_for = rule.for_.as_ref().is_none_or(|f| f.value.is_zero());
                if !no_for {
                    continue;
                }
                let Some((expr, parsed)) = parsed_expr(rule) else {
                    continue;
                };
                if let Some((function, window)) = short_rate(parsed) {
                    let at = rule.for_.as_ref().map_or(expr.text.span, |f| f.span);
                    out.push(
                        report_rule(
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
                        .help("add `for:` of a few evaluations (e.g. `for: 5m`), or widen the window"),
                    );
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

    #[test]
    fn no_for_on_a_short_rate() {
        let short = "groups:\n- name: g\n  rules:\n  - alert: A\n    expr: rate(e_total[5m]) > 1\n";
        let found = run(&AlertForMissing, short);
        assert_eq!(found.len(), 1);
        assert!(found[0].1.contains("`rate()` over 5m"), "{found:?}");
        let wide = "groups:\n- name: g\n  rules:\n  - alert: A\n    expr: rate(e_total[1h]) > 1\n";
        assert!(run(&AlertForMissing, wide).is_empty());
        let with_for = "groups:\n- name: g\n  rules:\n  - alert: A\n    expr: rate(e_total[5m]) > 1\n    for: 5m\n";
        assert!(run(&AlertForMissing, with_for).is_empty());
    }
}
