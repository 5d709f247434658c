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

/// saphyr-parser's message for a continuation line indented too little.
pub const QUOTED_INDENTATION: &str = "invalid indentation in quoted scalar";

/// How many quoted scalars one file may have re-indented before we stop
/// trying (each needs one more parse).
pub const MAX_RELAXED: usize = 2_000;

/// Text with spaces inserted at line starts, and where they went.
#[derive(Debug, Clone, Default)]
pub struct Relaxed {
    pub text: String,
    /// (byte offset in the original text, spaces inserted there), sorted.
    inserted: Vec<(usize, usize)>,
}

impl Relaxed {
    pub fn new(original: &str) -> Self {
        Relaxed {
            text: original.to_string(),
            inserted: Vec::new(),
        }
    }

    /// The byte offset in the original text of `at`, a byte offset in the
    /// relaxed one (inserted spaces map to the place they were inserted).
    pub fn original(&self, at: usize) -> usize {
        let mut shift = 0;
        for &(orig, n) in &self.inserted {
            let relaxed_start = orig + shift;
            if at < relaxed_start {
                break;
            }
            if at < relaxed_start + n {
                return orig;
            }
            shift += n;
        }
        at - shift
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
                    let done = self.inserted.iter().any(|(at, _)| *at == start);
                    if !blank_line && !marker && blanks < column && !done {
                        added.push((start, column - blanks));
                    }
                }
                _ => i += 1,
            }
        }
        if added.is_empty() {
            return false;
        }
        self.inserted.extend(added);
        self.inserted.sort_unstable();
        self.rebuild(original);
        true
    }

    fn rebuild(&mut self, original: &str) {
        let extra: usize = self.inserted.iter().map(|(_, n)| n).sum();
        let mut text = String::with_capacity(original.len() + extra);
        let mut from = 0;
        for &(at, n) in &self.inserted {
            text.push_str(&original[from..at]);
            text.extend(std::iter::repeat_n(' ', n));
            from = at;
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
    fn a_document_marker_at_column_0_stays_for_the_parser() {
        let text = "a: \"one\n---\ntwo\"\n";
        let mut r = Relaxed::new(text);
        assert!(r.relax_at(text, text.find('"').unwrap()));
        assert_eq!(r.text, "a: \"one\n---\n   two\"\n");
    }
}
