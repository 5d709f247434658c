//! Splitting an alert expression into a *signal* and a *threshold*:
//! `lhs > 0.05` (or `0.05 < lhs`) at the top level, without `bool`. The
//! signal is what history is fetched for; the threshold is what a sweep varies.

use super::Expr;

/// A comparison operator, as written with the signal on the left.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Comparison {
    Gt,
    Ge,
    Lt,
    Le,
    Eq,
    Ne,
}

impl Comparison {
    fn parse(symbol: &str) -> Option<Comparison> {
        Some(match symbol {
            ">" => Comparison::Gt,
            ">=" => Comparison::Ge,
            "<" => Comparison::Lt,
            "<=" => Comparison::Le,
            "==" => Comparison::Eq,
            "!=" => Comparison::Ne,
            _ => return None,
        })
    }

    /// The same test with the operands swapped: `0.05 < x` is `x > 0.05`.
    fn mirrored(self) -> Comparison {
        match self {
            Comparison::Gt => Comparison::Lt,
            Comparison::Ge => Comparison::Le,
            Comparison::Lt => Comparison::Gt,
            Comparison::Le => Comparison::Ge,
            other => other,
        }
    }

    pub fn symbol(&self) -> &'static str {
        match self {
            Comparison::Gt => ">",
            Comparison::Ge => ">=",
            Comparison::Lt => "<",
            Comparison::Le => "<=",
            Comparison::Eq => "==",
            Comparison::Ne => "!=",
        }
    }

    /// Whether a sample passes, as PromQL's filter does (NaN never passes,
    /// except `!=`).
    pub fn passes(&self, value: f64, threshold: f64) -> bool {
        match self {
            Comparison::Gt => value > threshold,
            Comparison::Ge => value >= threshold,
            Comparison::Lt => value < threshold,
            Comparison::Le => value <= threshold,
            Comparison::Eq => value == threshold,
            Comparison::Ne => value != threshold,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Split {
    /// The signal in canonical PromQL (what is sent to the server).
    pub signal: String,
    pub op: Comparison,
    pub threshold: f64,
}

/// Why an expression does not split (it is then replayed whole).
pub fn split(expr: &Expr) -> Result<Split, &'static str> {
    let Expr::Binary(b) = unparen(expr) else {
        return Err("the expression is not a comparison at the top level");
    };
    let Some(op) = Comparison::parse(&b.op.to_string()) else {
        return Err("the top-level operator is not a comparison");
    };
    if b.modifier.as_ref().is_some_and(|m| m.return_bool) {
        return Err("the comparison uses `bool`, so it does not filter");
    }
    match (number(&b.lhs), number(&b.rhs)) {
        (None, Some(t)) => Ok(Split {
            signal: unparen(&b.lhs).to_string(),
            op,
            threshold: t,
        }),
        (Some(t), None) => Ok(Split {
            signal: unparen(&b.rhs).to_string(),
            op: op.mirrored(),
            threshold: t,
        }),
        (Some(_), Some(_)) => Err("both sides are numbers"),
        (None, None) => Err("neither side is a number literal"),
    }
}

/// The signal of a split expression as written in `text` (the rule's own
/// text, which is what a replay sends to a server: the parser's tree may
/// have lost what promql-parser does not read, such as `anchored`). `None`
/// when it cannot be told apart in the text.
pub fn signal_as_written<'t>(text: &'t str, split: &Split) -> Option<&'t str> {
    use super::tokens::{tokenize, TokenKind};
    let tokens: Vec<_> = tokenize(text)
        .into_iter()
        .filter(|t| t.kind != TokenKind::Comment)
        .collect();
    // Inside the parentheses around the whole expression, the top-level
    // comparison: the last one outside any bracket (comparisons associate
    // to the left, and bind looser than arithmetic).
    let n = outer_parens(&tokens);
    let inner = &tokens[n..tokens.len() - n];
    let mut depth = 0i32;
    let mut at = None;
    for (i, t) in inner.iter().enumerate() {
        match t.kind {
            TokenKind::LeftParen | TokenKind::LeftBracket | TokenKind::LeftBrace => depth += 1,
            TokenKind::RightParen | TokenKind::RightBracket | TokenKind::RightBrace => depth -= 1,
            TokenKind::Operator if depth == 0 && Comparison::parse(t.text(text)).is_some() => {
                at = Some(i)
            }
            _ => {}
        }
    }
    let op = inner[at?];
    let (first, last) = (inner.first()?, inner.last()?);
    let (start, end) = if number_text(&text[op.end..last.end]) {
        (first.start, op.start)
    } else {
        (op.end, last.end)
    };
    let mut signal = text[start..end].trim();
    while let Some(inner) = signal.strip_prefix('(').and_then(|s| s.strip_suffix(')')) {
        if !balanced(inner) {
            break;
        }
        signal = inner.trim();
    }
    // The same signal as the tree's, or nothing: never a different query.
    let again = super::parse(signal, super::ParseOptions::every_feature()).ok()?;
    (unparen(&again).to_string() == split.signal).then_some(signal)
}

