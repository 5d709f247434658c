//! Marks: what the people who were paged know about the window. An
//! *incident* is a time span in which the alert should have fired; a *false
//! positive* is a page that should not have happened.
//!
//! They come from flags (`--incident 2026-11-17T14:00Z/40m`,
//! `--false-positive 2026-11-19T03:12Z`) or from a small file kept beside
//! the rules, TOML or YAML, with the same fields:
//!
//! ```toml
//! [[incident]]
//! alert = "FPMPoolSaturation"    # optional: for every alert when left out
//! start = "2026-11-17T14:00Z"
//! duration = "40m"               # or end = "2026-11-17T14:40Z"
//! note = "pool exhausted after the 13:55 deploy"
//!
//! [[false_positive]]
//! alert = "FPMPoolSaturation"
//! at = "2026-11-19T03:12Z"       # when the page came; duration/end optional
//! note = "nightly export job"
//! ```

use std::path::Path;
use std::sync::Arc;

use serde::Deserialize;

use crate::diagnostic::{Diagnostic, Severity};
use crate::rules::Duration;
use crate::source::{SourceFile, Span};
use crate::time::{format_utc, parse_time};
use crate::yaml::{self, Node};

/// The check id errors in a marks file carry.
pub const CHECK: &str = "marks";

/// A span in which the alert should have fired: `[start, end)`.
#[derive(Debug, Clone, PartialEq)]
pub struct Incident {
    pub start_ms: i64,
    pub end_ms: i64,
    pub note: Option<String>,
}

