use super::{groups, report_rule, Check, CheckInfo, Settings};
use crate::diagnostic::{Diagnostic, Severity};
use crate::rules::RuleFile;

pub struct AlertLabels;

static INFO: CheckInfo = CheckInfo {
    id: "alert/labels",
    severity: Severity::Warning,
    default_enabled: true,
    summary: "An alert without a required label (default `severity`), with a value outside the allowed set, or with a URL as a label",
    docs: r#"## What it does
Checks every alerting rule's `labels` (and its group's `labels`, which Prometheus adds):
- each required label is present and not empty (default: `severity`);
- a label with an allowed set takes one of its values (default: `severity` is `critical`,
  `warning` or `info`); templated values (`{{ ... }}`) are not judged;
- no label value is a URL: a link belongs in an annotation;
- label names are plain identifiers (`[a-zA-Z_][a-zA-Z0-9_]*`): Prometheus 3 accepts any UTF-8,
  but Prometheus 2, many receivers and every PromQL query on `ALERTS` then need quoting.

Configure in `.firedrill.toml`:
```toml
[checks."alert/labels"]
required = ["severity", "team"]
allowed = { severity = ["critical", "warning", "info", "none"] }
```

## Why is this bad?
Alertmanager routes on labels. An alert without `severity`, or with `severity: page` where the
routing tree knows `critical`, falls through to the default receiver, which is often nobody.
Labels are also the alert's identity: a URL there (which changes with a dashboard's id) splits
one alert into two and breaks silences.

## Example
```yaml
- alert: DiskFull
  expr: node_filesystem_avail_bytes / node_filesystem_size_bytes < 0.05
  labels:
    severity: high                     # not one of critical, warning, info
    dashboard: https://grafana.example.com/d/abc   # a URL in a label
```
Write `severity: critical` and move the link to `annotations`.

## Fixed
```yaml
- alert: DiskFull
  expr: node_filesystem_avail_bytes / node_filesystem_size_bytes < 0.05
  labels:
    severity: critical
  annotations:
    dashboard: https://grafana.example.com/d/abc
```"#,
};

impl Check for AlertLabels {
    fn info(&self) -> &'static CheckInfo {
        &INFO
    }

    fn check_file(&self, file: &RuleFile, settings: &Settings, out: &mut Vec<Diagnostic>) {
        for group in groups(file) {
            for rule in group.rules.iter().filter(|r| r.is_alert()) {
                let all = || rule.labels.iter().chain(&group.labels);
                for required in &settings.required_labels {
                    let present =
                        all().any(|e| &e.key.value == required && !e.value.value.trim().is_empty());
                    if !present {
                        out.push(
                            report_rule(
                                &INFO,
                                file,
                                group,
                                rule,
                                rule.anchor(),
                                format!("alert has no `{required}` label"),
                            )
                            .label(format!("no {required}"))
                            .help(allowed_help(settings, required)),
                        );
                    }
                }
                for entry in rule.labels.iter() {
                    let name = entry.key.value.as_str();
                    let legacy = name
                        .chars()
                        .next()
                        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
                        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
                    if !legacy && !name.is_empty() {
                        out.push(
                            report_rule(
                                &INFO,
                                file,
                                group,
                                rule,
                                entry.key.span,
                                format!("label name {name:?} is not a plain identifier"),
                            )
                            .label("needs quoting")
                            .help("Prometheus 2 and many Alertmanager integrations refuse it, and PromQL needs `{\"...\"}` quoting; use letters, digits and `_`"),
                        );
                    }
                }
                for entry in all() {
                    let value = entry.value.value.as_str();
                    if let Some(allowed) = settings.allowed_label_values.get(&entry.key.value) {
                        if !value.contains("{{") && !allowed.iter().any(|a| a == value) {
                            out.push(
                                report_rule(
                                    &INFO,
                                    file,
                                    group,
                                    rule,
                                    entry.value.span,
                                    format!(
                                        "`{}: {value}` is not one of the allowed values: {}",
                                        entry.key.value,
                                        allowed.join(", ")
                                    ),
                                )
                                .label("not allowed"),
                            );
                        }
                    }
                    if value.starts_with("http://") || value.starts_with("https://") {
                        out.push(
                            report_rule(
                                &INFO,
                                file,
                                group,
                                rule,
                                entry.value.span,
                                format!(
                                    "label `{}` holds a URL: labels are the alert's identity",
                                    entry.key.value
                                ),
                            )
                            .label("URL in a label")
                            .help("move it to `annotations`"),
                        );
                    }
                }
            }
        }
    }
}

fn allowed_help(settings: &Settings, label: &str) -> String {
    match settings.allowed_label_values.get(label) {
        Some(values) => format!("add `{label}:` with one of {}", values.join(", ")),
        None => format!("add `{label}:` under `labels`"),
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::{run, run_with};
    use super::*;

    const BAD: &str = "groups:\n- name: g\n  rules:\n  - alert: A\n    expr: up == 0\n  - alert: B\n    expr: up == 0\n    labels:\n      severity: page\n      dashboard: https://grafana.example.com/d/1\n      bad key: x\n";

    #[test]
    fn reports_missing_disallowed_and_url_labels() {
        let found = run(&AlertLabels, BAD);
        let places: Vec<&str> = found.iter().map(|(p, _)| p.as_str()).collect();
        assert_eq!(places, ["4:12", "11:7", "9:17", "10:18"], "{found:?}");
    }

    #[test]
    fn allowed_values_and_group_labels_pass() {
        let ok = "groups:\n- name: g\n  labels:\n    severity: warning\n  rules:\n  - alert: A\n    expr: up == 0\n  - alert: B\n    expr: up == 0\n    labels:\n      severity: '{{ if gt $value 1.0 }}critical{{ else }}warning{{ end }}'\n";
        assert!(run(&AlertLabels, ok).is_empty());
    }

    #[test]
    fn the_policy_is_configurable() {
        let settings = Settings {
            required_labels: vec!["team".into()],
            allowed_label_values: [("severity".to_string(), vec!["page".to_string()])].into(),
            ..Settings::default()
        };
        let found = run_with(&AlertLabels, BAD, &settings);
        let places: Vec<&str> = found.iter().map(|(p, _)| p.as_str()).collect();
        assert_eq!(places, ["4:12", "6:12", "11:7", "10:18"], "{found:?}");
    }
}
