use std::collections::{HashMap, HashSet};

use super::FileContext;
use super::{groups, report_rule, Check, CheckInfo, Context};
use crate::diagnostic::{Diagnostic, Severity};
use crate::rules::{Group, Rule, RuleFile};
use crate::source::Span;

pub struct RuleDuplicate;

static INFO: CheckInfo = CheckInfo {
    id: "rule/duplicate",
    severity: Severity::Warning,
    default_enabled: true,
    options: &[],
    summary:
        "Two rules with the same name, labels and expression, in one file or in one folder's files",
    docs: r#"## What it does
Reports a rule whose name (`alert` or `record`), static `labels` and expression equal those of an
earlier rule in the same file, in any group; and one that repeats a rule of another file of the
same folder (files are compared in the order given). Expressions are compared as Prometheus
parses them, so spacing and line breaks do not matter.

Rules with the same name and labels but a different expression or `for` are not reported: that is
how a rule set writes one alert at several thresholds or for several selectors (`DiskFull` on `/`
and on `/data`), and their results carry different labels. Files are compared only when one
Prometheus could load them together: the same folder, the same kind (plain rule files, or
PrometheusRule manifests), and not variants of each other. Two files that share more than half
their rules are variants (single-node and cluster, a chart's local and external rules), kept for
different deployments; a chart and its example, a mixin's outputs for two platforms, live in
different folders. (`promtool check rules` compares name and labels only, and reports all of
these.)

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

/// Kind (an alert and a recording rule of one name are two rules), name,
/// labels, expression, `for` and `keep_firing_for` (in milliseconds).
type Key<'a> = (bool, &'a str, Vec<(&'a str, &'a str)>, String, (u64, u64));

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
    let millis = |d: &Option<crate::rules::Spanned<crate::rules::Duration>>| {
        d.as_ref().map_or(0, |d| d.value.millis)
    };
    (
        rule.is_alert(),
        rule.name(),
        labels,
        expr,
        (millis(&rule.for_), millis(&rule.keep_firing_for)),
    )
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
                                // A rule merged from the same YAML anchor has the
                                // anchor's name span: point at its own item.
                                if rule.anchor() == *first { rule.head } else { rule.anchor() },
                                format!("duplicate rule: {what} {:?} with the same labels and expression is already defined at line {line}", rule.name()),
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
        let files = &ctx.rules.files;
        if files.len() < 2 {
            return;
        }
        // Each rule's first place in each file (a repeat inside one file is
        // check_file's finding), and how many rules each file has.
        let mut places: HashMap<Key<'_>, Vec<(usize, &Group, &Rule)>> = HashMap::new();
        let mut sizes = vec![0usize; files.len()];
        for (index, file) in files.iter().enumerate() {
            let mut in_file: HashSet<Key<'_>> = HashSet::new();
            for group in groups(file) {
                for rule in group.rules.iter().filter(|r| !r.name().is_empty()) {
                    let k = key(rule);
                    if in_file.insert(k.clone()) {
                        sizes[index] += 1;
                        places.entry(k).or_default().push((index, group, rule));
                    }
                }
            }
        }
        // Files that could be loaded together: one folder, one kind.
        let together = |a: usize, b: usize| {
            folder(&files[a].source.name) == folder(&files[b].source.name)
                && is_manifest(&files[a]) == is_manifest(&files[b])
        };
        let mut shared: HashMap<(usize, usize), usize> = HashMap::new();
        for list in places.values() {
            for (i, &(a, _, _)) in list.iter().enumerate() {
                for &(b, _, _) in &list[i + 1..] {
                    if together(a, b) {
                        *shared.entry((a, b)).or_default() += 1;
                    }
                }
            }
        }
        // Two files that share more than half their rules are variants of one rule set
        // (single-node and cluster, local and external), kept for different
        // deployments, not a rule copied by mistake.
        let variants = |a: usize, b: usize| {
            let n = shared.get(&(a, b)).copied().unwrap_or(0);
            n * 2 > sizes[a].min(sizes[b])
        };
        let mut found: Vec<(usize, Diagnostic)> = Vec::new();
        for list in places.values() {
            for (i, &(b, group, rule)) in list.iter().enumerate().skip(1) {
                let Some(&(a, _, first)) = list[..i]
                    .iter()
                    .find(|(a, _, _)| together(*a, b) && !variants(*a, b))
                else {
                    continue;
                };
                let other = &files[a];
                let at = other.source.line_col(first.anchor().start);
                let what = if rule.is_alert() {
                    "alert"
                } else {
                    "recording rule"
                };
                found.push((
                    b,
                    report_rule(
                        &INFO,
                        &files[b],
                        group,
                        rule,
                        rule.anchor(),
                        format!(
                            "duplicate rule: {what} {:?} with the same labels and expression is also defined in {}:{}:{}",
                            rule.name(),
                            other.source.name,
                            at.line,
                            at.column
                        ),
                    )
                    .label("defined in another file too"),
                ));
            }
        }
        // Deterministic order: by file, then place.
        found.sort_by_key(|(file, d)| (*file, d.span.start));
        out.extend(found.into_iter().map(|(_, d)| d));
    }
}

fn is_manifest(file: &RuleFile) -> bool {
    file.documents
        .iter()
        .any(|d| matches!(d.form, crate::rules::Form::Manifest { .. }))
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
    fn a_recording_rule_and_an_alert_of_one_name_are_two_rules() {
        let text = "groups:\n- name: a\n  rules:\n  - record: Down\n    expr: up == 0\n  - alert: Down\n    expr: up == 0\n";
        assert!(places(&RuleDuplicate, text).is_empty());
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
        let a = "groups:\n- name: a\n  rules:\n  - alert: Down\n    expr: up == 0\n    labels: {severity: critical}\n  - alert: Slow\n    expr: latency > 1\n  - alert: Full\n    expr: disk > 0.9\n";
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
                alertmanager: None,
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
    fn files_that_share_most_of_their_rules_are_variants_not_duplicates() {
        use super::super::testing::load_text_named;
        use crate::rules::RuleSet;
        let single = "groups:\n- name: a\n  rules:\n  - alert: Down\n    expr: up == 0\n  - alert: Full\n    expr: disk > 0.9\n  - alert: Single\n    expr: x > 1\n";
        let cluster = "groups:\n- name: a\n  rules:\n  - alert: Down\n    expr: up == 0\n  - alert: Full\n    expr: disk > 0.9\n  - alert: Cluster\n    expr: y > 1\n";
        let set = RuleSet {
            files: vec![
                load_text_named("rules/alerts-single.yml", single),
                load_text_named("rules/alerts-cluster.yml", cluster),
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
                alertmanager: None,
            },
            &mut out,
        );
        assert!(out.is_empty(), "{out:?}");
    }

    #[test]
    fn different_labels_are_not_duplicates() {
        let text = "groups:\n- name: a\n  rules:\n  - alert: Down\n    expr: up == 0\n    labels: {severity: warning}\n  - alert: Down\n    expr: up == 0\n    labels: {severity: critical}\n";
        assert!(places(&RuleDuplicate, text).is_empty());
    }
}
