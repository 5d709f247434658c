use super::FileContext;
use super::{groups, report_rule, Check, CheckInfo};
use crate::diagnostic::{Diagnostic, Severity};
use crate::rules::{RuleFile, RuleKind};

pub struct RecordFields;

static INFO: CheckInfo = CheckInfo {
    id: "structure/record-fields",
    severity: Severity::Error,
    default_enabled: true,
    options: &[],
    summary: "A recording rule with `for`, `keep_firing_for` or `annotations`",
    docs: r#"## What it does
Reports alert-only fields on recording rules: a non-zero `for` or `keep_firing_for`, or any
`annotations`.

## Why is this bad?
Prometheus refuses the file. The rule was probably meant to be an alert (`alert:` instead of
`record:`), or the fields were copied from one.

## Example
```yaml
- record: job:errors:rate5m
  expr: rate(errors_total[5m])
  for: 5m              # recording rules have no pending state
```

## Fixed
```yaml
- record: job:errors:rate5m
  expr: rate(errors_total[5m])
```
If it was meant to page, make it an `alert:` with a comparison instead."#,
};

impl Check for RecordFields {
    fn info(&self) -> &'static CheckInfo {
        &INFO
    }

    fn check_file(&self, file: &RuleFile, _cx: &FileContext<'_>, out: &mut Vec<Diagnostic>) {
        for group in groups(file) {
            for rule in &group.rules {
                if !matches!(rule.kind(), Some(RuleKind::Record(_))) {
                    continue;
                }
                let mut bad = Vec::new();
                if let Some(f) = rule.for_.as_ref().filter(|f| !f.value.is_zero()) {
                    bad.push(("for", f.span));
                }
                if let Some(k) = rule.keep_firing_for.as_ref().filter(|k| !k.value.is_zero()) {
                    bad.push(("keep_firing_for", k.span));
                }
                if let Some(a) = rule.annotations.first() {
                    bad.push(("annotations", a.key.span));
                }
                for (field, span) in bad {
                    out.push(
                        report_rule(
                            &INFO,
                            file,
                            group,
                            rule,
                            span,
                            format!("invalid field '{field}' in recording rule"),
                        )
                        .label("only alerting rules have this")
                        .help("remove it, or make this an alerting rule with `alert:`"),
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
    fn reports_alert_fields_on_records() {
        let text = "groups:\n- name: a\n  rules:\n  - record: x\n    expr: up\n    for: 5m\n    keep_firing_for: 1m\n    annotations:\n      a: b\n  - record: y\n    expr: up\n    for: 0s\n";
        assert_eq!(places(&RecordFields, text), ["6:10", "7:22", "9:7"]);
    }
}
