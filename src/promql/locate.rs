//! Turns a promql-parser error message into a position in the expression.
//!
//! The parser gives messages without offsets, and many grammar errors share
//! the text "invalid promql query". We find the place from what the message
//! names (a quoted token, a function, an unclosed bracket), else from the
//! token stream (two operands in a row, an operator with nothing after it).

use super::tokens::{is_keyword, tokenize, Token, TokenKind};
use super::PromqlError;

pub(super) fn locate(text: &str, message: &str) -> PromqlError {
    let tokens = tokenize(text);
    if let Some(error) = aggregation_of_range(text, &tokens, message) {
        return error;
    }
    let significant: Vec<Token> = tokens
        .iter()
        .copied()
        .filter(|t| t.kind != TokenKind::Comment)
        .collect();
    if let Some(error) = super::type_errors::locate(text, &significant, message) {
        return error;
    }
    let (start, end, help) = find(text, &tokens, message).unwrap_or((0, text.len(), None));
    let message = if message == "invalid promql query" {
        describe_generic(text, &tokens, start)
            .unwrap_or_else(|| "invalid PromQL expression".to_string())
    } else {
        message.to_string()
    };
    PromqlError {
        message,
        start,
        end,
        help,
    }
}

type Place = (usize, usize, Option<String>);

/// Prometheus's names for the value types promql-parser calls `vector`,
/// `matrix` (`promql/parser/value.go`: "instant vector", "range vector").
fn prometheus_type(word: &str) -> &str {
    match word {
        "vector" => "instant vector",
        "matrix" => "range vector",
        other => other,
    }
}

const AGGREGATIONS: &[&str] = &[
    "sum",
    "avg",
    "min",
    "max",
    "count",
    "group",
    "stddev",
    "stdvar",
    "topk",
    "bottomk",
    "quantile",
    "count_values",
    "limitk",
    "limit_ratio",
];

/// "expected type vector in aggregation expression, got matrix": said in
/// Prometheus's words, at the range selector an aggregation was given
/// (promtool points there too), e.g. `sum(x[5m])`.
fn aggregation_of_range(text: &str, tokens: &[Token], message: &str) -> Option<PromqlError> {
    let rest = message.strip_prefix("expected type ")?;
    let (expected, rest) = rest.split_once(" in aggregation expression, got ")?;
    // A parameter of the wrong type is type_errors' to place.
    if expected != "vector" {
        return None;
    }
    let got = rest.trim();
    let tokens: Vec<&Token> = tokens
        .iter()
        .filter(|t| t.kind != TokenKind::Comment)
        .collect();
    let message = format!(
        "expected type {} in aggregation expression, got {}",
        prometheus_type(expected),
        prometheus_type(got)
    );
    // The first range selector that is an aggregation's own argument: the
    // `[` closes a selector whose `(` belongs to an aggregation (directly,
    // or after its `by (...)`/`without (...)`).
    let place = (got == "matrix")
        .then(|| {
            tokens.iter().enumerate().find_map(|(i, t)| {
                (t.kind == TokenKind::LeftBracket).then_some(())?;
                let first = selector_start(text, &tokens, i)?;
                let open = tokens.get(first.checked_sub(1)?)?;
                (open.kind == TokenKind::LeftParen).then_some(())?;
                let head = owner_of(text, &tokens, first - 1)?;
                AGGREGATIONS
                    .iter()
                    .any(|a| a.eq_ignore_ascii_case(head))
                    .then_some(())?;
                let close = tokens[i..]
                    .iter()
                    .find(|t| t.kind == TokenKind::RightBracket)?;
                Some((tokens[first].start, close.end))
            })
        })
        .flatten();
    let (start, end) = place.unwrap_or((0, text.len()));
    Some(PromqlError {
        message,
        start,
        end,
        help: Some("aggregate an instant vector: wrap the range in a function, e.g. `sum(rate(x[5m]))` or `sum(avg_over_time(x[5m]))`".into()),
    })
}

/// The index of the first token of the selector that `[` at `bracket` follows
/// (`name`, `name{...}` or `{...}`).
fn selector_start(text: &str, tokens: &[&Token], bracket: usize) -> Option<usize> {
    let mut i = bracket.checked_sub(1)?;
    if tokens[i].kind == TokenKind::RightBrace {
        while tokens[i].kind != TokenKind::LeftBrace {
            i = i.checked_sub(1)?;
        }
        if i > 0
            && tokens[i - 1].kind == TokenKind::Identifier
            && !is_keyword(tokens[i - 1].text(text))
        {
            i -= 1;
        }
        return Some(i);
    }
    (tokens[i].kind == TokenKind::Identifier).then_some(i)
}

