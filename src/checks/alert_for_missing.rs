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
    summary: "No `for` on an alert over a rate of a short window, or on a comparison with its own past, which pages on one evaluation",
    docs: r#"## What it does
Reports an alerting rule without `for` (or `for: 0s`) whose expression takes `rate()`, `irate()`,
`increase()`, `delta()`, `idelta()` or `deriv()` over a window of 5m or less, or compares a metric
with itself through an `offset` or over a longer window (`rate(x[5m]) > 2 * rate(x[5m] offset
1d)`, `rate(x[5m]) > 3 * rate(x[1h])`): one evaluation's blip against the baseline. Off by default: many
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
                // Why one evaluation pages, and what to do: the comparison
                // with its own past first, then a short rate.
                let found = compared_with_its_past(parsed)
                    .map(|metric| (
                        format!("no `for` on a comparison of `{metric}` with its own past or a longer window: one evaluation's blip against the baseline pages"),
                        "add `for:` of a few evaluations, so the change must last",
                    ))
                    .or_else(|| short_rate(parsed).map(|(function, window)| (
                        format!("no `for` on `{function}()` over {window}: one noisy evaluation pages"),
                        "add `for:` of a few evaluations (e.g. `for: 5m`), or widen the window",
                    )));
                let Some((message, help)) = found else {
                    continue;
                };
                let at = rule.for_.as_ref().map_or(expr.text.span, |f| f.span);
                out.push(
                    report_rule(&INFO, file, group, rule, at, message)
                        .label("fires on the first evaluation")
                        .help(help),
                );
            }
        }
    }
}

/// A metric the top-level comparison reads on both sides, one side through
/// an `offset` or over a longer window than the other: `rate(x[5m]) > 2 *
/// rate(x[5m] offset 1d)`, `rate(x[5m]) > 3 * rate(x[1h])`.
fn compared_with_its_past(expr: &Expr) -> Option<String> {
    let mut top = expr;
    while let Expr::Paren(p) = top {
        top = &p.expr;
    }
    let Expr::Binary(b) = top else { return None };
    if !b.op.is_comparison_operator() || b.modifier.as_ref().is_some_and(|m| m.return_bool) {
        return None;
    }
    // (metric, offset in ms, range in ms) of each selector on a side.
    let reads = |side: &Expr| {
        let mut out = Vec::new();
        walk(side, &mut |e| {
            let (vs, range) = match e {
                Expr::MatrixSelector(m) => (&m.vs, m.range.as_millis()),
                Expr::VectorSelector(vs) => (vs, 0),
                _ => return,
            };
            let offset = match &vs.offset {
                Some(promql_parser::parser::Offset::Pos(d)) => d.as_millis() as i128,
                Some(promql_parser::parser::Offset::Neg(d)) => -(d.as_millis() as i128),
                None => 0,
            };
            if let Some(name) = &vs.name {
                out.push((name.clone(), offset, range));
            }
        });
        out
    };
    let (left, right) = (reads(&b.lhs), reads(&b.rhs));
    left.iter().find_map(|(name, offset, range)| {
        right
            .iter()
            .any(|(n, o, r)| n == name && (o != offset || (*r > 0 && *range > 0 && r != range)))
            .then(|| name.clone())
    })
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
    fn no_for_on_a_comparison_with_its_own_past() {
        for bad in [
            "rate(e_total[1h]) > 2 * rate(e_total[1h] offset 1d)",
            "sum(rate(e_total[10m])) > 3 * sum(rate(e_total[1h]))",
        ] {
            let text = format!("groups:\n- name: g\n  rules:\n  - alert: A\n    expr: {bad}\n");
            let found = run(&AlertForMissing, &text);
            assert_eq!(found.len(), 1, "{bad}: {found:?}");
            assert!(
                found[0].1.contains("of `e_total` with its own past"),
                "{found:?}"
            );
            let with_for = format!("{text}    for: 10m\n");
            assert!(run(&AlertForMissing, &with_for).is_empty());
        }
        for ok in [
            "rate(e_total[1h]) > 2 * rate(r_total[1h])",
            "rate(e_total[1h]) / rate(r_total[1h]) > 0.1",
        ] {
            let text = format!("groups:\n- name: g\n  rules:\n  - alert: A\n    expr: {ok}\n");
            assert!(run(&AlertForMissing, &text).is_empty(), "{ok}");
        }
    }

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
