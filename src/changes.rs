//! Which rules a change touched, for `lint --changed-since REF` and
//! `firedrill diff --base REF`.
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
    #[error("comparing with a git ref needs a git repository: {0}")]
    NotARepository(String),
    #[error("git ref {reference:?}: {reason}")]
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

/// A rule in a loaded rule set: where it is and who it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleRef {
    pub file: String,
    pub span: Span,
    pub group: String,
    pub alert: bool,
    pub name: String,
}

/// How the rules of two versions of a rule set compare, by identity.
#[derive(Debug, Clone, Default)]
pub struct RuleDiff {
    /// Rules of the new set the old one does not have.
    pub added: Vec<RuleRef>,
    /// `(old, new)` versions of rules whose content differs.
    pub changed: Vec<(RuleRef, RuleRef)>,
    /// Rules of the old set the new one does not have.
    pub removed: Vec<RuleRef>,
    /// Rules the same in both.
    pub unchanged: usize,
}

/// Compares two versions of a rule set rule by rule.
pub fn diff(old: &RuleSet, new: &RuleSet) -> RuleDiff {
    let mut before: BTreeMap<Key, (String, RuleRef)> = BTreeMap::new();
    for file in &old.files {
        for (key, fingerprint, rule) in identities_with_refs(file) {
            before.insert(key, (fingerprint, rule));
        }
    }
    let mut out = RuleDiff::default();
    for file in &new.files {
        for (key, fingerprint, rule) in identities_with_refs(file) {
            match before.remove(&key) {
                None => out.added.push(rule),
                Some((old_fingerprint, old_rule)) if old_fingerprint != fingerprint => {
                    out.changed.push((old_rule, rule))
                }
                Some(_) => out.unchanged += 1,
            }
        }
    }
    out.removed = before.into_values().map(|(_, r)| r).collect();
    out
}

/// The repository's top folder, and `reference` checked to be a commit.
fn repository(reference: &str) -> Result<PathBuf, ChangesError> {
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
    Ok(top)
}

/// A path relative to the repository's top, when it is inside it.
fn in_repository(top: &Path, path: &Path) -> Option<PathBuf> {
    let absolute = path.canonicalize().ok()?;
    absolute.strip_prefix(top).ok().map(Path::to_path_buf)
}

/// A file's text at `reference`, or `None` when it did not exist there.
fn text_at(top: &Path, reference: &str, relative: &Path) -> Result<Option<String>, ChangesError> {
    let spec = format!("{reference}:{}", relative.display());
    let shown = git(top, &["show", &spec])?;
    Ok(shown
        .status
        .success()
        .then(|| String::from_utf8_lossy(&shown.stdout).into_owned()))
}

/// The rule set as it was at `reference`: the old version of every loaded
/// file, and the rule files that were under the folders in `paths` then but
/// are gone now (named as they were).
pub fn rules_at(
    reference: &str,
    rules: &RuleSet,
    paths: &[String],
    options: LoadOptions,
) -> Result<RuleSet, ChangesError> {
    let top = repository(reference)?;
    let mut files = Vec::new();
    let mut seen = std::collections::BTreeSet::new();
    for file in rules.files.iter().filter(|f| f.not_rules.is_none()) {
        let Some(relative) = in_repository(&top, Path::new(&file.source.name)) else {
            continue; // standard input or outside the repository: all new
        };
        seen.insert(relative.clone());
        if let Some(text) = text_at(&top, reference, &relative)? {
            let source = Arc::new(SourceFile::new(file.source.name.clone(), text));
            files.push(rules::load(source, options));
        }
    }
    for path in paths.iter().filter(|p| Path::new(p).is_dir()) {
        let Some(folder) = in_repository(&top, Path::new(path)) else {
            continue;
        };
        let listed = git(
            &top,
            &[
                "ls-tree",
                "-r",
                "-z",
                "--name-only",
                reference,
                "--",
                &folder.display().to_string(),
            ],
        )?;
        for name in String::from_utf8_lossy(&listed.stdout).split('\0') {
            let relative = PathBuf::from(name);
            let yaml = name.ends_with(".yaml") || name.ends_with(".yml");
            if name.is_empty() || !yaml || seen.contains(&relative) {
                continue;
            }
            if let Some(text) = text_at(&top, reference, &relative)? {
                // Named as the user's folder argument would name it.
                let shown =
                    Path::new(path).join(relative.strip_prefix(&folder).unwrap_or(&relative));
                let source = Arc::new(SourceFile::new(shown.display().to_string(), text));
                let file = rules::load(source, options);
                if file.not_rules.is_none() {
                    files.push(file);
                }
            }
        }
    }
    Ok(RuleSet { files })
}

impl Changes {
    /// Compares the loaded rules with their versions at `reference`.
    pub fn since(
        reference: &str,
        rules: &RuleSet,
        options: LoadOptions,
    ) -> Result<Changes, ChangesError> {
        let old = rules_at(reference, rules, &[], options)?;
        let top = repository(reference)?;
        let mut changes = Changes::default();
        for file in rules.files.iter().filter(|f| f.not_rules.is_none()) {
            let name = &file.source.name;
            let old_text = match in_repository(&top, Path::new(name)) {
                Some(relative) => text_at(&top, reference, &relative)?,
                None => None,
            };
            if old_text.as_deref() != Some(file.source.text.as_str()) {
                changes.files.push(name.clone());
            }
        }
        let compared = diff(&old, rules);
        for rule in compared
            .added
            .into_iter()
            .chain(compared.changed.into_iter().map(|(_, new)| new))
        {
            changes.rules.entry(rule.file).or_default().push(rule.span);
        }
        changes.removed = compared
            .removed
            .into_iter()
            .map(|r| (r.group, r.name))
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

fn identities_with_refs(file: &RuleFile) -> Vec<(Key, String, RuleRef)> {
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
            let reference = RuleRef {
                file: file.source.name.clone(),
                span: rule.span,
                group: group.name().to_string(),
                alert: rule.is_alert(),
                name: rule.name().to_string(),
            };
            out.push((key, fingerprint(rule), reference));
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
