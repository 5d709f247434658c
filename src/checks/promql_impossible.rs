use super::{groups, parsed_expr, report_rule, Check, CheckInfo, FileContext};
use crate::diagnostic::{Diagnostic, Severity};
use crate::promql::analysis::swapped_comparison;
use crate::promql::{tokenize, Expr, TokenKind};
use crate::rules::RuleFile;

pub struct Impossible;

static INFO: CheckInfo = CheckInfo {
    id: "promql/impossible",
    severity: Severity::Warning,
    default_enabled: true,
    options: &[],
    summary: "An `or vector(N)` fallback that the rule's own comparison always removes",
    docs: r#"## What it does
Reports a `vector(N)` fallback (`x or vector(0)`) whose value cannot pass the comparison that
the expression ends with, when nothing between them changes the value (`sum`, `min`, `max`,
`avg`, parentheses, `or`): `sum(x or vector(0)) > 0` drops the fallback's 0 every time.

## Why is this bad?
The fallback is there so the rule says something when `x` is missing, and it never will: when
`x` disappears, the alert silently resolves instead of firing. The author usually wanted
`absent(x)` as a separate alert, or a fallback value on the other side of the threshold.

## Example
```yaml
expr: sum by (name) (foo or vector(0)) > 0        # vector(0) > 0 is never true
```
Alert on the missing data separately: `absent(foo)`.

## Fixed
```yaml
expr: sum by (name) (foo) > 0
```
The fallback is gone; a separate alert with `expr: absent(foo)` fires when `foo` is missing."#,
};

/// Aggregations whose result over the lone fallback series is its value.
const KEEPS_VALUE: &[&str] = &["sum", "min", "max", "avg", "topk", "bottomk"];

fn fallbacks(expr: &Expr, out: &mut Vec<f64>) {
    match expr {
        Expr::Paren(p) => fallbacks(&p.expr, out),
        Expr::Aggregate(agg) if KEEPS_VALUE.contains(&agg.op.to_string().as_str()) => {
            fallbacks(&agg.expr, out)
        }
        Expr::Binary(b) if b.op.to_string() == "or" => {
            fallbacks(&b.lhs, out);
            fallbacks(&b.rhs, out);
        }
        Expr::Call(call) if call.func.name == "vector" => {
            if let Some(Expr::NumberLiteral(n)) = call.args.args.first().map(|a| a.as_ref()) {
                out.push(n.val);
            }
        }
        _ => {}
    }
}

fn passes(value: f64, op: &str, threshold: f64) -> bool {
    match op {
        ">" => value > threshold,
        ">=" => value >= threshold,
        "<" => value < threshold,
        "<=" => value <= threshold,
        "==" => value == threshold,
        "!=" => value != threshold,
        _ => true,
    }
}

impl Check for Impossible {
    fn info(&self) -> &'static CheckInfo {
        &INFO
    }

    fn check_file(&self, file: &RuleFile, _cx: &FileContext<'_>, out: &mut Vec<Diagnostic>) {
        for group in groups(file) {
            for rule in &group.rules {
                let Some((expr, parsed)) = parsed_expr(rule) else {
                    continue;
                };
                if !expr.text.value.contains("vector") {
                    continue;
                }
                let mut top = parsed;
                while let Expr::Paren(p) = top {
                    top = &p.expr;
                }
                let Expr::Binary(b) = top else { continue };
                if !b.op.is_comparison_operator() || b.return_bool() {
                    continue;
                }
                let op = b.op.to_string();
                let (side, op, threshold) = match (b.lhs.as_ref(), b.rhs.as_ref()) {
                    (side, Expr::NumberLiteral(n)) => (side, op.as_str(), n.val),
                    (Expr::NumberLiteral(n), side) => (side, swapped_comparison(&op), n.val),
                    _ => continue,
                };
                let mut found = Vec::new();
                fallbacks(side, &mut found);
                let Some(value) = found.into_iter().find(|v| !passes(*v, op, threshold)) else {
                    continue;
                };
                let text = expr.text.value.as_str();
                let tokens = tokenize(text);
                let span = tokens
                    .iter()
                    .position(|t| t.kind == TokenKind::Identifier && t.text(text) == "vector")
                    .map_or(expr.text.span, |i| {
                        let end = tokens[i..]
                            .iter()
                            .find(|t| t.kind == TokenKind::RightParen)
                            .map_or(tokens[i].end, |t| t.end);
                        expr.file_span(tokens[i].start, end)
                    });
                out.push(
                    report_rule(
                        &INFO,
                        file,
                        group,
                        rule,
                        span,
                        format!("the fallback `vector({value})` never passes `{op} {threshold}`: it can never fire"),
                    )
                    .label("dead fallback")
                    .help("alert on the missing data with `absent()`, or drop the fallback"),
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::{places, run};
    use super::*;

    fn alert(expr: &str) -> String {
        format!("groups:\n- name: g\n  rules:\n  - alert: A\n    expr: {expr}\n")
    }

    #[test]
    fn reports_a_fallback_the_comparison_removes() {
        assert_eq!(
            places(&Impossible, &alert("sum(foo or vector(0)) by (name) > 0")),
            ["5:22"]
        );
        assert_eq!(
            run(&Impossible, &alert("0.5 < (max(foo) or vector(0))")).len(),
            1
        );
    }

    #[test]
    fn a_fallback_that_can_fire_passes() {
        for ok in [
            "sum(foo or vector(1)) > 0",
            "count(foo or vector(0)) > 0",
            "sum(foo or vector(0)) == 0",
            "sum(foo or vector(0)) > bool 0",
            "sum(foo) > 0",
        ] {
            assert!(run(&Impossible, &alert(ok)).is_empty(), "{ok}");
        }
    }
}
