//! `firedrill init`: reads a repository's rules and writes the conventions
//! it sees as a `.firedrill.toml` for the team to confirm, each setting with
//! its evidence as a comment ("31 of 33 critical alerts carry `team`").
//! Convention checks then hold the rules to what the team confirmed, not to
//! a guess made at every run.
//!
//! Pure: a loaded rule set (and the Markdown pages found beside it) in, the
//! file's text out. The CLI reads and writes.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use crate::rules::{Form, Group, Rule, RuleSet};

/// A key is proposed when at least this share of the alerts carry it...
const SHARE: f64 = 0.8;
/// ...and there are at least this many alerts to speak of.
const MIN_ALERTS: usize = 5;

/// A page of Markdown found beside the rules: its path (relative to where
/// the configuration goes) and its text.
pub struct Page {
    pub path: String,
    pub text: String,
}

/// What `init` read, for the header.
pub struct Scope<'a> {
    /// The paths given, as the user wrote them.
    pub paths: &'a [String],
    /// Today, `YYYY-MM-DD`.
    pub date: &'a str,
}

/// What the alerts of the set carry.
#[derive(Default)]
struct Tally {
    alerts: usize,
    labels: BTreeMap<String, usize>,
    annotations: BTreeMap<String, usize>,
    /// Per severity value: its alerts and what they carry.
    severities: BTreeMap<String, Counts>,
}

#[derive(Default)]
struct Counts {
    alerts: usize,
    labels: BTreeMap<String, usize>,
    annotations: BTreeMap<String, usize>,
}

fn is_static(value: &str) -> bool {
    !value.contains("{{") && !value.trim().is_empty()
}

/// An alert's labels as the checks see them: its own, then its group's,
/// non-empty and written as they are.
fn labels_of<'a>(group: &'a Group, rule: &'a Rule) -> BTreeSet<&'a str> {
    rule.labels
        .iter()
        .chain(&group.labels)
        .filter(|e| !e.value.value.trim().is_empty())
        .map(|e| e.key.value.as_str())
        .collect()
}

fn severity_of<'a>(group: &'a Group, rule: &'a Rule) -> Option<&'a str> {
    rule.labels
        .iter()
        .chain(&group.labels)
        .find(|e| e.key.value == "severity")
        .map(|e| e.value.value.as_str())
        .filter(|v| is_static(v))
}

impl Tally {
    fn read(rules: &RuleSet) -> Tally {
        let mut t = Tally::default();
        for (group, rule) in alerts(rules) {
            t.alerts += 1;
            let labels = labels_of(group, rule);
            let annotations: BTreeSet<&str> = rule
                .annotations
                .iter()
                .map(|e| e.key.value.as_str())
                .collect();
            for l in &labels {
                *t.labels.entry(l.to_string()).or_default() += 1;
            }
            for a in &annotations {
                *t.annotations.entry(a.to_string()).or_default() += 1;
            }
            if let Some(s) = severity_of(group, rule) {
                let c = t.severities.entry(s.to_string()).or_default();
                c.alerts += 1;
                for l in &labels {
                    *c.labels.entry(l.to_string()).or_default() += 1;
                }
                for a in &annotations {
                    *c.annotations.entry(a.to_string()).or_default() += 1;
                }
            }
        }
        t
    }
}

fn alerts(rules: &RuleSet) -> impl Iterator<Item = (&Group, &Rule)> {
    rules
        .files
        .iter()
        .flat_map(|f| &f.documents)
        .flat_map(|d| &d.groups)
        .flat_map(|g| g.rules.iter().filter(|r| r.is_alert()).map(move |r| (g, r)))
}

/// The keys most of `alerts` carry, with how many do.
fn most(carried: &BTreeMap<String, usize>, alerts: usize) -> Vec<(&str, usize)> {
    if alerts < MIN_ALERTS {
        return Vec::new();
    }
    carried
        .iter()
        .filter(|(_, n)| **n as f64 >= SHARE * alerts as f64)
        .map(|(k, n)| (k.as_str(), *n))
        .collect()
}

fn quoted_list(keys: &[&str]) -> String {
    let items: Vec<String> = keys.iter().map(|k| crate::promql::quoted(k)).collect();
    format!("[{}]", items.join(", "))
}

/// One evidence line: "`team`: 310 of 340 alerts carry it (30 do not)."
fn evidence(key: &str, n: usize, of: usize, whose: &str) -> String {
    let missing = of - n;
    let tail = if missing == 0 {
        String::new()
    } else {
        format!(
            " ({missing} {} not)",
            if missing == 1 { "does" } else { "do" }
        )
    };
    format!("# `{key}`: {n} of {of} {whose} carry it{tail}.\n")
}

