//! A baseline: today's findings, recorded so that a repository with
//! hundreds of them can adopt firedrill and be held to no new ones.
//!
//! A finding is keyed by its file, the rule it is about (group, kind and
//! name), its check and its message with line numbers taken out, never by
//! its line: editing elsewhere in the file, or moving every line of it,
//! leaves the key as it was. Keys are counted, so of four identical
//! findings on four rules of one name, a fifth is new.
//!
//! The file is JSON, written by [`write`] and read by [`read`], which refuses
//! (as an error at its place) a file that is missing, does not parse, is
//! not a firedrill baseline, or was written by another version of firedrill,
//! whose messages may differ: it never guesses that everything, or nothing,
//! is new.

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::diagnostic::{Diagnostic, RuleName};

/// What a baseline file says it is.
const FORMAT: &str = "firedrill-baseline";
/// The layout of the file; another is refused.
const LAYOUT: u32 = 1;

/// A finding as a baseline keys it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Key {
    pub file: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
    /// `alert` or `record`, when the finding is about a rule.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rule: Option<String>,
    pub check: String,
    /// The message with line numbers replaced by `N`.
    pub message: String,
}

impl Key {
    pub fn of(d: &Diagnostic) -> Key {
        let (kind, rule) = match &d.rule {
            Some(RuleName::Alert(n)) => (Some("alert"), Some(n.clone())),
            Some(RuleName::Record(n)) => (Some("record"), Some(n.clone())),
            None => (None, None),
        };
        Key {
            // `./rules/a.yaml` and `rules/a.yaml` are one file.
            file: d.source.name.trim_start_matches("./").to_string(),
            group: d.group.clone(),
            kind: kind.map(str::to_string),
            rule,
            check: d.check.to_string(),
            message: without_line_numbers(&d.message),
        }
    }
}

/// `defined at line 40`, `in a.yaml:12:3`: where something else is, which
/// moves with unrelated edits.
fn without_line_numbers(message: &str) -> String {
    let mut out = String::with_capacity(message.len());
    let mut rest = message;
    while !rest.is_empty() {
        if let Some(after) = rest.strip_prefix("line ") {
            let digits = after.bytes().take_while(u8::is_ascii_digit).count();
            if digits > 0 {
                out.push_str("line N");
                rest = &after[digits..];
                continue;
            }
        }
        if let Some(after) = rest.strip_prefix(':') {
            // `:12:3` or `:12`
            let digits = after.bytes().take_while(u8::is_ascii_digit).count();
            if digits > 0 {
                out.push_str(":N");
                rest = &after[digits..];
                continue;
            }
        }
        let c = rest.chars().next().unwrap_or_default();
        out.push(c);
        rest = &rest[c.len_utf8()..];
    }
    out
}

#[derive(Debug, Serialize, Deserialize)]
struct File {
    format: String,
    layout: u32,
    firedrill: String,
    findings: Vec<Entry>,
}

#[derive(Debug, Serialize, Deserialize)]
struct Entry {
    #[serde(flatten)]
    key: Key,
    count: usize,
}

/// The findings of a baseline, counted by key.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Baseline {
    pub counts: BTreeMap<Key, usize>,
}

#[derive(Debug, thiserror::Error)]
pub enum BaselineError {
    #[error(
        "baseline {path} not found; write one with `firedrill lint ... --write-baseline {path}`"
    )]
    Missing { path: String },
    #[error("cannot read baseline {path}: {error}")]
    Read { path: String, error: std::io::Error },
    #[error("{path}:{line}:{column}: not a firedrill baseline: {message}")]
    Corrupt {
        path: String,
        line: usize,
        column: usize,
        message: String,
    },
    #[error("baseline {path} was written by firedrill {written}, this is {running}: its findings' messages may differ, so it cannot tell which are new; write it again with `firedrill lint ... --write-baseline {path}`")]
    OtherVersion {
        path: String,
        written: String,
        running: String,
    },
    #[error("cannot write baseline {path}: {error}")]
    Write { path: String, error: std::io::Error },
}

impl Baseline {
    pub fn of(diagnostics: &[Diagnostic]) -> Baseline {
        let mut counts = BTreeMap::new();
        for d in diagnostics {
            *counts.entry(Key::of(d)).or_insert(0) += 1;
        }
        Baseline { counts }
    }

    pub fn total(&self) -> usize {
        self.counts.values().sum()
    }
}

/// Reads a baseline written by this version of firedrill.
pub fn read(path: &Path) -> Result<Baseline, BaselineError> {
    let name = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|error| match error.kind() {
        std::io::ErrorKind::NotFound => BaselineError::Missing { path: name.clone() },
        _ => BaselineError::Read {
            path: name.clone(),
            error,
        },
    })?;
    parse(&name, &text)
}

/// Parses a baseline's text; `name` is what errors call it.
pub fn parse(name: &str, text: &str) -> Result<Baseline, BaselineError> {
    let corrupt = |line: usize, column: usize, message: String| BaselineError::Corrupt {
        path: name.to_string(),
        line,
        column,
        message,
    };
    let file: File =
        serde_json::from_str(text).map_err(|e| corrupt(e.line(), e.column(), e.to_string()))?;
    if file.format != FORMAT {
        return Err(corrupt(
            1,
            1,
            format!("its format is {:?}, not {FORMAT:?}", file.format),
        ));
    }
    let running = env!("CARGO_PKG_VERSION");
    if file.layout != LAYOUT || file.firedrill != running {
        return Err(BaselineError::OtherVersion {
            path: name.to_string(),
            written: file.firedrill,
            running: running.to_string(),
        });
    }
    let mut counts = BTreeMap::new();
    for entry in file.findings {
        if entry.count == 0 {
            return Err(corrupt(
                1,
                1,
                format!("a count of 0 for {:?}", entry.key.message),
            ));
        }
        *counts.entry(entry.key).or_insert(0) += entry.count;
    }
    Ok(Baseline { counts })
}

