use super::{alerts, report_rule, Check, CheckInfo, Context};
use crate::diagnostic::{Diagnostic, Severity};
use crate::runbook::Resolution;

pub struct UrlUnresolved;

static INFO: CheckInfo = CheckInfo {
    id: "runbook/url-unresolved",
    severity: Severity::Error,
    default_enabled: true,
    options: &[],
    summary: "A `runbook_url` annotation does not lead to a page and section of the local runbook",
    docs: r#"## What it does
Resolves each alert's `runbook_url` against the runbook in the repository, offline. Map URL
prefixes to local paths with `--runbook-map URL_PREFIX=PATH` (repeatable), e.g.
`https://runbooks.prometheus-operator.dev/runbooks/=docs/runbooks/` or, for a single page,
`https://wiki.example/ops/incident-response=docs/incident-response.md`. The rest of the URL is
matched to a file case-insensitively (`x`, `x.md`, `x/_index.md`, `x/index.md`, `x/README.md`),
and an `#anchor` must be a heading of that page. URLs under no mapped prefix are not checked.

## Why is this bad?
pint checks that a runbook URL answers HTTP 200, but a site answers 200 for a page whose anchor is
gone, and CI often cannot reach an internal wiki. A link in a page that leads nowhere costs minutes
during an incident.

## Example
```yaml
annotations:
  runbook_url: https://github.com/thanos-io/thanos/tree/main/mixin/runbook.md#alert-name-thanoscompacthalted
```
runbook.md has a table naming the alert but no heading with that anchor.

## Fixed
```yaml
annotations:
  runbook_url: https://github.com/thanos-io/thanos/tree/main/mixin/runbook.md#thanos-compact
```
`#thanos-compact` is a heading of runbook.md, over the table that lists the alert; adding a
heading `## Alert Name: ThanosCompactHalted` to runbook.md works too."#,
};

impl Check for UrlUnresolved {
    fn info(&self) -> &'static CheckInfo {
        &INFO
    }

    fn check_set(&self, ctx: &Context<'_>, out: &mut Vec<Diagnostic>) {
        if ctx.runbooks.is_empty() {
            return;
        }
        for (file, group, rule) in alerts(ctx.rules) {
            let Some(entry) = rule
                .annotations
                .iter()
                .find(|e| e.key.value == "runbook_url")
            else {
                continue;
            };
            let url = entry.value.value.trim();
            if url.is_empty() {
                continue;
            }
            let (message, help) = match ctx.runbooks.resolve_runbook_url(url) {
                Resolution::Found { .. } | Resolution::Unmapped => continue,
                Resolution::NoPage { path } => (
                    format!("runbook_url leads to {path}, which does not exist"),
                    None,
                ),
                Resolution::NoAnchor { page, anchor } => {
                    let slugs: Vec<&str> =
                        page.doc.headings.iter().map(|h| h.slug.as_str()).collect();
                    let help =
                        super::closest(&anchor, &slugs).map(|s| format!("did you mean #{s}?"));
                    (
                        format!("runbook_url: {} has no section #{anchor}", page.source.name),
                        help,
                    )
                }
            };
            let mut d = report_rule(&INFO, file, group, rule, entry.value.span, message)
                .label("does not resolve");
            if let Some(help) = help {
                d = d.help(help);
            }
            out.push(d);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::run_with_runbook;
    use super::*;

    #[test]
    fn anchors_must_exist_on_the_mapped_page() {
        let rules = "groups:\n- name: g\n  rules:\n  - alert: A\n    expr: up\n    annotations:\n      runbook_url: https://wiki/ir#redis-pod-down\n  - alert: B\n    expr: up\n    annotations:\n      runbook_url: https://wiki/ir#redis-down\n  - alert: C\n    expr: up\n    annotations:\n      runbook_url: https://elsewhere/x\n";
        let runbook = "# IR\n\n## Redis pod down\n";
        let found = run_with_runbook(
            &UrlUnresolved,
            rules,
            runbook,
            &["https://wiki/ir=runbook.md"],
        );
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].0, "test.yaml:11:20");
    }
}
