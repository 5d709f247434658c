use std::collections::HashMap;

use super::{alerts, groups, parsed_expr, report_rule, Check, CheckInfo, Context};
use crate::diagnostic::{Diagnostic, Severity};
use crate::promql::analysis::filters;

pub struct NoComparison;

static INFO: CheckInfo = CheckInfo {
    id: "alert/no-comparison",
    severity: Severity::Warning,
    default_enabled: false,
    options: &[],
    summary: "An alert whose expression never filters, so it fires for every series it selects",
    docs: r#"## What it does
Reports an alerting rule whose `expr` has no comparison (`>`, `==`, ... without `bool`) and no
other filter: no `and`/`unless`, no `absent()`, no recording rule (loaded alongside) that itself
compares, no `ALERTS` selector. Such an expression returns every series it selects, so the alert
fires for all of them, all the time.

Not reported: `vector(1)` and `1` heartbeats (the Watchdog pattern, meant to fire always), `absent()` and
`absent_over_time()`, `or` whose both sides filter, and presence alerts on an info-like metric
(`_info`, `_metadata`: its value is always 1) selected by a label, such as
`kafka_resource_info{ready!="True"}`, where the series existing is the condition. A comparison with `bool` does not filter
(it returns 0 or 1 for every series), and neither does `topk()`.

Off by default (`--extend-select alert/no-comparison`): presence of a series is often the
condition itself (an info metric of value 1 carrying a state label, an exporter that keeps a
series only while something is wrong); on repositories never tuned on, 13 of 14 of its findings
were such metrics (docs/corpus-findings.md), which only the server's metadata tells apart.

## Why is this bad?
Alerts fire on the *presence* of a series, not on its value: `expr: up` pages for every healthy
target. It is usually a forgotten `== 0` or `> 0.9`, sometimes a recording expression pasted into
an alert.

## Example
```yaml
- alert: TargetDown
  expr: up{job="api"}                  # fires for every target that is up
```
Write `expr: up{job="api"} == 0`.

## Fixed
```yaml
- alert: TargetDown
  expr: up{job="api"} == 0             # fires only for targets that are down
```"#,
};

impl Check for NoComparison {
    fn info(&self) -> &'static CheckInfo {
        &INFO
    }

    fn check_set(&self, ctx: &Context<'_>, out: &mut Vec<Diagnostic>) {
        // Recording rules whose output is itself filtered, by name.
        let mut recorded: HashMap<&str, bool> = HashMap::new();
        let nothing = |name: &str| name == "ALERTS" || name == "ALERTS_FOR_STATE";
        for file in &ctx.rules.files {
            for rule in groups(file).flat_map(|g| &g.rules) {
                if let (Some(crate::rules::RuleKind::Record(name)), Some((_, expr))) =
                    (rule.kind(), parsed_expr(rule))
                {
                    let filtered = filters(expr, &nothing);
                    let entry = recorded.entry(name.value.as_str()).or_insert(false);
                    *entry |= filtered;
                }
            }
        }
        let filtered_metric =
            |name: &str| nothing(name) || recorded.get(name).copied().unwrap_or(false);
        for (file, group, rule) in alerts(ctx.rules) {
            let Some((expr, parsed)) = parsed_expr(rule) else {
                continue;
            };
            // A constant (`expr: 1`) is a heartbeat, as `vector(1)` is.
            let constant = matches!(parsed, crate::promql::Expr::NumberLiteral(_));
            if filters(parsed, &filtered_metric) || presence_of_info(parsed) || constant {
                continue;
            }
            let message =
                "alert expression has no comparison: it fires for every series it returns";
            let help =
                "add the condition, e.g. `> 0.9` or `== 0`; a heartbeat is written `vector(1)`";
            out.push(
                report_rule(&INFO, file, group, rule, expr.text.span, message)
                    .label("never filters")
                    .help(help),
            );
        }
    }
}

/// `kafka_resource_info{ready!="True"}`: an info-like metric (its value is
/// always 1) selected by a label: the alert fires on the *presence* of such a
/// series, which is the condition.
fn presence_of_info(expr: &crate::promql::Expr) -> bool {
    use crate::promql::Expr;
    match expr {
        Expr::Paren(p) => presence_of_info(&p.expr),
        Expr::Aggregate(a) => presence_of_info(&a.expr),
        // Relabelling keeps every series: still the presence of the info series.
        Expr::Call(c) if matches!(c.func.name, "label_replace" | "label_join") => {
            c.args.args.first().is_some_and(|a| presence_of_info(a))
        }
        Expr::VectorSelector(vs) => {
            let info_like = vs.name.as_deref().is_some_and(|n| {
                n.ends_with("_info") || n.ends_with("_metadata") || n.contains("_info_")
            });
            info_like
                && vs
                    .matchers
                    .matchers
                    .iter()
                    .chain(vs.matchers.or_matchers.iter().flatten())
                    .any(|m| m.name != "__name__")
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::places;
    use super::*;

    fn rules(expr: &str) -> String {
        format!("groups:\n- name: g\n  rules:\n  - record: job:errors:filtered\n    expr: sum by (job) (rate(e_total[5m])) > 1\n  - alert: A\n    expr: {expr}\n")
    }

    #[test]
    fn reports_an_alert_that_fires_for_everything() {
        assert_eq!(places(&NoComparison, &rules("up")), ["7:11"]);
        assert_eq!(
            places(&NoComparison, &rules("topk(5, rate(errors_total[5m]))")),
            ["7:11"]
        );
        assert_eq!(places(&NoComparison, &rules("sum(a) / sum(b)")), ["7:11"]);
        // An info metric without a label filter fires for every instance.
        assert_eq!(places(&NoComparison, &rules("build_info")), ["7:11"]);
    }

    #[test]
    fn comparisons_heartbeats_absent_and_filtered_recordings_pass() {
        for ok in [
            "up == 0",
            "vector(1)",
            "1",
            "absent(up{job=\"a\"})",
            "job:errors:filtered",
            "x and on() hour() > 8",
            "kafka_resource_info{ready!=\"True\"}",
            "count by (pool) (ceph_pool_metadata{compression_mode=\"none\"})",
            "label_replace(cluster_info{pause=\"true\"}, \"cluster\", \"$0\", \"name\", \".+\")",
        ] {
            assert!(places(&NoComparison, &rules(ok)).is_empty(), "{ok}");
        }
    }
}
