use super::{alerts, report_rule, Check, CheckInfo, Context};
use crate::diagnostic::{Diagnostic, Severity};

pub struct UrlMissing;

static INFO: CheckInfo = CheckInfo {
    id: "runbook/url-missing",
    severity: Severity::Warning,
    default_enabled: false,
    options: &[],
    summary: "An alert without a `runbook_url` annotation",
    docs: r#"## What it does
Reports alerting rules with no (or an empty) `runbook_url` annotation. Off by default; turn it on
with `--extend-select runbook/url-missing` (or name it in `--select`).

## Why is this bad?
Alertmanager templates and on-call tools put `runbook_url` on the page: without it the engineer
has to search for the runbook while the alert fires.

## Example
```yaml
- alert: RedisDown
  expr: redis_up == 0
  annotations:
    summary: Redis is down             # no runbook_url
```

## Fixed
```yaml
- alert: RedisDown
  expr: redis_up == 0
  annotations:
    summary: Redis is down
    runbook_url: https://wiki.example/ops/incident-response#redis-pod-down
```"#,
};

impl Check for UrlMissing {
    fn info(&self) -> &'static CheckInfo {
        &INFO
    }

    fn check_set(&self, ctx: &Context<'_>, out: &mut Vec<Diagnostic>) {
        for (file, group, rule) in alerts(ctx.rules) {
            let has = rule
                .annotations
                .iter()
                .any(|e| e.key.value == "runbook_url" && !e.value.value.trim().is_empty());
            if !has {
                out.push(
                    report_rule(
                        &INFO,
                        file,
                        group,
                        rule,
                        rule.anchor(),
                        format!("alert {:?} has no runbook_url annotation", rule.name()),
                    )
                    .label("no runbook_url"),
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::run_with_runbook;
    use super::*;

    #[test]
    fn reports_alerts_without_url() {
        let rules = "groups:\n- name: g\n  rules:\n  - alert: A\n    expr: up\n    annotations:\n      runbook_url: https://x\n  - alert: B\n    expr: up\n  - record: r\n    expr: up\n";
        let found = run_with_runbook(&UrlMissing, rules, "# x\n", &[]);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].0, "test.yaml:8:12");
    }
}
