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
    fn refuses_what_does_not_split() {
        assert!(s("vector(1)").is_err());
        assert!(s("x > bool 1").is_err());
        assert!(s("x > y").is_err());
        assert!(s("x > 1 and y").is_err());
    }
}
