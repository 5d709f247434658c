//! Type errors in Prometheus's words and at the operand at fault, where
//! promtool points (`checkAST` in promql/parser/parse.go). promql-parser
//! finds the same errors but calls the types `vector` and `matrix`, quotes
//! with `'`, and gives no position.

use super::tokens::{Token, TokenKind};
use super::PromqlError;

/// Prometheus's `DocumentedType` names (promql/parser/value.go).
fn prometheus_type(word: &str) -> &str {
    match word {
        "vector" => "instant vector",
        "matrix" => "range vector",
        other => other,
    }
}

/// The value type of a piece of PromQL, in promql-parser's words.
fn type_of(text: &str) -> Option<String> {
    let parsed = crate::contained_panic::catch(|| promql_parser::parser::parse(text))?;
    parsed.ok().map(|e| e.value_type().to_string())
}

/// The spans of the arguments of the call whose `(` is token `open`.
fn arguments(tokens: &[Token], open: usize) -> Vec<(usize, usize)> {
    let mut args = Vec::new();
    let mut depth = 0usize;
    let mut first: Option<usize> = None;
    let mut last = 0;
    for (k, t) in tokens.iter().enumerate().skip(open) {
        match t.kind {
            TokenKind::LeftParen | TokenKind::LeftBracket | TokenKind::LeftBrace => {
                depth += 1;
                if depth == 1 {
                    continue;
                }
            }
            TokenKind::RightParen | TokenKind::RightBracket | TokenKind::RightBrace => {
                depth -= 1;
                if depth == 0 {
                    if let Some(f) = first {
                        args.push((tokens[f].start, tokens[last].end));
                    }
                    return args;
                }
            }
            TokenKind::Comma if depth == 1 => {
                if let Some(f) = first.take() {
                    args.push((tokens[f].start, tokens[last].end));
                }
                continue;
            }
            _ => {}
        }
        first.get_or_insert(k);
        last = k;
    }
    args
}

/// The `(` of every call of `name` (an aggregation's after its `by (..)`).
fn calls<'a>(
    text: &'a str,
    tokens: &'a [Token],
    name: &'a str,
) -> impl Iterator<Item = usize> + 'a {
    tokens.iter().enumerate().filter_map(move |(i, t)| {
        (t.kind == TokenKind::Identifier && t.text(text).eq_ignore_ascii_case(name))
            .then_some(())?;
        let mut open = i + 1;
        let next = tokens.get(open)?;
        if next.kind == TokenKind::Identifier
            && ["by", "without"]
                .iter()
                .any(|w| next.text(text).eq_ignore_ascii_case(w))
        {
            // `sum by (job) (x)`: skip the grouping.
            open = (open + 1..tokens.len()).find(|&k| tokens[k].kind == TokenKind::RightParen)? + 1;
        }
        (tokens.get(open)?.kind == TokenKind::LeftParen).then_some(open)
    })
}

/// The argument of a call of `name` that is of type `got` where `expected`
/// is wanted: the first whose replacement by a value of the expected type
/// makes the call's error go away (`round(x, y)`: `y`, not `x`).
fn argument_of_type(
    text: &str,
    tokens: &[Token],
    name: &str,
    expected: &str,
    got: &str,
) -> Option<(usize, usize)> {
    let stand_in = match expected {
        "scalar" => "1",
        "string" => "\"s\"",
        "vector" => "x",
        "matrix" => "x[1m]",
        _ => return None,
    };
    calls(text, tokens, name).find_map(|open| {
        let args = arguments(tokens, open);
        let call_start = tokens[open.checked_sub(1)?].start;
        let call_end = close_of(tokens, open)?;
        let about_this_call = format!("in call to function '{name}'");
        let candidates: Vec<(usize, usize)> = args
            .iter()
            .copied()
            .filter(|&(s, e)| type_of(&text[s..e]).as_deref() == Some(got))
            .collect();
        let fixes = |&(s, e): &(usize, usize)| {
            let replaced = format!("{}{stand_in}{}", &text[call_start..s], &text[e..call_end]);
            crate::contained_panic::catch(|| promql_parser::parser::parse(&replaced))
                .is_some_and(|r| r.err().is_none_or(|m| !m.contains(&about_this_call)))
        };
        // Else the first of the type: Prometheus reports the first argument
        // in order whose type is wrong.
        candidates
            .iter()
            .find(|c| fixes(c))
            .or(candidates.first())
            .copied()
    })
}

/// The end of the parenthesis opened at token `open`.
fn close_of(tokens: &[Token], open: usize) -> Option<usize> {
    let mut depth = 0usize;
    for t in &tokens[open..] {
        match t.kind {
            TokenKind::LeftParen => depth += 1,
            TokenKind::RightParen => {
                depth -= 1;
                if depth == 0 {
                    return Some(t.end);
                }
            }
            _ => {}
        }
    }
    None
}

const PARAMETER_AGGREGATIONS: &[&str] = &[
    "topk",
    "bottomk",
    "quantile",
    "count_values",
    "limitk",
    "limit_ratio",
];

