//! Duration expressions, on by default since Prometheus 3.14
//! (`rate(x[5m * 2])`, `x offset (1h + 5m)`, `[29s+1s:20*500ms]`,
//! `offset -(20 * 2s)`, `[max_of(step(), 5m)]`), which promql-parser does not
//! read yet. Each one is computed as a rule's evaluation computes it and
//! handed to the parser as the duration it means.
//!
//! The semantics are Prometheus's (`promql/parser/generated_parser.y`,
//! `promql/durations.go`, `promql/promqltest/testdata/duration_expression.test`):
//! a number without a unit is seconds; `+ - * / % ^` with the usual
//! precedence, `^` right-associative and binding tighter than unary minus
//! (`-2 ^ 2` is -4); `min_of(a, b)`, `max_of(a, b)`; `offset` takes a
//! parenthesized expression or a single `step()`, `range()`, `min_of(..)`,
//! `max_of(..)`, signed or not, while `x offset 100 + 2` stays
//! `(x offset 100) + 2`. A rule is evaluated as an instant query, where
//! `step()` and `range()` are 0 (`Engine.NewInstantQuery` passes step 0 and
//! start = end to `PreprocessExpr`).
//!
//! Prometheus decides some things when it parses and others at every
//! evaluation: a literal that is not positive (`[-5m]`) or a division by a
//! literal 0 (`[1h / 0]`) is a parse error, while `[5m * 0]` or `[step()]`
//! parses and then fails every evaluation with "duration must be greater
//! than 0". The first kind is returned as an error; the second is kept
//! apart for the check that reports such rules (`promql/eval-error`).

use super::rewrite::Edit;
use super::tokens::{Token, TokenKind};
use super::PromqlError;

/// What the duration expressions of an expression come to.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Durations {
    /// The text the parser gets in their place.
    pub edits: Vec<Edit>,
    /// The errors Prometheus raises at every evaluation of the rule.
    pub at_evaluation: Vec<PromqlError>,
    /// Where the duration expressions are (not a plain, perhaps signed,
    /// literal): Prometheus 3.13 reads them only with
    /// `promql-duration-expr`.
    pub expressions: Vec<(usize, usize)>,
}

/// A number alone, perhaps signed: what PromQL read before duration
/// expressions.
fn plain_literal(text: &str, part: &[Token]) -> bool {
    match part.split_last() {
        Some((last, signs)) => {
            last.kind == TokenKind::Number
                && signs.iter().all(|t| matches!(t.text(text), "-" | "+"))
        }
        None => false,
    }
}

/// Longest duration, in seconds: Go's `time.Duration` is int64 nanoseconds.
const LIMIT_SECONDS: f64 = 9_223_372_036.854_775;

/// A cheap look, without tokenizing, for arithmetic or a function inside
/// brackets, or an `offset` followed by anything but a literal: nearly every
/// rule has none, and pays nothing more.
pub fn might_fold(text: &str) -> bool {
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
                let rest = &bytes[i + 6..];
                let after = rest.iter().position(|c| !c.is_ascii_whitespace());
                if let Some(at) = after {
                    let rest = &rest[at..];
                    let word =
                        |w: &[u8]| rest.len() >= w.len() && rest[..w.len()].eq_ignore_ascii_case(w);
                    if matches!(rest[0], b'(' | b'-' | b'+' | b'0')
                        || word(b"step")
                        || word(b"range")
                        || word(b"min_of")
                        || word(b"max_of")
                    {
                        return true;
                    }
                }
            }
            _ => {}
        }
    }
    false
}

/// The duration expressions of `text` (its significant tokens), computed as
/// a rule's evaluation computes them; `Err` where Prometheus's parser
/// refuses one.
pub fn fold(text: &str, tokens: &[Token]) -> Result<Durations, PromqlError> {
    let mut out = Durations::default();
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
                        fold_range(text, &tokens[part_start..j], &mut out)?;
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
            if let Some(end) = offset_operand_end(text, tokens, i + 1) {
                fold_offset(text, t, &tokens[i + 1..=end], &mut out)?;
                i = end + 1;
                continue;
            }
        }
        i += 1;
    }
    Ok(out)
}

