use super::{groups, report_rule, Check, CheckInfo, Settings};
use crate::diagnostic::{Diagnostic, Severity};
use crate::rules::{RuleFile, RuleKind};

pub struct RuleName;

static INFO: CheckInfo = CheckInfo {
    id: "rule/name",
    severity: Severity::Warning,
    default_enabled: true,
    summary: "Alert names that are not identifiers (`Service Is Down`); as info, recording names not `level:metric:operations`",
    docs: r#"## What it does
- Alert names must be identifiers in CamelCase style: letters, digits and `_`, starting with a
  letter (`KubePodCrashLooping`, `etcdMembersDown`). Spaces, dashes, dots and other punctuation are
  reported.
- As *info*: recording rule names should follow the `level:metric:operations` convention of the
  Prometheus documentation (and `mimirtool rules check`): three parts separated by `:`, e.g.
  `job:http_requests:rate5m`. An empty level (`:metric:sum`) or operation is accepted, an empty
  or missing metric part is not. (Names that are not valid metric names at all are
  `structure/record-name`'s.) Info, because the big mixins do not all follow it.

## Why is this bad?
Prometheus accepts `alertname="Service Is Down"`, but the name ends up in URLs, silences, routing
matchers and `ALERTS{alertname=...}` queries, where spaces and punctuation need quoting and get
mangled. A recording rule without the convention looks like a raw metric: readers cannot tell
what was aggregated or how, and it may collide with a real exporter's metric.

## Example
```yaml
- alert: Service Is Down               # write ServiceIsDown
- record: http_errors_ratio            # write job:http_errors:ratio_rate5m
```

## Fixed
```yaml
- alert: ServiceIsDown
- record: job:http_errors:ratio_rate5m
```"#,
};

impl Check for RuleName {
    fn info(&self) -> &'static CheckInfo {
        &INFO
    }

    fn check_file(&self, file: &RuleFile, _settings: &Settings, out: &mut Vec<Diagnostic>) {
        for group in groups(file) {
            for rule in &group.rules {
                match rule.kind() {
                    Some(RuleKind::Alert(name)) => {
                        let n = &name.value;
                        let valid = n.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
                            && n.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
                        if !valid {
                            let suggestion: String = n
                                .split(|c: char| !c.is_ascii_alphanumeric())
                                .filter(|w| !w.is_empty())
                                .map(|w| {
                                    let mut cs = w.chars();
                                    cs.next()
                                        .map(|f| f.to_ascii_uppercase().to_string() + cs.as_str())
                                        .unwrap_or_default()
                                })
                                .collect();
                            let mut d = report_rule(
                                &INFO,
                                file,
                                group,
                                rule,
                                name.span,
                                format!("alert name {n:?} is not an identifier"),
                            )
                            .label("spaces or punctuation");
                            if !suggestion.is_empty() {
                                d = d.help(format!("write {suggestion:?}"));
                            }
                            out.push(d);
                        }
                    }
                    Some(RuleKind::Record(name)) => {
                        let n = &name.value;
                        let parts: Vec<&str> = n.split(':').collect();
                        // Only judge names that are otherwise valid metric names.
                        let metric_name = n
                            .chars()
                            .next()
                            .is_some_and(|c| c.is_ascii_alphabetic() || c == '_' || c == ':')
                            && n.chars()
                                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':');
                        // An empty level (`:metric:op`, all labels aggregated away) or
                        // operation is common and harmless; the metric part is not.
                        if metric_name && (parts.len() < 3 || parts[1].is_empty()) {
                            let mut d = report_rule(
                                    &INFO,
                                    file,
                                    group,
                                    rule,
                                    name.span,
                                    format!("recording rule name {n:?} does not follow `level:metric:operations`"),
                                )
                                .label("not level:metric:operations")
                                .help("e.g. `job:http_requests:rate5m`: the labels kept, the metric, the operations");
                            d.severity = Severity::Info;
                            out.push(d);
                        }
                    }
                    None => {}
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
    fn reports_bad_alert_and_recording_names() {
        let text = "groups:\n- name: g\n  rules:\n  - alert: Service Is Down\n    expr: up == 0\n  - record: up:sum\n    expr: sum(up)\n  - record: bad_name\n    expr: sum(up)\n";
        let found = run(&RuleName, text);
        let places: Vec<&str> = found.iter().map(|(p, _)| p.as_str()).collect();
        assert_eq!(places, ["4:12", "6:13", "8:13"], "{found:?}");
        assert!(found[0].1.contains("\"Service Is Down\""));
    }

    #[test]
    fn conventional_names_pass() {
        let text = "groups:\n- name: g\n  rules:\n  - alert: KubePodCrashLooping\n    expr: up == 0\n  - alert: etcdMembersDown\n    expr: up == 0\n  - record: job:up:sum\n    expr: sum by (job) (up)\n  - record: node_namespace_pod_container:container_cpu_usage_seconds_total:sum_irate\n    expr: up\n  - record: :thanos_objstore_bucket_failures:sum_rate\n    expr: up\n";
        assert!(run(&RuleName, text).is_empty());
    }
}
