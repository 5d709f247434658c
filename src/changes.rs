//! Which rules a change touched, for `lint --changed-since REF`.
//!
//! Rules are compared by identity, not by line: a rule is the same rule in
//! the old and new versions when it has the same group name, kind and name
//! (and, for repeated names in one group, the same occurrence), wherever it
//! sits in its file or whichever file holds it. It *changed* when its
//! content differs: the expression (compared as parsed PromQL, so
//! re-indenting a block does not count), `for`, `keep_firing_for`, labels
//! or annotations. The old versions come from `git show REF:path`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;

use crate::diagnostic::Diagnostic;
use crate::rules::{self, LoadOptions, Rule, RuleFile, RuleSet};
use crate::source::{SourceFile, Span};

/// A rule's identity: group, `alert`/`record` and name, occurrence.
type Key = (String, String, String, usize);

/// The rules (and files) added or changed since a git ref.
#[derive(Debug, Clone, Default)]
pub struct Changes {
    /// Per loaded file name: the spans of its added or changed rules.
    rules: BTreeMap<String, Vec<Span>>,
    /// Loaded files whose text differs from the ref's (or are new).
    files: Vec<String>,
    /// `(group, name)` of rules the ref has and the loaded files do not.
    pub removed: Vec<(String, String)>,
}

#[derive(Debug, thiserror::Error)]
pub enum ChangesError {
    #[error("--changed-since needs a git repository: {0}")]
    NotARepository(String),
    #[error("--changed-since {reference:?}: {reason}")]
    BadRef { reference: String, reason: String },
    #[error("running git: {0}")]
    Git(String),
}

fn git(dir: &Path, args: &[&str]) -> Result<std::process::Output, ChangesError> {
    Command::new("git")
        .current_dir(dir)
        .args(args)
        .output()
        .map_err(|e| ChangesError::Git(e.to_string()))
}

impl Changes {
    /// Compares the loaded rules with their versions at `reference`.
    pub fn since(
        reference: &str,
        rules: &RuleSet,
        options: LoadOptions,
    ) -> Result<Changes, ChangesError> {
        let cwd = std::env::current_dir().map_err(|e| ChangesError::Git(e.to_string()))?;
        let top = git(&cwd, &["rev-parse", "--show-toplevel"])?;
        if !top.status.success() {
            return Err(ChangesError::NotARepository(
                String::from_utf8_lossy(&top.stderr).trim().to_string(),
            ));
        }
        let top = PathBuf::from(String::from_utf8_lossy(&top.stdout).trim());
        let top = top.canonicalize().unwrap_or(top);
        let verify = git(
            &top,
            &[
                "rev-parse",
                "--verify",
                "--quiet",
                &format!("{reference}^{{commit}}"),
            ],
        )?;
        if !verify.status.success() {
            return Err(ChangesError::BadRef {
                reference: reference.into(),
                reason: "not a commit in this repository".into(),
            });
        }
        let mut old_rules: BTreeMap<Key, String> = BTreeMap::new();
        let mut changes = Changes::default();
        for file in rules.files.iter().filter(|f| f.not_rules.is_none()) {
            let name = &file.source.name;
            let relative = Path::new(name)
                .canonicalize()
                .ok()
                .and_then(|p| p.strip_prefix(&top).ok().map(Path::to_path_buf));
            let old_text = match relative {
                Some(rel) => {
                    let spec = format!("{reference}:{}", rel.display());
                    let shown = git(&top, &["show", &spec])?;
                    shown
                        .status
                        .success()
                        .then(|| String::from_utf8_lossy(&shown.stdout).into_owned())
                }
                // Standard input or a file outside the repository: all new.
                None => None,
            };
            if old_text.as_deref() != Some(file.source.text.as_str()) {
                changes.files.push(name.clone());
            }
            if let Some(text) = old_text {
                let old = rules::load(Arc::new(SourceFile::new(name.clone(), text)), options);
                for (key, fingerprint) in identities(&old) {
                    old_rules.insert(key, fingerprint);
                }
            }
        }
        let mut current = BTreeMap::new();
        for file in &rules.files {
            for (key, fingerprint, span) in identities_with_spans(file) {
                if old_rules.get(&key) != Some(&fingerprint) {
                    changes
                        .rules
                        .entry(file.source.name.clone())
                        .or_default()
                        .push(span);
                }
                current.insert(key, ());
            }
        }
        changes.removed = old_rules
            .keys()
            .filter(|k| !current.contains_key(*k))
            .map(|(group, _, name, _)| (group.clone(), name.clone()))
            .collect();
        Ok(changes)
    }

    /// Is the finding about something the change touched? Findings inside
    /// an added or changed rule are; findings outside any rule (a YAML
    /// error, a group's field) are when their file changed.
    pub fn touches(&self, d: &Diagnostic, rules: &RuleSet) -> bool {
        let name = &d.source.name;
        if let Some(spans) = self.rules.get(name) {
            if spans
                .iter()
                .any(|s| s.start <= d.span.start && d.span.start < s.end.max(s.start + 1))
            {
                return true;
            }
        }
        let in_a_rule = rules
            .files
            .iter()
            .filter(|f| &f.source.name == name)
            .flat_map(|f| f.documents.iter().flat_map(|doc| &doc.groups))
            .flat_map(|g| &g.rules)
            .any(|r| r.span.start <= d.span.start && d.span.start < r.span.end);
        !in_a_rule && self.files.contains(name)
    }
}

fn identities(file: &RuleFile) -> Vec<(Key, String)> {
    identities_with_spans(file)
        .into_iter()
        .map(|(k, f, _)| (k, f))
        .collect()
}

fn identities_with_spans(file: &RuleFile) -> Vec<(Key, String, Span)> {
    let mut out = Vec::new();
    for group in file.documents.iter().flat_map(|d| &d.groups) {
        let mut seen: BTreeMap<(String, String), usize> = BTreeMap::new();
        for rule in &group.rules {
            let kind = if rule.is_alert() { "alert" } else { "record" };
            let count = seen
                .entry((kind.to_string(), rule.name().to_string()))
                .or_default();
            let key = (
                group.name().to_string(),
                kind.to_string(),
                rule.name().to_string(),
                *count,
            );
            *count += 1;
            out.push((key, fingerprint(rule), rule.span));
        }
    }
    out
}

/// What makes two versions of a rule the same rule.
fn fingerprint(rule: &Rule) -> String {
    let expr = match &rule.expr {
        Some(e) => match &e.parsed {
            Ok(parsed) => parsed.to_string(),
            Err(_) => e
                .text
                .value
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" "),
        },
        None => String::new(),
    };
    let entries = |list: &[crate::rules::Entry]| {
        let mut v: Vec<(String, String)> = list
            .iter()
            .map(|e| (e.key.value.clone(), e.value.value.clone()))
            .collect();
        v.sort();
        v
    };
    format!(
        "{expr}\u{0}{:?}\u{0}{:?}\u{0}{:?}\u{0}{:?}",
        rule.for_.as_ref().map(|d| d.value.millis),
        rule.keep_firing_for.as_ref().map(|d| d.value.millis),
        entries(&rule.labels),
        entries(&rule.annotations)
    )
}
