use super::{groups, report_rule, Check, CheckInfo, FileContext};
use crate::diagnostic::{Diagnostic, Severity};
use crate::rules::RuleFile;

pub struct AlertLabelUrl;

static INFO: CheckInfo = CheckInfo {
    id: "alert/label-url",
    severity: Severity::Info,
    default_enabled: false,
    options: &[],
    summary: "A URL kept as an alert label rather than an annotation",
    docs: r#"## What it does
Reports a static label value of an alerting rule that is a URL (`http://` or `https://`). Off by
default: some teams keep a link in a label on purpose, so that Alertmanager templates and routes
see it; turn it on (`[lint] enable = ["alert/label-url"]`) if yours does not.

## Why is this bad?
Labels are the alert's identity. When the link changes (a dashboard moves), every active alert of
the rule resolves and fires again as a new alert, and silences matching the old labels stop
matching. An annotation carries the same link without that cost.

## Example
```yaml
- alert: DiskFull
  expr: node_filesystem_avail_bytes / node_filesystem_size_bytes < 0.05
  labels:
    dashboard: https://grafana.example.com/d/abc
```

## Fixed
```yaml
- alert: DiskFull
  expr: node_filesystem_avail_bytes / node_filesystem_size_bytes < 0.05
  annotations:
    dashboard: https://grafana.example.com/d/abc
```"#,
};

impl Check for AlertLabelUrl {
    fn info(&self) -> &'static CheckInfo {
        &INFO
    }

    fn check_file(&self, file: &RuleFile, _cx: &FileContext<'_>, out: &mut Vec<Diagnostic>) {
        for group in groups(file) {
            for rule in group.rules.iter().filter(|r| r.is_alert()) {
                for entry in rule.labels.iter().chain(&group.labels) {
                    let value = entry.value.value.as_str();
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

#[cfg(test)]
mod tests {
    use super::super::testing::run;
    use super::*;

    #[test]
    fn reports_a_url_label_only() {
        let text = "groups:\n- name: g\n  rules:\n  - alert: A\n    expr: up == 0\n    labels:\n      dashboard: https://grafana.example.com/d/1\n      team: db\n    annotations:\n      runbook_url: https://wiki/a\n";
        let found = run(&AlertLabelUrl, text);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].0, "7:18");
    }
}
