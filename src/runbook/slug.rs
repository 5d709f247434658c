//! How headings become anchors.
//!
//! GitHub (and Hugo's default, goldmark with `autoHeadingIDType: github`):
//! lowercase the heading's text; keep letters, digits, `_` and `-`; turn each
//! space into `-`; drop everything else (punctuation, emoji). So
//! "Redis replication / sentinel" becomes `redis-replication--sentinel`.
//! A repeated slug gets `-1`, `-2`, ... in document order.
//!
//! MkDocs (Python-Markdown's `toc`) differs: it keeps ASCII word characters
//! only and folds runs of spaces and hyphens into one `-`
//! (`redis-replication-sentinel`). firedrill accepts both spellings, so a
//! link written for either site resolves.

use std::collections::HashMap;

/// The GitHub slug of a heading's text, before de-duplication.
pub fn github(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.trim().chars() {
        if c.is_alphanumeric() || c == '_' || c == '-' {
            out.extend(c.to_lowercase());
        } else if c == ' ' {
            out.push('-');
        }
    }
    out
}

/// The MkDocs slug of a heading's text.
pub fn mkdocs(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut pending_dash = false;
    for c in text.trim().chars() {
        if c.is_ascii_alphanumeric() || c == '_' {
            if pending_dash && !out.is_empty() {
                out.push('-');
            }
            pending_dash = false;
            out.push(c.to_ascii_lowercase());
        } else if c == ' ' || c == '-' {
            pending_dash = true;
        }
    }
    out
}

/// Hands out GitHub slugs with `-N` suffixes for repeats.
#[derive(Default)]
pub struct Slugger {
    seen: HashMap<String, usize>,
}

impl Slugger {
    pub fn slug(&mut self, text: &str) -> String {
        let base = github(text);
        let mut candidate = base.clone();
        while let Some(n) = self.seen.get(&candidate).copied() {
            let next = n + 1;
            self.seen.insert(candidate.clone(), next);
            candidate = format!("{base}-{next}");
            if !self.seen.contains_key(&candidate) {
                break;
            }
        }
        self.seen.insert(candidate.clone(), 0);
        candidate
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn github_slugs_match_the_seed_runbook_anchors() {
        assert_eq!(github("Redis pod down"), "redis-pod-down");
        assert_eq!(
            github("Redis replication / sentinel"),
            "redis-replication--sentinel"
        );
        assert_eq!(github("PHP-FPM saturated"), "php-fpm-saturated");
        assert_eq!(github("Step 2 — Pick a runbook"), "step-2--pick-a-runbook");
        assert_eq!(github("Node is NotReady ✅"), "node-is-notready-");
        assert_eq!(
            github("Alert Name: KubePodCrashLooping"),
            "alert-name-kubepodcrashlooping"
        );
    }

    #[test]
    fn mkdocs_folds_separators() {
        assert_eq!(
            mkdocs("Redis replication / sentinel"),
            "redis-replication-sentinel"
        );
        assert_eq!(mkdocs("Step 2 — Pick a runbook"), "step-2-pick-a-runbook");
    }

    #[test]
    fn repeated_headings_get_suffixes() {
        let mut s = Slugger::default();
        assert_eq!(s.slug("Impact"), "impact");
        assert_eq!(s.slug("Impact"), "impact-1");
        assert_eq!(s.slug("Impact"), "impact-2");
        assert_eq!(s.slug("Impact 1"), "impact-1-1");
    }
}
