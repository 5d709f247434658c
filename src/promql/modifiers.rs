//! The `anchored` and `smoothed` range-selector modifiers of Prometheus 3
//! (`--enable-feature=promql-extended-range-selectors`), which promql-parser
//! does not read: `increase(x[5m] anchored)`, `x smoothed`. They change how
//! samples at the edges of the range are chosen, not the expression's type
//! or labels, so the parser gets the expression without them.
//!
//! Where Prometheus decides what (`promql/parser/parse.go` `setAnchored`,
//! `promql/engine.go`): without the feature, or on a subquery, a function
//! call or a parenthesized expression, the parser refuses them; on a range
//! selector passed to a function that cannot use them (`deriv(x[5m]
//! anchored)`) the rule parses and then fails every evaluation.

use super::rewrite::Edit;
use super::tokens::{Token, TokenKind};
use super::PromqlError;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Anchored,
    Smoothed,
}

impl Kind {
    fn word(self) -> &'static str {
        match self {
            Kind::Anchored => "anchored",
            Kind::Smoothed => "smoothed",
        }
    }

    /// The functions Prometheus lets read such a range
    /// (`AnchoredSafeFunctions`, `SmoothedSafeFunctions` in promql/functions.go).
    fn functions(self) -> &'static [&'static str] {
        match self {
            Kind::Anchored => &["changes", "delta", "increase", "rate", "resets"],
            Kind::Smoothed => &["delta", "increase", "rate"],
        }
    }
}

/// What a modifier is written after.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// `x[5m] anchored`, and the function the range is passed to, if any.
    Range {
        start: usize,
        function: Option<(String, usize)>,
    },
    /// `x smoothed`.
    Instant,
    Subquery,
    /// A call, an aggregation, a parenthesized expression.
    Other,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Modifier {
    pub kind: Kind,
    pub start: usize,
    pub end: usize,
    pub target: Target,
}

/// A cheap look for either word.
pub fn might_have(text: &str) -> bool {
    // Both words end in `d`, a rare letter in PromQL: look back from each.
    let bytes = text.as_bytes();
    bytes.iter().enumerate().skip(7).any(|(i, &b)| {
        (b | 0x20) == b'd' && {
            let w = &bytes[i - 7..=i];
            w.eq_ignore_ascii_case(b"anchored") || w.eq_ignore_ascii_case(b"smoothed")
        }
    })
}

/// Words that, before `anchored`, make it a metric name rather than a modifier.
const KEYWORDS_BEFORE_OPERAND: &[&str] = &[
    "and",
    "or",
    "unless",
    "by",
    "without",
    "on",
    "ignoring",
    "group_left",
    "group_right",
    "bool",
    "offset",
    "atan2",
];

/// The modifiers of an expression (its significant tokens).
pub fn find(text: &str, tokens: &[Token]) -> Vec<Modifier> {
    let mut found = Vec::new();
    // Inside `{...}` a word is a label name.
    let mut braces = 0usize;
    for (i, t) in tokens.iter().enumerate() {
        match t.kind {
            TokenKind::LeftBrace => braces += 1,
            TokenKind::RightBrace => braces = braces.saturating_sub(1),
            _ => {}
        }
        if t.kind != TokenKind::Identifier || i == 0 || braces > 0 {
            continue;
        }
        let word = t.text(text);
        let kind = if word.eq_ignore_ascii_case("anchored") {
            Kind::Anchored
        } else if word.eq_ignore_ascii_case("smoothed") {
            Kind::Smoothed
        } else {
            continue;
        };
        let before = tokens[i - 1];
        let after_operand = match before.kind {
            TokenKind::RightBracket
            | TokenKind::RightBrace
            | TokenKind::RightParen
            | TokenKind::Number => true,
            TokenKind::Identifier => !KEYWORDS_BEFORE_OPERAND
                .iter()
                .any(|k| before.text(text).eq_ignore_ascii_case(k)),
            _ => false,
        };
        // A label or metric called `anchored` (`{anchored="x"}`, `a + anchored`).
        if !after_operand {
            continue;
        }
        // `x anchored (...)`: nothing in the grammar follows a modifier with
        // a parenthesis, and the parser must not read `x (...)` as a call.
        let followed_by_paren = tokens
            .get(i + 1)
            .is_some_and(|n| n.kind == TokenKind::LeftParen);
        found.push(Modifier {
            kind,
            start: t.start,
            end: t.end,
            target: if followed_by_paren {
                Target::Other
            } else {
                target(text, tokens, i - 1)
            },
        });
    }
    found
}