/// A page that should not have happened. With only `at`, the episode it
/// belongs to is found in today's replay; with an end, the span is taken
/// as given.
#[derive(Debug, Clone, PartialEq)]
pub struct FalsePositive {
    pub at_ms: i64,
    pub end_ms: Option<i64>,
    pub note: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Marks {
    pub incidents: Vec<Incident>,
    pub false_positives: Vec<FalsePositive>,
}

impl Marks {
    pub fn is_empty(&self) -> bool {
        self.incidents.is_empty() && self.false_positives.is_empty()
    }
}

impl Incident {
    pub fn describe(&self) -> String {
        format!(
            "incident {} ({})",
            short_utc(self.start_ms),
            Duration {
                millis: (self.end_ms - self.start_ms).max(0) as u64
            }
        )
    }
}

impl FalsePositive {
    pub fn describe(&self) -> String {
        format!("false positive {}", short_utc(self.at_ms))
    }
}

/// `2026-11-19 03:12` (UTC): marks are given to the minute.
pub fn short_utc(ms: i64) -> String {
    let full = format_utc(ms);
    let trimmed = full.trim_end_matches('Z');
    let trimmed = trimmed.strip_suffix(":00").unwrap_or(trimmed);
    trimmed.replacen('T', " ", 1)
}

/// `START/DURATION` or `START/END`.
pub fn parse_incident(text: &str) -> Result<Incident, String> {
    let (start, rest) = text.split_once('/').ok_or_else(|| {
        format!("incident {text:?}: give its start and length, e.g. 2026-11-17T14:00Z/40m (or START/END)")
    })?;
    let start_ms = parse_time(start).map_err(|e| format!("incident {text:?}: {e}"))?;
    let end_ms = end_of(start_ms, rest).map_err(|e| format!("incident {text:?}: {e}"))?;
    incident(start_ms, end_ms, None).map_err(|e| format!("incident {text:?}: {e}"))
}

/// `AT`, `AT/DURATION` or `AT/END`.
pub fn parse_false_positive(text: &str) -> Result<FalsePositive, String> {
    let (at, rest) = match text.split_once('/') {
        Some((at, rest)) => (at, Some(rest)),
        None => (text, None),
    };
    let at_ms = parse_time(at).map_err(|e| format!("false positive {text:?}: {e}"))?;
    let end_ms = rest
        .map(|r| end_of(at_ms, r))
        .transpose()
        .map_err(|e| format!("false positive {text:?}: {e}"))?;
    if end_ms.is_some_and(|e| e <= at_ms) {
        return Err(format!(
            "false positive {text:?}: its end is not after its start"
        ));
    }
    Ok(FalsePositive {
        at_ms,
        end_ms,
        note: None,
    })
}

fn end_of(start_ms: i64, text: &str) -> Result<i64, String> {
    if let Ok(d) = Duration::parse(text.trim()) {
        return Ok(start_ms + d.millis as i64);
    }
    parse_time(text)
        .map_err(|_| format!("{text:?} is neither a duration (40m) nor a time (2026-11-17T14:40Z)"))
}

fn incident(start_ms: i64, end_ms: i64, note: Option<String>) -> Result<Incident, String> {
    if end_ms <= start_ms {
        return Err("its end is not after its start (give a length such as 40m)".into());
    }
    Ok(Incident {
        start_ms,
        end_ms,
        note,
    })
}

#[derive(Debug, thiserror::Error)]
pub enum MarksError {
    #[error("cannot read {path}: {error}")]
    Read { path: String, error: std::io::Error },
    #[error("{}", .0.message)]
    Invalid(Box<Diagnostic>),
}

impl MarksError {
    pub fn diagnostic(&self) -> Option<&Diagnostic> {
        match self {
            MarksError::Invalid(d) => Some(d),
            MarksError::Read { .. } => None,
        }
    }
}

/// One entry of a marks file before its times are read.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawMark {
    alert: Option<String>,
    start: Option<String>,
    at: Option<String>,
    duration: Option<String>,
    end: Option<String>,
    note: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawToml {
    #[serde(default)]
    incident: Vec<toml::Spanned<RawMark>>,
    #[serde(default)]
    false_positive: Vec<toml::Spanned<RawMark>>,
}

#[derive(Clone, Copy, PartialEq)]
enum Kind {
    Incident,
    FalsePositive,
}

/// The marks for `alert` in a TOML (`.toml`) or YAML file.
pub fn read_file(path: &Path, alert: &str) -> Result<Marks, MarksError> {
    let text = std::fs::read_to_string(path).map_err(|error| MarksError::Read {
        path: path.display().to_string(),
        error,
    })?;
    let source = Arc::new(SourceFile::new(path.display().to_string(), text));
    let is_toml = path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("toml"));
    let entries = if is_toml {
        toml_entries(&source)?
    } else {
        yaml_entries(&source)?
    };
    let mut marks = Marks::default();
    for (kind, span, raw) in entries {
        if raw.alert.as_deref().is_some_and(|a| a != alert) {
            continue;
        }
        let bad = |message: String| invalid(&source, span, message);
        match kind {
            Kind::Incident => {
                if raw.at.is_some() {
                    return Err(bad("an incident has `start`, not `at`".into()));
                }
                let start = raw
                    .start
                    .as_deref()
                    .ok_or_else(|| bad("an incident needs `start`".into()))?;
                let start_ms = parse_time(start).map_err(&bad)?;
                let end_ms = match (&raw.duration, &raw.end) {
                    (Some(d), None) => end_of(start_ms, d).map_err(&bad)?,
                    (None, Some(e)) => parse_time(e).map_err(&bad)?,
                    (Some(_), Some(_)) => {
                        return Err(bad("give `duration` or `end`, not both".into()))
                    }
                    (None, None) => {
                        return Err(bad(
                            "an incident needs `duration` (e.g. \"40m\") or `end`".into()
                        ))
                    }
                };
                marks
                    .incidents
                    .push(incident(start_ms, end_ms, raw.note).map_err(&bad)?);
            }
            Kind::FalsePositive => {
                if raw.start.is_some() {
                    return Err(bad("a false positive has `at`, not `start`".into()));
                }
                let at = raw
                    .at
                    .as_deref()
                    .ok_or_else(|| bad("a false positive needs `at`".into()))?;
                let at_ms = parse_time(at).map_err(&bad)?;
                let end_ms = match (&raw.duration, &raw.end) {
                    (Some(d), None) => Some(end_of(at_ms, d).map_err(&bad)?),
                    (None, Some(e)) => Some(parse_time(e).map_err(&bad)?),
                    (Some(_), Some(_)) => {
                        return Err(bad("give `duration` or `end`, not both".into()))
                    }
                    (None, None) => None,
                };
                if end_ms.is_some_and(|e| e <= at_ms) {
                    return Err(bad("its end is not after its start".into()));
                }
                marks.false_positives.push(FalsePositive {
                    at_ms,
                    end_ms,
                    note: raw.note,
                });
            }
        }
    }
    Ok(marks)
}

