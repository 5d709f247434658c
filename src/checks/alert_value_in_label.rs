use super::{groups, report_rule, Check, CheckInfo, FileContext};
use crate::diagnostic::{Diagnostic, Severity};
use crate::rules::RuleFile;
use crate::template;

pub struct ValueInLabel;

static INFO: CheckInfo = CheckInfo {
    id: "alert/value-in-label",
    severity: Severity::Warning,
    default_enabled: true,
    options: &[],
    summary: "`$value` in an alert's label, which makes every new value a new alert",
    docs: r#"## What it does
Reports an alerting rule's label whose template uses `$value` (or `.Value`).

## Why is this bad?
Labels are the alert's identity. The value changes at every evaluation, and each new label set is
a new alert: the old one resolves, a new one fires (its `for` starting over), notifications
repeat, and silences stop matching. Prometheus's documentation warns against it.

## Example
```yaml
- alert: DiskFull
  expr: node_filesystem_avail_bytes / node_filesystem_size_bytes < 0.05
  labels:
    free: "{{ $value }}"
```

## Fixed
```yaml
- alert: DiskFull
  expr: node_filesystem_avail_bytes / node_filesystem_size_bytes < 0.05
  annotations:
    free: "{{ $value | humanizePercentage }}"
```"#,
};

impl Check for ValueInLabel {
    fn info(&self) -> &'static CheckInfo {
        &INFO
    }

    fn check_file(&self, file: &RuleFile, _cx: &FileContext<'_>, out: &mut Vec<Diagnostic>) {
        for group in groups(file) {
            for rule in group.rules.iter().filter(|r| r.is_alert()) {
                for entry in &rule.labels {
                    if !entry.value.value.contains("{{") {
                        continue;
                    }
                    let analysis = template::analyze(&entry.value.value);
                    if analysis.errors.is_empty() && analysis.uses_value {
                        out.push(
                            report_rule(
                                &INFO,
                                file,
                                group,
                                rule,
                                entry.value.span,
                                format!(
                                    "label `{}` uses `$value`: every new value makes a new alert",
                                    entry.key.value
                                ),
                            )
                            .label("changes every evaluation")
                            .help("move `$value` to an annotation"),
                        );
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::run;
    use super::*;

    #[test]
    fn value_in_a_label_is_reported_and_in_an_annotation_not() {
        let text = "groups:\n- name: g\n  rules:\n  - alert: A\n    expr: up == 0\n    labels:\n      current: '{{ $value }}'\n      severity: '{{ if gt $value 1.0 }}critical{{ end }}'\n    annotations:\n      summary: '{{ $value }}'\n";
        let found = run(&ValueInLabel, text);
        let places: Vec<&str> = found.iter().map(|(p, _)| p.as_str()).collect();
        assert_eq!(places, ["7:16", "8:17"], "{found:?}");
        assert!(found[0].1.contains("uses `$value`"));
    }
}
