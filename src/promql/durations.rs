//! Duration expressions, on by default since Prometheus 3.14
//! (`rate(x[5m * 2])`, `x offset (1h + 5m)`, `[29s+1s:20*500ms]`,
//! `offset -(20 * 2s)`), which promql-parser does not read yet. Where such an
//! expression is constant we fold it to the duration it means, in place
//! (padded with spaces, which PromQL allows there, so every other position
//! stays where it was), and parse that. The semantics are Prometheus's
//! (`promql/parser/generated_parser.y`, `promql/promqltest/testdata/duration_expression.test`):
//! a number without a unit is seconds; `+ - * / % ^` with the usual
//! precedence, `^` right-associative and binding tighter than unary minus
//! (`-2 ^ 2` is -4); `offset` takes a parenthesized expression, or
//! `-` before one, while `x offset 100 + 2` stays `(x offset 100) + 2`.
//! `step()` depends on the query, so expressions with it are left alone.
//!
//! Only the text handed to the parser changes: the rule's own text, which is
//! what a replay sends to a server, is never rewritten.

use super::tokens::{tokenize, Token, TokenKind};

/// `text` with its constant duration expressions folded, and where.
#[derive(Debug, Clone, PartialEq)]
pub struct Folded {
    pub text: String,
    /// (start, end in the original, start, end in the folded text), in order.
    replaced: Vec<(usize, usize, usize, usize)>,
}

