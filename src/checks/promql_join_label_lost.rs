use promql_parser::parser::value::ValueType;
use promql_parser::parser::{BinaryExpr, Expr, LabelModifier, VectorMatchCardinality};

use super::{binary_operations, report_rule, Check, CheckInfo, FileContext};
use crate::diagnostic::{Diagnostic, Severity};
use crate::rules::RuleFile;

pub struct JoinLabelLost;

static INFO: CheckInfo = CheckInfo {
    id: "promql/join-label-lost",
    severity: Severity::Info,
    default_enabled: false,
    options: &[],
    summary: "A label copied in with `group_left(l)`/`group_right(l)` that a later step drops before the result",
    docs: r#"## What it does
Follows each label a `group_left(l)` or `group_right(l)` join copies from the other side up to the
rule's result, and reports one that a later step certainly drops: an outer aggregation that does
not group by it (`sum by (job) (...)`, `sum(...)`, `without (l)`), a one-to-one operation that
matches `on(...)` other labels (its result keeps only those), the right side of `and`/`unless`
(the result is the left side's series), or `absent()`.

A label read on the way is not reported: grouped or matched on (`on(node)`, or the all-label
matching of an operation without `on`), or the source of a `label_replace`/`label_join`; copied
to be read, it did its job.

## Why is this bad?
The label was joined in to be used: to route the alert (`team`), to name the node in the
notification, or to be kept in the recorded series. Dropped on the way, it is never there: the
route matches nothing and `{{ $labels.team }}` renders empty, in every notification, while the
join itself looks right when read alone. Where nothing needed it, the copy is dead code that
tells the reader the wrong thing. Off by default: on the real rule sets measured, every such
label was dead code of the second kind (a join written as a filter, its label list left over),
which a maintainer tidies but no alert suffers from; `alert/template` already reports a template
that reads such a label.

## Example
```yaml
expr: |
  sum by (namespace) (
    rate(errors_total[5m]) * on (namespace) group_left (team) namespace_team_info
  ) > 1
```

## Fixed
```yaml
expr: |
  sum by (namespace, team) (
    rate(errors_total[5m]) * on (namespace) group_left (team) namespace_team_info
  ) > 1
```"#,
};

/// A label a join copied in, still in the series at this point.
struct Copied<'a> {
    label: &'a str,
    join: &'a BinaryExpr,
    /// Whether a step since the join read it: grouped or matched on it,
    /// or took it as a `label_replace`/`label_join` source. A label used so
    /// and dropped after is a label that did its job.
    used: bool,
}

/// A copied label and the step that dropped it.
struct Lost<'a> {
    label: &'a str,
    join: &'a BinaryExpr,
    by: String,
}

/// Records the copied labels a step drops: those no step read are lost.
fn dropped<'a>(c: Copied<'a>, by: String, lost: &mut Vec<Lost<'a>>) {
    if !c.used {
        lost.push(Lost {
            label: c.label,
            join: c.join,
            by,
        });
    }
}

fn listed(names: &[String], label: &str) -> bool {
    names.iter().any(|n| n == label)
}

fn words(names: &[String]) -> String {
    names.join(", ")
}

/// The labels copied in below `expr` that reach its result; those dropped
/// on the way go to `lost`.
fn reaching<'a>(expr: &'a Expr, lost: &mut Vec<Lost<'a>>) -> Vec<Copied<'a>> {
    match expr {
        Expr::Paren(p) => reaching(&p.expr, lost),
        Expr::Unary(u) => reaching(&u.expr, lost),
        Expr::Subquery(s) => reaching(&s.expr, lost),
        Expr::Aggregate(agg) => {
            let inner = reaching(&agg.expr, lost);
            let op = agg.op.to_string();
            if matches!(op.as_str(), "topk" | "bottomk" | "limitk" | "limit_ratio") {
                return inner
                    .into_iter()
                    .map(|mut c| {
                        c.used |= match &agg.modifier {
                            Some(LabelModifier::Include(by)) => listed(&by.labels, c.label),
                            Some(LabelModifier::Exclude(without)) => {
                                !listed(&without.labels, c.label)
                            }
                            None => false,
                        };
                        c
                    })
                    .collect();
            }
            let mut kept = Vec::new();
            for mut c in inner {
                let (keeps, by) = match &agg.modifier {
                    Some(LabelModifier::Include(by)) => (
                        listed(&by.labels, c.label),
                        format!("`{op} by ({})`", words(&by.labels)),
                    ),
                    Some(LabelModifier::Exclude(without)) => (
                        !listed(&without.labels, c.label),
                        format!("`{op} without ({})`", words(&without.labels)),
                    ),
                    None => (false, format!("`{op}(...)`")),
                };
                if keeps {
                    c.used = true;
                    kept.push(c);
                } else {
                    dropped(c, by, lost);
                }
            }
            kept
        }
        Expr::Call(call) => {
            let mut inner = Vec::new();
            for arg in &call.args.args {
                inner.extend(reaching(arg, lost));
            }
            let name = call.func.name;
            if matches!(name, "absent" | "absent_over_time")
                || call.func.return_type == ValueType::Scalar
            {
                for c in inner {
                    dropped(c, format!("`{name}()`"), lost);
                }
                return Vec::new();
            }
            // label_replace(v, dst, replacement, src, regex) and
            // label_join(v, dst, separator, src...) read their sources.
            let sources: Vec<&str> = match name {
                "label_replace" => call.args.args.get(3).into_iter().collect(),
                "label_join" => call.args.args.iter().skip(3).collect(),
                _ => Vec::new(),
            }
            .into_iter()
            .filter_map(|a| match a.as_ref() {
                Expr::StringLiteral(s) => Some(s.val.as_str()),
                _ => None,
            })
            .collect();
            for c in &mut inner {
                c.used |= sources.contains(&c.label);
            }
            inner
        }
        Expr::Binary(b) => binary(b, lost),
        _ => Vec::new(),
    }
}

