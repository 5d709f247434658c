use super::FileContext;
use super::{groups, report_rule, Check, CheckInfo};
use crate::diagnostic::{Diagnostic, Severity};
use crate::rules::RuleFile;

pub struct AnnotationName;

static INFO: CheckInfo = CheckInfo {
    id: "structure/annotation-name",
    severity: Severity::Error,
    default_enabled: true,
    options: &[],
    summary: "An annotation with an empty name",
    docs: r#"## What it does
Checks that annotation names are not empty. Prometheus 3 accepts any other UTF-8 name.

## Why is this bad?
Prometheus refuses the file.

## Example
```yaml
annotations:
  "": forgot the name
```

## Fixed
```yaml
annotations:
  summary: forgot the name
```"#,
};

impl Check for AnnotationName {
    fn info(&self) -> &'static CheckInfo {
        &INFO
    }

    fn check_file(&self, file: &RuleFile, _cx: &FileContext<'_>, out: &mut Vec<Diagnostic>) {
        for group in groups(file) {
            for rule in &group.rules {
                for entry in rule.annotations.iter().filter(|e| e.key.value.is_empty()) {
                    out.push(report_rule(
                        &INFO,
                        file,
                        group,
                        rule,
                        entry.key.span,
                        "invalid annotation name: the name is empty",
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
    fn reports_empty_names() {
        let text = "groups:\n- name: a\n  rules:\n  - alert: A\n    expr: up\n    annotations:\n      \"\": x\n      ins-tance: ok\n";
        assert_eq!(places(&AnnotationName, text), ["7:7"]);
    }
}
