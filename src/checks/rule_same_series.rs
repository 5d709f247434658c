use std::collections::{BTreeMap, BTreeSet};

use super::{groups, parsed_expr, report_rule, Check, CheckInfo, Context};
use crate::diagnostic::{Diagnostic, Severity};
use crate::promql::analysis::{result_labels, Labels};
use crate::promql::Expr;
use crate::rules::{Group, Rule, RuleFile};

pub struct SameSeries;

static INFO: CheckInfo = CheckInfo {
    id: "rule/same-series",
    severity: Severity::Warning,
    default_enabled: true,
    options: &[],
    summary: "Two recording rules that write the same series with different expressions: one's samples are dropped or the series flips between them",
    docs: r#"## What it does
Reports two recording rules of one folder (files loaded together) that write the same name with
the same labels (their own and their group's) and whose expressions are different but certainly
produce the same series: both keep no label (`sum(...)`: one series each), or both keep the same
labels of the same metrics (`sum by (job) (...)`), with no matcher on a kept label that could keep
their results apart
(`sum by (ns) (x{ns="a"})` and `sum by (ns) (x{ns="b"})` write different series and pass).

## Why is this bad?
A series has one sample per timestamp. Two rules of one group writing it at one evaluation: the
second's sample is refused as a duplicate ("duplicate sample for timestamp") and its result is
lost. In two groups, the series holds one rule's value, then the other's, at each group's
evaluation: an alert or a dashboard on it reads a value that flips between two meanings.

## Example
```yaml
- record: cluster:cpu_usage:sum
  expr: sum(rate(node_cpu_seconds_total{mode!="idle"}[5m]))
- record: cluster:cpu_usage:sum          # pasted, edited, not renamed
  expr: sum(rate(node_cpu_seconds_total{mode="user"}[5m]))
```

## Fixed
```yaml
- record: cluster:cpu_usage:sum
  expr: sum(rate(node_cpu_seconds_total{mode!="idle"}[5m]))
- record: cluster:cpu_usage_user:sum
  expr: sum(rate(node_cpu_seconds_total{mode="user"}[5m]))
```"#,
};

/// What a recording rule writes, as far as it decides which series.
struct Writer<'a> {
    file: &'a RuleFile,
    group: &'a Group,
    rule: &'a Rule,
    /// Its own labels over its group's.
    labels: BTreeMap<&'a str, &'a str>,
    /// The labels its expression keeps, when known exactly.
    keeps: BTreeSet<String>,
    /// The metrics it reads, and the labels matched on them.
    reads: BTreeSet<String>,
    matched: BTreeSet<String>,
    expr: String,
}

fn folder(name: &str) -> &str {
    name.rfind(['/', '\\']).map_or(".", |i| &name[..i])
}

fn writer<'a>(file: &'a RuleFile, group: &'a Group, rule: &'a Rule) -> Option<Writer<'a>> {
    let (_, parsed) = parsed_expr(rule)?;
    let Labels::Only(keeps) = result_labels(parsed) else {
        return None;
    };
    let mut labels: BTreeMap<&str, &str> = group
        .labels
        .iter()
        .map(|e| (e.key.value.as_str(), e.value.value.as_str()))
        .collect();
    labels.extend(
        rule.labels
            .iter()
            .map(|e| (e.key.value.as_str(), e.value.value.as_str())),
    );
    let mut reads = BTreeSet::new();
    let mut matched = BTreeSet::new();
    crate::promql::walk(parsed, &mut |e| {
        // A label `label_replace` writes may tell the two apart (a constant
        // `reason` each): as a matcher would, it keeps the rule out.
        if let Expr::Call(call) = e {
            if call.func.name == "label_replace" {
                if let Some(Expr::StringLiteral(dst)) = call.args.args.get(1).map(|a| a.as_ref()) {
                    matched.insert(dst.val.clone());
                }
            }
            return;
        }
        let vs = match e {
            Expr::VectorSelector(vs) => vs,
            Expr::MatrixSelector(m) => &m.vs,
            _ => return,
        };
        if let Some(name) = &vs.name {
            reads.insert(name.clone());
        }
        for m in &vs.matchers.matchers {
            matched.insert(m.name.clone());
        }
        for list in &vs.matchers.or_matchers {
            for m in list {
                matched.insert(m.name.clone());
            }
        }
    });
    Some(Writer {
        file,
        group,
        rule,
        labels,
        keeps,
        reads,
        matched,
        expr: parsed.to_string(),
    })
}

