use super::{groups, report_rule, Check, CheckInfo, Settings};
use crate::diagnostic::{Diagnostic, Severity};
use crate::rules::RuleFile;

pub struct AlertAnnotations;

static INFO: CheckInfo = CheckInfo {
    id: "alert/annotations",
    severity: Severity::Warning,
    default_enabled: true,
    summary: "An alert without a required annotation (default `summary`, `description`) or with one that does not match its pattern",
    docs: r#"## What it does
Checks every alerting rule's `annotations`:
- each required annotation is present and not empty (default: `summary` and `description`);
- an annotation with a pattern matches it (whole value, as Prometheus anchors regular
  expressions); templated parts are matched as written.

Configure in `.firedrill.toml` (add `runbook_url` to require it; `runbook/url-missing` and the
other runbook checks then follow the links):
```toml
[checks."alert/annotations"]
required = ["summary", "description", "runbook_url"]
patterns = { runbook_url = "https://runbooks\\.example\\.com/.+" }
```

## Why is this bad?
The annotations are what the person paged reads first, often on a phone: an alert with only its
name says neither what broke nor what to do. A `runbook_url` pointing at the wrong host is a dead
link at 3 a.m.

## Example
```yaml
- alert: KubePodCrashLooping
  expr: increase(kube_pod_container_status_restarts_total[10m]) > 3
  labels: {severity: warning}            # no summary, no description
```
Add `annotations: {summary: ..., description: ...}`.

## Fixed
```yaml
- alert: KubePodCrashLooping
  expr: increase(kube_pod_container_status_restarts_total[10m]) > 3
  labels: {severity: warning}
  annotations:
    summary: Pod is crash looping.
    description: "Pod {{ $labels.namespace }}/{{ $labels.pod }} restarted more than 3 times in 10 minutes."
```"#,
};

impl Check for AlertAnnotations {
    fn info(&self) -> &'static CheckInfo {
        &INFO
    }

    fn check_file(&self, file: &RuleFile, settings: &Settings, out: &mut Vec<Diagnostic>) {
        for group in groups(file) {
            for rule in group.rules.iter().filter(|r| r.is_alert()) {
                for required in &settings.required_annotations {
                    let present = rule
                        .annotations
                        .iter()
                        .any(|e| &e.key.value == required && !e.value.value.trim().is_empty());
                    if !present {
                        out.push(
                            report_rule(
                                &INFO,
                                file,
                                group,
                                rule,
                                rule.anchor(),
                                format!("alert has no `{required}` annotation"),
                            )
                            .label(format!("no {required}"))
                            .help(format!("add `{required}:` under `annotations`")),
                        );
                    }
                }
                for (name, pattern) in &settings.annotation_patterns {
                    for entry in rule.annotations.iter().filter(|e| &e.key.value == name) {
                        if !pattern.is_match(&entry.value.value) {
                            let shown = pattern.as_str();
                            let shown = shown
                                .strip_prefix("^(?:")
                                .and_then(|s| s.strip_suffix(")$"))
                                .unwrap_or(shown);
                            out.push(
                                report_rule(
                                    &INFO,
                                    file,
                                    group,
                                    rule,
                                    entry.value.span,
                                    format!("annotation `{name}` does not match `{shown}`"),
                                )
                                .label("does not match"),
                            );
                        }
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::{run, run_with};
    use super::*;

    const TEXT: &str = "groups:\n- name: g\n  rules:\n  - alert: A\n    expr: up == 0\n    annotations:\n      summary: down\n      runbook_url: http://wiki/a\n  - alert: B\n    expr: up == 0\n    annotations:\n      summary: down\n      description: '{{ $labels.instance }} is down'\n";

    #[test]
    fn reports_missing_annotations() {
        let found = run(&AlertAnnotations, TEXT);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].0, "4:12");
        assert!(found[0].1.contains("`description`"));
    }

    #[test]
    fn required_annotations_and_patterns_are_configurable() {
        let settings = Settings {
            required_annotations: vec!["summary".into()],
            annotation_patterns: vec![(
                "runbook_url".into(),
                regex::Regex::new("^(?:https://runbooks\\.example\\.com/.+)$").unwrap(),
            )],
            ..Settings::default()
        };
        let found = run_with(&AlertAnnotations, TEXT, &settings);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].0, "8:20");
        assert!(found[0].1.contains("does not match `https://runbooks"));
    }
}
