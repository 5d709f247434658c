use super::{alerts, Check, CheckInfo, Context};
use crate::alertmanager::rule_labels::{RuleLabels, Tri, Value};
use crate::diagnostic::{Diagnostic, Severity};

pub struct InhibitEqual;

static INFO: CheckInfo = CheckInfo {
    id: "alertmanager/inhibit-equal",
    severity: Severity::Warning,
    default_enabled: true,
    options: &[],
    summary: "An inhibit rule's `equal` label is one no source alert of the rules carries",
    docs: r#"## What it does
With `--alertmanager FILE`, reports a label in an inhibit rule's `equal` list that no alert of
the loaded rules which can match the rule's source matchers ever carries: neither the rule's
labels nor its expression's result (an aggregation `by (cluster)` drops `namespace`), nor an
`--external-label`. Source matchers on labels the rules leave to the series count as matching.
Rules that no loaded alert can be a source of are left alone (their sources are elsewhere).

## Why is this bad?
Alertmanager compares a label an alert lacks as the empty string. With `equal: [namespace]` and
sources that never carry `namespace`, the rule inhibits only targets that lack it too, and never
the ones it was written for: the warning still pages next to its critical.

## Example
```yaml
inhibit_rules:
  - source_matchers: ['alertname="NodeDown"']   # sum by (node) (...): no namespace
    target_matchers: ['severity="warning"']
    equal: [namespace]
```

## Fixed
```yaml
    equal: [node]
```"#,
};

impl Check for InhibitEqual {
    fn info(&self) -> &'static CheckInfo {
        &INFO
    }

    fn check_set(&self, ctx: &Context<'_>, out: &mut Vec<Diagnostic>) {
        let Some(am) = ctx.alertmanager else { return };
        let Ok(config) = &am.config else { return };
        let rules: Vec<(String, RuleLabels)> = alerts(ctx.rules)
            .map(|(_, g, r)| {
                (
                    r.name().to_string(),
                    RuleLabels::of(r, g, &am.external_labels),
                )
            })
            .collect();
        for inhibit in &config.inhibit_rules {
            let sources: Vec<&(String, RuleLabels)> = rules
                .iter()
                .filter(|(_, l)| l.matches_all(&inhibit.source) != Tri::No)
                .collect();
            if sources.is_empty() {
                continue;
            }
            for (label, span) in inhibit.equal.iter().zip(&inhibit.equal_spans) {
                if sources.iter().any(|(_, l)| l.value(label) != Value::Absent) {
                    continue;
                }
                let mut names: Vec<&str> = sources.iter().map(|(n, _)| n.as_str()).collect();
                names.dedup();
                let shown = if names.len() > 3 {
                    format!("{}, and {} more", names[..3].join(", "), names.len() - 3)
                } else {
                    names.join(", ")
                };
                out.push(
                    Diagnostic::new(
                        INFO.id,
                        INFO.severity,
                        &am.source,
                        *span,
                        format!(
                            "no source alert of this inhibit rule carries label {label:?} ({shown}): Alertmanager compares it as empty, so it inhibits only targets without {label:?}"
                        ),
                    )
                    .help("compare on a label the source alerts keep (see their `by (...)` clauses), or keep the label in the source's aggregation"),
                );
            }
        }
    }
}