fn binary<'a>(b: &'a BinaryExpr, lost: &mut Vec<Lost<'a>>) -> Vec<Copied<'a>> {
    let left = reaching(&b.lhs, lost);
    let right = reaching(&b.rhs, lost);
    let lhs_vector = b.lhs.value_type() == ValueType::Vector;
    let rhs_vector = b.rhs.value_type() == ValueType::Vector;
    if !(lhs_vector && rhs_vector) {
        return left.into_iter().chain(right).collect();
    }
    let op = b.op.to_string();
    let (on, ignoring): (&[String], &[String]) =
        match b.modifier.as_ref().and_then(|m| m.matching.as_ref()) {
            Some(LabelModifier::Include(on)) => (&on.labels, &[]),
            Some(LabelModifier::Exclude(ignoring)) => (&[], &ignoring.labels),
            None => (&[], &[]),
        };
    let is_on = matches!(
        b.modifier.as_ref().and_then(|m| m.matching.as_ref()),
        Some(LabelModifier::Include(_))
    );
    // Both sides' series are paired on these: a copied one among them is read.
    let matched_on = |label: &str| {
        if is_on {
            listed(on, label)
        } else {
            !listed(ignoring, label)
        }
    };
    let (mut left, mut right) = (left, right);
    for c in left.iter_mut().chain(right.iter_mut()) {
        c.used |= matched_on(c.label);
    }
    match op.as_str() {
        "and" | "unless" => {
            for c in right {
                dropped(
                    c,
                    format!("`{op}`, whose result is its left side's series,"),
                    lost,
                );
            }
            return left;
        }
        "or" => return left.into_iter().chain(right).collect(),
        _ => {}
    }
    let Some(modifier) = &b.modifier else {
        return left.into_iter().chain(right).collect();
    };
    // Whether a label of the side not kept whole reaches the result: it is
    // a matching label (so the kept side has it, equal), or copied here.
    let matched = |label: &str, extra: &[String]| listed(extra, label) || matched_on(label);
    let matching_words = if is_on {
        format!("`on({})`", words(on))
    } else {
        format!("`ignoring({})`", words(ignoring))
    };
    let mut out = Vec::new();
    match &modifier.card {
        VectorMatchCardinality::ManyToOne(extra) | VectorMatchCardinality::OneToMany(extra) => {
            let left_kept = matches!(modifier.card, VectorMatchCardinality::ManyToOne(_));
            let (kept_side, other_side) = if left_kept {
                (left, right)
            } else {
                (right, left)
            };
            out.extend(kept_side);
            for c in other_side {
                if matched(c.label, &extra.labels) {
                    out.push(c);
                } else {
                    dropped(
                        c,
                        format!("the join {matching_words} that keeps the other side's labels"),
                        lost,
                    );
                }
            }
            out.extend(extra.labels.iter().map(|l| Copied {
                label: l.as_str(),
                join: b,
                used: false,
            }));
        }
        _ => {
            for c in left.into_iter().chain(right) {
                if matched(c.label, &[]) {
                    out.push(c);
                } else {
                    dropped(
                        c,
                        format!("`{op}` {matching_words}, whose result keeps only the labels it matches on,"),
                        lost,
                    );
                }
            }
        }
    }
    out
}

