use std::collections::HashMap;

use super::{groups, report_rule, Check, CheckInfo};
use crate::diagnostic::{Diagnostic, Severity};
use crate::rules::{Rule, RuleFile};
use crate::source::Span;

pub struct RuleDuplicate;

static INFO: CheckInfo = CheckInfo {
    id: "rule/duplicate",
    severity: Severity::Warning,
    default_enabled: true,
    summary: "Two rules in one file with the same name and the same labels",
    docs: r#"## What it does
Reports a rule whose name (`alert` or `record`) and static `labels` equal those of an earlier rule
in the same file, in any group, like `promtool check rules --lint=duplicate-rules`.

## Why is this bad?
Two recording rules writing the same series with the same labels overwrite each other's samples
("duplicate sample for timestamp"). Two identical alerts page twice, or one of them is stale
after an edit to the other.

## Example
```yaml
- alert: HighLatency
  expr: latency_seconds > 1
  labels: {severity: page}
- alert: HighLatency              # same name, same labels
  expr: latency_seconds > 2
  labels: {severity: page}
```
Give one of them a distinguishing label, or delete it."#,
};

type Key<'a> = (&'a str, Vec<(&'a str, &'a str)>);

fn key(rule: &Rule) -> Key<'_> {
    let mut labels: Vec<_> = rule
        .labels
        .iter()
        .map(|e| (e.key.value.as_str(), e.value.value.as_str()))
        .collect();
    labels.sort_unstable();
    (rule.name(), labels)
}

impl Check for RuleDuplicate {
    fn info(&self) -> &'static CheckInfo {
        &INFO
    }

    fn check_file(&self, file: &RuleFile, out: &mut Vec<Diagnostic>) {
        let mut seen: HashMap<Key<'_>, Span> =
            HashMap::with_capacity(groups(file).map(|g| g.rules.len()).sum());
        for group in groups(file) {
            for rule in group.rules.iter().filter(|r| !r.name().is_empty()) {
                let k = key(rule);
                match seen.get(&k) {
                    Some(first) => {
                        let line = file.source.line_col(first.start).line;
                        let what = if rule.is_alert() {
                            "alert"
                        } else {
                            "recording rule"
                        };
                        out.push(
                            report_rule(
                                &INFO,
                                file,
                                group,
                                rule,
                                rule.anchor(),
                                format!("duplicate rule: {what} {:?} with the same labels is already defined at line {line}", rule.name()),
                            )
                            .label("duplicate")
                            .related(*first, "first defined here"),
                        );
                    }
                    None => {
                        seen.insert(k, rule.anchor());
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
    fn reports_same_name_and_labels_across_groups() {
        let text = "groups:\n- name: a\n  rules:\n  - record: x\n    expr: up\n  - record: x\n    expr: up\n    labels: {a: b}\n- name: b\n  rules:\n  - record: x\n    expr: down\n";
        assert_eq!(places(&RuleDuplicate, text), ["11:13"]);
    }
}
