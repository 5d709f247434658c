use super::{alerts, Check, CheckInfo, Context};
use crate::diagnostic::{Diagnostic, Severity};
use crate::runbook::glob_match;
use crate::source::Span;

pub struct Stale;

static INFO: CheckInfo = CheckInfo {
    id: "runbook/stale",
    severity: Severity::Warning,
    default_enabled: true,
    options: &[],
    summary: "The runbook names an alert that no loaded rule defines",
    docs: r#"## What it does
Reports entries of the `--runbook` pages for alerts that no loaded rule defines: index-table
patterns that match no alert name, CamelCase headings that name no alert, and pages of a
page-per-alert tree with no alert of that name. Pages reached only through `--runbook-map` are not
judged. Off with `--partial` (when only some of the rule files are given, as under pre-commit).

## Why is this bad?
An alert was renamed or removed and its runbook entry stayed: the table lies, and the renamed alert
probably has no entry.

## Example
```markdown
| RedisMasterDown | [Redis](#redis) |     <- the rule is now called RedisDown
```

## Fixed
```markdown
| RedisDown | [Redis](#redis) |
```"#,
};

use crate::runbook::{heading_alert_name, is_camel_identifier as names_an_alert};

impl Check for Stale {
    fn info(&self) -> &'static CheckInfo {
        &INFO
    }

    fn check_set(&self, ctx: &Context<'_>, out: &mut Vec<Diagnostic>) {
        if ctx.partial || ctx.runbooks.is_empty() {
            return;
        }
        let names: Vec<&str> = alerts(ctx.rules).map(|(_, _, r)| r.name()).collect();
        // Hash lookups for plain names; only glob patterns scan the alerts.
        let exact: std::collections::HashSet<&str> = names.iter().copied().collect();
        let lower: std::collections::HashSet<String> =
            names.iter().map(|n| n.to_ascii_lowercase()).collect();
        let known = |pattern: &str| {
            if pattern.contains(['*', '?']) {
                names.iter().any(|n| glob_match(pattern, n))
            } else {
                exact.contains(pattern)
            }
        };
        let known_ci = |name: &str| lower.contains(&name.to_ascii_lowercase());
        // Pages and sections some alert's `runbook_url` leads to are in use,
        // whatever they are named (a section shared by several alerts).
        let mut linked_pages: std::collections::HashSet<&str> = Default::default();
        let mut linked_sections: std::collections::HashSet<(&str, String)> = Default::default();
        for (_, _, rule) in alerts(ctx.rules) {
            if let Some((page, anchor)) = ctx.runbooks.linked_from(rule) {
                match anchor {
                    Some(a) => {
                        linked_sections.insert((page.key.as_str(), a));
                    }
                    None => {
                        linked_pages.insert(page.key.as_str());
                    }
                }
            }
        }
        for page in ctx.runbooks.pages.iter().filter(|p| p.explicit) {
            for entry in page.entries.iter().filter(|e| !known(&e.pattern)) {
                out.push(
                    Diagnostic::new(
                        INFO.id,
                        INFO.severity,
                        &page.source,
                        entry.span,
                        format!(
                            "the runbook names `{}`, but no loaded rule defines that alert",
                            entry.pattern
                        ),
                    )
                    .label("no such alert"),
                );
            }
            if page.is_alert_page() {
                if !known_ci(page.stem()) && !linked_pages.contains(page.key.as_str()) {
                    out.push(Diagnostic::new(
                        INFO.id,
                        INFO.severity,
                        &page.source,
                        Span::empty(0),
                        format!(
                            "runbook page for `{}`, but no loaded rule defines that alert",
                            page.stem()
                        ),
                    ));
                }
                continue;
            }
            for h in page.doc.headings.iter().filter(|h| {
                let name = heading_alert_name(&h.text);
                names_an_alert(name)
                    && !known_ci(name)
                    && !linked_sections.contains(&(page.key.as_str(), h.slug.to_lowercase()))
            }) {
                if page
                    .entries
                    .iter()
                    .any(|e| e.pattern.eq_ignore_ascii_case(h.text.trim()))
                {
                    continue;
                }
                out.push(Diagnostic::new(
                    INFO.id,
                    INFO.severity,
                    &page.source,
                    h.span,
                    format!(
                        "section `{}` names the alert {}, which no loaded rule defines",
                        h.text.trim(),
                        heading_alert_name(&h.text)
                    ),
                ));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::run_with_runbook;
    use super::*;

    #[test]
    fn reports_entries_without_rules() {
        let rules = "groups:\n- name: g\n  rules:\n  - alert: RedisDown\n    expr: up == 0\n";
        let runbook = "| Alert | Triage |\n|---|---|\n| RedisDown | x |\n| RedisMasterDown | y |\n| Redis* | z |\n\n## Meaning\n\n## OldAlertName\n";
        let found = run_with_runbook(&Stale, rules, runbook, &[]);
        let places: Vec<_> = found.iter().map(|f| f.0.as_str()).collect();
        assert_eq!(places, ["runbook.md:4:2", "runbook.md:9:1"], "{found:?}");
    }

    #[test]
    fn a_section_some_runbook_url_leads_to_is_in_use() {
        // `OldAlertName` is named otherwise than the alert that links to it,
        // in another letter case; `Alert Name: "Gone"` is quoted, and stale.
        let rules = "groups:\n- name: g\n  rules:\n  - alert: RedisDown\n    expr: up == 0\n    annotations:\n      runbook_url: https://wiki.example/runbook#OldAlertName\n";
        let runbook = "## OldAlertName\n\n## Alert Name: \"GoneAlert\"\n";
        let maps = ["https://wiki.example/runbook=runbook.md"];
        let found = run_with_runbook(&Stale, rules, runbook, &maps);
        let places: Vec<_> = found.iter().map(|f| f.0.as_str()).collect();
        assert_eq!(places, ["runbook.md:3:1"], "{found:?}");
        // Named as the heading names it, quotes and all, never escaped.
        assert_eq!(
            found[0].1,
            "section `Alert Name: \"GoneAlert\"` names the alert GoneAlert, which no loaded rule defines"
        );
    }
}
