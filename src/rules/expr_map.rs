//! Maps byte offsets in a scalar's value back to the file.
//!
//! YAML changes text on the way in: block scalars lose their indentation,
//! folded and plain scalars turn line breaks into spaces, quoted scalars
//! lose quotes and escapes. We align the value with the raw bytes greedily:
//! each visible character is found at or after the previous one's place, and
//! whitespace stays where the last match left off. The map is monotone, so a
//! span in the value is always a valid span in the file.

use crate::rules::model::Text;
use crate::yaml::Style;

/// How far ahead to look for a character before assuming it came from an
/// escape sequence (`\u00e9`) and leaving the cursor where it is.
const SEARCH_WINDOW: usize = 256;

pub fn offsets_for(file: &str, text: &Text) -> Vec<usize> {
    let start = text.span.start.min(file.len());
    let end = text.span.end.clamp(start, file.len());
    let raw = &file[start..end];
    let mut cursor = match text.style {
        Style::SingleQuoted | Style::DoubleQuoted => 1.min(raw.len()),
        _ => 0,
    };
    let value = &text.value;
    let mut offsets = vec![0usize; value.len() + 1];
    for (i, c) in value.char_indices() {
        let at = if c.is_whitespace() {
            let at = cursor;
            if let Some(rc) = raw[cursor..].chars().next() {
                if rc.is_whitespace() {
                    cursor += rc.len_utf8();
                }
            }
            at
        } else {
            let window_end = floor_boundary(raw, (cursor + SEARCH_WINDOW).min(raw.len()));
            match raw[cursor..window_end].find(c) {
                Some(found) => {
                    let at = cursor + found;
                    cursor = at + c.len_utf8();
                    at
                }
                None => cursor,
            }
        };
        for k in 0..c.len_utf8() {
            offsets[i + k] = start + (at + k).min(raw.len());
        }
    }
    offsets[value.len()] = start + cursor.min(raw.len());
    offsets
}

fn floor_boundary(s: &str, mut i: usize) -> usize {
    while !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::Span;
    use crate::yaml::parse_stream;

    /// The file text under the value's bytes `[a, b)`.
    fn mapped<'a>(file: &'a str, key: &str, a: usize, b: usize) -> &'a str {
        let stream = parse_stream(file);
        let node = stream.documents[0].root.get(key).unwrap().clone();
        let s = node.as_scalar().unwrap();
        let text = Text {
            value: s.text.clone(),
            span: node.span,
            style: s.style,
        };
        let offsets = offsets_for(file, &text);
        &file[offsets[a]..offsets[b - 1] + 1]
    }

    #[test]
    fn literal_block_lines_map_to_their_own_lines() {
        let file = "expr: |\n  sum(x)\n    > bogus\n";
        // value = "sum(x)\n  > bogus\n"; "bogus" starts at byte 11.
        assert_eq!(mapped(file, "expr", 11, 16), "bogus");
        let at = file.find("bogus").unwrap();
        let stream = parse_stream(file);
        assert!(stream.documents[0].root.get("expr").unwrap().span.end >= at);
    }

    #[test]
    fn folded_and_plain_multiline_map_after_the_fold() {
        let file = "expr: >-\n  up\n  == 0\n";
        assert_eq!(mapped(file, "expr", 3, 5), "==");
        let file = "expr: up\n  == bad\n";
        assert_eq!(mapped(file, "expr", 6, 9), "bad");
    }

    #[test]
    fn quoted_scalars_skip_quotes_and_escapes() {
        let file = "expr: \"up{job=\\\"a\\\"} == x\"\n";
        // value = up{job="a"} == x ; x at 15
        assert_eq!(mapped(file, "expr", 15, 16), "x");
        let file = "expr: 'it''s x'\n";
        assert_eq!(mapped(file, "expr", 5, 6), "x");
    }

    #[test]
    fn crlf_and_tabs_keep_positions() {
        let file = "expr: |\r\n  a\tb\r\n  c\r\n";
        assert_eq!(mapped(file, "expr", 4, 5), "c");
        let _ = Span::default();
    }
}