fn keyword(b: &BinaryExpr) -> &'static str {
    match b.modifier.as_ref().map(|m| &m.card) {
        Some(VectorMatchCardinality::OneToMany(_)) => "group_right",
        _ => "group_left",
    }
}

impl Check for JoinLabelLost {
    fn info(&self) -> &'static CheckInfo {
        &INFO
    }

    fn check_file(&self, file: &RuleFile, _cx: &FileContext<'_>, out: &mut Vec<Diagnostic>) {
        for (group, rule, operations) in binary_operations(file) {
            let Some(Ok(parsed)) = rule.expr.as_ref().map(|e| e.parsed.as_ref()) else {
                continue;
            };
            let mut lost = Vec::new();
            reaching(parsed, &mut lost);
            for l in lost {
                let Some(span) = operations
                    .iter()
                    .find(|(b, _)| std::ptr::eq(*b, l.join))
                    .map(|(_, span)| *span)
                else {
                    continue;
                };
                let kw = keyword(l.join);
                let kind = if rule.is_alert() {
                    "the alert never carries it"
                } else {
                    "the recorded series never carries it"
                };
                out.push(
                    report_rule(
                        &INFO,
                        file,
                        group,
                        rule,
                        span,
                        format!(
                            "`{kw}({label})` copies `{label}`, and {by} drops it: {kind}",
                            label = l.label,
                            by = l.by
                        ),
                    )
                    .label(format!("`{}` copied here", l.label))
                    .help(format!(
                        "keep `{}` in what follows (`by (..., {})`), or leave it out of `{kw}(...)`",
                        l.label, l.label
                    )),
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
    fn a_copied_label_an_outer_step_drops() {
        let found = run(
            &JoinLabelLost,
            &alert("sum by (namespace) (rate(e_total[5m]) * on (namespace) group_left (team) ns_team) > 1"),
        );
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].0, "5:49");
        assert_eq!(
            found[0].1,
            "`group_left(team)` copies `team`, and `sum by (namespace)` drops it: the alert never carries it"
        );
        for (bad, by) in [
            (
                "sum(x * on (pod) group_left (node) kube_pod_info) > 1",
                "`sum(...)`",
            ),
            (
                "(x * on (pod) group_left (node) kube_pod_info) > on (pod) y",
                "`>` `on(pod)`",
            ),
            (
                "up == 0 and on (instance) (x * on (instance) group_left (team) owner)",
                "`and`, whose result",
            ),
            (
                "sum without (node) (x * on (pod) group_left (node) kube_pod_info) > 1",
                "`sum without (node)`",
            ),
            (
                "(x * on (pod) group_left (node) kube_pod_info) * on (instance) group_right (team) owner > 1",
                "the join `on(instance)` that keeps the other side's labels",
            ),
        ] {
            let found = run(&JoinLabelLost, &alert(bad));
            assert_eq!(found.len(), 1, "{bad}: {found:?}");
            assert!(found[0].1.contains(by), "{bad}: {found:?}");
        }
    }

    #[test]
    fn a_copied_label_that_reaches_the_result_passes() {
        for ok in [
            "sum by (namespace, team) (rate(e_total[5m]) * on (namespace) group_left (team) ns_team) > 1",
            "rate(e_total[5m]) * on (namespace) group_left (team) ns_team > 1",
            "sum without (pod) (x * on (pod) group_left (node) kube_pod_info) > 1",
            "topk(3, x * on (pod) group_left (node) kube_pod_info)",
            "(x * on (pod) group_left (node) kube_pod_info) > on (pod, node) y",
            "(x * on (pod) group_left (node) kube_pod_info) > y",
            "(x * on (pod) group_left (node) kube_pod_info) or y",
            "label_replace(x * on (pod) group_left (node) kube_pod_info, \"host\", \"$1\", \"node\", \"(.*)\") > 1",
            "sum by (job) (x * on (pod) group_left kube_pod_info) > 1",
            "max by (node) (x * on (pod) group_left (node) kube_pod_info) > 1",
            // Read on the way, then dropped: the label did its job.
            "max by (workload) (label_join(x * on (ns) group_left (owner_name) o, \"workload\", \"\", \"owner_name\")) > 1",
            "sum by (ns, zone) ((a * on (pod) group_left (node) info) * on (node) group_left (zone) node_info) > 1",
            "sum by (ns) (max by (ns, node) (a * on (pod) group_left (node) info)) > 1",
            "a * on (s) group_left (app) l <= b * on (s) group_left (app) l / 2 unless b * on (s) group_left (app) l == 0",
        ] {
            assert!(run(&JoinLabelLost, &alert(ok)).is_empty(), "{ok}: {:?}", run(&JoinLabelLost, &alert(ok)));
        }
    }
}
