use crate::promql::analysis::constant_value;
use promql_parser::parser::{BinaryExpr, Expr};

use super::{binary_operations, report_rule, Check, CheckInfo, FileContext};
use crate::diagnostic::{Diagnostic, Severity};
use crate::rules::RuleFile;

pub struct Precedence;

static INFO: CheckInfo = CheckInfo {
    id: "promql/precedence",
    severity: Severity::Warning,
    default_enabled: true,
    options: &[],
    summary: "Arithmetic on a threshold that was meant for the value (`ratio > 0 * 100 > 1`): `*` binds before `>`",
    docs: r#"## What it does
Reports a chain of comparisons whose first threshold is arithmetic on numbers alone, written
without parentheses, where the arithmetic was evidently meant for the value being compared: a
product with zero (`ratio > 0 * 100 > 1`): nobody multiplies a threshold by zero on purpose, and
the comparison after it then reads the unscaled value. A threshold in other units
(`x < 3 * 24 * 3600 > 0`) is left alone, and so is a product with zero alone (`x > 0 * 0.9`, a
limit of 0 filled into `limit * 0.9`): `x > 0 * 100` and `(x > 0) * 100` fire alike.

## Why is this bad?
`*`, `/`, `+` and `-` bind tighter than comparisons, so `ratio > 0 * 100 > 1` is
`(ratio > (0 * 100)) > 1`: the `* 100` scales the threshold 0, not the ratio, and the last
comparison asks for a ratio above 1, which it never is. The alert that was meant to fire above
1% fires above 100%.

## Example
```yaml
expr: sum(rate(errors_total[5m])) / sum(rate(requests_total[5m])) > 0 * 100 > 1
```

## Fixed
```yaml
expr: (sum(rate(errors_total[5m])) / sum(rate(requests_total[5m])) > 0) * 100 > 1
```"#,
};

/// Arithmetic on numbers written right of a comparison, without parentheses.
fn arithmetic_threshold(comparison: &BinaryExpr) -> Option<&BinaryExpr> {
    match comparison.rhs.as_ref() {
        Expr::Binary(a) if !a.op.is_comparison_operator() && a.op.to_string() != "atan2" => {
            constant_value(&comparison.rhs).map(|_| a)
        }
        _ => None,
    }
}

fn is_filter(b: &BinaryExpr) -> bool {
    b.op.is_comparison_operator() && !b.return_bool()
}

impl Check for Precedence {
    fn info(&self) -> &'static CheckInfo {
        &INFO
    }

    fn check_file(&self, file: &RuleFile, _cx: &FileContext<'_>, out: &mut Vec<Diagnostic>) {
        for (group, rule, operators) in binary_operations(file) {
            {
                let span_of = |node: &BinaryExpr| {
                    operators
                        .iter()
                        .find(|(b, _)| std::ptr::eq(*b, node))
                        .map(|(_, span)| *span)
                        .unwrap_or(operators[0].1)
                };
                // A chain is seen from both of its comparisons: report it once,
                // from the outer one, which comes later in the text.
                let mut reported: Vec<*const BinaryExpr> = Vec::new();
                for (outer, _) in operators.iter().rev() {
                    if !is_filter(outer) {
                        continue;
                    }
                    // `a > 0 * 100 > 1`: the inner comparison, chained.
                    let chained = match outer.lhs.as_ref() {
                        Expr::Binary(inner) if is_filter(inner) => Some(inner),
                        _ => None,
                    };
                    // Alone, `x > 0 * 100` fires where `(x > 0) * 100` does: only
                    // a comparison after it reads the value the author meant
                    // to scale.
                    let Some(comparison) = chained.filter(|c| arithmetic_threshold(c).is_some())
                    else {
                        continue;
                    };
                    let next = outer;
                    let Some(arithmetic) = arithmetic_threshold(comparison) else {
                        continue;
                    };
                    if reported.contains(&(arithmetic as *const _)) {
                        continue;
                    }
                    let op = comparison.op.to_string();
                    let arith_op = arithmetic.op.to_string();
                    let value = constant_value(&comparison.rhs).unwrap_or(f64::NAN);
                    let by_zero = arith_op == "*"
                        && [&arithmetic.lhs, &arithmetic.rhs]
                            .iter()
                            .any(|side| constant_value(side) == Some(0.0));
                    // `x < 3 * 24 * 3600 > 0` is a threshold in seconds, as meant;
                    // only a product with zero, which no one writes on purpose,
                    // says the arithmetic was meant for the value.
                    if !by_zero {
                        continue;
                    }
                    let message = format!(
                        "`{arith_op}` binds tighter than `{op}`: this compares with `{}`, that is {value}, and the `{} {}` after it reads the value unscaled",
                        comparison.rhs,
                        next.op,
                        next.rhs
                    );
                    reported.push(arithmetic);
                    out.push(
                        report_rule(&INFO, file, group, rule, span_of(arithmetic), message)
                            .label("applies to the threshold")
                            .help(format!(
                                "to scale the value, put the comparison in parentheses: `(… {op} {}) {arith_op} {}`",
                                arithmetic.lhs, arithmetic.rhs
                            )),
                    );
                }
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
    fn a_chain_scaled_on_the_threshold() {
        let found = run(&Precedence, &alert("errors / requests > 0 * 100 > 1"));
        assert_eq!(found.len(), 1, "{found:?}");
        // At the `*`.
        assert_eq!(found[0].0, "5:33");
        assert!(
            found[0].1.contains("compares with `0 * 100`, that is 0"),
            "{found:?}"
        );
    }

    #[test]
    fn a_threshold_multiplied_by_zero_alone_fires_as_meant() {
        // `ratio > 0 * 100` and `(ratio > 0) * 100` fire at the same times.
        assert!(run(&Precedence, &alert("ratio > 0 * 100")).is_empty());
        assert!(run(&Precedence, &alert("usage > 0 * 0.9")).is_empty());
    }

    #[test]
    fn thresholds_written_as_arithmetic_pass() {
        for ok in [
            "node_memory_free_bytes < 100 * 1024 * 1024",
            "(errors / requests > 0) * 100 > 1",
            "x > (0 * 100) > 1",
            "x > 5 < 10",
            "x > 2 * 60 * 60",
            "x < 3 * 24 * 3600 > 0",
            "x * 100 > 1",
        ] {
            assert!(run(&Precedence, &alert(ok)).is_empty(), "{ok}");
        }
    }
}
