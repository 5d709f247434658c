//! The text handed to promql-parser, where it differs from the rule's own:
//! Prometheus 3 syntax the parser does not read yet (duration expressions,
//! `anchored`/`smoothed`, `offset 0s`) is rewritten into what it means, and
//! every position the parser reports is mapped back to the rule's text.
//! The rule's own text, which is what a replay sends to a server, is never
//! rewritten.

/// Replace `text[start..end]` with `with`.
#[derive(Debug, Clone, PartialEq)]
pub struct Edit {
    pub start: usize,
    pub end: usize,
    pub with: String,
}

impl Edit {
    pub fn new(start: usize, end: usize, with: impl Into<String>) -> Edit {
        Edit {
            start,
            end,
            with: with.into(),
        }
    }

    /// Spaces over `text[start..end]`: PromQL reads them as nothing.
    pub fn blank(start: usize, end: usize) -> Edit {
        Edit::new(start, end, "")
    }
}

/// A rewritten text and where its pieces came from.
#[derive(Debug, Clone, PartialEq)]
pub struct Rewritten {
    pub text: String,
    /// (start, end in the original, start, end in the rewritten text), in order.
    replaced: Vec<(usize, usize, usize, usize)>,
}

impl Rewritten {
    /// The original byte offset of byte `at` of the rewritten text.
    pub fn original(&self, at: usize) -> usize {
        let mut shift: isize = 0;
        for &(o_start, o_end, f_start, f_end) in &self.replaced {
            if at < f_start {
                break;
            }
            if at < f_end {
                return o_start + (at - f_start).min(o_end - o_start);
            }
            shift = o_end as isize - f_end as isize;
        }
        (at as isize + shift).max(0) as usize
    }
}

/// Applies `edits` (any order; overlapping ones after the first are
/// dropped). A replacement shorter than what it replaces is padded with
/// spaces, so every later position stays where it was.
pub fn apply(text: &str, mut edits: Vec<Edit>) -> Rewritten {
    edits.sort_by_key(|e| (e.start, e.end));
    let mut out = String::with_capacity(text.len());
    let mut replaced = Vec::new();
    let mut from = 0;
    for edit in edits {
        if edit.start < from {
            continue;
        }
        out.push_str(&text[from..edit.start]);
        let f_start = out.len();
        out.push_str(&edit.with);
        while out.len() - f_start < edit.end - edit.start {
            out.push(' ');
        }
        replaced.push((edit.start, edit.end, f_start, out.len()));
        from = edit.end;
    }
    out.push_str(&text[from..]);
    Rewritten {
        text: out,
        replaced,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shorter_replacements_keep_positions_longer_ones_map_back() {
        let text = "rate(x[1h/8]) + y{";
        let r = apply(text, vec![Edit::new(7, 11, "7m30s")]);
        assert_eq!(r.text, "rate(x[7m30s]) + y{");
        let brace = r.text.find('{').unwrap();
        assert_eq!(r.original(brace), text.find('{').unwrap());
        assert_eq!(r.original(9), 9);
        let r = apply("x[5m] anchored + y", vec![Edit::blank(6, 14)]);
        assert_eq!(r.text, "x[5m]          + y");
        assert_eq!(r.original(15), 15);
    }
}
