use super::FileContext;
use super::{groups, report_rule, Check, CheckInfo};
use crate::diagnostic::{Diagnostic, Severity};
use crate::rules::RuleFile;

pub struct ExprRequired;

static INFO: CheckInfo = CheckInfo {
    id: "structure/expr",
    severity: Severity::Error,
    default_enabled: true,
    options: &[],
    summary: "A rule without an `expr`",
    docs: r#"## What it does
Checks that every rule has a non-empty `expr:`.

## Why is this bad?
Prometheus refuses the file: a rule with no expression has nothing to evaluate.

## Example
```yaml
- record: job:up:sum
  # expr: sum by (job) (up)     <- missing
```

## Fixed
```yaml
- record: job:up:sum
  expr: sum by (job) (up)
```"#,
};

impl Check for ExprRequired {
    fn info(&self) -> &'static CheckInfo {
        &INFO
    }

    fn check_file(&self, file: &RuleFile, _cx: &FileContext<'_>, out: &mut Vec<Diagnostic>) {
        for group in groups(file) {
            for rule in &group.rules {
                let empty = rule
                    .expr
                    .as_ref()
                    .is_none_or(|e| e.text.value.trim().is_empty());
                if empty {
                    let span = rule.expr.as_ref().map_or(rule.anchor(), |e| e.text.span);
                    out.push(
                        report_rule(
                            &INFO,
                            file,
                            group,
                            rule,
                            span,
                            "field 'expr' must be set in rule",
                        )
                        .label("no expression"),
                    );
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
    fn reports_missing_and_empty_expr() {
        let text = "groups:\n- name: a\n  rules:\n  - record: x\n  - record: y\n    expr: \"\"\n  - record: z\n    expr: up\n";
        assert_eq!(places(&ExprRequired, text), ["4:13", "6:11"]);
    }
}