/// What the operand ending at token `p` is, looking through the `offset`
/// and `@` modifiers written between it and the range modifier.
fn target(text: &str, tokens: &[Token], mut p: usize) -> Target {
    let is = |k: usize, word: &str| {
        tokens[k].kind == TokenKind::Identifier && tokens[k].text(text).eq_ignore_ascii_case(word)
    };
    let modifier_at = |k: usize| -> Option<usize> {
        // `offset`/`@` at k, or at k - 1 with a sign at k: where it starts.
        if is(k, "offset") || tokens[k].kind == TokenKind::At {
            return Some(k);
        }
        let signed =
            tokens[k].kind == TokenKind::Operator && matches!(tokens[k].text(text), "-" | "+");
        (signed && k > 0 && (is(k - 1, "offset") || tokens[k - 1].kind == TokenKind::At))
            .then(|| k - 1)
    };
    loop {
        let t = tokens[p];
        // `x[5m] anchored smoothed`: the first modifier is not the operand.
        if p > 0 && (is(p, "anchored") || is(p, "smoothed")) {
            p -= 1;
            continue;
        }
        let operand_start = match t.kind {
            TokenKind::Number | TokenKind::Identifier => Some(p),
            TokenKind::RightParen => match matching_open(tokens, p) {
                // `offset (..)`, `@ start()`, `offset step()`
                Some(open)
                    if open > 0
                        && tokens[open - 1].kind == TokenKind::Identifier
                        && open >= 2
                        && modifier_at(open - 2).is_some() =>
                {
                    Some(open - 1)
                }
                Some(open) => Some(open),
                None => return Target::Other,
            },
            _ => None,
        };
        match operand_start
            .filter(|&s| s > 0)
            .and_then(|s| modifier_at(s - 1))
        {
            Some(m) if m > 0 => p = m - 1,
            _ => break,
        }
    }
    let t = tokens[p];
    match t.kind {
        TokenKind::RightBracket => {
            let Some(open) = matching(tokens, p, TokenKind::LeftBracket, TokenKind::RightBracket)
            else {
                return Target::Other;
            };
            let mut depth = 0usize;
            for t in &tokens[open + 1..p] {
                match t.kind {
                    TokenKind::LeftParen | TokenKind::LeftBracket | TokenKind::LeftBrace => {
                        depth += 1
                    }
                    TokenKind::RightParen | TokenKind::RightBracket | TokenKind::RightBrace => {
                        depth = depth.saturating_sub(1)
                    }
                    TokenKind::Colon if depth == 0 => return Target::Subquery,
                    _ => {}
                }
            }
            if open == 0 {
                return Target::Other;
            }
            let selector_start = match tokens[open - 1].kind {
                TokenKind::RightBrace => {
                    let Some(brace) = matching(
                        tokens,
                        open - 1,
                        TokenKind::LeftBrace,
                        TokenKind::RightBrace,
                    ) else {
                        return Target::Other;
                    };
                    if brace > 0 && tokens[brace - 1].kind == TokenKind::Identifier {
                        brace - 1
                    } else {
                        brace
                    }
                }
                TokenKind::Identifier => open - 1,
                _ => return Target::Other,
            };
            Target::Range {
                start: tokens[selector_start].start,
                function: enclosing_function(text, tokens, selector_start),
            }
        }
        TokenKind::RightBrace | TokenKind::Identifier => Target::Instant,
        _ => Target::Other,
    }
}

fn matching_open(tokens: &[Token], close: usize) -> Option<usize> {
    matching(tokens, close, TokenKind::LeftParen, TokenKind::RightParen)
}