/// The last token of an `offset` operand that is an expression rather than
/// a literal: `(..)`, `step()`, `range()`, `min_of(..)`, `max_of(..)`, each
/// with an optional sign; or a literal 0 (`offset 0s`), which Prometheus 3
/// takes and promql-parser does not.
fn offset_operand_end(text: &str, tokens: &[Token], mut j: usize) -> Option<usize> {
    if tokens
        .get(j)
        .is_some_and(|t| matches!(t.text(text), "-" | "+"))
    {
        j += 1;
    }
    let t = tokens.get(j)?;
    match t.kind {
        TokenKind::LeftParen => matching_paren(tokens, j),
        TokenKind::Identifier if duration_function(t.text(text)) => {
            (tokens.get(j + 1)?.kind == TokenKind::LeftParen).then_some(())?;
            matching_paren(tokens, j + 1)
        }
        TokenKind::Number if seconds(t.text(text)) == Some(0.0) => Some(j),
        _ => None,
    }
}

fn duration_function(word: &str) -> bool {
    ["step", "range", "min_of", "max_of"]
        .iter()
        .any(|f| word.eq_ignore_ascii_case(f))
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

/// A range or a subquery's step: it must come to more than 0.
fn fold_range(text: &str, part: &[Token], out: &mut Durations) -> Result<(), PromqlError> {
    // A single literal is the parser's to read, as before Prometheus 3.14.
    if part.len() < 2 {
        return Ok(());
    }
    let Some((value, errors)) = compute(text, part)? else {
        return Ok(());
    };
    let (start, end) = (part[0].start, part[part.len() - 1].end);
    if !plain_literal(text, part) {
        out.expressions.push((start, end));
    }
    if value.literal && value.seconds <= 0.0 {
        return Err(PromqlError {
            message: "duration must be greater than 0".into(),
            start,
            end,
            help: None,
        });
    }
    let failure = errors.or_else(|| {
        if value.seconds.is_nan() || value.seconds.is_infinite() {
            Some("duration is NaN or infinite")
        } else if value.seconds <= 0.0 {
            Some("duration must be greater than 0")
        } else if value.seconds > LIMIT_SECONDS {
            Some("duration is out of range")
        } else {
            None
        }
    });
    let literal = match failure {
        Some(message) => {
            out.at_evaluation
                .push(evaluation_error(text, part, message));
            // Any valid range lets the rest of the expression be read.
            "1s".to_string()
        }
        // Under a millisecond, Prometheus's range is 0 and selects nothing,
        // without an error; the parser refuses `0s`, so it gets the least it takes.
        None => duration_literal(milliseconds(value.seconds).max(1)),
    };
    out.edits.push(Edit::new(start, end, literal));
    Ok(())
}

/// An offset's operand (negative allowed). The edit covers the `offset`
/// keyword too, so an offset of 0 can be dropped, as it means nothing.
fn fold_offset(
    text: &str,
    keyword: Token,
    part: &[Token],
    out: &mut Durations,
) -> Result<(), PromqlError> {
    let Some((value, errors)) = compute(text, part)? else {
        return Ok(());
    };
    let end = part[part.len() - 1].end;
    if !plain_literal(text, part) {
        out.expressions.push((part[0].start, end));
    }
    let failure = errors.or_else(|| {
        if value.seconds.is_nan() || value.seconds.is_infinite() {
            Some("duration is NaN or infinite")
        } else if value.seconds.abs() > LIMIT_SECONDS {
            Some("duration is out of range")
        } else {
            None
        }
    });
    let with = match failure {
        Some(message) => {
            out.at_evaluation
                .push(evaluation_error(text, part, message));
            String::new()
        }
        None => match milliseconds(value.seconds) {
            0 => String::new(),
            ms => format!("offset {}", duration_literal(ms)),
        },
    };
    out.edits.push(Edit::new(keyword.start, end, with));
    Ok(())
}

fn evaluation_error(text: &str, part: &[Token], message: &str) -> PromqlError {
    let help = part
        .iter()
        .any(|t| {
            t.kind == TokenKind::Identifier
                && (t.text(text).eq_ignore_ascii_case("step")
                    || t.text(text).eq_ignore_ascii_case("range"))
        })
        .then(|| {
            "a rule is evaluated as an instant query, where step() and range() are 0".to_string()
        });
    PromqlError {
        message: message.to_string(),
        start: part[0].start,
        end: part[part.len() - 1].end,
        help,
    }
}

/// The value of a part and the first error its evaluation raises, or
/// `None` when the part is not a duration expression we read (the parser
/// then says what is wrong with it).
fn compute(
    text: &str,
    part: &[Token],
) -> Result<Option<(Value, Option<&'static str>)>, PromqlError> {
    let mut arith = Arith {
        text,
        tokens: part,
        at: 0,
        parse_error: None,
        evaluation_error: None,
    };
    let value = arith.sum();
    if let Some(error) = arith.parse_error {
        return Err(error);
    }
    match value {
        Some(value) if arith.at == part.len() => Ok(Some((value, arith.evaluation_error))),
        _ => Ok(None),
    }
}

/// Seconds to whole milliseconds, truncated toward zero, as Prometheus
/// converts (`time.Duration(duration*1000) * time.Millisecond`).
fn milliseconds(seconds: f64) -> i64 {
    (seconds * 1000.0).trunc() as i64
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

/// A value in seconds, and whether Prometheus's parser holds it as a plain
/// number literal (a literal, or a sign before one), the only kind it
/// judges before evaluation.
#[derive(Debug, Clone, Copy)]
struct Value {
    seconds: f64,
    literal: bool,
}

impl Value {
    fn computed(seconds: f64) -> Value {
        Value {
            seconds,
            literal: false,
        }
    }
}

/// A recursive-descent reader of duration arithmetic.
struct Arith<'a> {
    text: &'a str,
    tokens: &'a [Token],
    at: usize,
    parse_error: Option<PromqlError>,
    evaluation_error: Option<&'static str>,
}

impl Arith<'_> {
    fn peek(&self) -> Option<&str> {
        self.tokens.get(self.at).map(|t| t.text(self.text))
    }

    fn expect(&mut self, kind: TokenKind) -> Option<()> {
        (self.tokens.get(self.at)?.kind == kind).then_some(())?;
        self.at += 1;
        Some(())
    }

    fn sum(&mut self) -> Option<Value> {
        let mut value = self.product()?;
        while let Some(op) = self.peek().filter(|op| matches!(*op, "+" | "-")) {
            let plus = op == "+";
            self.at += 1;
            let rhs = self.product()?;
            value = Value::computed(if plus {
                value.seconds + rhs.seconds
            } else {
                value.seconds - rhs.seconds
            });
        }
        Some(value)
    }

    fn product(&mut self) -> Option<Value> {
        let mut value = self.unary()?;
        while let Some(op) = self.peek().filter(|op| matches!(*op, "*" | "/" | "%")) {
            let op = op.to_string();
            let op_token = self.tokens[self.at];
            self.at += 1;
            let rhs = self.unary()?;
            if op != "*" && rhs.seconds == 0.0 {
                let message = if op == "/" {
                    "division by zero"
                } else {
                    "modulo by zero"
                };
                if rhs.literal {
                    self.parse_error.get_or_insert(PromqlError {
                        message: message.into(),
                        start: op_token.start,
                        end: op_token.end,
                        help: None,
                    });
                } else {
                    self.evaluation_error.get_or_insert(message);
                }
            }
            value = Value::computed(match op.as_str() {
                "*" => value.seconds * rhs.seconds,
                "/" => value.seconds / rhs.seconds,
                _ => value.seconds % rhs.seconds,
            });
        }
        Some(value)
    }

    /// Unary signs bind looser than `^`: `-2 ^ 2` is -(2 ^ 2). A sign
    /// before a literal leaves a literal.
    fn unary(&mut self) -> Option<Value> {
        match self.peek() {
            Some("-") => {
                self.at += 1;
                let inner = self.unary()?;
                Some(Value {
                    seconds: -inner.seconds,
                    literal: inner.literal,
                })
            }
            Some("+") => {
                self.at += 1;
                self.unary()
            }
            _ => self.power(),
        }
    }

    fn power(&mut self) -> Option<Value> {
        let base = self.atom()?;
        if self.peek() == Some("^") {
            self.at += 1;
            let exponent = self.unary()?;
            return Some(Value::computed(base.seconds.powf(exponent.seconds)));
        }
        Some(base)
    }

    fn atom(&mut self) -> Option<Value> {
        let t = *self.tokens.get(self.at)?;
        self.at += 1;
        match t.kind {
            TokenKind::LeftParen => {
                let value = self.sum()?;
                self.expect(TokenKind::RightParen)?;
                Some(Value::computed(value.seconds))
            }
            TokenKind::Number => {
                let seconds = seconds(t.text(self.text))?;
                if seconds.abs() > LIMIT_SECONDS {
                    self.parse_error.get_or_insert(PromqlError {
                        message: "duration out of range".into(),
                        start: t.start,
                        end: t.end,
                        help: None,
                    });
                }
                Some(Value {
                    seconds,
                    literal: true,
                })
            }
            TokenKind::Identifier => {
                let name = t.text(self.text).to_ascii_lowercase();
                self.expect(TokenKind::LeftParen)?;
                match name.as_str() {
                    // An instant query's step and range.
                    "step" | "range" => {
                        self.expect(TokenKind::RightParen)?;
                        Some(Value::computed(0.0))
                    }
                    "min_of" | "max_of" => {
                        let a = self.sum()?.seconds;
                        self.expect(TokenKind::Comma)?;
                        let b = self.sum()?.seconds;
                        self.expect(TokenKind::RightParen)?;
                        // Go's math.Min and math.Max: NaN wins.
                        let value = if a.is_nan() || b.is_nan() {
                            f64::NAN
                        } else if name == "min_of" {
                            a.min(b)
                        } else {
                            a.max(b)
                        };
                        Some(Value::computed(value))
                    }
                    _ => None,
                }
            }
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
    use super::super::rewrite;
    use super::super::tokens::tokenize;
    use super::*;

    fn tokens(text: &str) -> Vec<Token> {
        tokenize(text)
            .into_iter()
            .filter(|t| t.kind != TokenKind::Comment)
            .collect()
    }

    fn folded(text: &str) -> String {
        let d = fold(text, &tokens(text)).unwrap();
        rewrite::apply(text, d.edits).text
    }

    fn squeezed(s: &str) -> String {
        s.split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
            .replace(" ]", "]")
            .replace(" :", ":")
            .replace(" )", ")")
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
            // A rule's evaluation is an instant query: step() and range() are 0.
            ("rate(x[max_of(step(), 5m)])", "rate(x[5m])"),
            ("rate(x[5m + STEP()])", "rate(x[5m])"),
            ("x offset min_of(range(), 8s)", "x"),
            ("x offset -max_of(1m, step()) + 1", "x offset -1m + 1"),
            ("x offset step() * 0", "x * 0"),
            ("x offset 0s", "x"),
            ("x offset 0", "x"),
        ] {
            let f = folded(text);
            assert_eq!(squeezed(&f), expected, "{text}");
        }
    }

    #[test]
    fn what_is_not_a_duration_expression_stays() {
        for text in [
            "rate(x[5m])",
            "x offset 100 + 2",
            "x offset -2 * 2",
            "x[1h:]",
            "x[foo]",
        ] {
            assert_eq!(folded(text), text, "{text}");
        }
    }

    #[test]
    fn the_parser_refuses_literals_evaluation_refuses_the_rest() {
        // promql/parser/generated_parser.y: a NumberLiteral is judged when
        // parsed; a DurationExpr when evaluated (promql/durations.go).
        for (text, message, at) in [
            ("x[-5m]", "duration must be greater than 0", "-5m"),
            ("x[1h / 0]", "division by zero", "/"),
            ("x[1h % 0s]", "modulo by zero", "%"),
            ("x[1e30 * 1]", "duration out of range", "1e30"),
        ] {
            let e = fold(text, &tokens(text)).unwrap_err();
            assert_eq!(
                (e.message.as_str(), &text[e.start..e.end]),
                (message, at),
                "{text}"
            );
        }
        for (text, message, at) in [
            (
                "rate(x[step()])",
                "duration must be greater than 0",
                "step()",
            ),
            (
                "rate(x[5m * 0])",
                "duration must be greater than 0",
                "5m * 0",
            ),
            ("rate(x[-(5m)])", "duration must be greater than 0", "-(5m)"),
            ("rate(x[1h / (0)])", "division by zero", "1h / (0)"),
            ("rate(x[1h / step()])", "division by zero", "1h / step()"),
            ("x[1h:5m / range()]", "division by zero", "5m / range()"),
            (
                "x offset (1e9 * 1e9)",
                "duration is out of range",
                "(1e9 * 1e9)",
            ),
            ("x[2 ^ 10000]", "duration is NaN or infinite", "2 ^ 10000"),
        ] {
            let d = fold(text, &tokens(text)).unwrap();
            assert_eq!(d.at_evaluation.len(), 1, "{text}");
            let e = &d.at_evaluation[0];
            assert_eq!(
                (e.message.as_str(), &text[e.start..e.end]),
                (message, at),
                "{text}"
            );
            // The parser still gets a valid duration there.
            assert!(
                crate::promql::parse(text, Default::default()).is_ok(),
                "{text}"
            );
        }
    }

    #[test]
    fn a_fraction_of_a_millisecond_is_truncated_as_prometheus_does() {
        assert_eq!(folded("x[1h/7]"), "x[8m34s285ms]");
    }
}