/// How many parentheses enclose the whole token list.
fn outer_parens(tokens: &[super::tokens::Token]) -> usize {
    use super::tokens::TokenKind;
    let mut n = 0;
    while n < tokens.len() / 2
        && tokens[n].kind == TokenKind::LeftParen
        && tokens[tokens.len() - 1 - n].kind == TokenKind::RightParen
        && balanced_tokens(&tokens[n + 1..tokens.len() - 1 - n])
    {
        n += 1;
    }
    n
}

fn balanced_tokens(tokens: &[super::tokens::Token]) -> bool {
    use super::tokens::TokenKind;
    let mut depth = 0i32;
    for t in tokens {
        match t.kind {
            TokenKind::LeftParen => depth += 1,
            TokenKind::RightParen => {
                depth -= 1;
                if depth < 0 {
                    return false;
                }
            }
            _ => {}
        }
    }
    depth == 0
}

fn balanced(text: &str) -> bool {
    balanced_tokens(&super::tokens::tokenize(text))
}

/// Whether `text` is a number literal, signed, in parentheses or not.
fn number_text(text: &str) -> bool {
    let t = text
        .trim()
        .trim_start_matches('(')
        .trim_end_matches(')')
        .trim();
    let t = t.strip_prefix(['-', '+']).unwrap_or(t).trim();
    t.parse::<f64>().is_ok()
}

fn unparen(mut e: &Expr) -> &Expr {
    while let Expr::Paren(p) = e {
        e = &p.expr;
    }
    e
}

fn number(e: &Expr) -> Option<f64> {
    match unparen(e) {
        Expr::NumberLiteral(n) => Some(n.val),
        Expr::Unary(u) => number(&u.expr).map(|v| -v),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::super::{parse, ParseOptions};
    use super::*;

    fn s(text: &str) -> Result<Split, &'static str> {
        split(&parse(text, ParseOptions::default()).unwrap())
    }

    #[test]
    fn splits_top_level_comparisons() {
        let x = s("sum by (job) (rate(e_total[5m])) / sum by (job) (rate(r_total[5m])) > 0.05")
            .unwrap();
        assert_eq!((x.op, x.threshold), (Comparison::Gt, 0.05));
        assert_eq!(
            x.signal,
            "sum by (job) (rate(e_total[5m])) / sum by (job) (rate(r_total[5m]))"
        );
        let y = s("(0.05 < (x))").unwrap();
        assert_eq!(
            (y.signal.as_str(), y.op, y.threshold),
            ("x", Comparison::Gt, 0.05)
        );
        let z = s("x <= -1").unwrap();
        assert_eq!((z.op, z.threshold), (Comparison::Le, -1.0));
    }

    #[test]
    fn the_signal_is_taken_as_written() {
        let every = super::super::ParseOptions::every_feature();
        for (text, signal) in [
            ("sum(rate(x[5m * 2])) > 5", "sum(rate(x[5m * 2]))"),
            ("increase(x[1h] anchored) >= 3", "increase(x[1h] anchored)"),
            ("(0.05 < (x))", "x"),
            ("a / b > -1", "a / b"),
            ("(rate(x[5m]) > 1)", "rate(x[5m])"),
            ("x{a=\">\"} == 0 # comment > 1", "x{a=\">\"}"),
        ] {
            let parsed = super::super::parse(text, every).unwrap();
            let split = split(&parsed).unwrap();
            assert_eq!(signal_as_written(text, &split), Some(signal), "{text}");
        }
    }

    #[test]
    fn refuses_what_does_not_split() {
        assert!(s("vector(1)").is_err());
        assert!(s("x > bool 1").is_err());
        assert!(s("x > y").is_err());
        assert!(s("x > 1 and y").is_err());
    }
}
