//! Where go-yaml (and so Prometheus) is more lenient than the YAML spec and
//! `saphyr-parser`, and how we read such text as go-yaml does.
//!
//! A quoted scalar's continuation lines: the spec wants them indented deeper
//! than the enclosing block; go-yaml's scanner (`yaml_parser_scan_flow_scalar`)
//! checks only for a document marker (`---`, `...`) at column 0 and for the
//! end of input, so
//!
//! ```yaml
//!   description: "first line,
//!   continued at the key's indentation"
//! ```
//!
//! loads in Prometheus. A quoted scalar's line breaks fold and the leading
//! blanks of its continuation lines are dropped, so indenting those lines
//! further changes no value: we insert spaces there, parse, and map every
//! position back to the text as written.
//!
//! And `\'` in a double-quoted scalar: not a YAML escape, but go-yaml's
//! scanner (`yaml_parser_scan_flow_scalar`) reads it as `'`, so Kubernetes
//! and Prometheus load `description: "it\'s down"`. We write it `\x27`,
//! the same character, and map positions back.

/// saphyr-parser's message for an escape it does not know (in part).
pub const UNKNOWN_ESCAPE: &str = "found unknown escape character";

/// saphyr-parser's message for a continuation line indented too little.
pub const QUOTED_INDENTATION: &str = "invalid indentation in quoted scalar";

/// How many quoted scalars one file may have re-indented before we stop
/// trying (each needs one more parse).
pub const MAX_RELAXED: usize = 2_000;

/// Text with spaces inserted at line starts and `\'` escapes rewritten, and
/// where each edit went.
#[derive(Debug, Clone, Default)]
pub struct Relaxed {
    pub text: String,
    /// (byte offset in the original text, bytes of it replaced, what
    /// replaces them), sorted by offset.
    edits: Vec<(usize, usize, String)>,
}

impl Relaxed {
    pub fn new(original: &str) -> Self {
        Relaxed {
            text: original.to_string(),
            edits: Vec::new(),
        }
    }

    /// The byte offset in the original text of `at`, a byte offset in the
    /// relaxed one (inserted spaces map to the place they were inserted).
    pub fn original(&self, at: usize) -> usize {
        // Relaxed offset minus original offset, after the edits passed.
        let mut shift: isize = 0;
        for (orig, removed, inserted) in &self.edits {
            let relaxed_start = orig.saturating_add_signed(shift);
            if at < relaxed_start {
                break;
            }
            if at < relaxed_start + inserted.len() {
                return *orig;
            }
            shift += inserted.len() as isize - *removed as isize;
        }
        at.saturating_add_signed(-shift)
    }

    /// Rewrites each `\'` of the double-quoted scalar whose opening quote is
    /// at `quote` as `\x27`. Returns false when there is none to rewrite.
    pub fn escape_quotes_at(&mut self, original: &str, quote: usize) -> bool {
        let bytes = original.as_bytes();
        if bytes.get(quote) != Some(&b'"') {
            return false;
        }
        let mut added = Vec::new();
        let mut i = quote + 1;
        while i < bytes.len() {
            match bytes[i] {
                b'\\' => {
                    if bytes.get(i + 1) == Some(&b'\'') && !self.edits.iter().any(|e| e.0 == i) {
                        added.push((i, 2, "\\x27".to_string()));
                    }
                    i += 2;
                }
                b'"' => break,
                _ => i += 1,
            }
        }
        if added.is_empty() {
            return false;
        }
        self.edits.extend(added);
        self.edits.sort_unstable();
        self.rebuild(original);
        true
    }