/// The `[checks."alert/labels"]` or `[checks."alert/annotations"]` table.
fn policy(
    out: &mut String,
    check: &str,
    overall: &BTreeMap<String, usize>,
    per_severity: &dyn Fn(&Counts) -> &BTreeMap<String, usize>,
    t: &Tally,
    extra: &str,
) {
    let required = most(overall, t.alerts);
    // Per severity: the keys most of its alerts carry, and its alerts.
    type BySeverity<'a> = (&'a str, Vec<(&'a str, usize)>, usize);
    let mut by_severity: Vec<BySeverity<'_>> = Vec::new();
    for (severity, counts) in &t.severities {
        let keys: Vec<(&str, usize)> = most(per_severity(counts), counts.alerts)
            .into_iter()
            .filter(|(k, _)| !required.iter().any(|(r, _)| r == k))
            .collect();
        if !keys.is_empty() {
            by_severity.push((severity, keys, counts.alerts));
        }
    }
    if required.is_empty() && by_severity.is_empty() && extra.is_empty() {
        return;
    }
    let _ = writeln!(out, "[checks.\"{check}\"]");
    if !required.is_empty() {
        for (k, n) in &required {
            out.push_str(&evidence(k, *n, t.alerts, "alerts"));
        }
        let keys: Vec<&str> = required.iter().map(|(k, _)| *k).collect();
        let _ = writeln!(out, "required = {}", quoted_list(&keys));
    }
    if !by_severity.is_empty() {
        let mut entries = Vec::new();
        for (severity, keys, alerts) in &by_severity {
            for (k, n) in keys {
                out.push_str(&evidence(
                    k,
                    *n,
                    *alerts,
                    &format!("`severity: {severity}` alerts"),
                ));
            }
            let names: Vec<&str> = keys.iter().map(|(k, _)| *k).collect();
            entries.push(format!(
                "{} = {}",
                crate::promql::quoted(severity),
                quoted_list(&names)
            ));
        }
        let _ = writeln!(out, "by-severity = {{ {} }}", entries.join(", "));
    }
    out.push_str(extra);
    out.push('\n');
}

/// `allowed = { severity = [...] }`, when the set uses a small scheme
/// consistently; values used once are left out and named (a typo?).
fn severity_scheme(t: &Tally) -> String {
    let counts: BTreeMap<&str, usize> = t
        .severities
        .iter()
        .map(|(s, c)| (s.as_str(), c.alerts))
        .collect();
    let used: Vec<(&str, usize)> = counts
        .iter()
        .filter(|(_, n)| **n >= 2)
        .map(|(s, n)| (*s, *n))
        .collect();
    let with_severity: usize = counts.values().sum();
    if used.is_empty() || used.len() > 8 || with_severity < MIN_ALERTS {
        return String::new();
    }
    let shown: Vec<String> = used.iter().map(|(s, n)| format!("{s} ({n})")).collect();
    let mut text = format!("# `severity` values: {}.\n", shown.join(", "));
    let once: Vec<&str> = counts
        .iter()
        .filter(|(_, n)| **n < 2)
        .map(|(s, _)| *s)
        .collect();
    if !once.is_empty() {
        let _ = writeln!(
            text,
            "# Used by one alert each, left out (a typo?): {}.",
            once.join(", ")
        );
    }
    let names: Vec<&str> = used.iter().map(|(s, _)| *s).collect();
    let _ = writeln!(text, "allowed = {{ severity = {} }}", quoted_list(&names));
    text
}

/// The common start of the alerts' `runbook_url`s, up to a `/`.
fn runbook_prefix(rules: &RuleSet) -> Option<(String, usize, usize)> {
    let urls: Vec<&str> = alerts(rules)
        .flat_map(|(_, r)| &r.annotations)
        .filter(|e| e.key.value == "runbook_url" && is_static(&e.value.value))
        .map(|e| e.value.value.as_str())
        .collect();
    if urls.len() < 2 {
        return None;
    }
    // The longest prefix, cut at a `/`, that most of them share (else the
    // one the most share).
    let mut by_prefix: BTreeMap<&str, usize> = BTreeMap::new();
    for url in &urls {
        let without_anchor = url.split('#').next().unwrap_or(url);
        let from = without_anchor.find("://").map_or(0, |i| i + 3);
        let mut seen = BTreeSet::new();
        for (i, _) in without_anchor[from..].match_indices('/') {
            let prefix = &without_anchor[..from + i + 1];
            if seen.insert(prefix) {
                *by_prefix.entry(prefix).or_default() += 1;
            }
        }
    }
    let most = |(p, n): &(&&str, &usize)| (**n as f64 >= SHARE * urls.len() as f64, p.len(), **n);
    let (prefix, n) = by_prefix
        .iter()
        .max_by_key(|e| most(e))
        .map(|(p, n)| (*p, *n))?;
    Some((prefix.to_string(), n, urls.len()))
}

/// Whether a file says it is generated (in its first lines, as generators
/// write it).
pub fn generated(text: &str) -> bool {
    text.lines().take(10).any(|l| {
        let l = l.to_ascii_lowercase();
        l.starts_with('#')
            && (l.contains("do not edit")
                || l.contains("code generated")
                || l.contains("generated by"))
    })
}

/// The Markdown pages naming at least three of the alerts, with how many.
fn runbooks<'a>(pages: &'a [Page], names: &BTreeSet<&str>) -> Vec<(&'a str, usize)> {
    let mut found: Vec<(&str, usize)> = pages
        .iter()
        .map(|p| {
            let named = names
                .iter()
                .filter(|n| {
                    p.text.match_indices(*n).any(|(at, _)| {
                        let word = |c: char| c.is_ascii_alphanumeric() || c == '_';
                        let before = p.text[..at].chars().next_back().is_none_or(|c| !word(c));
                        let after = p.text[at + n.len()..]
                            .chars()
                            .next()
                            .is_none_or(|c| !word(c));
                        before && after
                    })
                })
                .count();
            (p.path.as_str(), named)
        })
        .filter(|(_, n)| *n >= 3)
        .collect();
    found.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    found
}