/// The opening token that `close` closes.
fn matching(tokens: &[Token], close: usize, open: TokenKind, shut: TokenKind) -> Option<usize> {
    let mut depth = 0usize;
    for k in (0..=close).rev() {
        if tokens[k].kind == shut {
            depth += 1;
        } else if tokens[k].kind == open {
            depth -= 1;
            if depth == 0 {
                return Some(k);
            }
        }
    }
    None
}

/// The function whose argument list holds token `at`, and where its name is.
fn enclosing_function(text: &str, tokens: &[Token], at: usize) -> Option<(String, usize)> {
    let mut depth = 0usize;
    for k in (0..at).rev() {
        match tokens[k].kind {
            TokenKind::RightParen | TokenKind::RightBracket | TokenKind::RightBrace => depth += 1,
            TokenKind::LeftBracket | TokenKind::LeftBrace => depth = depth.checked_sub(1)?,
            TokenKind::LeftParen if depth > 0 => depth -= 1,
            TokenKind::LeftParen => {
                let name = tokens.get(k.checked_sub(1)?)?;
                return (name.kind == TokenKind::Identifier)
                    .then(|| (name.text(text).to_string(), name.start));
            }
            _ => {}
        }
    }
    None
}

/// Metrics named `anchored` or `smoothed` (Prometheus's grammar takes them as
/// metric names, `metric_identifier` in generated_parser.y; promql-parser
/// refuses them), as `{__name__="anchored"}`, which selects the same series.
pub fn names(text: &str, tokens: &[Token]) -> Vec<Edit> {
    use super::tokens::GROUPING_KEYWORDS as GROUPING;
    let mut edits = Vec::new();
    for (i, t) in tokens.iter().enumerate() {
        let word = t.text(text);
        if t.kind != TokenKind::Identifier
            || !(word.eq_ignore_ascii_case("anchored") || word.eq_ignore_ascii_case("smoothed"))
        {
            continue;
        }
        let is_name = match i.checked_sub(1).map(|p| tokens[p]) {
            None => true,
            Some(p) => match p.kind {
                TokenKind::Operator => true,
                TokenKind::Identifier => matches!(
                    p.text(text).to_ascii_lowercase().as_str(),
                    "and" | "or" | "unless" | "bool" | "atan2"
                ),
                TokenKind::LeftParen => {
                    !(i >= 2
                        && tokens[i - 2].kind == TokenKind::Identifier
                        && GROUPING
                            .iter()
                            .any(|g| tokens[i - 2].text(text).eq_ignore_ascii_case(g)))
                }
                _ => false,
            },
        };
        if !is_name {
            continue;
        }
        match tokens.get(i + 1) {
            Some(n) if n.kind == TokenKind::LeftBrace => {
                let empty = tokens
                    .get(i + 2)
                    .is_some_and(|c| c.kind == TokenKind::RightBrace);
                let with = format!("{{__name__=\"{word}\"{}", if empty { "" } else { "," });
                edits.push(Edit::new(t.start, n.end, with));
            }
            _ => edits.push(Edit::new(
                t.start,
                t.end,
                format!("{{__name__=\"{word}\"}}"),
            )),
        }
    }
    edits
}

/// The parse errors Prometheus gives for `modifiers`, and else the edits
/// that hide them from promql-parser.
pub fn rewrite(modifiers: &[Modifier], enabled: bool) -> Result<Vec<Edit>, PromqlError> {
    let mut edits = Vec::new();
    for (n, m) in modifiers.iter().enumerate() {
        let word = m.kind.word();
        let error = |message: String, help: Option<&str>| PromqlError {
            message,
            start: m.start,
            end: m.end,
            help: help.map(str::to_string),
        };
        if !enabled {
            return Err(error(
                format!("{word} modifier is experimental and not enabled"),
                Some("Prometheus accepts it only with --enable-feature=promql-extended-range-selectors; pass the same to firedrill"),
            ));
        }
        match &m.target {
            Target::Subquery => {
                return Err(error(
                    format!("{word} modifier is not supported for subqueries"),
                    None,
                ))
            }
            Target::Other => {
                return Err(error(
                    format!("{word} modifier not implemented"),
                    Some("write it right after a selector: `rate(x[5m] anchored)`"),
                ))
            }
            Target::Range { .. } | Target::Instant => {}
        }
        if modifiers[..n]
            .iter()
            .any(|o| o.kind != m.kind && o.target == m.target)
        {
            return Err(error(
                "anchored and smoothed modifiers cannot be used together".into(),
                None,
            ));
        }
        edits.push(Edit::blank(m.start, m.end));
    }
    Ok(edits)
}

