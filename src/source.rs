//! Source text of one input and the mapping between byte offsets and the
//! line:column positions users see.

use std::sync::Arc;

/// One input: a file on disk or standard input.
#[derive(Debug)]
pub struct SourceFile {
    /// The name shown in messages: the path as given, or `<stdin>`.
    pub name: String,
    /// The text. Invalid UTF-8 is replaced (the loader reports it first).
    pub text: String,
    line_starts: Vec<usize>,
}

/// A shared handle: diagnostics keep their file alive without copying text.
pub type Source = Arc<SourceFile>;

/// A 1-based line and a 1-based column counted in characters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct LineCol {
    pub line: usize,
    pub column: usize,
}

/// A byte range `[start, end)` in a [`SourceFile`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Hash, PartialOrd, Ord)]
pub struct Span {
    pub start: usize,
    pub end: usize,
}

impl Span {
    pub fn new(start: usize, end: usize) -> Self {
        Span {
            start,
            end: end.max(start),
        }
    }
    pub fn empty(at: usize) -> Self {
        Span { start: at, end: at }
    }
    pub fn len(&self) -> usize {
        self.end - self.start
    }
    pub fn is_empty(&self) -> bool {
        self.start == self.end
    }
}

impl SourceFile {
    pub fn new(name: impl Into<String>, text: String) -> Self {
        let mut line_starts = vec![0];
        line_starts.extend(
            text.bytes()
                .enumerate()
                .filter(|&(_, b)| b == b'\n')
                .map(|(i, _)| i + 1),
        );
        SourceFile {
            name: name.into(),
            text,
            line_starts,
        }
    }

    /// Line and column of a byte offset (clamped to the text, and to a char boundary).
    pub fn line_col(&self, offset: usize) -> LineCol {
        let mut offset = offset.min(self.text.len());
        while !self.text.is_char_boundary(offset) {
            offset -= 1;
        }
        let line_index = match self.line_starts.binary_search(&offset) {
            Ok(i) => i,
            Err(i) => i - 1,
        };
        let line_start = self.line_starts[line_index];
        let column = self.text[line_start..offset].chars().count() + 1;
        LineCol {
            line: line_index + 1,
            column,
        }
    }

    /// Byte offset of the start of a 1-based line.
    pub fn line_start(&self, line: usize) -> Option<usize> {
        self.line_starts.get(line.checked_sub(1)?).copied()
    }

    pub fn line_count(&self) -> usize {
        self.line_starts.len()
    }
}

/// Converts character indices (what the YAML scanner counts) to byte offsets.
///
/// Checkpoints every 64 characters keep this O(1)-ish without a table the
/// size of the input; ASCII text needs no table at all.
pub(crate) struct CharToByte<'a> {
    text: &'a str,
    checkpoints: Option<Vec<usize>>,
}

const CHECKPOINT_EVERY: usize = 64;

impl<'a> CharToByte<'a> {
    pub(crate) fn new(text: &'a str) -> Self {
        let checkpoints = if text.is_ascii() {
            None
        } else {
            let mut points = Vec::with_capacity(text.len() / CHECKPOINT_EVERY + 1);
            for (n, (byte, _)) in text.char_indices().enumerate() {
                if n % CHECKPOINT_EVERY == 0 {
                    points.push(byte);
                }
            }
            Some(points)
        };
        CharToByte { text, checkpoints }
    }

    pub(crate) fn byte(&self, char_index: usize) -> usize {
        match &self.checkpoints {
            None => char_index.min(self.text.len()),
            Some(points) => {
                let slot = char_index / CHECKPOINT_EVERY;
                let Some(&base) = points.get(slot) else {
                    return self.text.len();
                };
                let rest = char_index % CHECKPOINT_EVERY;
                self.text[base..]
                    .char_indices()
                    .nth(rest)
                    .map_or(self.text.len(), |(b, _)| base + b)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_col_counts_characters_not_bytes() {
        let src = SourceFile::new("t", "ab\nκλμ x\r\nz".to_string());
        assert_eq!(src.line_col(0), LineCol { line: 1, column: 1 });
        assert_eq!(src.line_col(3), LineCol { line: 2, column: 1 });
        // 'x' is after three 2-byte letters and a space.
        assert_eq!(src.line_col(3 + 7), LineCol { line: 2, column: 5 });
        assert_eq!(
            src.line_col(src.text.len() - 1),
            LineCol { line: 3, column: 1 }
        );
    }

    #[test]
    fn char_to_byte_matches_char_indices() {
        let text: String = (0..500)
            .map(|i| if i % 7 == 0 { 'é' } else { 'a' })
            .collect();
        let map = CharToByte::new(&text);
        for (n, (byte, _)) in text.char_indices().enumerate() {
            assert_eq!(map.byte(n), byte);
        }
        assert_eq!(map.byte(10_000), text.len());
    }
}
