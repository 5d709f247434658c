use super::{Check, CheckInfo, Context};
use crate::diagnostic::{Diagnostic, Severity};
use crate::runbook::Resolution;

pub struct BrokenLink;

static INFO: CheckInfo = CheckInfo {
    id: "runbook/broken-link",
    severity: Severity::Error,
    default_enabled: true,
    options: &[],
    summary: "A runbook index row links to a section or page that does not exist",
    docs: r###"## What it does
Follows the link of every row of the runbook's index tables: `#anchor` must be a heading of the
same page (anchors are GitHub-style slugs; MkDocs spellings and explicit `{#id}` are accepted too),
`other.md#anchor` a page and heading next to it, and an absolute URL is followed through
`--runbook-map` when a prefix matches. Points at the link in the runbook.

## Why is this bad?
The table is the on-call engineer's way in. A section renamed without its link leaves them at the
top of a long page, at night, with an alert firing.

## Example
```markdown
| RedisDown | [Redis pod down](#redis-down) |     <- the heading is "## Redis pod down": #redis-pod-down
```

## Fixed
```markdown
| RedisDown | [Redis pod down](#redis-pod-down) |
```"###,
};

impl Check for BrokenLink {
    fn info(&self) -> &'static CheckInfo {
        &INFO
    }

    fn check_set(&self, ctx: &Context<'_>, out: &mut Vec<Diagnostic>) {
        for page in ctx.runbooks.pages.iter().filter(|p| p.explicit) {
            let mut seen = std::collections::HashSet::new();
            for entry in &page.entries {
                let Some(link) = &entry.link else { continue };
                if !seen.insert((link.span.start, link.span.end)) {
                    continue;
                }
                let message = match ctx.runbooks.resolve_link(page, &link.dest) {
                    Resolution::Found { .. } | Resolution::Unmapped => continue,
                    Resolution::NoPage { path } => format!(
                        "link {:?} points to {path}, which does not exist",
                        link.dest
                    ),
                    Resolution::NoAnchor {
                        page: target,
                        anchor,
                    } => {
                        format!(
                            "link {:?}: {} has no section #{anchor}",
                            link.dest, target.source.name
                        )
                    }
                };
                let mut d =
                    Diagnostic::new(INFO.id, INFO.severity, &page.source, link.span, message)
                        .label("broken link");
                if let Some(best) = closest_anchor(page, &link.dest) {
                    d = d.help(format!("did you mean #{best}?"));
                }
                out.push(d);
            }
        }
    }
}

/// Pages with more sections than this get no "did you mean" (each guess
/// compares the anchor with every section).
const MAX_SECTIONS_TO_GUESS: usize = 2_000;

fn closest_anchor<'a>(page: &'a crate::runbook::Page, dest: &str) -> Option<&'a str> {
    let anchor = dest.split_once('#')?.1;
    if page.doc.headings.len() > MAX_SECTIONS_TO_GUESS {
        return None;
    }
    let anchors: Vec<&str> = page.doc.headings.iter().map(|h| h.slug.as_str()).collect();
    super::closest(anchor, &anchors)
}

#[cfg(test)]
mod tests {
    use super::super::testing::run_with_runbook;
    use super::*;

    #[test]
    fn reports_links_to_missing_sections() {
        let runbook = "| Alert | Triage |\n|---|---|\n| RedisDown | [Redis](#redis-down) |\n| Watchdog | ignore |\n| MariaDBDown | [DB](#mariadb-down) |\n\n## Redis pod down\n\n## MariaDB down\n";
        let found = run_with_runbook(&BrokenLink, "groups: []\n", runbook, &[]);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].0, "runbook.md:3:15");
        assert!(found[0].1.contains("#redis-down"));
    }
}