/// The errors Prometheus raises at every evaluation: a modified range
/// passed to a function that cannot read it.
pub fn at_evaluation(modifiers: &[Modifier]) -> Vec<PromqlError> {
    modifiers
        .iter()
        .filter_map(|m| {
            let Target::Range {
                start,
                function: Some((name, _)),
            } = &m.target
            else {
                return None;
            };
            let allowed = m.kind.functions();
            (!allowed.contains(&name.as_str())).then(|| PromqlError {
                message: format!(
                    "{} modifier can only be used with: {} - not with {name}",
                    m.kind.word(),
                    allowed.join(", ")
                ),
                start: *start,
                end: m.end,
                help: None,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::super::tokens::tokenize;
    use super::*;

    fn targets(text: &str) -> Vec<Target> {
        let tokens = tokenize(text);
        find(text, &tokens).into_iter().map(|m| m.target).collect()
    }

    fn range(text: &str, selector: &str, function: Option<&str>) -> Target {
        Target::Range {
            start: text.find(selector).unwrap(),
            function: function.map(|f| (f.to_string(), text.find(f).unwrap())),
        }
    }

    #[test]
    fn modifiers_are_told_from_names() {
        let text = "increase(x{a=\"b\"}[5m] anchored)";
        assert_eq!(targets(text), [range(text, "x{", Some("increase"))]);
        let text = "rate(x[5m] offset 1m smoothed) + y";
        assert_eq!(targets(text), [range(text, "x[", Some("rate"))]);
        let text = "x @ 100 smoothed + 0";
        assert_eq!(targets(text), [Target::Instant]);
        let text = "x offset -100 smoothed";
        assert_eq!(targets(text), [Target::Instant]);
        let text = "max_over_time(x[1h:] anchored)";
        assert_eq!(targets(text), [Target::Subquery]);
        let text = "rate(x[5m]) anchored";
        assert_eq!(targets(text), [Target::Other]);
        // Names, not modifiers.
        for text in [
            "anchored",
            "x + anchored",
            "x{anchored=\"a\"}",
            "sum by (smoothed) (x)",
            "x and smoothed",
        ] {
            assert_eq!(targets(text), [], "{text}");
        }
    }

    #[test]
    fn metrics_named_like_a_modifier_are_read_as_names() {
        for (text, expected) in [
            ("anchored", "{__name__=\"anchored\"}"),
            (
                "x + smoothed{a=\"b\"}",
                "x + {__name__=\"smoothed\",a=\"b\"}",
            ),
            ("sum(anchored{})", "sum({__name__=\"anchored\"})"),
        ] {
            let tokens = tokenize(text);
            let r = super::super::rewrite::apply(text, names(text, &tokens));
            assert_eq!(r.text, expected, "{text}");
            assert!(
                crate::promql::parse(text, Default::default()).is_ok(),
                "{text}"
            );
        }
    }

    #[test]
    fn a_range_passed_to_a_function_that_cannot_read_it_fails_at_evaluation() {
        // promql/promqltest/testdata/extended_vectors.test
        let text = "deriv(foo[3m] anchored)";
        let found = at_evaluation(&find(text, &tokenize(text)));
        assert_eq!(
            found[0].message,
            "anchored modifier can only be used with: changes, delta, increase, rate, resets - not with deriv"
        );
        assert_eq!(&text[found[0].start..found[0].end], "foo[3m] anchored");
        let text = "predict_linear(foo[3m] smoothed, 4)";
        let found = at_evaluation(&find(text, &tokenize(text)));
        assert_eq!(
            found[0].message,
            "smoothed modifier can only be used with: delta, increase, rate - not with predict_linear"
        );
        let text = "resets(foo[3m] anchored)";
        assert!(at_evaluation(&find(text, &tokenize(text))).is_empty());
    }
}
