use std::collections::HashMap;

use promql_parser::parser::{AggregateExpr, BinaryExpr, LabelModifier, VectorMatchCardinality};

use super::{groups, parsed_expr, report_rule, Check, CheckInfo, Context};
use crate::diagnostic::{Diagnostic, Severity};
use crate::promql::Expr;

pub struct AggregatedRatio;

static INFO: CheckInfo = CheckInfo {
    id: "promql/aggregated-ratio",
    severity: Severity::Warning,
    default_enabled: true,
    options: &[],
    summary: "`sum` or `avg` of ratios whose divisor is a rate: one idle series' NaN or Inf poisons the whole aggregate",
    docs: r#"## What it does
Reports a `sum` or `avg` over a division whose divisor is a rate (`rate`, `irate`, `increase`,
`delta`), directly (`sum(rate(errors[5m]) / rate(requests[5m]))`) or through a recording rule of
the set that divides so (`sum(job:error_ratio:rate5m)`).

## Why is this bad?
A rate is 0 wherever nothing happened in its window: an idle instance, a quiet night. There the
ratio is `0/0 = NaN` or `x/0 = +Inf`, and a sum or average with one NaN is NaN, with one Inf is
Inf. The alert on it goes silent (`NaN > 0.05` is false) or fires on one idle series (`Inf >
0.05`), whatever the others say; it is also an average of ratios, not the ratio of the totals.

## Example
```yaml
expr: sum by (job) (rate(errors_total[5m]) / rate(requests_total[5m])) > 0.05
```

## Fixed
```yaml
expr: sum by (job) (rate(errors_total[5m])) / sum by (job) (rate(requests_total[5m])) > 0.05
```"#,
};

const RATES: &[&str] = &["rate", "irate", "increase", "delta", "idelta"];

/// Whether `expr` has a rate among its operands (not inside an aggregation,
/// which would sum it first).
fn has_rate(expr: &Expr) -> bool {
    match expr {
        Expr::Call(c) if RATES.contains(&c.func.name) => true,
        Expr::Call(c) => c.args.args.iter().any(|a| has_rate(a)),
        Expr::Paren(p) => has_rate(&p.expr),
        Expr::Binary(b) => has_rate(&b.lhs) || has_rate(&b.rhs),
        Expr::Unary(u) => has_rate(&u.expr),
        _ => false,
    }
}

/// The division by a rate at the top of `expr` (through parentheses), or
/// the recorded series standing for one.
fn ratio(expr: &Expr, ratios: &HashMap<&str, ()>) -> Option<String> {
    match expr {
        Expr::Paren(p) => ratio(&p.expr, ratios),
        Expr::Binary(b) if is_rate_division(b) => Some("a division by a rate".to_string()),
        Expr::VectorSelector(vs) => vs
            .name
            .as_deref()
            .filter(|n| ratios.contains_key(n))
            .map(|n| format!("`{n}`, which its recording rule computes as a division by a rate")),
        _ => None,
    }
}

fn is_rate_division(b: &BinaryExpr) -> bool {
    b.op.to_string() == "/" && has_rate(&b.rhs)
}

/// Whether every series of one group of `agg` is divided by the same one
/// divisor series: the division matches `on(l...)` with `group_left`, and
/// the aggregation groups by all of those labels (`on()` alone: one divisor
/// for all). An idle divisor then makes NaN only its own group, which has
/// no traffic to judge: nothing else is poisoned.
fn shares_one_divisor(agg: &AggregateExpr) -> bool {
    let mut inner = agg.expr.as_ref();
    while let Expr::Paren(p) = inner {
        inner = &p.expr;
    }
    let Expr::Binary(b) = inner else {
        return false;
    };
    let Some(modifier) = &b.modifier else {
        return false;
    };
    let (VectorMatchCardinality::ManyToOne(_), Some(LabelModifier::Include(on))) =
        (&modifier.card, &modifier.matching)
    else {
        return false;
    };
    let grouped: &[String] = match &agg.modifier {
        Some(LabelModifier::Include(by)) => &by.labels,
        None => &[],
        Some(LabelModifier::Exclude(_)) => return false,
    };
    on.labels.iter().all(|l| grouped.contains(l))
}

