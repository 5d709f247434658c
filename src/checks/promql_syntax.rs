use super::FileContext;
use super::{groups, report_promql_error, Check, CheckInfo};
use crate::diagnostic::{Diagnostic, Severity};
use crate::rules::RuleFile;

pub struct PromqlSyntax;

static INFO: CheckInfo = CheckInfo {
    id: "promql/syntax",
    severity: Severity::Error,
    default_enabled: true,
    options: &[],
    summary: "The rule's `expr` is not valid PromQL",
    docs: r#"## What it does
Parses `expr` with a PromQL parser and reports the error at its place in the file, through block
scalars (`expr: |`), folded and quoted strings. Functions that Prometheus keeps behind
`--enable-feature=promql-experimental-functions` (`sort_by_label`, `limitk`, `info`, ...) are errors
unless firedrill gets the same flag.

## Why is this bad?
Prometheus refuses the whole file. Renamed functions are a common cause after an upgrade:
Prometheus 3 renamed `holt_winters` to `double_exponential_smoothing`.

## Example
```yaml
expr: sum(rate(http_requests_total[5m]) by (job) > 10     # unclosed left parenthesis
```

## Fixed
```yaml
expr: sum(rate(http_requests_total[5m])) by (job) > 10
```"#,
};

impl Check for PromqlSyntax {
    fn info(&self) -> &'static CheckInfo {
        &INFO
    }

    fn check_file(&self, file: &RuleFile, _cx: &FileContext<'_>, out: &mut Vec<Diagnostic>) {
        for group in groups(file) {
            for rule in &group.rules {
                let Some(expr) = &rule.expr else { continue };
                let Err(error) = &expr.parsed else { continue };
                if error.message.is_empty() {
                    continue; // an empty expr is structure/expr's finding
                }
                out.push(report_promql_error(
                    &INFO,
                    file,
                    group,
                    rule,
                    expr,
                    error,
                    "could not parse expression: ",
                ));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::{places, run};
    use super::*;

    #[test]
    fn points_into_block_scalars() {
        let text = "groups:\n- name: a\n  rules:\n  - alert: A\n    expr: |\n      sum(rate(x[5m]))\n        > bogus bar\n";
        assert_eq!(places(&PromqlSyntax, text), ["7:17"]);
    }

    #[test]
    fn points_into_quoted_and_crlf_files() {
        let text =
            "groups:\r\n- name: a\r\n  rules:\r\n  - record: r\r\n    expr: \"rate(hi)\"\r\n";
        // At the argument, as promtool points.
        assert_eq!(places(&PromqlSyntax, text), ["5:17"]);
        assert!(run(&PromqlSyntax, text)[0]
            .1
            .contains("expected type range vector"));
    }

    #[test]
    fn valid_expressions_pass() {
        let text = "groups:\n- name: a\n  rules:\n  - alert: A\n    expr: up == 0\n";
        assert!(places(&PromqlSyntax, text).is_empty());
    }
}
