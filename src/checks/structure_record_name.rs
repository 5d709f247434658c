use super::FileContext;
use super::{groups, report_rule, Check, CheckInfo};
use crate::diagnostic::{Diagnostic, Severity};
use crate::rules::{RuleFile, RuleKind};

pub struct RecordName;

static INFO: CheckInfo = CheckInfo {
    id: "structure/record-name",
    severity: Severity::Error,
    default_enabled: true,
    options: &[],
    summary: "A recording rule name with braces (a selector where a name belongs)",
    docs: r#"## What it does
Reports `record:` names containing `{` or `}`. Prometheus 3 accepts any UTF-8 metric name, but
rejects braces because they almost always mean PromQL was written into the name.

## Why is this bad?
Prometheus refuses the file.

## Example
```yaml
- record: http_requests:rate5m{job="api"}
  expr: rate(http_requests_total{job="api"}[5m])
```
Put the selector in `expr` (or a static label in `labels`).

## Fixed
```yaml
- record: http_requests:rate5m
  expr: rate(http_requests_total{job="api"}[5m])
```
The selector in `expr` already keeps `job="api"` on the recorded series."#,
};

impl Check for RecordName {
    fn info(&self) -> &'static CheckInfo {
        &INFO
    }

    fn check_file(&self, file: &RuleFile, _cx: &FileContext<'_>, out: &mut Vec<Diagnostic>) {
        for group in groups(file) {
            for rule in &group.rules {
                if let Some(RuleKind::Record(name)) = rule.kind() {
                    if name.value.contains(['{', '}']) {
                        out.push(
                            report_rule(
                                &INFO,
                                file,
                                group,
                                rule,
                                name.span,
                                format!("braces present in the recording rule name; should it be in expr?: {}", name.value),
                            )
                            .label("braces in a metric name"),
                        );
                    }
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
    fn reports_braces() {
        let text = "groups:\n- name: a\n  rules:\n  - record: x{a=\"b\"}\n    expr: up\n  - record: job:x:sum\n    expr: up\n";
        assert_eq!(places(&RecordName, text), ["4:13"]);
    }
}
