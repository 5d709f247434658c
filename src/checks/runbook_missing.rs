use super::{alerts, report_rule, Check, CheckInfo, Context};
use crate::diagnostic::{Diagnostic, Severity};
use crate::runbook::slug;

pub struct RunbookMissing;

static INFO: CheckInfo = CheckInfo {
    id: "runbook/missing",
    severity: Severity::Error,
    default_enabled: true,
    options: &[],
    summary: "An alert has no entry in the runbook",
    docs: r#"## What it does
With `--runbook PATH` (a page or a folder, repeatable), checks that every alert name has an entry:
a row of an index table whose first column names it (`RedisDown`, `A / B`, globs such as `Redis*`;
a row without a link, like "✅ ignore", counts), a heading that is its name (`## RedisDown`,
`## Alert Name: RedisDown`), or a page named after it (`redis/RedisDown.md`, any case).

## Why is this bad?
An alert fires at 3 a.m.; the on-call engineer opens the runbook and finds nothing about it.
Every page should lead somewhere.

## Example
```yaml
- alert: RedisDown          # runbook.md's table has no RedisDown row
```
Add a row to the index table, `| RedisDown | [Redis pod down](#redis-pod-down) |`, and the section.

## Fixed
runbook.md, with a row for the alert and its section:
```markdown
| Alert | Triage |
|---|---|
| RedisDown | [Redis pod down](#redis-pod-down) |

## Redis pod down
```"#,
};

impl Check for RunbookMissing {
    fn info(&self) -> &'static CheckInfo {
        &INFO
    }

    fn check_set(&self, ctx: &Context<'_>, out: &mut Vec<Diagnostic>) {
        let runbooks = ctx.runbooks;
        if runbooks.is_empty() {
            return;
        }
        let explicit: Vec<_> = runbooks.pages.iter().filter(|p| p.explicit).collect();
        let has_index = explicit.iter().any(|p| !p.entries.is_empty());
        let is_tree = explicit.iter().filter(|p| p.is_alert_page()).count() > 1;
        for (file, group, rule) in alerts(ctx.rules) {
            let name = rule.name();
            // Covered by its name, or by a `runbook_url` that leads to a page
            // (or section) of the runbook, whatever that section is called.
            if runbooks.coverage(name).is_some() || runbooks.linked_from(rule).is_some() {
                continue;
            }
            let help = if has_index {
                let page = explicit
                    .iter()
                    .find(|p| !p.entries.is_empty())
                    .map_or("the runbook", |p| p.source.name.as_str());
                format!("add a row to the table in {page}: `| {name} | [What to do](#{}) |`, and that section", slug::github(name))
            } else if is_tree {
                format!("add a page named {name}.md to the runbook tree")
            } else {
                let page = explicit
                    .first()
                    .map_or("the runbook", |p| p.source.name.as_str());
                format!("add a section `## {name}` to {page}")
            };
            out.push(
                report_rule(
                    &INFO,
                    file,
                    group,
                    rule,
                    rule.anchor(),
                    format!("alert {name:?} has no runbook entry"),
                )
                .label("not in the runbook")
                .help(help),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::run_with_runbook;
    use super::*;

    const RULES: &str = "groups:\n- name: g\n  rules:\n  - alert: RedisDown\n    expr: up == 0\n  - alert: MariaDBDown\n    expr: up == 0\n";

    #[test]
    fn reports_alerts_the_table_does_not_name() {
        let runbook =
            "| Alert | Triage |\n|---|---|\n| RedisDown | [Redis](#redis) |\n\n## Redis\n";
        let found = run_with_runbook(&RunbookMissing, RULES, runbook, &[]);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].0, "test.yaml:6:12");
        assert!(found[0].1.contains("MariaDBDown"));
    }

    #[test]
    fn globs_and_headings_cover() {
        let runbook = "| Alert | Triage |\n|---|---|\n| Redis* | [Redis](#redis) |\n\n## Redis\n\n## MariaDBDown\n";
        assert!(run_with_runbook(&RunbookMissing, RULES, runbook, &[]).is_empty());
    }

    #[test]
    fn quoted_headings_and_runbook_urls_to_any_section_cover() {
        // kubernetes-mixin writes `##### Alert Name: "KubePodNotReady"`.
        let runbook = "##### Alert Name: \"RedisDown\"\n\n## Databases\n";
        let rules = "groups:\n- name: g\n  rules:\n  - alert: RedisDown\n    expr: up == 0\n  - alert: MariaDBDown\n    expr: up == 0\n    annotations:\n      runbook_url: https://wiki.example/runbook#databases\n";
        let maps = ["https://wiki.example/runbook=runbook.md"];
        assert!(run_with_runbook(&RunbookMissing, rules, runbook, &maps).is_empty());
        // A link to a section that does not exist covers nothing.
        let broken = rules.replace("#databases", "#caches");
        let found = run_with_runbook(&RunbookMissing, &broken, runbook, &maps);
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(found[0].1.contains("MariaDBDown"));
    }
}
