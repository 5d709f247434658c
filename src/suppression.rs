//! Inline suppressions: comments in rule files that silence a check where a
//! team has a reason.
//!
//! ```yaml
//! # firedrill disable-file=rule/name
//! groups:
//! - name: example
//!   rules:
//!   # firedrill disable=alert/labels,alert/annotations  (heartbeat, routed by name)
//!   - alert: Watchdog
//!     expr: vector(1)
//!   - alert: Down   # firedrill disable=alert/for
//!     expr: up == 0
//! ```
//!
//! `disable=` on its own line covers the rule (or group) that starts on the
//! next line that is not a comment; at the end of a line it covers the rule
//! (or group) that line belongs to. `disable-file=` covers the whole file.
//! Ids are check ids or families (`alert`), comma-separated; what follows
//! the list is free text (the reason).

use crate::rules::RuleFile;
use crate::source::Span;

/// One `# firedrill disable...` comment.
#[derive(Debug, Clone, PartialEq)]
pub struct Directive {
    /// The ids as written, each with its place.
    pub ids: Vec<(String, Span)>,
    /// The comment itself.
    pub span: Span,
    pub scope: Scope,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Scope {
    File,
    /// Findings that start inside this byte range.
    Range(Span),
}

impl Directive {
    pub fn covers(&self, at: usize) -> bool {
        match self.scope {
            Scope::File => true,
            Scope::Range(r) => r.start <= at && at < r.end.max(r.start + 1),
        }
    }
}

const MARKER: &str = "firedrill";

/// Every suppression comment of a file, with what it covers.
pub fn directives(file: &RuleFile) -> Vec<Directive> {
    let text = &file.source.text;
    if !text.contains(MARKER) {
        return Vec::new();
    }
    let mut out = Vec::new();
    let mut offset = 0;
    let lines: Vec<&str> = text.split_inclusive('\n').collect();
    let mut line_starts = Vec::with_capacity(lines.len());
    for line in &lines {
        line_starts.push(offset);
        offset += line.len();
    }
    for (index, line) in lines.iter().enumerate() {
        let Some((hash, file_wide, ids)) = parse_comment(line) else {
            continue;
        };
        let start = line_starts[index];
        let span = Span::new(start + hash, start + line.trim_end().len());
        let ids = ids
            .into_iter()
            .map(|(id, s, e)| (id, Span::new(start + s, start + e)))
            .collect();
        let scope = if file_wide {
            Scope::File
        } else {
            let own_line = line[..hash].trim().is_empty();
            let target = if own_line {
                // The next line that is neither blank nor only a comment.
                (index + 1..lines.len()).find(|&i| {
                    let t = lines[i].trim();
                    !t.is_empty() && !t.starts_with('#')
                })
            } else {
                Some(index)
            };
            match target {
                Some(i) => Scope::Range(covered(file, line_starts[i], lines[i].len())),
                None => Scope::Range(Span::empty(start)),
            }
        };
        out.push(Directive { ids, span, scope });
    }
    out
}

/// What a suppression aimed at the line starting at `line_start` covers:
/// the rule that line belongs to, else the group, else the line itself.
fn covered(file: &RuleFile, line_start: usize, line_len: usize) -> Span {
    let line_end = line_start + line_len;
    let touches = |s: Span| s.start < line_end && line_start < s.end.max(s.start + 1);
    let mut group_span = None;
    for group in file.documents.iter().flat_map(|d| &d.groups) {
        for rule in &group.rules {
            let span = Span::new(rule.head.start.min(rule.span.start), rule.span.end);
            if touches(span) {
                return Span::new(line_start.min(span.start), span.end);
            }
        }
        if touches(group.span) {
            group_span = Some(Span::new(line_start.min(group.span.start), group.span.end));
        }
    }
    group_span.unwrap_or(Span::new(line_start, line_end))
}

/// Finds `# firedrill disable=a,b` or `# firedrill disable-file=a` in a line:
/// the offset of the `#`, whether it is file-wide, and the ids with their
/// ranges in the line.
fn parse_comment(line: &str) -> Option<(usize, bool, Vec<IdAt>)> {
    let mut search = 0;
    while let Some(found) = line[search..].find('#') {
        let hash = search + found;
        search = hash + 1;
        // A YAML comment starts a line or follows whitespace.
        if hash > 0 && !line[..hash].ends_with([' ', '\t']) {
            continue;
        }
        let rest = line[hash + 1..].trim_start();
        let Some(rest) = rest.strip_prefix(MARKER) else {
            continue;
        };
        let after_marker = rest.trim_start();
        let (file_wide, rest) = if let Some(r) = after_marker.strip_prefix("disable-file") {
            (true, r)
        } else if let Some(r) = after_marker.strip_prefix("disable") {
            (false, r)
        } else {
            continue;
        };
        let Some(list) = rest.trim_start().strip_prefix('=') else {
            continue;
        };
        let list_at = line.len() - list.len();
        return Some((hash, file_wide, ids(list, list_at)));
    }
    None
}

/// An id and its byte range in the line.
type IdAt = (String, usize, usize);

/// Reads `a, b/c ,d reason text`: ids separated by commas; the first
/// whitespace not next to a comma ends the list.
fn ids(list: &str, at: usize) -> Vec<IdAt> {
    let bytes = list.as_bytes();
    let is_id = |b: u8| b.is_ascii_alphanumeric() || matches!(b, b'/' | b'-' | b'_' | b'.' | b'*');
    let mut out = Vec::new();
    let mut i = 0;
    loop {
        while i < bytes.len() && matches!(bytes[i], b' ' | b'\t') {
            i += 1;
        }
        let start = i;
        while i < bytes.len() && is_id(bytes[i]) {
            i += 1;
        }
        if i > start {
            out.push((list[start..i].to_string(), at + start, at + i));
        }
        let mut j = i;
        while j < bytes.len() && matches!(bytes[j], b' ' | b'\t') {
            j += 1;
        }
        if j < bytes.len() && bytes[j] == b',' {
            i = j + 1;
            continue;
        }
        return out;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::testing::load_text;

    /// Each directive's ids and the first and last line it covers (`None`: the file).
    type Covered = (Vec<String>, Option<(usize, usize)>);

    fn scopes(text: &str) -> Vec<Covered> {
        let file = load_text(text);
        directives(&file)
            .into_iter()
            .map(|d| {
                let lines = match d.scope {
                    Scope::File => None,
                    Scope::Range(r) => Some((
                        file.source.line_col(r.start).line,
                        file.source.line_col(r.end.saturating_sub(1)).line,
                    )),
                };
                (d.ids.into_iter().map(|(id, _)| id).collect(), lines)
            })
            .collect()
    }

    #[test]
    fn a_comment_above_a_rule_covers_that_rule() {
        let text = "groups:\n- name: g\n  rules:\n  # firedrill disable=alert/labels, alert/for because heartbeat\n  # another comment\n  - alert: A\n    expr: vector(1)\n  - alert: B\n    expr: up == 0\n";
        assert_eq!(
            scopes(text),
            [(
                vec!["alert/labels".to_string(), "alert/for".to_string()],
                Some((6, 7))
            )]
        );
    }

    #[test]
    fn a_trailing_comment_covers_its_rule_and_file_comments_the_file() {
        let text = "# firedrill disable-file=rule/name\ngroups:\n- name: g\n  rules:\n  - alert: A\n    expr: up == 0\n  - alert: B   # firedrill disable=alert\n    expr: up == 0\n";
        assert_eq!(
            scopes(text),
            [
                (vec!["rule/name".to_string()], None),
                (vec!["alert".to_string()], Some((7, 8)))
            ]
        );
    }

    #[test]
    fn a_comment_above_a_group_covers_the_group() {
        let text = "groups:\n# firedrill disable=group/interval\n- name: g\n  interval: 10m\n  rules:\n  - alert: A\n    expr: up == 0\n";
        assert_eq!(
            scopes(text),
            [(vec!["group/interval".to_string()], Some((3, 7)))]
        );
    }

    #[test]
    fn text_that_only_mentions_firedrill_is_not_a_directive() {
        let text = "groups:\n- name: g\n  rules:\n  - alert: A\n    expr: up == 0\n    annotations:\n      summary: \"see firedrill#disable=x\"\n";
        assert!(scopes(text).is_empty());
    }
}
