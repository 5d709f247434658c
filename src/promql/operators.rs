//! Where each binary operator of an expression sits in its text. The parser
//! keeps no positions, but binary operators appear in the text in the order
//! of an in-order walk of the tree, so the two lists pair up one to one.

use promql_parser::parser::{BinaryExpr, Expr};

use super::tokens::{tokenize, Token, TokenKind};

/// Every binary operation of `expr`, left to right as written, with the byte
/// range of its operator in `text` (None when the text and the tree could
/// not be paired, so a finding falls back to the whole expression).
pub fn binary_operators<'a>(
    expr: &'a Expr,
    text: &str,
) -> Vec<(&'a BinaryExpr, Option<(usize, usize)>)> {
    let mut nodes = Vec::new();
    in_order(expr, &mut nodes);
    let tokens = operator_tokens(text);
    let paired = tokens.len() == nodes.len()
        && nodes
            .iter()
            .zip(&tokens)
            .all(|(b, t)| b.op.to_string().eq_ignore_ascii_case(t.text(text)));
    nodes
        .into_iter()
        .enumerate()
        .map(|(i, b)| (b, paired.then(|| (tokens[i].start, tokens[i].end))))
        .collect()
}

fn in_order<'a>(expr: &'a Expr, out: &mut Vec<&'a BinaryExpr>) {
    match expr {
        Expr::Binary(b) => {
            in_order(&b.lhs, out);
            out.push(b);
            in_order(&b.rhs, out);
        }
        Expr::Aggregate(a) => {
            if let Some(p) = &a.param {
                in_order(p, out);
            }
            in_order(&a.expr, out);
        }
        Expr::Unary(u) => in_order(&u.expr, out),
        Expr::Paren(p) => in_order(&p.expr, out),
        Expr::Subquery(s) => in_order(&s.expr, out),
        Expr::Call(c) => c.args.args.iter().for_each(|a| in_order(a, out)),
        _ => {}
    }
}

const WORD_OPERATORS: &[&str] = &["and", "or", "unless", "atan2"];

/// The tokens that are binary operators: an operator (or `and`, `or`,
/// `unless`, `atan2`) right after something that ends an operand, outside
/// label braces (where `=`, `!=` are matchers).
fn operator_tokens(text: &str) -> Vec<Token> {
    let mut out = Vec::new();
    let mut braces = 0usize;
    let mut previous: Option<Token> = None;
    for t in tokenize(text) {
        match t.kind {
            TokenKind::Comment => continue,
            TokenKind::LeftBrace => braces += 1,
            TokenKind::RightBrace => braces = braces.saturating_sub(1),
            _ => {}
        }
        let word = t.text(text);
        let is_operator = t.kind == TokenKind::Operator
            || (t.kind == TokenKind::Identifier
                && WORD_OPERATORS.iter().any(|w| w.eq_ignore_ascii_case(word)));
        if braces == 0 && is_operator && previous.is_some_and(|p| ends_operand(p, text)) {
            out.push(t);
        }
        previous = Some(t);
    }
    out
}

fn ends_operand(t: Token, text: &str) -> bool {
    match t.kind {
        TokenKind::Number
        | TokenKind::String
        | TokenKind::RightParen
        | TokenKind::RightBrace
        | TokenKind::RightBracket => true,
        // A metric name; not `bool` or another keyword that takes an operand.
        TokenKind::Identifier => {
            let word = t.text(text);
            !(WORD_OPERATORS.iter().any(|w| w.eq_ignore_ascii_case(word))
                || [
                    "bool",
                    "offset",
                    "by",
                    "without",
                    "on",
                    "ignoring",
                    "group_left",
                    "group_right",
                ]
                .iter()
                .any(|w| w.eq_ignore_ascii_case(word)))
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::promql::{parse, ParseOptions};

    fn ops(text: &str) -> Vec<(String, Option<&str>)> {
        let parsed = parse(text, ParseOptions::default()).unwrap();
        binary_operators(&parsed, text)
            .into_iter()
            .map(|(b, at)| (b.op.to_string(), at.map(|(s, e)| &text[s..e])))
            .collect()
    }

    #[test]
    fn operators_pair_with_their_tokens() {
        let text = "sum by (a) (x{job!=\"a\"}) / -sum(y offset 5m) > bool 1 and on() z or -1 * w";
        let found = ops(text);
        let symbols: Vec<_> = found.iter().map(|(op, _)| op.as_str()).collect();
        assert_eq!(symbols, ["/", ">", "and", "or", "*"]);
        assert!(
            found.iter().all(|(op, at)| at == &Some(op.as_str())),
            "{found:?}"
        );
    }
}
