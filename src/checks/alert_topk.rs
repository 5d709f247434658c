use promql_parser::parser::value::ValueType;
use promql_parser::parser::{AggregateExpr, Expr, VectorMatchCardinality};

use super::{groups, parsed_expr, report_rule, Check, CheckInfo, FileContext};
use crate::diagnostic::{Diagnostic, Severity};
use crate::promql::analysis::constant_value;
use crate::rules::RuleFile;

pub struct AlertTopk;

static INFO: CheckInfo = CheckInfo {
    id: "alert/topk",
    severity: Severity::Warning,
    default_enabled: true,
    options: &[],
    summary: "An alert whose series are chosen by `topk`/`bottomk`: which series alert changes with the ranking, so alerts flap",
    docs: r#"## What it does
Reports an alert whose result series are the ones a `topk()` or `bottomk()` (or `limitk()`)
picked: the call is on the path from the series to the alert (not inside an aggregation that
sums them up, not on the one side of a `group_left` join that only lends labels, not on the right
of `and`/`unless`, which only filters). `topk by (l...) (1, x)`, one series per group, is the
idiom for duplicated series (two exporters' copies) and is left alone.

## Why is this bad?
An alert is identified by its labels. `topk(3, rate(errors_total[5m])) > 10` alerts on the three
worst series *at this evaluation*; when a fourth overtakes one of them, that alert resolves and
another starts, its `for` from zero, though nothing got better. Alerts flap with the ranking, and
a `for` may never complete. The comparison belongs on every series; the ranking belongs in the
notification or a dashboard.

## Example
```yaml
expr: topk(3, rate(errors_total[5m])) > 10
for: 10m
```

## Fixed
```yaml
expr: rate(errors_total[5m]) > 10
for: 10m
```"#,
};

/// The ranking aggregation whose series the alert's are, if there is one.
fn ranking_on_result_path(expr: &Expr) -> Option<&AggregateExpr> {
    match expr {
        Expr::Paren(p) => ranking_on_result_path(&p.expr),
        Expr::Unary(u) => ranking_on_result_path(&u.expr),
        Expr::Aggregate(agg) => {
            let op = agg.op.to_string();
            if matches!(op.as_str(), "topk" | "bottomk" | "limitk") {
                // `topk by (l...) (1, x)` keeps one series of each group:
                // the idiom for duplicates (two exporters' copies of one
                // series), whose groups are the alert's identity.
                let one_per_group = agg.modifier.is_some()
                    && agg.param.as_deref().and_then(constant_value) == Some(1.0);
                (!one_per_group).then_some(agg)
            } else {
                // Summed, counted, averaged: the series are gone.
                None
            }
        }
        Expr::Call(call) => {
            if call.func.return_type != ValueType::Vector
                || matches!(
                    call.func.name,
                    "absent" | "absent_over_time" | "sort_by_label" | "sort_by_label_desc"
                )
            {
                return None;
            }
            call.args
                .args
                .iter()
                .find(|a| a.value_type() == ValueType::Vector)
                .and_then(|a| ranking_on_result_path(a))
        }
        Expr::Binary(b) => {
            let lhs_vector = b.lhs.value_type() == ValueType::Vector;
            let rhs_vector = b.rhs.value_type() == ValueType::Vector;
            match (lhs_vector, rhs_vector) {
                (true, false) => return ranking_on_result_path(&b.lhs),
                (false, true) => return ranking_on_result_path(&b.rhs),
                (false, false) => return None,
                (true, true) => {}
            }
            match b.op.to_string().as_str() {
                "and" | "unless" => return ranking_on_result_path(&b.lhs),
                "or" => {
                    return ranking_on_result_path(&b.lhs)
                        .or_else(|| ranking_on_result_path(&b.rhs))
                }
                _ => {}
            }
            match b.modifier.as_ref().map(|m| &m.card) {
                Some(VectorMatchCardinality::OneToMany(_)) => ranking_on_result_path(&b.rhs),
                // One-to-one pairs series by labels, so a ranking on either
                // side picks the result's; group_left keeps the left's.
                Some(VectorMatchCardinality::ManyToOne(_)) => ranking_on_result_path(&b.lhs),
                _ => ranking_on_result_path(&b.lhs).or_else(|| ranking_on_result_path(&b.rhs)),
            }
        }
        _ => None,
    }
}

impl Check for AlertTopk {
    fn info(&self) -> &'static CheckInfo {
        &INFO
    }

    fn check_file(&self, file: &RuleFile, _cx: &FileContext<'_>, out: &mut Vec<Diagnostic>) {
        for group in groups(file) {
            for rule in group.rules.iter().filter(|r| r.is_alert()) {
                let Some((expr, parsed)) = parsed_expr(rule) else {
                    continue;
                };
                let Some(ranking) = ranking_on_result_path(parsed) else {
                    continue;
                };
                let op = ranking.op.to_string();
                let text = &expr.text.value;
                let start = text.find(op.as_str()).unwrap_or(0);
                out.push(
                    report_rule(
                        &INFO,
                        file,
                        group,
                        rule,
                        expr.file_span(start, start + op.len()),
                        format!(
                            "the alert's series are those `{op}` picks at each evaluation: when the ranking changes, one alert resolves and another starts, its `for` from zero"
                        ),
                    )
                    .label("picks the alerting series")
                    .help("compare every series (`x > 10`) and rank in the notification or a dashboard"),
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
        format!("groups:\n- name: g\n  rules:\n  - alert: A\n    expr: {expr}\n    for: 10m\n")
    }

    #[test]
    fn a_ranking_that_picks_the_alerting_series() {
        for bad in [
            "topk(3, rate(errors_total[5m])) > 10",
            "bottomk by (job) (2, up) == 0",
            "(topk(5, sum by (pod) (rate(e_total[5m]))) > 1) and on() vector(1)",
            "topk(3, x) * on (pod) group_left (node) kube_pod_info > 1",
        ] {
            let found = run(&AlertTopk, &alert(bad));
            assert_eq!(found.len(), 1, "{bad}: {found:?}");
            assert!(
                found[0].1.starts_with("the alert's series are those `"),
                "{found:?}"
            );
        }
        assert_eq!(run(&AlertTopk, &alert("topk(3, x) > 10"))[0].0, "5:11");
    }

    #[test]
    fn a_ranking_that_does_not_pick_them_passes() {
        for ok in [
            "rate(errors_total[5m]) > 10",
            "count(topk(3, x) > 10) > 1",
            "x * on (pod) group_left (owner) topk by (pod) (1, kube_pod_owner) > 1",
            "x > 1 and on (pod) topk(3, y)",
            "sum(topk(3, x)) > 10",
            // One per group: the idiom for duplicated series.
            "topk by (namespace, resource) (1, max without (instance) (quota_used)) / on (namespace, resource) group_left () topk by (namespace, resource) (1, quota_hard) > 0.9",
        ] {
            assert!(run(&AlertTopk, &alert(ok)).is_empty(), "{ok}");
        }
    }
}