impl Folded {
    /// The original byte offset of byte `at` of the folded text.
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

/// Folds the constant duration expressions of `text`; `None` when there are none.
pub fn fold(text: &str) -> Option<Folded> {
    if !might_fold(text) {
        return None;
    }
    let tokens: Vec<Token> = tokenize(text)
        .into_iter()
        .filter(|t| t.kind != TokenKind::Comment)
        .collect();
    let mut edits: Vec<(usize, usize, String)> = Vec::new();
    let mut i = 0;
    while i < tokens.len() {
        let t = tokens[i];
        if t.kind == TokenKind::LeftBracket {
            // `[range]` or `[range:step]`: each part up to `:` or `]`.
            let mut j = i + 1;
            let mut part_start = j;
            let mut depth = 0usize;
            while j < tokens.len() {
                let k = tokens[j].kind;
                match k {
                    TokenKind::LeftParen => depth += 1,
                    TokenKind::RightParen => depth = depth.saturating_sub(1),
                    TokenKind::Colon | TokenKind::RightBracket if depth == 0 => {
                        if let Some(edit) = fold_part(text, &tokens[part_start..j], true) {
                            edits.push(edit);
                        }
                        if k == TokenKind::RightBracket {
                            break;
                        }
                        part_start = j + 1;
                    }
                    TokenKind::LeftBracket => break,
                    _ => {}
                }
                j += 1;
            }
            i = j.max(i + 1);
            continue;
        }
        if t.kind == TokenKind::Identifier && t.text(text).eq_ignore_ascii_case("offset") {
            // `offset (expr)` or `offset -(expr)`: the parenthesized operand.
            let mut j = i + 1;
            if tokens.get(j).is_some_and(|t| t.text(text) == "-") {
                j += 1;
            }
            if tokens
                .get(j)
                .is_some_and(|t| t.kind == TokenKind::LeftParen)
            {
                if let Some(close) = matching_paren(&tokens, j) {
                    if let Some(edit) = fold_part(text, &tokens[i + 1..=close], false) {
                        edits.push(edit);
                    }
                    i = close + 1;
                    continue;
                }
            }
        }
        i += 1;
    }
    if edits.is_empty() {
        return None;
    }
    let mut out = String::with_capacity(text.len());
    let mut replaced = Vec::new();
    let mut from = 0;
    for (start, end, literal) in edits {
        out.push_str(&text[from..start]);
        let f_start = out.len();
        out.push_str(&literal);
        // Padding keeps the rest of the text where it was.
        while out.len() - f_start < end - start {
            out.push(' ');
        }
        replaced.push((start, end, f_start, out.len()));
        from = end;
    }
    out.push_str(&text[from..]);
    Some(Folded {
        text: out,
        replaced,
    })
}

/// A cheap look, without tokenizing, for arithmetic inside brackets or a
/// parenthesized `offset`: nearly every rule has neither, and pays nothing more.
fn might_fold(text: &str) -> bool {
    let bytes = text.as_bytes();
    let mut inside = false;
    for (i, &b) in bytes.iter().enumerate() {
        match b {
            b'[' => inside = true,
            b']' => inside = false,
            b'+' | b'-' | b'*' | b'/' | b'%' | b'^' | b'(' if inside => return true,
            b'o' | b'O'
                if bytes.len() - i >= 6 && bytes[i..i + 6].eq_ignore_ascii_case(b"offset") =>
            {
                let after = bytes[i + 6..].iter().find(|c| !c.is_ascii_whitespace());
                if matches!(after, Some(b'(') | Some(b'-')) {
                    return true;
                }
            }
            _ => {}
        }
    }
    false
}

fn matching_paren(tokens: &[Token], open: usize) -> Option<usize> {
    let mut depth = 0usize;
    for (k, t) in tokens.iter().enumerate().skip(open) {
        match t.kind {
            TokenKind::LeftParen => depth += 1,
            TokenKind::RightParen => {
                depth -= 1;
                if depth == 0 {
                    return Some(k);
                }
            }
            _ => {}
        }
    }
    None
}

/// The literal a duration expression folds to, and the text it replaces.
/// A single duration (`5m`) is left as written; so is anything not constant.
fn fold_part(text: &str, part: &[Token], positive: bool) -> Option<(usize, usize, String)> {
    if part.len() < 2 {
        return None;
    }
    let mut parser = Arith {
        text,
        tokens: part,
        at: 0,
    };
    let seconds = parser.sum()?;
    if parser.at != part.len() || !seconds.is_finite() {
        return None;
    }
    // A range must be positive: leave the text for the parser to refuse.
    if positive && seconds <= 0.0 {
        return None;
    }
    // Milliseconds, truncated toward zero, as Prometheus converts
    // (`time.Duration(duration*1000) * time.Millisecond`, promql/durations.go).
    let ms = (seconds * 1000.0).trunc();
    if ms.abs() > 1e15 {
        return None;
    }
    let literal = duration_literal(ms as i64);
    Some((part[0].start, part[part.len() - 1].end, literal))
}

/// `-90000` ms as `-1m30s`.
fn duration_literal(ms: i64) -> String {
    if ms == 0 {
        return "0s".to_string();
    }
    let sign = if ms < 0 { "-" } else { "" };
    let mut rest = ms.unsigned_abs();
    let mut out = String::from(sign);
    for (unit, size) in [
        ("d", 86_400_000u64),
        ("h", 3_600_000),
        ("m", 60_000),
        ("s", 1_000),
        ("ms", 1),
    ] {
        if rest >= size {
            out.push_str(&format!("{}{unit}", rest / size));
            rest %= size;
        }
    }
    out
}

/// A recursive-descent reader of constant duration arithmetic, in seconds.
struct Arith<'a> {
    text: &'a str,
    tokens: &'a [Token],
    at: usize,
}

impl Arith<'_> {
    fn peek(&self) -> Option<&str> {
        self.tokens.get(self.at).map(|t| t.text(self.text))
    }

    fn sum(&mut self) -> Option<f64> {
        let mut value = self.product()?;
        while let Some(op) = self.peek().filter(|op| matches!(*op, "+" | "-")) {
            let plus = op == "+";
            self.at += 1;
            let rhs = self.product()?;
            value = if plus { value + rhs } else { value - rhs };
        }
        Some(value)
    }

    fn product(&mut self) -> Option<f64> {
        let mut value = self.unary()?;
        while let Some(op) = self.peek().filter(|op| matches!(*op, "*" | "/" | "%")) {
            let op = op.to_string();
            self.at += 1;
            let rhs = self.unary()?;
            value = match op.as_str() {
                "*" => value * rhs,
                "/" => value / rhs,
                _ => value % rhs,
            };
        }
        Some(value)
    }

    /// Unary signs bind looser than `^`: `-2 ^ 2` is -(2 ^ 2).
    fn unary(&mut self) -> Option<f64> {
        match self.peek() {
            Some("-") => {
                self.at += 1;
                Some(-self.unary()?)
            }
            Some("+") => {
                self.at += 1;
                self.unary()
            }
            _ => self.power(),
        }
    }

    fn power(&mut self) -> Option<f64> {
        let base = self.atom()?;
        if self.peek() == Some("^") {
            self.at += 1;
            let exponent = self.unary()?;
            return Some(base.powf(exponent));
        }
        Some(base)
    }

    fn atom(&mut self) -> Option<f64> {
        let t = *self.tokens.get(self.at)?;
        self.at += 1;
        match t.kind {
            TokenKind::LeftParen => {
                let value = self.sum()?;
                (self.tokens.get(self.at)?.kind == TokenKind::RightParen).then_some(())?;
                self.at += 1;
                Some(value)
            }
            TokenKind::Number => seconds(t.text(self.text)),
            _ => None,
        }
    }
}