/// The word a `(` at `open` belongs to: the identifier right before it, or,
/// for `sum by (job) (`, the aggregation before the grouping clause.
fn owner_of<'t>(text: &'t str, tokens: &[&Token], open: usize) -> Option<&'t str> {
    let before = tokens.get(open.checked_sub(1)?)?;
    if before.kind == TokenKind::Identifier {
        return Some(before.text(text));
    }
    if before.kind == TokenKind::RightParen {
        // `by (a, b)` then the aggregation's own `(`.
        let mut i = open - 1;
        while tokens[i].kind != TokenKind::LeftParen {
            i = i.checked_sub(1)?;
        }
        let clause = tokens.get(i.checked_sub(1)?)?;
        if ["by", "without"]
            .iter()
            .any(|w| w.eq_ignore_ascii_case(clause.text(text)))
        {
            return Some(tokens.get(i.checked_sub(2)?)?.text(text));
        }
    }
    None
}

fn find(text: &str, tokens: &[Token], message: &str) -> Option<Place> {
    if message.starts_with("unterminated quoted string") {
        let t = tokens
            .iter()
            .find(|t| t.kind == TokenKind::UnterminatedString)?;
        return Some((t.start, t.end, None));
    }
    if message.contains("unclosed left parenthesis") {
        return unclosed(tokens, TokenKind::LeftParen, TokenKind::RightParen);
    }
    if message.contains("inside braces") {
        return unclosed(tokens, TokenKind::LeftBrace, TokenKind::RightBrace);
    }
    if message.contains("inside brackets") && !message.contains("character") {
        return unclosed(tokens, TokenKind::LeftBracket, TokenKind::RightBracket);
    }
    if message.contains("unexpected right parenthesis") {
        return unmatched_close(tokens, TokenKind::LeftParen, TokenKind::RightParen);
    }
    if let Some(name) =
        between(message, "function '", "'").or_else(|| between(message, "function \"", "\""))
    {
        return call_of(text, tokens, name, message.starts_with("unknown function"));
    }
    if message.starts_with("illegal regex") || message.contains("regex") {
        let t = tokens
            .iter()
            .find(|t| t.kind == TokenKind::String && is_regex_value(text, tokens, t))?;
        return Some((t.start, t.end, None));
    }
    if message.contains("duration must be greater than 0") {
        let t = tokens
            .iter()
            .find(|t| t.kind == TokenKind::Number && is_zero_duration(t.text(text)))?;
        return Some((t.start, t.end, None));
    }
    if message.contains("end of input") {
        let last = tokens.iter().rev().find(|t| t.kind != TokenKind::Comment)?;
        return Some((last.start, last.end, None));
    }
    if let Some(quoted) = between(message, "'", "'").or_else(|| between(message, "\"", "\"")) {
        if let Some(t) = tokens.iter().find(|t| t.text(text) == quoted) {
            return Some((t.start, t.end, None));
        }
        if let Some(at) = text.find(quoted) {
            return Some((at, at + quoted.len(), None));
        }
    }
    if message == "invalid promql query" {
        return generic(text, tokens);
    }
    None
}

/// The grammar failed somewhere: find the first token that cannot follow
/// the one before it, or a dangling operator at the end.
fn generic(text: &str, tokens: &[Token]) -> Option<Place> {
    let tokens: Vec<&Token> = tokens
        .iter()
        .filter(|t| t.kind != TokenKind::Comment)
        .collect();
    for pair in tokens.windows(2) {
        let (a, b) = (pair[0], pair[1]);
        let a_ends_operand = ends_operand(text, a);
        let b_starts_operand = starts_operand(text, b);
        if a_ends_operand
            && b_starts_operand
            && !(a.kind == TokenKind::Identifier && b.kind == TokenKind::LeftParen)
        {
            return Some((b.start, b.end, None));
        }
        let a_is_binary = is_binary(text, a);
        if a_is_binary && is_binary(text, b) && !(b.text(text) == "-" || b.text(text) == "+") {
            return Some((b.start, b.end, None));
        }
        if b.kind == TokenKind::Unknown || a.kind == TokenKind::Unknown {
            let t = if a.kind == TokenKind::Unknown { a } else { b };
            return Some((t.start, t.end, None));
        }
    }
    let last = tokens.last()?;
    if is_binary(text, last) || last.kind == TokenKind::At || last.kind == TokenKind::Comma {
        return Some((last.start, last.end, None));
    }
    if let Some(first) = tokens.first() {
        if first.kind == TokenKind::Unknown || is_binary(text, first) && tokens.len() == 1 {
            return Some((first.start, first.end, None));
        }
    }
    None
}

