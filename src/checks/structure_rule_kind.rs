use super::FileContext;
use super::{groups, report, Check, CheckInfo};
use crate::diagnostic::{Diagnostic, Severity};
use crate::rules::RuleFile;

pub struct RuleKindCheck;

static INFO: CheckInfo = CheckInfo {
    id: "structure/rule-kind",
    severity: Severity::Error,
    default_enabled: true,
    options: &[],
    summary: "A rule must set exactly one of `alert` and `record`",
    docs: r#"## What it does
Checks that every rule is either an alerting rule (`alert:`) or a recording rule (`record:`), not
both and not neither.

## Why is this bad?
Prometheus refuses the file. A rule with neither usually lost its first line in a merge; one with
both was half converted from one kind to the other.

## Example
```yaml
- record: job:errors:rate5m
  alert: HighErrors
  expr: rate(errors_total[5m]) > 1
```

## Fixed
```yaml
- alert: HighErrors
  expr: rate(errors_total[5m]) > 1
```
The expression compares, so the rule keeps `alert:` and drops `record:`."#,
};

impl Check for RuleKindCheck {
    fn info(&self) -> &'static CheckInfo {
        &INFO
    }

    fn check_file(&self, file: &RuleFile, _cx: &FileContext<'_>, out: &mut Vec<Diagnostic>) {
        for group in groups(file) {
            for rule in &group.rules {
                let alert = rule.alert.as_ref().filter(|t| !t.value.is_empty());
                let record = rule.record.as_ref().filter(|t| !t.value.is_empty());
                let d = match (alert, record) {
                    (Some(a), Some(r)) => report(
                        &INFO,
                        file,
                        r.span,
                        "only one of 'record' and 'alert' must be set",
                    )
                    .label("record")
                    .related(a.span, "alert"),
                    (None, None) => report(
                        &INFO,
                        file,
                        rule.head,
                        "one of 'record' or 'alert' must be set",
                    )
                    .label("this rule has neither"),
                    _ => continue,
                };
                out.push(d.group(group.name()));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::places;
    use super::*;

    #[test]
    fn reports_neither_and_both() {
        let text = "groups:\n- name: a\n  rules:\n  - expr: up\n  - alert: A\n    record: b\n    expr: up\n  - alert: Ok\n    expr: up\n";
        assert_eq!(places(&RuleKindCheck, text), ["4:5", "6:13"]);
    }
}