/// The `.firedrill.toml` text for `rules`. `generated_files` are the
/// paths (relative to the configuration) of files that say they are
/// generated; `pages` the Markdown found beside the rules.
pub fn propose(
    rules: &RuleSet,
    generated_files: &[String],
    pages: &[Page],
    scope: Scope<'_>,
) -> String {
    let t = Tally::read(rules);
    let files = rules.files.iter().filter(|f| f.not_rules.is_none()).count();
    let mut out = String::new();
    let _ = writeln!(
        out,
        "# .firedrill.toml, written by `firedrill init {}` on {} from {files} rule file{} ({} alert{}).",
        scope.paths.join(" "),
        scope.date,
        if files == 1 { "" } else { "s" },
        t.alerts,
        if t.alerts == 1 { "" } else { "s" },
    );
    out.push_str("# Each setting states a convention the rules show, with the evidence above it: confirm it,\n");
    out.push_str("# change it or delete it. `firedrill lint` then holds every alert to what is written here.\n\n");

    // [prometheus]: what the rule files say of the server.
    let groups: Vec<&Group> = rules
        .files
        .iter()
        .flat_map(|f| &f.documents)
        .flat_map(|d| &d.groups)
        .collect();
    let manifests = rules
        .files
        .iter()
        .flat_map(|f| &f.documents)
        .filter(|d| matches!(d.form, Form::Manifest { .. }))
        .count();
    let mut intervals: BTreeMap<String, usize> = BTreeMap::new();
    let mut unset = 0;
    for g in &groups {
        match &g.interval {
            Some(i) => *intervals.entry(i.value.to_string()).or_default() += 1,
            None => unset += 1,
        }
    }
    out.push_str("[prometheus]\n");
    let set: Vec<String> = intervals
        .iter()
        .map(|(i, n)| format!("{i} ({n})"))
        .collect();
    let _ = writeln!(
        out,
        "# {unset} of {} groups set no `interval` and run at the server's evaluation interval{}.",
        groups.len(),
        if set.is_empty() {
            String::new()
        } else {
            format!("; the others: {}", set.join(", "))
        }
    );
    if unset > 0 {
        let default = if manifests > 0 {
            "30s, the Prometheus Operator's default for PrometheusRule manifests"
        } else {
            "1m, Prometheus's default"
        };
        let _ = writeln!(
            out,
            "# Unset, firedrill assumes {default}: write the server's if it differs."
        );
        out.push_str("# evaluation-interval = \"30s\"\n");
    }
    out.push('\n');

    // [lint]: the runbook, and the generated files.
    out.push_str("[lint]\n");
    let names: BTreeSet<&str> = alerts(rules).map(|(_, r)| r.name()).collect();
    let found = runbooks(pages, &names);
    match found.first() {
        Some((path, n)) => {
            let _ = writeln!(out, "# {path} names {n} of the {} alert names.", names.len());
            let _ = writeln!(out, "runbook = [{}]", crate::promql::quoted(path));
        }
        None => out.push_str("# No Markdown page beside the rules names three of its alerts: no runbook to check against.\n"),
    }
    if let Some((prefix, n, of)) = runbook_prefix(rules) {
        let _ = writeln!(
            out,
            "# {n} of {of} `runbook_url`s start with {prefix}: map it to the runbook in this repository to check the links."
        );
        let local = found.first().map_or("docs/runbooks/", |(p, _)| p);
        let _ = writeln!(
            out,
            "# runbook-map = {{ {} = {} }}",
            crate::promql::quoted(&prefix),
            crate::promql::quoted(local)
        );
    }
    if !generated_files.is_empty() {
        let _ = writeln!(
            out,
            "# {} file{} say{} they are generated (DO NOT EDIT): their findings belong to the generator; to leave them out:",
            generated_files.len(),
            if generated_files.len() == 1 { "" } else { "s" },
            if generated_files.len() == 1 { "s" } else { "" }
        );
        let listed: Vec<String> = generated_files
            .iter()
            .map(|f| crate::promql::quoted(f))
            .collect();
        let _ = writeln!(out, "# exclude = [{}]", listed.join(", "));
    }
    out.push('\n');

    policy(
        &mut out,
        "alert/labels",
        &t.labels,
        &|c| &c.labels,
        &t,
        &severity_scheme(&t),
    );
    policy(
        &mut out,
        "alert/annotations",
        &t.annotations,
        &|c| &c.annotations,
        &t,
        "",
    );
    while out.ends_with("\n\n") {
        out.pop();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::testing::load_text_named;

    fn alert(name: &str, severity: &str, team: bool, runbook: bool) -> String {
        format!(
            "  - alert: {name}\n    expr: up == 0\n    labels:\n      severity: {severity}\n{}    annotations:\n      summary: s\n{}",
            if team { "      team: db\n" } else { "" },
            if runbook {
                format!("      runbook_url: https://wiki.example/runbooks/{name}\n")
            } else {
                String::new()
            }
        )
    }

    fn set(text: &str) -> RuleSet {
        RuleSet {
            files: vec![load_text_named("rules/a.yaml", text)],
        }
    }

    #[test]
    fn writes_what_most_alerts_carry_with_the_evidence() {
        let mut text = String::from("groups:\n- name: g\n  rules:\n");
        for i in 0..9 {
            text.push_str(&alert(&format!("Crit{i}"), "critical", i != 0, true));
        }
        for i in 0..6 {
            text.push_str(&alert(&format!("Warn{i}"), "warning", false, false));
        }
        text.push_str(&alert("Odd", "critcal", true, true));
        let proposed = propose(
            &set(&text),
            &[],
            &[Page {
                path: "docs/runbook.md".into(),
                text: "| Crit1 | x |\n| Crit2 | y |\n## Warn3\n".into(),
            }],
            Scope {
                paths: &["rules/".to_string()],
                date: "2026-12-07",
            },
        );
        assert!(
            proposed.contains("# `severity`: 16 of 16 alerts carry it.\nrequired = [\"severity\"]"),
            "{proposed}"
        );
        assert!(
            proposed
                .contains("# `team`: 8 of 9 `severity: critical` alerts carry it (1 does not).\n"),
            "{proposed}"
        );
        assert!(
            proposed.contains("by-severity = { \"critical\" = [\"team\"] }"),
            "{proposed}"
        );
        assert!(
            proposed.contains("# `runbook_url`: 9 of 9 `severity: critical` alerts carry it.\nby-severity = { \"critical\" = [\"runbook_url\"] }"),
            "{proposed}"
        );
        assert!(
            proposed.contains("allowed = { severity = [\"critical\", \"warning\"] }"),
            "{proposed}"
        );
        assert!(proposed.contains("(a typo?): critcal."), "{proposed}");
        assert!(
            proposed.contains("runbook = [\"docs/runbook.md\"]"),
            "{proposed}"
        );
        assert!(
            proposed.contains("start with https://wiki.example/runbooks/"),
            "{proposed}"
        );
        // What it writes is a valid configuration.
        crate::config::parse(".firedrill.toml", proposed).unwrap();
    }

    #[test]
    fn generated_files_say_so() {
        assert!(generated(
            "# Code generated by Sloth (dev).\n# DO NOT EDIT.\ngroups: []\n"
        ));
        assert!(generated(
            "---\n# WARNING. DO NOT EDIT THIS FILE BY HAND.\n"
        ));
        assert!(!generated("groups:\n- name: do not edit\n"));
    }
}