fn invalid(source: &Arc<SourceFile>, span: Span, message: String) -> MarksError {
    MarksError::Invalid(Box::new(Diagnostic::new(
        CHECK,
        Severity::Error,
        source,
        span,
        message,
    )))
}

fn toml_entries(source: &Arc<SourceFile>) -> Result<Vec<(Kind, Span, RawMark)>, MarksError> {
    let raw: RawToml = toml::from_str(&source.text).map_err(|e| {
        let span = e
            .span()
            .map_or(Span::empty(0), |r| Span::new(r.start, r.end));
        invalid(source, span, format!("marks file: {}", e.message()))
    })?;
    let spanned = |kind: Kind, list: Vec<toml::Spanned<RawMark>>| {
        list.into_iter().map(move |m| {
            let r = m.span();
            (kind, Span::new(r.start, r.end), m.into_inner())
        })
    };
    Ok(spanned(Kind::Incident, raw.incident)
        .chain(spanned(Kind::FalsePositive, raw.false_positive))
        .collect())
}

/// YAML: `incidents:` and `false_positives:` lists of maps.
fn yaml_entries(source: &Arc<SourceFile>) -> Result<Vec<(Kind, Span, RawMark)>, MarksError> {
    let stream = yaml::parse_stream(&source.text);
    if let Some(e) = &stream.error {
        return Err(invalid(
            source,
            e.span,
            format!("marks file: {}", e.message),
        ));
    }
    if let Some(d) = stream.duplicate_keys.first() {
        return Err(invalid(
            source,
            d.again,
            format!("`{}` is given twice", d.key),
        ));
    }
    let mut out = Vec::new();
    let Some(doc) = stream.documents.first() else {
        return Ok(out);
    };
    if doc.root.is_null() {
        return Ok(out);
    }
    let map = doc.root.as_map().ok_or_else(|| {
        invalid(
            source,
            doc.root.span,
            "a marks file is a map with `incidents` and `false_positives` lists".into(),
        )
    })?;
    for pair in map {
        let key = pair.key.as_str().unwrap_or_default();
        let kind = match key {
            "incidents" => Kind::Incident,
            "false_positives" => Kind::FalsePositive,
            _ => {
                return Err(invalid(
                    source,
                    pair.key.span,
                    format!("unknown key `{key}`: expected `incidents` or `false_positives`"),
                ))
            }
        };
        if pair.value.is_null() {
            continue;
        }
        let list = pair
            .value
            .as_seq()
            .ok_or_else(|| invalid(source, pair.value.span, format!("`{key}` is a list")))?;
        for entry in list {
            out.push((kind, entry.span, yaml_mark(source, entry)?));
        }
    }
    Ok(out)
}

