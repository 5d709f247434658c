use super::{groups, parsed_expr, report_promql_error, Check, CheckInfo, FileContext};
use crate::diagnostic::{Diagnostic, Severity};
use crate::promql;
use crate::rules::RuleFile;

pub struct EvalError;

static INFO: CheckInfo = CheckInfo {
    id: "promql/eval-error",
    severity: Severity::Error,
    default_enabled: true,
    options: &[],
    summary: "Prometheus loads the rule, then fails every evaluation of it",
    docs: r#"## What it does
Reports an expression Prometheus parses (promtool accepts the file) but refuses each time it
evaluates it, with Prometheus's own error:
- a duration expression that comes to 0 or less in a range or a subquery step, or to NaN, an
  infinity, or more than 292 years (`promql/durations.go`). A rule is evaluated as an instant
  query, where `step()` and `range()` are 0: `rate(x[step()])` fails, `rate(x[max_of(step(), 5m)])`
  is `rate(x[5m])`;
- a division or modulo by a duration that comes to 0 (`[1h / (0)]`; by a literal 0 it is a
  parse error, which promql/syntax reports);
- an `anchored` or `smoothed` range given to a function that cannot read it
  (`promql/engine.go`): `anchored` works with `changes`, `delta`, `increase`, `rate`, `resets`;
  `smoothed` with `delta`, `increase`, `rate`.

## Why is this bad?
The rule never produces a sample or an alert. Prometheus logs the error and counts it in
`prometheus_rule_evaluation_failures_total`, which few teams alert on; the alert is silently dead.

## Example
```yaml
expr: deriv(node_memory_MemAvailable_bytes[30m] anchored) < 0
```

## Fixed
```yaml
expr: deriv(node_memory_MemAvailable_bytes[30m]) < 0
```"#,
};

impl Check for EvalError {
    fn info(&self) -> &'static CheckInfo {
        &INFO
    }

    fn check_file(&self, file: &RuleFile, _cx: &FileContext<'_>, out: &mut Vec<Diagnostic>) {
        for group in groups(file) {
            for rule in &group.rules {
                // Only what parses: a parse error is promql/syntax's finding.
                let Some((expr, _)) = parsed_expr(rule) else {
                    continue;
                };
                for error in promql::evaluation_errors(&expr.text.value) {
                    out.push(report_promql_error(
                        &INFO,
                        file,
                        group,
                        rule,
                        expr,
                        &error,
                        "every evaluation fails: ",
                    ));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::places;
    use super::*;

    #[test]
    fn points_at_the_range_prometheus_refuses() {
        let text = "groups:\n- name: a\n  rules:\n  - record: a:b:c\n    expr: |\n      rate(x[5m]) + rate(y[step()])\n";
        assert_eq!(places(&EvalError, text), ["6:28"]);
        let text = "groups:\n- name: a\n  rules:\n  - record: a:b:c\n    expr: rate(x[max_of(step(), 5m)])\n";
        assert!(places(&EvalError, text).is_empty());
    }
}
