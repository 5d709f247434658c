//! A light PromQL tokenizer, used only to point at places in an expression.
//! It never fails: anything it does not know becomes an `Unknown` token.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenKind {
    /// Metric names, label names, functions and keywords.
    Identifier,
    /// Numbers and durations (`5m`, `0x1f`, `1e3`).
    Number,
    String,
    /// A string whose closing quote is missing.
    UnterminatedString,
    Operator,
    LeftParen,
    RightParen,
    LeftBrace,
    RightBrace,
    LeftBracket,
    RightBracket,
    Comma,
    Colon,
    At,
    Comment,
    Unknown,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Token {
    pub kind: TokenKind,
    pub start: usize,
    pub end: usize,
}

impl Token {
    pub fn text<'a>(&self, source: &'a str) -> &'a str {
        &source[self.start..self.end]
    }
}

/// The words that open a list of label names in parentheses:
/// `sum by (job)`, `a / on (job) group_left (team) b`.
pub const GROUPING_KEYWORDS: &[&str] = &[
    "by",
    "without",
    "on",
    "ignoring",
    "group_left",
    "group_right",
];

/// Splits `text` into tokens, skipping whitespace.
pub fn tokenize(text: &str) -> Vec<Token> {
    let bytes = text.as_bytes();
    let mut tokens = Vec::new();
    let mut i = 0;
    // Inside `[...]` a colon separates a subquery's range from its step;
    // outside, it begins a metric name (`:node_memory:sum`), as in
    // Prometheus's lexer (promql/parser/lex.go, lexStatements).
    let mut brackets = 0usize;
    while i < bytes.len() {
        let c = bytes[i];
        let start = i;
        let kind = match c {
            b' ' | b'\t' | b'\n' | b'\r' => {
                i += 1;
                continue;
            }
            b'#' => {
                while i < bytes.len() && bytes[i] != b'\n' {
                    i += 1;
                }
                TokenKind::Comment
            }
            b'"' | b'\'' | b'`' => {
                i += 1;
                let mut closed = false;
                while i < bytes.len() {
                    if bytes[i] == b'\\' && c != b'`' {
                        i += 2;
                        continue;
                    }
                    if bytes[i] == c {
                        i += 1;
                        closed = true;
                        break;
                    }
                    if bytes[i] == b'\n' && c != b'`' {
                        break;
                    }
                    i += 1;
                }
                i = i.min(bytes.len());
                if closed {
                    TokenKind::String
                } else {
                    TokenKind::UnterminatedString
                }
            }
            b'0'..=b'9' | b'.' => {
                while i < bytes.len()
                    && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'.' || bytes[i] == b'_')
                {
                    // An exponent sign belongs to the number: 1e-3.
                    if (bytes[i] == b'e' || bytes[i] == b'E')
                        && i + 1 < bytes.len()
                        && (bytes[i + 1] == b'-' || bytes[i + 1] == b'+')
                        && !text[start..i].starts_with("0x")
                    {
                        i += 1;
                    }
                    i += 1;
                }
                TokenKind::Number
            }
            c if c.is_ascii_alphabetic()
                || c == b'_'
                || (c == b':'
                    && brackets == 0
                    && bytes
                        .get(i + 1)
                        .is_some_and(|&n| n.is_ascii_alphanumeric() || n == b'_' || n == b':')) =>
            {
                while i < bytes.len()
                    && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'_' || bytes[i] == b':')
                {
                    i += 1;
                }
                TokenKind::Identifier
            }
            b'(' => single(&mut i, TokenKind::LeftParen),
            b')' => single(&mut i, TokenKind::RightParen),
            b'{' => single(&mut i, TokenKind::LeftBrace),
            b'}' => single(&mut i, TokenKind::RightBrace),
            b'[' => {
                brackets += 1;
                single(&mut i, TokenKind::LeftBracket)
            }
            b']' => {
                brackets = brackets.saturating_sub(1);
                single(&mut i, TokenKind::RightBracket)
            }
            b',' => single(&mut i, TokenKind::Comma),
            b':' => single(&mut i, TokenKind::Colon),
            b'@' => single(&mut i, TokenKind::At),
            b'=' | b'!' | b'<' | b'>' => {
                i += 1;
                if i < bytes.len() && (bytes[i] == b'=' || bytes[i] == b'~') {
                    i += 1;
                }
                TokenKind::Operator
            }
            b'+' | b'-' | b'*' | b'/' | b'%' | b'^' => single(&mut i, TokenKind::Operator),
            _ => {
                // Step over one whole character, never into the middle of one.
                i += text[i..].chars().next().map_or(1, char::len_utf8);
                TokenKind::Unknown
            }
        };
        tokens.push(Token {
            kind,
            start,
            end: i,
        });
    }
    tokens
}

/// The value of a PromQL string token: quotes removed, Go escapes read.
pub fn string_value(raw: &str) -> Option<String> {
    let quote = raw.chars().next()?;
    let inner = raw.get(1..raw.len().checked_sub(1)?)?;
    if quote == '`' {
        return Some(inner.to_string());
    }
    let mut out = String::with_capacity(inner.len());
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next()? {
            'n' => out.push('\n'),
            't' => out.push('\t'),
            'r' => out.push('\r'),
            other => out.push(other),
        }
    }
    Some(out)
}

/// `value` as a double-quoted PromQL string.
pub fn quoted(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 2);
    out.push('"');
    for c in value.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn single(i: &mut usize, kind: TokenKind) -> TokenKind {
    *i += 1;
    kind
}

/// Words that join or modify expressions rather than stand as operands.
pub fn is_keyword(word: &str) -> bool {
    matches!(
        word.to_ascii_lowercase().as_str(),
        "and"
            | "or"
            | "unless"
            | "atan2"
            | "by"
            | "without"
            | "on"
            | "ignoring"
            | "group_left"
            | "group_right"
            | "offset"
            | "bool"
            | "start"
            | "end"
            | "fill"
            | "fill_left"
            | "fill_right"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_a_rule_expression() {
        let text = "sum by (job) (rate(x_total{a=~\"b.*\"}[5m])) >= 1e-3 # note";
        let kinds: Vec<_> = tokenize(text).iter().map(|t| t.kind).collect();
        assert_eq!(kinds.first(), Some(&TokenKind::Identifier));
        assert!(kinds.contains(&TokenKind::String));
        assert_eq!(kinds.last(), Some(&TokenKind::Comment));
        let number = tokenize(text).into_iter().find(|t| t.text(text) == "1e-3");
        assert!(number.is_some());
    }

    #[test]
    fn a_colon_outside_brackets_begins_a_metric_name() {
        let text = ":capacity:ratio{job=\"a\"}[5m:1m] < 0.1";
        let tokens = tokenize(text);
        assert_eq!(tokens[0].kind, TokenKind::Identifier);
        assert_eq!(tokens[0].text(text), ":capacity:ratio");
        // In a subquery's brackets it is the separator.
        let colon = tokens.iter().filter(|t| t.kind == TokenKind::Colon).count();
        assert_eq!(colon, 1);
    }

    #[test]
    fn never_splits_a_character() {
        for t in tokenize("up{a=\"κ\"} ≥ 1") {
            assert!(t.start <= t.end);
        }
    }
}