fn aggregations<'a>(expr: &'a Expr, out: &mut Vec<&'a AggregateExpr>) {
    crate::promql::walk(expr, &mut |e| {
        if let Expr::Aggregate(a) = e {
            if matches!(a.op.to_string().as_str(), "sum" | "avg") {
                out.push(a);
            }
        }
    });
}

impl Check for AggregatedRatio {
    fn info(&self) -> &'static CheckInfo {
        &INFO
    }

    fn check_set(&self, ctx: &Context<'_>, out: &mut Vec<Diagnostic>) {
        // Recorded names whose rule divides by a rate at its top.
        let mut ratios: HashMap<&str, ()> = HashMap::new();
        for file in &ctx.rules.files {
            for group in groups(file) {
                for rule in group.rules.iter().filter(|r| !r.is_alert()) {
                    let Some((_, parsed)) = parsed_expr(rule) else {
                        continue;
                    };
                    if ratio(parsed, &HashMap::new()).is_some() {
                        ratios.insert(rule.name(), ());
                    }
                }
            }
        }
        for file in &ctx.rules.files {
            for group in groups(file) {
                for rule in &group.rules {
                    let Some((expr, parsed)) = parsed_expr(rule) else {
                        continue;
                    };
                    let mut found = Vec::new();
                    aggregations(parsed, &mut found);
                    for agg in found {
                        let Some(what) = ratio(&agg.expr, &ratios) else {
                            continue;
                        };
                        if shares_one_divisor(agg) {
                            continue;
                        }
                        let op = agg.op.to_string();
                        out.push(
                            report_rule(
                                &INFO,
                                file,
                                group,
                                rule,
                                expr.file_span(0, expr.text.value.trim_end().len()),
                                format!(
                                    "`{op}` of {what}: where a divisor's rate is 0, that series is NaN or Inf, and so is the {op}"
                                ),
                            )
                            .label("ratios aggregated")
                            .help(format!(
                                "{op} the numerator and the divisor apart, then divide: `{op}(rate(a[5m])) / {op}(rate(b[5m]))`"
                            )),
                        );
                        break;
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::places;
    use super::*;

    fn alert(expr: &str) -> String {
        format!("groups:\n- name: g\n  rules:\n  - alert: A\n    expr: {expr}\n")
    }

    #[test]
    fn a_sum_of_ratios_of_rates() {
        for bad in [
            "sum by (job) (rate(e_total[5m]) / rate(r_total[5m])) > 0.05",
            "avg(increase(e_total[1h]) / increase(r_total[1h])) > 0.1",
            "sum((rate(e_total[5m]) / (rate(r_total[5m]) + rate(s_total[5m])))) > 1",
            // The groups span several divisor series: `pod` is not grouped.
            "sum by (ns) (irate(e_total[5m]) / on (ns, pod) group_left irate(r_total[5m])) > 0.1",
        ] {
            assert_eq!(places(&AggregatedRatio, &alert(bad)).len(), 1, "{bad}");
        }
        // Through a recording rule that divides.
        let text = "groups:\n- name: g\n  rules:\n  - record: job:error_ratio:rate5m\n    expr: rate(e_total[5m]) / rate(r_total[5m])\n  - alert: A\n    expr: sum(job:error_ratio:rate5m) > 0.05\n";
        assert_eq!(places(&AggregatedRatio, text), ["7:11"]);
    }

    #[test]
    fn a_ratio_of_sums_or_a_constant_divisor_passes() {
        for ok in [
            "sum by (job) (rate(e_total[5m])) / sum by (job) (rate(r_total[5m])) > 0.05",
            "sum(rate(cpu_seconds_total[5m]) / 4) > 0.9",
            "avg(node_filesystem_avail_bytes / node_filesystem_size_bytes) < 0.1",
            "max(rate(e_total[5m]) / rate(r_total[5m])) > 0.05",
            "sum(rate(e_total[5m])) > 1",
            // One divisor series per group: an idle one is its own group's NaN.
            "sum by (ns, pod, kind) (irate(e_total[5m]) / on (ns, pod) group_left irate(r_total[5m])) > 0.1",
            "sum(rate(e_total[5m]) / on () group_left sum(rate(r_total[5m]))) > 0.1",
        ] {
            assert!(places(&AggregatedRatio, &alert(ok)).is_empty(), "{ok}");
        }
    }
}
