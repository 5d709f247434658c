use std::collections::HashMap;

use super::Settings;
use super::{groups, report_rule, Check, CheckInfo, Context};
use crate::diagnostic::{Diagnostic, Severity};
use crate::rules::{Rule, RuleFile};
use crate::source::Span;

pub struct RuleDuplicate;

static INFO: CheckInfo = CheckInfo {
    id: "rule/duplicate",
    severity: Severity::Warning,
    default_enabled: true,
    summary:
        "Two rules with the same name and the same labels, in one file or across the files loaded",
    docs: r#"## What it does
Reports a rule whose name (`alert` or `record`) and static `labels` equal those of an earlier rule
in the same file, in any group, like `promtool check rules --lint=duplicate-rules`; and one that
repeats a rule of another file loaded in the same run (files are compared in the order given).

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
Give one of them a distinguishing label, or delete it.

## Fixed
```yaml
- alert: HighLatency
  expr: latency_seconds > 1
  labels: {severity: warning}
- alert: HighLatency
  expr: latency_seconds > 2
  labels: {severity: page}
```
The two rules now differ in their `severity` label."#,
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

    fn check_file(&self, file: &RuleFile, _settings: &Settings, out: &mut Vec<Diagnostic>) {
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

    fn check_set(&self, ctx: &Context<'_>, out: &mut Vec<Diagnostic>) {
        if ctx.rules.files.len() < 2 {
            return;
        }
        // The first file each rule appears in, and where.
        let mut first: HashMap<Key<'_>, (usize, Span)> = HashMap::new();
        for (index, file) in ctx.rules.files.iter().enumerate() {
            // A repeat inside this file is check_file's finding: one report per rule.
            let mut in_file: std::collections::HashSet<Key<'_>> = Default::default();
            for group in groups(file) {
                for rule in group.rules.iter().filter(|r| !r.name().is_empty()) {
                    let k = key(rule);
                    if !in_file.insert(k.clone()) {
                        continue;
                    }
                    match first.get(&k) {
                        Some(&(other, span)) if other != index => {
                            let other = &ctx.rules.files[other];
                            let at = other.source.line_col(span.start);
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
                                    format!(
                                        "duplicate rule: {what} {:?} with the same labels is also defined in {}:{}:{}",
                                        rule.name(),
                                        other.source.name,
                                        at.line,
                                        at.column
                                    ),
                                )
                                .label("defined in another file too"),
                            );
                        }
                        Some(_) => {}
                        None => {
                            first.insert(k, (index, rule.anchor()));
                        }
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

    #[test]
    fn reports_a_rule_repeated_in_another_file_once() {
        use super::super::testing::load_text_named;
        use crate::rules::RuleSet;
        let a = "groups:\n- name: a\n  rules:\n  - alert: Down\n    expr: up == 0\n    labels: {severity: critical}\n";
        let b = "groups:\n- name: b\n  rules:\n  - alert: Down\n    expr: up == 0\n    labels: {severity: warning}\n  - alert: Down\n    expr: up{job=\"x\"} == 0\n    labels: {severity: critical}\n";
        let set = RuleSet {
            files: vec![load_text_named("a.yaml", a), load_text_named("b.yaml", b)],
        };
        let mut out = Vec::new();
        RuleDuplicate.check_set(
            &Context {
                rules: &set,
                runbooks: &Default::default(),
                partial: false,
                settings: &Default::default(),
            },
            &mut out,
        );
        assert_eq!(out.len(), 1, "{out:?}");
        assert_eq!(out[0].source.name, "b.yaml");
        assert_eq!(out[0].source.line_col(out[0].span.start).line, 7);
        assert!(
            out[0].message.contains("also defined in a.yaml:4:12"),
            "{}",
            out[0].message
        );
    }

    #[test]
    fn different_labels_are_not_duplicates() {
        let text = "groups:\n- name: a\n  rules:\n  - alert: Down\n    expr: up == 0\n    labels: {severity: warning}\n  - alert: Down\n    expr: up == 0\n    labels: {severity: critical}\n";
        assert!(places(&RuleDuplicate, text).is_empty());
    }
}