/// The baseline's text, in a stable order (a rewrite after no change is the
/// same file).
pub fn render(baseline: &Baseline) -> String {
    let file = File {
        format: FORMAT.to_string(),
        layout: LAYOUT,
        firedrill: env!("CARGO_PKG_VERSION").to_string(),
        findings: baseline
            .counts
            .iter()
            .map(|(key, &count)| Entry {
                key: key.clone(),
                count,
            })
            .collect(),
    };
    let mut text = serde_json::to_string_pretty(&file).unwrap_or_default();
    text.push('\n');
    text
}

/// Writes the baseline of `diagnostics` to `path` (through a temporary file,
/// so a failure leaves the old one whole).
pub fn write(path: &Path, diagnostics: &[Diagnostic]) -> Result<usize, BaselineError> {
    let baseline = Baseline::of(diagnostics);
    let name = path.display().to_string();
    let error = |error| BaselineError::Write {
        path: name.clone(),
        error,
    };
    let tmp = path.with_extension("firedrill-tmp");
    std::fs::write(&tmp, render(&baseline)).map_err(error)?;
    std::fs::rename(&tmp, path).map_err(error)?;
    Ok(baseline.total())
}

/// What a run makes of a baseline.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Applied {
    /// Findings the baseline holds, not reported.
    pub baselined: usize,
    /// Findings the baseline holds in the files linted, that are gone.
    pub fixed: usize,
}

/// Drops from `diagnostics` the findings the baseline holds. `linted` says
/// whether a file was linted in this run (under pre-commit only the staged
/// ones are), so that the findings of files not looked at are not counted
/// as fixed.
pub fn apply(
    baseline: &Baseline,
    diagnostics: &mut Vec<Diagnostic>,
    linted: &dyn Fn(&str) -> bool,
) -> Applied {
    let mut left = baseline.counts.clone();
    let mut applied = Applied::default();
    diagnostics.retain(|d| match left.get_mut(&Key::of(d)) {
        Some(n) if *n > 0 => {
            *n -= 1;
            applied.baselined += 1;
            false
        }
        _ => true,
    });
    applied.fixed = left
        .iter()
        .filter(|(key, _)| linted(&key.file))
        .map(|(_, n)| n)
        .sum();
    applied
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnostic::Severity;
    use crate::source::{SourceFile, Span};
    use std::sync::Arc;

    fn finding(message: &str, rule: &str, at: usize) -> Diagnostic {
        let source = Arc::new(SourceFile::new("rules.yaml", "x".repeat(100)));
        let mut d = Diagnostic::new(
            "rule/duplicate",
            Severity::Warning,
            &source,
            Span::new(at, at + 1),
            message.to_string(),
        );
        d.rule = Some(RuleName::Alert(rule.to_string()));
        d.group = Some("g".into());
        d
    }

    #[test]
    fn keys_leave_out_where_things_are() {
        let a = finding("already defined at line 12, like rules.yaml:40:3", "A", 10);
        let b = finding("already defined at line 80, like rules.yaml:9:1", "A", 90);
        assert_eq!(Key::of(&a), Key::of(&b));
        assert_eq!(
            Key::of(&a).message,
            "already defined at line N, like rules.yaml:N:N"
        );
    }

    #[test]
    fn counts_decide_which_of_identical_findings_are_new() {
        let old = vec![finding("m", "A", 1), finding("m", "A", 2)];
        let baseline = Baseline::of(&old);
        let mut now = vec![
            finding("m", "A", 5),
            finding("m", "A", 6),
            finding("m", "A", 7),
            finding("n", "B", 8),
        ];
        let applied = apply(&baseline, &mut now, &|_| true);
        assert_eq!(
            applied,
            Applied {
                baselined: 2,
                fixed: 0
            }
        );
        assert_eq!(now.len(), 2);
        let mut none: Vec<Diagnostic> = Vec::new();
        assert_eq!(apply(&baseline, &mut none, &|_| true).fixed, 2);
        // A file not linted this time has nothing fixed.
        assert_eq!(apply(&baseline, &mut Vec::new(), &|_| false).fixed, 0);
    }

    #[test]
    fn a_written_baseline_reads_back_and_a_bad_one_is_refused() {
        let baseline = Baseline::of(&[finding("m", "A", 1), finding("m", "A", 2)]);
        let text = render(&baseline);
        assert_eq!(parse("b.json", &text).unwrap(), baseline);
        let err = parse("b.json", "{\n  \"format\": 3,\n}")
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("b.json:2:"), "{err}");
        let err = parse(
            "b.json",
            "{\"format\":\"other\",\"layout\":1,\"firedrill\":\"0\",\"findings\":[]}",
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("not a firedrill baseline"), "{err}");
        let older = text.replace(env!("CARGO_PKG_VERSION"), "0.0.1");
        let err = parse("b.json", &older).unwrap_err().to_string();
        assert!(err.contains("written by firedrill 0.0.1"), "{err}");
    }
}