/// Prometheus's message and place for a type error promql-parser gave as
/// `message`; `None` when it is not one we know.
pub(super) fn locate(text: &str, tokens: &[Token], message: &str) -> Option<PromqlError> {
    let error = |message: String, (start, end): (usize, usize)| PromqlError {
        message,
        start,
        end,
        help: None,
    };
    // expected type matrix in call to function 'rate', got vector
    if let Some(rest) = message.strip_prefix("expected type ") {
        if let Some((expected, rest)) = rest.split_once(" in call to function '") {
            let (name, got) = rest.split_once("', got ")?;
            let got = got.trim();
            let place =
                argument_of_type(text, tokens, name, expected, got).unwrap_or((0, text.len()));
            return Some(error(
                format!(
                    "expected type {} in call to function \"{name}\", got {}",
                    prometheus_type(expected),
                    prometheus_type(got)
                ),
                place,
            ));
        }
        // An aggregation's parameter: `topk(x, y)`, `quantile("a", x)`.
        let (expected, got) = rest.split_once(" in aggregation expression, got ")?;
        if !matches!(expected, "scalar" | "string") {
            return None;
        }
        let got = got.trim();
        let place = PARAMETER_AGGREGATIONS
            .iter()
            .flat_map(|a| calls(text, tokens, a).collect::<Vec<_>>())
            .filter_map(|open| arguments(tokens, open).first().copied())
            .find(|&(s, e)| type_of(&text[s..e]).as_deref() == Some(got))
            .unwrap_or((0, text.len()));
        return Some(error(
            format!(
                "expected type {expected} in aggregation parameter, got {}",
                prometheus_type(got)
            ),
            place,
        ));
    }
    // expected 5 argument(s) in call to 'label_replace', got 4
    if message.starts_with("expected ") && message.contains(" argument(s) in call to '") {
        let name = message.split('\'').nth(1)?;
        let place = tokens
            .iter()
            .find(|t| t.kind == TokenKind::Identifier && t.text(text) == name)
            .map_or((0, text.len()), |t| (t.start, t.end));
        return Some(error(message.replace('\'', "\""), place));
    }
    if message == "binary expression must contain only scalar and instant vector types" {
        let place = range_operand(text, tokens).unwrap_or((0, text.len()));
        return Some(error(message.to_string(), place));
    }
    if message == "ranges only allowed for vector selectors" {
        // `rate(x[5m])[5m]`: promtool points at the `[`.
        let place = tokens
            .windows(2)
            .position(|w| w[0].kind == TokenKind::RightParen && w[1].kind == TokenKind::LeftBracket)
            .map(|i| {
                let close = tokens[i + 1..]
                    .iter()
                    .find(|t| t.kind == TokenKind::RightBracket)
                    .map_or(tokens[i + 1].end, |t| t.end);
                (tokens[i + 1].start, close)
            })
            .unwrap_or((0, text.len()));
        return Some(error(message.to_string(), place));
    }
    if message == "comparisons between scalars must use BOOL modifier" {
        let place = tokens
            .iter()
            .find(|t| {
                t.kind == TokenKind::Operator
                    && matches!(t.text(text), "==" | "!=" | ">" | "<" | ">=" | "<=")
            })
            .map_or((0, text.len()), |t| (t.start, t.end));
        return Some(error(message.to_string(), place));
    }
    if let Some(op) = message
        .strip_prefix("set operator '")
        .and_then(|r| r.strip_suffix("' not allowed in binary scalar expression"))
    {
        return Some(error(
            format!("set operator \"{op}\" not allowed in binary scalar expression"),
            (0, text.len()),
        ));
    }
    if message == "vector matching only allowed between vectors" {
        return Some(error(
            "vector matching only allowed between instant vectors".into(),
            (0, text.len()),
        ));
    }
    None
}

/// A range selector or subquery used as an operand, not as a function's
/// argument: `rate(x[5m]) + y[5m]`.
fn range_operand(text: &str, tokens: &[Token]) -> Option<(usize, usize)> {
    tokens.iter().enumerate().find_map(|(i, t)| {
        (t.kind == TokenKind::LeftBracket).then_some(())?;
        let close = (i..tokens.len()).find(|&k| tokens[k].kind == TokenKind::RightBracket)?;
        // Where the operand starts: its selector, or its parenthesis.
        let mut start = i.checked_sub(1)?;
        match tokens[start].kind {
            TokenKind::RightBrace => {
                while tokens[start].kind != TokenKind::LeftBrace {
                    start = start.checked_sub(1)?;
                }
                if start > 0 && tokens[start - 1].kind == TokenKind::Identifier {
                    start -= 1;
                }
            }
            TokenKind::RightParen => {
                let mut depth = 0usize;
                loop {
                    match tokens[start].kind {
                        TokenKind::RightParen => depth += 1,
                        TokenKind::LeftParen => {
                            depth -= 1;
                            if depth == 0 {
                                break;
                            }
                        }
                        _ => {}
                    }
                    start = start.checked_sub(1)?;
                }
                if start > 0 && tokens[start - 1].kind == TokenKind::Identifier {
                    start -= 1;
                }
            }
            TokenKind::Identifier => {}
            _ => return None,
        }
        // An argument follows `(` of a call or a `,`.
        let argument = start.checked_sub(1).is_some_and(|b| {
            tokens[b].kind == TokenKind::Comma
                || (tokens[b].kind == TokenKind::LeftParen
                    && b > 0
                    && tokens[b - 1].kind == TokenKind::Identifier)
        });
        let (s, e) = (tokens[start].start, tokens[close].end);
        (!argument && type_of(&text[s..e]).as_deref() == Some("matrix")).then_some((s, e))
    })
}