fn yaml_mark(source: &Arc<SourceFile>, node: &Node) -> Result<RawMark, MarksError> {
    let map = node.as_map().ok_or_else(|| {
        invalid(
            source,
            node.span,
            "each mark is a map (start: ..., duration: ...)".into(),
        )
    })?;
    let mut mark = RawMark::default();
    for pair in map {
        let key = pair.key.as_str().unwrap_or_default();
        let value = pair
            .value
            .as_scalar()
            .map(|s| s.text.clone())
            .ok_or_else(|| invalid(source, pair.value.span, format!("`{key}` is a string")))?;
        let slot = match key {
            "alert" => &mut mark.alert,
            "start" => &mut mark.start,
            "at" => &mut mark.at,
            "duration" => &mut mark.duration,
            "end" => &mut mark.end,
            "note" => &mut mark.note,
            _ => {
                return Err(invalid(
                    source,
                    pair.key.span,
                    format!(
                    "unknown key `{key}`: a mark has alert, start or at, duration or end, and note"
                ),
                ))
            }
        };
        *slot = Some(value);
    }
    Ok(mark)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn incident_takes_a_length_or_an_end() {
        let a = parse_incident("2026-11-17T14:00Z/40m").unwrap();
        let b = parse_incident("2026-11-17T14:00Z/2026-11-17T14:40:00Z").unwrap();
        assert_eq!(a, b);
        assert_eq!(a.end_ms - a.start_ms, 40 * 60_000);
        assert!(parse_incident("2026-11-17T14:00Z")
            .unwrap_err()
            .contains("start and length"));
        assert!(parse_incident("2026-11-17T14:00Z/-5m").is_err());
        assert!(parse_incident("2026-11-17T14:00Z/2026-11-17T13:00Z")
            .unwrap_err()
            .contains("not after"));
    }

    #[test]
    fn false_positive_is_a_time_or_a_span() {
        let fp = parse_false_positive("2026-11-19T03:12Z").unwrap();
        assert_eq!(fp.end_ms, None);
        assert_eq!(short_utc(fp.at_ms), "2026-11-19 03:12");
        let fp = parse_false_positive("2026-11-19T03:12Z/10m").unwrap();
        assert_eq!(fp.end_ms, Some(fp.at_ms + 600_000));
        assert!(parse_false_positive("03:12").is_err());
    }

    fn write(name: &str, text: &str) -> (tempfile::TempDir, std::path::PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(name);
        std::fs::write(&path, text).unwrap();
        (dir, path)
    }

    #[test]
    fn toml_and_yaml_files_say_the_same() {
        let (_d1, toml) = write(
            "marks.toml",
            "[[incident]]\nstart = \"2026-11-17T14:00Z\"\nduration = \"40m\"\n\n\
             [[false_positive]]\nalert = \"A\"\nat = \"2026-11-19T03:12Z\"\nnote = \"job\"\n\n\
             [[false_positive]]\nalert = \"B\"\nat = \"2026-11-19T05:00Z\"\n",
        );
        let (_d2, yaml) = write(
            "marks.yaml",
            "incidents:\n  - start: 2026-11-17T14:00Z\n    end: 2026-11-17T14:40Z\n\
             false_positives:\n  - {alert: A, at: \"2026-11-19T03:12Z\", note: job}\n  - {alert: B, at: \"2026-11-19T05:00Z\"}\n",
        );
        let a = read_file(&toml, "A").unwrap();
        let b = read_file(&yaml, "A").unwrap();
        assert_eq!(a, b);
        assert_eq!(a.incidents.len(), 1);
        assert_eq!(a.false_positives.len(), 1, "B's mark is not A's");
        assert_eq!(a.false_positives[0].note.as_deref(), Some("job"));
    }

    #[test]
    fn mistakes_point_at_their_place() {
        let (_d, path) = write(
            "marks.toml",
            "[[incident]]\nstart = \"2026-11-17T14:00Z\"\n\n[[incident]]\nstart = \"2026-11-18T14:00Z\"\nlength = \"40m\"\n",
        );
        let err = read_file(&path, "A").unwrap_err();
        let d = err.diagnostic().unwrap();
        assert!(d.message.contains("length"), "{}", d.message);
        assert_eq!(d.source.line_col(d.span.start).line, 6);
        let (_d, path) = write(
            "marks.yaml",
            "incidents:\n  - start: 2026-11-17T14:00Z\n  - start: yesterday\n    duration: 5m\n",
        );
        let err = read_file(&path, "A").unwrap_err();
        let d = err.diagnostic().unwrap();
        assert!(
            d.message.contains("duration") || d.message.contains("RFC 3339"),
            "{}",
            d.message
        );
        assert_eq!(d.source.line_col(d.span.start).line, 2, "{}", d.message);
    }
}
