use std::collections::HashMap;

use super::FileContext;
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
        "Two rules with the same name, labels and expression, in one file or in one folder's files",
    docs: r#"## What it does
Reports a rule whose name (`alert` or `record`), static `labels` and expression equal those of an
earlier rule in the same file, in any group; and one that repeats a rule of another file of the
same folder (files are compared in the order given). Expressions are compared as Prometheus
parses them, so spacing and line breaks do not matter.

Rules with the same name and labels but different expressions are not reported: that is how a
rule set writes one alert at several thresholds or for several selectors
(`DiskFull` on `/` and on `/data`), and their results carry different labels. Files in different
folders are not compared: a chart and its example, a mixin's outputs for two platforms, are never
loaded by the same Prometheus. (`promtool check rules` compares name and labels only, and reports
both.)

## Why is this bad?
Two copies of a recording rule write the same series twice at every evaluation, and Prometheus
drops one as a duplicate sample; two copies of an alert evaluate twice, and the copy that is not
edited next time keeps paging at the old threshold.

## Example
```yaml
- alert: HighLatency
  expr: latency_seconds > 1
  labels: {severity: page}
- alert: HighLatency              # the same rule again
  expr: latency_seconds >  1
  labels: {severity: page}
```
Delete one of them.

## Fixed
```yaml
- alert: HighLatency
  expr: latency_seconds > 1
  labels: {severity: page}
```"#,
};

type Key<'a> = (&'a str, Vec<(&'a str, &'a str)>, String);

fn key(rule: &Rule) -> Key<'_> {
    let mut labels: Vec<_> = rule
        .labels
        .iter()
        .map(|e| (e.key.value.as_str(), e.value.value.as_str()))
        .collect();
    labels.sort_unstable();
    // The expression as Prometheus reads it: printed from the parse, else
    // the text with its spacing collapsed.
    let expr = match &rule.expr {
        Some(e) => match &e.parsed {
            Ok(parsed) => parsed.to_string(),
            Err(_) => e
                .text
                .value
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" "),
        },
        None => String::new(),
    };
    (rule.name(), labels, expr)
}

/// The folder part of a file's name: files of one folder are loaded together.
fn folder(name: &str) -> &str {
    name.rfind(['/', '\\']).map_or("", |i| &name[..i])
}

impl Check for RuleDuplicate {
    fn info(&self) -> &'static CheckInfo {
        &INFO
    }

    fn check_file(&self, file: &RuleFile, _cx: &FileContext<'_>, out: &mut Vec<Diagnostic>) {
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
                        Some(&(other, span))
                            if other != index
                                && folder(&ctx.rules.files[other].source.name)
                                    == folder(&file.source.name) =>
                        {
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
    fn reports_the_same_rule_across_groups_whatever_the_spacing() {
        let text = "groups:\n- name: a\n  rules:\n  - record: x\n    expr: sum(up)\n  - record: x\n    expr: up\n    labels: {a: b}\n- name: b\n  rules:\n  - record: x\n    expr: sum (\n      up )\n";
        assert_eq!(places(&RuleDuplicate, text), ["11:13"]);
    }

    #[test]
    fn one_alert_at_several_thresholds_or_selectors_is_not_a_duplicate() {
        let text = "groups:\n- name: a\n  rules:\n  - alert: DiskFull\n    expr: free{mountpoint=\"/\"} < 10\n    labels: {severity: critical}\n  - alert: DiskFull\n    expr: free{mountpoint=\"/data\"} < 10\n    labels: {severity: critical}\n  - alert: DiskFull\n    expr: free{mountpoint=\"/\"} < 20\n    labels: {severity: critical}\n";
        assert!(places(&RuleDuplicate, text).is_empty());
    }

    #[test]
    fn reports_a_rule_repeated_in_another_file_once() {
        use super::super::testing::load_text_named;
        use crate::rules::RuleSet;
        let a = "groups:\n- name: a\n  rules:\n  - alert: Down\n    expr: up == 0\n    labels: {severity: critical}\n";
        let b = "groups:\n- name: b\n  rules:\n  - alert: Down\n    expr: up == 0\n    labels: {severity: warning}\n  - alert: Down\n    expr: up == 0\n    labels: {severity: critical}\n";
        // The same file in another folder (a chart and its example) is never loaded with them.
        let set = RuleSet {
            files: vec![
                load_text_named("a.yaml", a),
                load_text_named("b.yaml", b),
                load_text_named("examples/a.yaml", a),
            ],
        };
        let mut out = Vec::new();
        RuleDuplicate.check_set(
            &Context {
                rules: &set,
                runbooks: &Default::default(),
                partial: false,
                settings: &Default::default(),
                house: &super::super::House::read(&set),
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
