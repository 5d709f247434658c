use promql_parser::parser::{Expr, LabelModifier};

use super::{groups, label_list, parsed_expr, report_rule, Check, CheckInfo, FileContext};
use crate::diagnostic::{Diagnostic, Severity};
use crate::promql::analysis::{result_labels, Labels};
use crate::rules::RuleFile;

pub struct GroupingLabel;

static INFO: CheckInfo = CheckInfo {
    id: "promql/grouping-label",
    severity: Severity::Warning,
    default_enabled: true,
    options: &[],
    summary:
        "An aggregation `by` a label the expression inside can never carry, so it groups nothing",
    docs: r#"## What it does
Reports `by (l)` on an aggregation whose input's labels are all known (an inner aggregation
`by (...)`, `count_values`, `vector()`, a one-to-one match `on (...)`) and do not include `l`.

## Why is this bad?
A label that no input series has is empty on all of them, so grouping by it puts everything in
one group: `sum by (instance) (sum by (job) (x))` is one series without `instance`, the sum over
all instances, where one per instance was meant. An alert on it fires once for the whole fleet,
and a template that names `{{ $labels.instance }}` renders it empty.

## Example
```yaml
expr: max by (instance) (sum by (job) (rate(errors_total[5m]))) > 10
```

## Fixed
```yaml
expr: max by (instance) (sum by (job, instance) (rate(errors_total[5m]))) > 10
```"#,
};

impl Check for GroupingLabel {
    fn info(&self) -> &'static CheckInfo {
        &INFO
    }

    fn check_file(&self, file: &RuleFile, _cx: &FileContext<'_>, out: &mut Vec<Diagnostic>) {
        for group in groups(file) {
            for rule in &group.rules {
                let Some((expr, parsed)) = parsed_expr(rule) else {
                    continue;
                };
                let mut found = Vec::new();
                crate::promql::walk(parsed, &mut |e| {
                    let Expr::Aggregate(agg) = e else { return };
                    let Some(LabelModifier::Include(by)) = &agg.modifier else {
                        return;
                    };
                    let Labels::Only(inner) = result_labels(&agg.expr) else {
                        return;
                    };
                    let missing: Vec<&String> =
                        by.labels.iter().filter(|l| !inner.contains(*l)).collect();
                    if let Some(label) = missing.first() {
                        found.push((agg.op.to_string(), label.to_string(), inner.clone()));
                    }
                });
                for (op, label, inner) in found {
                    let text = &expr.text.value;
                    // The `by (... label ...)` of this aggregation, as written.
                    let start = by_clause(text, &op, &label).unwrap_or(0);
                    out.push(
                        report_rule(
                            &INFO,
                            file,
                            group,
                            rule,
                            expr.file_span(start, start + label.len()),
                            format!(
                                "`{op} by (..., {label})`: what it aggregates carries {}, never `{label}`, so grouping by `{label}` groups nothing",
                                label_list(&inner)
                            ),
                        )
                        .label("never on the input")
                        .help(format!("keep `{label}` in the inner aggregation's `by (...)`, or drop it here")),
                    );
                }
            }
        }
    }
}

/// The offset of `label` inside the first `by (...)` clause that names it
/// after an `op`, or anywhere after `op`.
fn by_clause(text: &str, op: &str, label: &str) -> Option<usize> {
    let tokens = crate::promql::tokenize(text);
    tokens
        .iter()
        .enumerate()
        .filter(|(_, t)| t.text(text) == op)
        .find_map(|(i, _)| {
            tokens[i..]
                .iter()
                .take(24)
                .find(|t| t.text(text) == label)
                .map(|t| t.start)
        })
}

#[cfg(test)]
mod tests {
    use super::super::testing::run;
    use super::*;

    fn alert(expr: &str) -> String {
        format!("groups:\n- name: g\n  rules:\n  - alert: A\n    expr: {expr}\n")
    }

    #[test]
    fn grouping_by_a_label_the_input_cannot_carry() {
        let found = run(
            &GroupingLabel,
            &alert("max by (instance) (sum by (job) (rate(e_total[5m]))) > 10"),
        );
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].0, "5:19");
        assert_eq!(
            found[0].1,
            "`max by (..., instance)`: what it aggregates carries `job`, never `instance`, so grouping by `instance` groups nothing"
        );
        assert_eq!(
            run(&GroupingLabel, &alert("sum by (job) (count(up)) > 1")).len(),
            1
        );
    }

    #[test]
    fn grouping_by_what_the_input_may_carry_passes() {
        for ok in [
            "max by (instance) (sum by (job, instance) (rate(e_total[5m]))) > 10",
            "sum by (job) (rate(e_total[5m])) > 1",
            "sum by (version) (count_values(\"version\", build_info)) > 1",
            "sum by (dst) (label_replace(sum by (src) (x), \"dst\", \"$1\", \"src\", \"(.*)\")) > 1",
            "sum by (job) (x * on (instance) group_left (job) sum by (instance, job) (y)) > 1",
            "sum without (instance) (sum by (job) (x)) > 1",
        ] {
            assert!(run(&GroupingLabel, &alert(ok)).is_empty(), "{ok}");
        }
    }
}