/// A number (seconds) or a duration literal (`1h30m`, `8000ms`), in seconds.
fn seconds(literal: &str) -> Option<f64> {
    if let Ok(n) = literal.parse::<f64>() {
        return Some(n);
    }
    let mut total = 0.0;
    let mut rest = literal;
    while !rest.is_empty() {
        let digits = rest.find(|c: char| !c.is_ascii_digit())?;
        if digits == 0 {
            return None;
        }
        let n: f64 = rest[..digits].parse().ok()?;
        rest = &rest[digits..];
        let unit_len = rest
            .find(|c: char| c.is_ascii_digit())
            .unwrap_or(rest.len());
        let unit = match &rest[..unit_len] {
            "y" => 365.0 * 86_400.0,
            "w" => 7.0 * 86_400.0,
            "d" => 86_400.0,
            "h" => 3_600.0,
            "m" => 60.0,
            "s" => 1.0,
            "ms" => 0.001,
            _ => return None,
        };
        total += n * unit;
        rest = &rest[unit_len..];
    }
    Some(total)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn folded(text: &str) -> String {
        fold(text).map_or_else(|| text.to_string(), |f| f.text)
    }

    #[test]
    fn constant_durations_fold_in_place() {
        for (text, expected) in [
            ("rate(x[5m * 2])", "rate(x[10m])"),
            ("changes(x[24m+((1.5*2m)+2m)])", "changes(x[29m])"),
            ("changes(x[-5m+35m])", "changes(x[30m])"),
            ("changes(x[1h30m % 1h])", "changes(x[30m])"),
            ("changes(x[30m1s-30m1s % 1m])", "changes(x[30m])"),
            (
                "sum_over_time(x[29s+1s:5s+5s])",
                "sum_over_time(x[30s:10s])",
            ),
            ("x offset (100 + 2)", "x offset 1m42s"),
            ("x offset -(20 * 2s)", "x offset -40s"),
            ("x offset (-2 ^ 2)", "x offset -4s"),
            ("x offset (2 ^ 2)", "x offset 4s"),
        ] {
            let f = folded(text);
            // Padded in place: every later position stays where it was.
            assert_eq!(f.len(), text.len(), "{text} -> {f:?}");
            let squeezed = |s: &str| s.split_whitespace().collect::<Vec<_>>().join(" ");
            assert_eq!(
                squeezed(&f).replace(" ]", "]").replace(" :", ":"),
                expected,
                "{text}"
            );
        }
    }

    #[test]
    fn what_is_not_a_constant_expression_stays() {
        for text in [
            "rate(x[5m])",
            "x offset 100 + 2",
            "x offset -2 * 2",
            "count_over_time(x[step()])",
            "x offset step()",
            "rate(x[5m * 0])",
            "x[1h:]",
        ] {
            assert_eq!(folded(text), text, "{text}");
        }
    }

    #[test]
    fn a_fraction_of_a_millisecond_is_truncated_as_prometheus_does() {
        assert_eq!(fold("x[1h/7]").unwrap().text, "x[8m34s285ms]");
    }

    #[test]
    fn positions_map_back_through_a_longer_literal() {
        // 1h/7 is 8m34s285ms+, longer than the text it replaces.
        let text = "rate(x[1h/8]) + y{";
        let f = fold(text).unwrap();
        assert_eq!(f.text, "rate(x[7m30s]) + y{");
        let brace = f.text.find('{').unwrap();
        assert_eq!(f.original(brace), text.find('{').unwrap());
        assert_eq!(
            f.original(f.text.find("7m30s").unwrap() + 2),
            text.find("1h/8").unwrap() + 2
        );
    }
}
