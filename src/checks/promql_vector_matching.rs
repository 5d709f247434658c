use std::collections::BTreeSet;

use promql_parser::label::MatchOp;
use promql_parser::parser::value::ValueType;
use promql_parser::parser::{BinaryExpr, Expr, LabelModifier};

use super::{binary_operations, label_list, report_rule, Check, CheckInfo, FileContext};
use crate::diagnostic::{Diagnostic, Severity};
use crate::promql::analysis::{certainly_in_result, result_labels, Labels};
use crate::rules::RuleFile;

pub struct VectorMatching;

static INFO: CheckInfo = CheckInfo {
    id: "promql/vector-matching",
    severity: Severity::Warning,
    default_enabled: true,
    options: &[],
    summary:
        "A binary operation whose two sides can never carry the same labels, so no series pair up",
    docs: r#"## What it does
Reports a binary operation between two vectors (`/`, `>`, `and`, ...) where what each side can
carry is known (an aggregation `by (...)`, `count_values`, `vector()`, `label_replace`) and the
two sets differ, with no `on(...)`/`ignoring(...)` to say which labels to match on; and an
`on(l)` where one side can never carry `l`. `or` is left alone: it does not need pairs. Also where only one side's labels are known: the other
side's selector matches a label with a value that cannot be empty (`up{job="api"}`), and the known
side can never carry it (`sum(x)`, `count(...)`), so `and` keeps nothing and `unless` removes
nothing (`up{job="api"} == 0 unless sum(maintenance_active) > 0` is not muted in maintenance).

Only when the rule itself proves that a label one side keeps exists: a selector matches it with a
value that cannot be empty, a `label_replace` or `count_values` writes it, or it is `job` or
`instance` on a scraped metric (every target's series carry both). `sum by (ingress, cluster) /
sum by (ingress)` pairs up fine where no series has a `cluster` label, which only the server
knows.

## Why is this bad?
Prometheus pairs the series of the two sides by all their labels (but the metric name), or by
the `on` labels. `sum by (job) (errors) / sum by (instance) (requests)` pairs `{job="api"}` with
`{instance="a"}` only if both were missing: the result is empty, always, and an alert on it can
never fire. The same for `count_values("version", build_info) / count(build_info)`, whose left
side carries `version` and right side nothing.

## Example
```yaml
expr: sum by (job) (rate(errors_total[5m])) / sum by (instance) (rate(requests_total[5m])) > 0.05
```

## Fixed
```yaml
expr: sum by (job) (rate(errors_total[5m])) / sum by (job) (rate(requests_total[5m])) > 0.05
```
To divide each series by a total, match on nothing and say which side has many:
`sum by (job) (x) / on() group_left sum(x)`."#,
};

/// What a side carries, when that is known exactly enough to compare.
fn only(labels: Labels) -> Option<BTreeSet<String>> {
    match labels {
        Labels::Only(set) => Some(set),
        Labels::AllExcept(_) => None,
    }
}

/// Whether every series of `side` has `label`, as the rule alone proves
/// it: a selector matching it with a value that cannot be empty, a
/// `label_replace`/`count_values` writing it, or `job`/`instance` on a
/// scraped metric (every target's series carry both; a recorded name,
/// with a colon, may not). A label that may exist nowhere (`cluster` on a
/// single-cluster server) makes a mismatch a guess: the server knows.
fn certainly_carried(side: &Expr, label: &str) -> bool {
    let mut carried = false;
    crate::promql::walk(side, &mut |e| match e {
        Expr::VectorSelector(_) | Expr::MatrixSelector(_) => {
            let vs = match e {
                Expr::MatrixSelector(m) => &m.vs,
                Expr::VectorSelector(vs) => vs,
                _ => return,
            };
            let matched = vs.matchers.matchers.iter().any(|m| {
                m.name == label
                    && match &m.op {
                        MatchOp::Equal => !m.value.is_empty(),
                        MatchOp::Re(re) => !re.is_match(""),
                        _ => false,
                    }
            });
            let scraped = matches!(label, "job" | "instance")
                && vs.name.as_ref().is_some_and(|n| !n.contains(':'));
            carried |= matched || scraped;
        }
        Expr::Call(call) if call.func.name == "label_replace" => {
            let text = |i: usize| match call.args.args.get(i).map(|a| a.as_ref()) {
                Some(Expr::StringLiteral(s)) => Some(s.val.as_str()),
                _ => None,
            };
            carried |= text(1) == Some(label) && text(2).is_some_and(|r| !r.is_empty());
        }
        Expr::Aggregate(agg) if agg.op.to_string() == "count_values" => {
            carried |=
                matches!(agg.param.as_deref(), Some(Expr::StringLiteral(s)) if s.val == label);
        }
        _ => {}
    });
    carried
}

/// Why the two sides of `b` can never pair up, if they cannot.
fn mismatch(b: &BinaryExpr) -> Option<String> {
    if b.lhs.value_type() != ValueType::Vector || b.rhs.value_type() != ValueType::Vector {
        return None;
    }
    if b.op.to_string() == "or" {
        return None;
    }
    let (lhs, rhs) = (result_labels(&b.lhs), result_labels(&b.rhs));
    match b.modifier.as_ref().and_then(|m| m.matching.as_ref()) {
        Some(LabelModifier::Include(on)) => {
            for label in &on.labels {
                let (left, right) = (lhs.can_carry(label), rhs.can_carry(label));
                if left == right {
                    continue;
                }
                let carrier = if left { &b.lhs } else { &b.rhs };
                if !certainly_carried(carrier, label) {
                    continue;
                }
                let (side, carries) = if left {
                    ("right", only(rhs.clone())?)
                } else {
                    ("left", only(lhs.clone())?)
                };
                return Some(format!(
                    "`on({label})`: the {side} side carries {}, never `{label}`, so it pairs only with series that lack `{label}`",
                    label_list(&carries)
                ));
            }
            None
        }
        matching => {
            let ignored: &[String] = match matching {
                Some(LabelModifier::Exclude(ignoring)) => &ignoring.labels,
                _ => &[],
            };
            let (mut left, mut right) = match (only(lhs), only(rhs)) {
                (Some(left), Some(right)) => (left, right),
                (Some(known), None) => return carried_apart(b, &b.rhs, &known, ignored, "right"),
                (None, Some(known)) => return carried_apart(b, &b.lhs, &known, ignored, "left"),
                (None, None) => return None,
            };
            for label in ignored {
                left.remove(label);
                right.remove(label);
            }
            if left == right {
                return None;
            }
            let unshared: BTreeSet<String> = left.symmetric_difference(&right).cloned().collect();
            let proven = unshared.iter().any(|l| {
                (left.contains(l) && certainly_carried(&b.lhs, l))
                    || (right.contains(l) && certainly_carried(&b.rhs, l))
            });
            if !proven {
                return None;
            }
            Some(format!(
                "the left side carries {}, the right side {}: series pair up only where {} {} missing",
                label_list(&left),
                label_list(&right),
                label_list(&unshared),
                if unshared.len() == 1 { "is" } else { "are" },
            ))
        }
    }
}

/// One side's labels are known exactly and the other's are not, but the
/// other side certainly carries a label the first never does (its selector
/// matches a non-empty value): no pair can ever form. `x{job="a"} unless
/// sum(x)` removes nothing; `x{job="a"} > count(y)` compares nothing.
fn carried_apart(
    b: &BinaryExpr,
    unknown: &Expr,
    known: &BTreeSet<String>,
    ignored: &[String],
    unknown_side: &str,
) -> Option<String> {
    let mut named = BTreeSet::new();
    crate::promql::walk(unknown, &mut |e| {
        let vs = match e {
            Expr::VectorSelector(vs) => vs,
            Expr::MatrixSelector(m) => &m.vs,
            _ => return,
        };
        named.extend(vs.matchers.matchers.iter().map(|m| m.name.clone()));
    });
    let label = named.into_iter().find(|l| {
        l != "__name__"
            && !known.contains(l)
            && !ignored.contains(l)
            && certainly_in_result(unknown, l)
    })?;
    let known_side = if unknown_side == "left" {
        "right"
    } else {
        "left"
    };
    let outcome = match b.op.to_string().as_str() {
        "and" => "`and` keeps nothing".to_string(),
        "unless" => "`unless` removes nothing".to_string(),
        _ => "no series pair up".to_string(),
    };
    Some(format!(
        "the {unknown_side} side's series all carry `{label}` (its selector says so), the {known_side} side carries {}: {outcome}",
        label_list(known)
    ))
}

impl Check for VectorMatching {
    fn info(&self) -> &'static CheckInfo {
        &INFO
    }

    fn check_file(&self, file: &RuleFile, _cx: &FileContext<'_>, out: &mut Vec<Diagnostic>) {
        for (group, rule, operations) in binary_operations(file) {
            for (b, span) in operations {
                let Some(why) = mismatch(b) else { continue };
                out.push(
                    report_rule(&INFO, file, group, rule, span, why)
                        .label("no series pair up")
                        .help("aggregate both sides by the same labels, or say what to match with `on(...)` (and `group_left` where one side has many)"),
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
    fn sides_aggregated_by_different_labels_never_pair() {
        let found = run(
            &VectorMatching,
            &alert(
                "sum by (job) (rate(e_total[5m])) / sum by (instance) (rate(r_total[5m])) > 0.05",
            ),
        );
        assert_eq!(found.len(), 1, "{found:?}");
        // At the `/`.
        assert_eq!(found[0].0, "5:44");
        assert!(
            found[0].1.contains("`instance`, `job` are missing"),
            "{found:?}"
        );
    }

    #[test]
    fn count_values_divided_without_on_never_pairs() {
        let found = run(
            &VectorMatching,
            &alert("count_values(\"version\", build_info) / count(build_info) < 1"),
        );
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(found[0].1.contains("`version`"), "{found:?}");
    }

    #[test]
    fn an_on_label_one_side_never_carries() {
        let found = run(
            &VectorMatching,
            &alert("sum by (job) (x) / on (instance) group_left sum by (job, instance) (y) > 1"),
        );
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(
            found[0]
                .1
                .starts_with("`on(instance)`: the left side carries `job`"),
            "{found:?}"
        );
    }

    #[test]
    fn a_set_operation_with_a_side_that_never_shares_a_proven_label_is_dead() {
        let found = run(
            &VectorMatching,
            &alert("up{job=\"api\"} == 0 unless sum(maintenance_active) > 0"),
        );
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(
            found[0].1.starts_with(
                "the left side's series all carry `job` (its selector says so), the right side carries no labels: `unless` removes nothing"
            ),
            "{found:?}"
        );
        let found = run(
            &VectorMatching,
            &alert("rate(errors_total{job=\"api\"}[5m]) > 1 and count(up{job=\"api\"} == 1) > 2"),
        );
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(found[0].1.ends_with("`and` keeps nothing"), "{found:?}");
    }

    #[test]
    fn matching_sides_and_unknown_sides_pass() {
        for ok in [
            // `cluster` may exist nowhere: then both sides carry `ingress`.
            "sum by (ingress, cluster) (rate(x_total[5m])) / sum by (ingress) (rate(y_total[5m])) > 1",
            "sum by (team) (a:x) / sum(a:y) > 1",
            "sum by (job) (rate(e_total[5m])) / sum by (job) (rate(r_total[5m])) > 0.05",
            "sum by (job) (x) / on() group_left sum(x) > 0.5",
            "sum by (job, le) (x) / ignoring (le) group_left sum by (job) (y) > 1",
            "sum by (job) (x) > y",
            "rate(x[5m]) / rate(y[5m]) > 1",
            "sum by (job) (x) or sum by (instance) (y)",
            "sum by (job) (x) > 1 and on() vector(1)",
            "count(up) / count(up == 1) > 1",
            "sum without (instance) (x) / sum by (job) (y) > 1",
            "sum by (job) (x) * on (job) group_left (team) team_info > 1",
            // Fixed: the set operation matches on nothing, or both carry `job`.
            "up{job=\"api\"} == 0 unless on() sum(maintenance_active) > 0",
            "up{job=\"api\"} == 0 unless on(job) sum by (job) (maintenance_active) > 0",
            "up{job=\"api\"} == 0 unless sum by (job, instance) (maintenance_active) > 0",
            // The label is only in a side's filter, not in its result.
            "x{job=\"a\"} and on(instance) y{cluster=\"a\"} unless sum by (job) (z)",
            "x{job=\"a\"} unless ignoring(job) sum(y)",
            "label_replace(x{job=\"a\"}, \"job\", \"\", \"\", \"\") unless sum(y)",
            "x{job!=\"a\"} unless sum(y)",
        ] {
            assert!(run(&VectorMatching, &alert(ok)).is_empty(), "{ok}");
        }
    }
}