fn describe_generic(text: &str, tokens: &[Token], start: usize) -> Option<String> {
    let t = tokens.iter().find(|t| t.start == start)?;
    let word = t.text(text);
    let is_last = tokens
        .iter()
        .rev()
        .find(|t| t.kind != TokenKind::Comment)
        .map(|l| l.start)
        == Some(start);
    if is_last && (is_binary(text, t) || t.kind == TokenKind::At || t.kind == TokenKind::Comma) {
        return Some(format!(
            "the expression ends after `{word}`: an operand is missing"
        ));
    }
    if t.kind == TokenKind::Unknown {
        return Some(format!("unexpected character `{word}`"));
    }
    Some(format!("unexpected `{word}` here"))
}

fn ends_operand(text: &str, t: &Token) -> bool {
    match t.kind {
        TokenKind::Identifier => !is_keyword(t.text(text)),
        TokenKind::Number
        | TokenKind::String
        | TokenKind::RightParen
        | TokenKind::RightBrace
        | TokenKind::RightBracket => true,
        _ => false,
    }
}

fn starts_operand(text: &str, t: &Token) -> bool {
    match t.kind {
        TokenKind::Identifier => !is_keyword(t.text(text)),
        TokenKind::Number | TokenKind::String => true,
        _ => false,
    }
}

fn is_binary(text: &str, t: &Token) -> bool {
    match t.kind {
        TokenKind::Operator => t.text(text) != "=~" && t.text(text) != "!~" && t.text(text) != "=",
        TokenKind::Identifier => {
            matches!(
                t.text(text).to_ascii_lowercase().as_str(),
                "and" | "or" | "unless" | "atan2"
            )
        }
        _ => false,
    }
}

fn unclosed(tokens: &[Token], open: TokenKind, close: TokenKind) -> Option<Place> {
    let mut stack = Vec::new();
    for t in tokens {
        if t.kind == open {
            stack.push(t);
        } else if t.kind == close {
            stack.pop();
        }
    }
    let t = stack.last()?;
    Some((t.start, t.end, None))
}

fn unmatched_close(tokens: &[Token], open: TokenKind, close: TokenKind) -> Option<Place> {
    let mut depth = 0usize;
    for t in tokens {
        if t.kind == open {
            depth += 1;
        } else if t.kind == close {
            if depth == 0 {
                return Some((t.start, t.end, None));
            }
            depth -= 1;
        }
    }
    None
}

/// The call `name(...)`: the name alone for an unknown function, else the
/// whole call up to its closing parenthesis.
fn call_of(text: &str, tokens: &[Token], name: &str, name_only: bool) -> Option<Place> {
    let index = tokens
        .iter()
        .position(|t| t.kind == TokenKind::Identifier && t.text(text) == name)?;
    let head = &tokens[index];
    if name_only {
        let help = match name {
            "holt_winters" => Some(
                "Prometheus 3 renamed holt_winters to double_exponential_smoothing".to_string(),
            ),
            _ => None,
        };
        return Some((head.start, head.end, help));
    }
    let mut depth = 0usize;
    for t in &tokens[index + 1..] {
        match t.kind {
            TokenKind::LeftParen => depth += 1,
            TokenKind::RightParen => {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    return Some((head.start, t.end, None));
                }
            }
            _ => {}
        }
    }
    Some((head.start, head.end, None))
}

fn is_regex_value(text: &str, tokens: &[Token], t: &Token) -> bool {
    let index = tokens.iter().position(|x| x == t).unwrap_or(0);
    index > 0 && matches!(tokens[index - 1].text(text), "=~" | "!~")
}

fn is_zero_duration(word: &str) -> bool {
    let digits: String = word.chars().take_while(char::is_ascii_digit).collect();
    !digits.is_empty() && digits.bytes().all(|b| b == b'0') && word.len() > digits.len()
}

fn between<'a>(message: &'a str, open: &str, close: &str) -> Option<&'a str> {
    let start = message.find(open)? + open.len();
    let len = message[start..].find(close)?;
    Some(&message[start..start + len]).filter(|s| !s.is_empty())
}