    /// Re-indents the continuation lines of the quoted scalar whose opening
    /// quote is at `quote` (a byte offset in the original text) to the
    /// quote's column. Returns false when there is nothing to do (the scalar
    /// is not one we can relax, or the limit is reached).
    pub fn relax_at(&mut self, original: &str, quote: usize) -> bool {
        let bytes = original.as_bytes();
        let Some(&q) = bytes.get(quote) else {
            return false;
        };
        if q != b'"' && q != b'\'' {
            return false;
        }
        let line_start = original[..quote].rfind('\n').map_or(0, |i| i + 1);
        let column = original[line_start..quote].chars().count();
        let mut added = Vec::new();
        let mut i = quote + 1;
        while i < bytes.len() {
            match bytes[i] {
                b'\\' if q == b'"' => i += 2,
                b'\'' if q == b'\'' && bytes.get(i + 1) == Some(&b'\'') => i += 2,
                c if c == q => break,
                b'\n' => {
                    i += 1;
                    let start = i;
                    let blanks = bytes[start..]
                        .iter()
                        .take_while(|b| **b == b' ' || **b == b'\t')
                        .count();
                    let rest = &original[start + blanks..];
                    let blank_line = rest.starts_with('\n') || rest.starts_with("\r\n");
                    // go-yaml refuses a document marker at column 0 inside a
                    // quoted scalar, as the spec does: leave it for the parser.
                    let marker = blanks == 0 && (is_marker(rest, "---") || is_marker(rest, "..."));
                    let done = self.edits.iter().any(|e| e.0 == start);
                    if !blank_line && !marker && blanks < column && !done {
                        added.push((start, 0, " ".repeat(column - blanks)));
                    }
                }
                _ => i += 1,
            }
        }
        if added.is_empty() {
            return false;
        }
        self.edits.extend(added);
        self.edits.sort_unstable();
        self.rebuild(original);
        true
    }

    fn rebuild(&mut self, original: &str) {
        let extra: usize = self.edits.iter().map(|e| e.2.len()).sum();
        let mut text = String::with_capacity(original.len() + extra);
        let mut from = 0;
        for (at, removed, inserted) in &self.edits {
            text.push_str(&original[from..*at]);
            text.push_str(inserted);
            from = at + removed;
        }
        text.push_str(&original[from..]);
        self.text = text;
    }
}

fn is_marker(rest: &str, marker: &str) -> bool {
    rest.strip_prefix(marker)
        .is_some_and(|after| after.is_empty() || after.starts_with([' ', '\t', '\n', '\r']))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn continuation_lines_move_to_the_quote_and_positions_map_back() {
        let text = "a:\n  b: \"one,\n  two\"\nc: 'x\ny'\n";
        let mut r = Relaxed::new(text);
        let quote = text.find('"').unwrap();
        assert!(r.relax_at(text, quote));
        assert_eq!(r.text, "a:\n  b: \"one,\n     two\"\nc: 'x\ny'\n");
        // `two` in the relaxed text is where it was written.
        let two = r.text.find("two").unwrap();
        assert_eq!(r.original(two), text.find("two").unwrap());
        // The blanks as written map to themselves, inserted ones to the line start.
        let line = text.find("  two").unwrap();
        assert_eq!(r.original(two - 1), line + 1);
        assert_eq!(r.original(two - 5), line);
        let single = text.find('\'').unwrap();
        assert!(r.relax_at(text, single));
        assert!(r.text.ends_with("c: 'x\n   y'\n"), "{:?}", r.text);
        assert_eq!(r.original(r.text.len()), text.len());
    }

    #[test]
    fn a_backslash_quote_is_read_as_go_yaml_reads_it() {
        let text = "a: \"it\\'s \\\\' ok\"\nb: x\n";
        let mut r = Relaxed::new(text);
        assert!(r.escape_quotes_at(text, text.find('"').unwrap()));
        // `\\'` is an escaped backslash and a quote, left as it is.
        assert_eq!(r.text, "a: \"it\\x27s \\\\' ok\"\nb: x\n");
        let b = r.text.find("b:").unwrap();
        assert_eq!(r.original(b), text.find("b:").unwrap());
        let inside = r.text.find("x27").unwrap();
        assert_eq!(r.original(inside), text.find('\\').unwrap());
        let stream = crate::yaml::parse_stream(text);
        assert!(stream.error.is_none(), "{:?}", stream.error);
        let a = stream.documents[0].root.get("a").unwrap();
        assert_eq!(a.as_str(), Some("it's \\' ok"));
        assert_eq!(a.span.start, 3);
    }

    #[test]
    fn a_document_marker_at_column_0_stays_for_the_parser() {
        let text = "a: \"one\n---\ntwo\"\n";
        let mut r = Relaxed::new(text);
        assert!(r.relax_at(text, text.find('"').unwrap()));
        assert_eq!(r.text, "a: \"one\n---\n   two\"\n");
    }
}
