use super::{groups, parsed_expr, report_rule, Check, CheckInfo, FileContext};
use crate::diagnostic::{Diagnostic, Severity};
use crate::promql::Expr;
use crate::rules::RuleFile;

pub struct AlertAlwaysFires;

static INFO: CheckInfo = CheckInfo {
    id: "alert/always-fires",
    severity: Severity::Warning,
    default_enabled: true,
    options: &[],
    summary: "An alert whose expression ends in an `or vector(N)` fallback: it returns a series at every evaluation, so it fires always",
    docs: r#"## What it does
Reports an alerting rule whose expression is, at its top (through parentheses and aggregations
that keep a lone series), `... or vector(N)` (or `label_replace(vector(N), ...)`) with no
comparison after it: whatever the left side says, the fallback is a series, and an alert fires
for every series its expression returns.

A heartbeat written as such (`vector(1)` alone, the Watchdog) is not reported: it has no `or`.

## Why is this bad?
`x > 5 or vector(0)` is a dashboard's way to draw 0 when nothing is over 5; in an alert it means
the alert is pending at the first evaluation and firing after its `for`, forever, with the
fallback's empty label set. The threshold on the left never decides anything.

## Example
```yaml
- alert: QueueStuck
  expr: (sum(queue_depth) > 100) or vector(0)
  for: 10m
```

## Fixed
```yaml
- alert: QueueStuck
  expr: sum(queue_depth) > 100
  for: 10m
```
To alert when the queue's metric is missing, add an alert on `absent(queue_depth)`."#,
};

/// Aggregations whose result over a lone series is a series.
const KEEPS_A_SERIES: &[&str] = &[
    "sum", "min", "max", "avg", "count", "group", "topk", "bottomk",
];

/// Whether `expr` is a series at every evaluation: a `vector(N)`, so
/// relabelled or grouped.
fn always_a_series(expr: &Expr) -> bool {
    match expr {
        Expr::Paren(p) => always_a_series(&p.expr),
        Expr::Call(call) if call.func.name == "vector" => true,
        Expr::Call(call) if call.func.name == "label_replace" => {
            call.args.args.first().is_some_and(|a| always_a_series(a))
        }
        Expr::Aggregate(agg) if KEEPS_A_SERIES.contains(&agg.op.to_string().as_str()) => {
            always_a_series(&agg.expr)
        }
        Expr::Binary(b) if b.op.to_string() == "or" => {
            always_a_series(&b.lhs) || always_a_series(&b.rhs)
        }
        _ => false,
    }
}

/// The expression at its top, through parentheses and the aggregations
/// that keep a lone series: an `or` with an always-present side.
fn falls_back(expr: &Expr) -> bool {
    match expr {
        Expr::Paren(p) => falls_back(&p.expr),
        Expr::Aggregate(agg) if KEEPS_A_SERIES.contains(&agg.op.to_string().as_str()) => {
            falls_back(&agg.expr)
        }
        Expr::Binary(b) if b.op.to_string() == "or" => {
            always_a_series(&b.lhs) || always_a_series(&b.rhs)
        }
        _ => false,
    }
}

impl Check for AlertAlwaysFires {
    fn info(&self) -> &'static CheckInfo {
        &INFO
    }

    fn check_file(&self, file: &RuleFile, _cx: &FileContext<'_>, out: &mut Vec<Diagnostic>) {
        for group in groups(file) {
            for rule in group.rules.iter().filter(|r| r.is_alert()) {
                let Some((expr, parsed)) = parsed_expr(rule) else {
                    continue;
                };
                if !falls_back(parsed) {
                    continue;
                }
                out.push(
                    report_rule(
                        &INFO,
                        file,
                        group,
                        rule,
                        expr.file_span(0, expr.text.value.trim_end().len()),
                        "the expression ends in an `or vector(...)` fallback, which is a series at every evaluation: the alert fires always, whatever the left side says".to_string(),
                    )
                    .label("always a series")
                    .help("drop the fallback (a dashboard's device); to alert on missing data, add an alert on `absent(...)`"),
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::run;
    use super::*;

    fn alert(expr: &str) -> String {
        format!("groups:\n- name: g\n  rules:\n  - alert: A\n    expr: {expr}\n")
    }

    #[test]
    fn a_fallback_at_the_top_fires_always() {
        for bad in [
            "(sum(queue_depth) > 100) or vector(0)",
            "sum(x > 5 or vector(0))",
            "x > 5 or label_replace(vector(1), \"job\", \"none\", \"\", \"\")",
            "vector(0) or (x > 5)",
        ] {
            assert_eq!(run(&AlertAlwaysFires, &alert(bad)).len(), 1, "{bad}");
        }
    }

    #[test]
    fn a_comparison_after_the_fallback_or_a_heartbeat_passes() {
        for ok in [
            "(sum(x) or vector(0)) > 5",
            "vector(1)",
            "x > 5 or y > 10",
            "absent(x) or x > 5",
            "x > 5",
        ] {
            assert!(run(&AlertAlwaysFires, &alert(ok)).is_empty(), "{ok}");
        }
        // A recording rule may well fall back to 0.
        let record =
            "groups:\n- name: g\n  rules:\n  - record: job:x:sum\n    expr: sum(x) or vector(0)\n";
        assert!(run(&AlertAlwaysFires, record).is_empty());
    }
}