impl Check for SameSeries {
    fn info(&self) -> &'static CheckInfo {
        &INFO
    }

    fn check_set(&self, ctx: &Context<'_>, out: &mut Vec<Diagnostic>) {
        // Recording rules by folder and name, in file order.
        let mut by_name: BTreeMap<(&str, &str), Vec<Writer<'_>>> = BTreeMap::new();
        for file in &ctx.rules.files {
            for group in groups(file) {
                for rule in group.rules.iter().filter(|r| !r.is_alert()) {
                    if let Some(w) = writer(file, group, rule) {
                        by_name
                            .entry((folder(&file.source.name), rule.name()))
                            .or_default()
                            .push(w);
                    }
                }
            }
        }
        for writers in by_name.values() {
            for (i, b) in writers.iter().enumerate().skip(1) {
                let clash = writers[..i].iter().find(|a| {
                    a.expr != b.expr
                        && a.labels == b.labels
                        && a.keeps == b.keeps
                        // With no label kept, each writes the one series of
                        // its name; else they meet where they read alike.
                        && (a.keeps.is_empty() || (a.reads == b.reads && !a.reads.is_empty()))
                        && a.keeps.iter().all(|l| !a.matched.contains(l) && !b.matched.contains(l))
                });
                let Some(a) = clash else { continue };
                let at = a.file.source.line_col(a.rule.anchor().start);
                let place = if std::ptr::eq(a.file, b.file) {
                    format!("line {}", at.line)
                } else {
                    format!("{}:{}:{}", a.file.source.name, at.line, at.column)
                };
                let kept = if b.keeps.is_empty() {
                    "both keep no label (one series each)".to_string()
                } else {
                    format!(
                        "both keep {} of the same metrics",
                        super::label_list(&b.keeps)
                    )
                };
                out.push(
                    report_rule(
                        &INFO,
                        b.file,
                        b.group,
                        b.rule,
                        b.rule.anchor(),
                        format!(
                            "recording rule {:?} writes the same series as the one at {place}: same labels, {kept}, different expressions",
                            b.rule.name()
                        ),
                    )
                    .label("written twice")
                    .help("give one of them another name (or labels that tell them apart)"),
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::places;
    use super::*;

    fn rules(list: &[(&str, &str, &str)]) -> String {
        let mut s = String::from("groups:\n- name: g\n  rules:\n");
        for (name, expr, labels) in list {
            s.push_str(&format!("  - record: {name}\n    expr: {expr}\n"));
            if !labels.is_empty() {
                s.push_str(&format!("    labels: {{{labels}}}\n"));
            }
        }
        s
    }

    #[test]
    fn one_series_written_by_two_expressions() {
        let text = rules(&[
            (
                "cluster:cpu:sum",
                "sum(rate(cpu_total{mode!=\"idle\"}[5m]))",
                "",
            ),
            (
                "cluster:cpu:sum",
                "sum(rate(cpu_total{mode=\"user\"}[5m]))",
                "",
            ),
        ]);
        assert_eq!(places(&SameSeries, &text), ["6:13"]);
        let text = rules(&[
            ("cluster:x:sum", "sum(a)", ""),
            ("cluster:x:sum", "sum(b)", ""),
        ]);
        assert_eq!(places(&SameSeries, &text), ["6:13"]);
        let text = rules(&[
            ("job:cpu:sum", "sum by (job) (rate(cpu_total[5m]))", ""),
            ("job:cpu:sum", "sum by (job) (irate(cpu_total[5m]))", ""),
        ]);
        assert_eq!(places(&SameSeries, &text), ["6:13"]);
    }

    #[test]
    fn series_kept_apart_pass() {
        for list in [
            // Labels of their own.
            vec![("x:sum", "sum(a)", "tier: \"1\""), ("x:sum", "sum(b)", "tier: \"2\"")],
            // A kept label matched apart (slo-exporter's shards).
            vec![
                ("x:sum", "sum by (ns) (a{ns=\"production\"})", ""),
                ("x:sum", "sum by (ns) (a{ns!=\"production\"})", ""),
            ],
            // Different metrics: whether their labels meet is the data's.
            vec![("x:sum", "sum by (job) (a)", ""), ("x:sum", "sum by (job) (b)", "")],
            // Different labels kept.
            vec![("x:sum", "sum by (job) (a)", ""), ("x:sum", "sum by (instance) (a)", "")],
            // A kept label each writes to its own constant.
            vec![
                ("x:sum", "count by (reason) (label_replace(a{s=\"e\"}, \"reason\", \"error\", \"\", \"\"))", ""),
                ("x:sum", "count by (reason) (label_replace(a{m=\"1\"}, \"reason\", \"mirror\", \"\", \"\"))", ""),
            ],
            // The same rule twice is rule/duplicate's.
            vec![("x:sum", "sum(a)", ""), ("x:sum", "sum( a )", "")],
        ] {
            let text = rules(&list);
            assert!(places(&SameSeries, &text).is_empty(), "{text}");
        }
    }
}
