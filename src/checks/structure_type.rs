use super::FileContext;
use super::{report, Check, CheckInfo};
use crate::diagnostic::{Diagnostic, Severity};
use crate::rules::{LoadProblem, RuleFile};

pub struct WrongType;

static INFO: CheckInfo = CheckInfo {
    id: "structure/type",
    severity: Severity::Error,
    default_enabled: true,
    options: &[],
    summary: "A field holds the wrong kind of YAML value",
    docs: r#"## What it does
Reports values of the wrong YAML type: a list where a string belongs (`for: [5m]`), a string where an
integer belongs (`limit: "10"`), a single rule where a list of rules belongs.

## Why is this bad?
Prometheus cannot decode the file and refuses all of it.

## Example
```yaml
- alert: Down
  expr: up == 0
  for: [5m]
```
Write `for: 5m`.

## Fixed
```yaml
- alert: Down
  expr: up == 0
  for: 5m
```"#,
};

impl Check for WrongType {
    fn info(&self) -> &'static CheckInfo {
        &INFO
    }

    fn check_file(&self, file: &RuleFile, _cx: &FileContext<'_>, out: &mut Vec<Diagnostic>) {
        for problem in &file.problems {
            if let LoadProblem::WrongType {
                field,
                expected,
                found,
                span,
            } = problem
            {
                out.push(
                    report(
                        &INFO,
                        file,
                        *span,
                        format!("`{field}` must be {expected}, found {found}"),
                    )
                    .label(format!("expected {expected}")),
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::run;
    use super::*;

    #[test]
    fn reports_wrong_types() {
        let text = "groups:\n- name: a\n  limit: \"10\"\n  rules:\n  - alert: X\n    expr: up\n    for: [1]\n";
        let found = run(&WrongType, text);
        assert_eq!(found.len(), 2, "{found:?}");
        assert_eq!(found[1].0, "7:10");
        assert!(found[1]
            .1
            .contains("`for` must be a string, found a sequence"));
        assert!(run(&WrongType, "groups:\n- name: a\n  limit: 10\n  rules: []\n").is_empty());
    }
}
