use crate::promql::analysis::{constant_value, swapped_comparison};
use promql_parser::parser::value::ValueType;
use promql_parser::parser::{BinaryExpr, Expr};

use super::{binary_operations, report_rule, Check, CheckInfo, FileContext};
use crate::diagnostic::{Diagnostic, Severity};
use crate::rules::RuleFile;

pub struct Unsatisfiable;

static INFO: CheckInfo = CheckInfo {
    id: "promql/unsatisfiable",
    severity: Severity::Warning,
    default_enabled: true,
    options: &[],
    summary: "A comparison no value can pass: chained bounds that exclude each other, or a bound the value can never reach",
    docs: r#"## What it does
Works out the values an operand can take, where PromQL fixes them, and reports a comparison
that none of them passes:
- chained filters whose bounds exclude each other: `x == 0 > 0`, `x > 5 < 3` (a filter keeps
  the value, so the second comparison sees what passed the first);
- a value with a floor or ceiling: `count()`, `count_over_time()`, `absent()` and `group()` are
  at least 1 (with no series they return nothing, not 0), `rate()`, `increase()`, `changes()`,
  `abs()` are never negative, a `bool` comparison is 0 or 1, `clamp_min`/`clamp_max` bound it;
- an age from `timestamp()`: `time() - timestamp(x)` is at most 5m, Prometheus's lookback
  window, because a series with no sample for 5m is not returned at all; and
  `timestamp(x) - time()` is never positive (the subtraction turned around).

## Why is this bad?
The alert can never fire, and nobody finds out until the outage it was written for.
`count(up{job="api"}) == 0` is the classic: when every target is gone there is no series to
count, and `count()` returns nothing rather than 0. `time() - timestamp(x) > 600` waits for a
sample that is ten minutes old, but after five minutes there is no sample left to measure.

## Example
```yaml
expr: count(up{job="api"} == 1) == 0
```

## Fixed
```yaml
expr: absent(up{job="api"} == 1)
```
For data that stopped arriving: `time() - max_over_time(timestamp(x)[1h:1m]) > 600`, or
`absent_over_time(x[10m])`. The lookback is `--query.lookback-delta` (5m unless the server says
otherwise)."#,
};

/// The lookback window of an instant selector, Prometheus's default.
const LOOKBACK_SECONDS: f64 = 300.0;

/// One end of a range of values.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Bound {
    at: f64,
    /// The end itself is not in the range.
    open: bool,
}

/// The values an expression can take: `None` ends are unbounded.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Range {
    lo: Option<Bound>,
    hi: Option<Bound>,
}

impl Range {
    const ANY: Range = Range { lo: None, hi: None };

    fn point(at: f64) -> Range {
        Range::between(at, at)
    }

    fn between(lo: f64, hi: f64) -> Range {
        Range {
            lo: Some(Bound {
                at: lo,
                open: false,
            }),
            hi: Some(Bound {
                at: hi,
                open: false,
            }),
        }
    }

    fn at_least(lo: f64) -> Range {
        Range {
            lo: Some(Bound {
                at: lo,
                open: false,
            }),
            hi: None,
        }
    }

    fn at_most(hi: f64) -> Range {
        Range {
            lo: None,
            hi: Some(Bound {
                at: hi,
                open: false,
            }),
        }
    }

    fn is_empty(&self) -> bool {
        match (self.lo, self.hi) {
            (Some(lo), Some(hi)) => lo.at > hi.at || (lo.at == hi.at && (lo.open || hi.open)),
            _ => false,
        }
    }

    fn as_point(&self) -> Option<f64> {
        match (self.lo, self.hi) {
            (Some(lo), Some(hi)) if lo.at == hi.at && !lo.open && !hi.open => Some(lo.at),
            _ => None,
        }
    }

    fn intersect(self, other: Range) -> Range {
        let lo = match (self.lo, other.lo) {
            (Some(a), Some(b)) => Some(if a.at > b.at || (a.at == b.at && a.open) {
                a
            } else {
                b
            }),
            (a, b) => a.or(b),
        };
        let hi = match (self.hi, other.hi) {
            (Some(a), Some(b)) => Some(if a.at < b.at || (a.at == b.at && a.open) {
                a
            } else {
                b
            }),
            (a, b) => a.or(b),
        };
        Range { lo, hi }
    }

    fn negate(self) -> Range {
        let flip = |b: Option<Bound>| {
            b.map(|b| Bound {
                at: -b.at,
                open: b.open,
            })
        };
        Range {
            lo: flip(self.hi),
            hi: flip(self.lo),
        }
    }

    fn add(self, other: Range) -> Range {
        let sum = |a: Option<Bound>, b: Option<Bound>| match (a, b) {
            (Some(a), Some(b)) => Some(Bound {
                at: a.at + b.at,
                open: a.open || b.open,
            }),
            _ => None,
        };
        Range {
            lo: sum(self.lo, other.lo),
            hi: sum(self.hi, other.hi),
        }
    }

    fn scale(self, by: f64) -> Range {
        let times = |b: Option<Bound>| {
            b.map(|b| Bound {
                at: b.at * by,
                open: b.open,
            })
        };
        if by >= 0.0 {
            Range {
                lo: times(self.lo),
                hi: times(self.hi),
            }
        } else {
            Range {
                lo: times(self.hi),
                hi: times(self.lo),
            }
        }
    }

    /// The values `x` for which `x op value` holds.
    fn passing(op: &str, value: f64) -> Range {
        let open = |at| Some(Bound { at, open: true });
        let closed = |at| Some(Bound { at, open: false });
        match op {
            ">" => Range {
                lo: open(value),
                hi: None,
            },
            ">=" => Range {
                lo: closed(value),
                hi: None,
            },
            "<" => Range {
                lo: None,
                hi: open(value),
            },
            "<=" => Range {
                lo: None,
                hi: closed(value),
            },
            "==" => Range::point(value),
            _ => Range::ANY,
        }
    }

    /// Whether some `a` in `self` and `b` in `other` satisfy `a op b`.
    fn can_compare(&self, op: &str, other: &Range) -> bool {
        // sup(a) vs inf(b), with whether each is reached.
        let above = |a: &Range, b: &Range, strict: bool| match (a.hi, b.lo) {
            (Some(hi), Some(lo)) => {
                hi.at > lo.at || (!strict && hi.at == lo.at && !hi.open && !lo.open)
            }
            _ => true,
        };
        match op {
            ">" => above(self, other, true),
            ">=" => above(self, other, false),
            "<" => above(other, self, true),
            "<=" => above(other, self, false),
            "==" => !self.intersect(*other).is_empty(),
            "!=" => !matches!((self.as_point(), other.as_point()), (Some(a), Some(b)) if a == b),
            _ => true,
        }
    }

    fn describe(&self) -> String {
        let num = |b: Bound| format_number(b.at);
        match (self.lo, self.hi) {
            _ if self.as_point().is_some() => format!("always {}", num(self.lo.unwrap())),
            (Some(lo), Some(hi)) => format!("between {} and {}", num(lo), num(hi)),
            (Some(lo), None) => {
                format!("{} {}", if lo.open { "above" } else { "at least" }, num(lo))
            }
            (None, Some(hi)) => {
                format!("{} {}", if hi.open { "below" } else { "at most" }, num(hi))
            }
            (None, None) => "any number".to_string(),
        }
    }
}

fn format_number(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{}", v as i64)
    } else {
        format!("{v}")
    }
}

/// What an operand's values are and why we know.
#[derive(Debug, Clone)]
struct Known {
    range: Range,
    why: String,
}

fn known(range: Range, why: impl Into<String>) -> Option<Known> {
    Some(Known {
        range,
        why: why.into(),
    })
}

fn unwrap_parens(mut expr: &Expr) -> &Expr {
    while let Expr::Paren(p) = expr {
        expr = &p.expr;
    }
    expr
}

/// `expr - time()`, when it is known: `time()` is 0, the timestamp of a
/// plain selector's sample is at most the lookback before it.
fn from_now(expr: &Expr) -> Option<Range> {
    match unwrap_parens(expr) {
        Expr::Call(c) if c.func.name == "time" => Some(Range::point(0.0)),
        Expr::Call(c) if c.func.name == "timestamp" => {
            match c.args.args.first().map(|a| unwrap_parens(a)) {
                Some(Expr::VectorSelector(v)) if v.offset.is_none() && v.at.is_none() => {
                    Some(Range::between(-LOOKBACK_SECONDS, 0.0))
                }
                _ => None,
            }
        }
        Expr::Binary(b) if matches!(b.op.to_string().as_str(), "+" | "-") => {
            let minus = b.op.to_string() == "-";
            if let (Some(at), Some(c)) = (from_now(&b.lhs), constant_value(&b.rhs)) {
                return Some(at.add(Range::point(if minus { -c } else { c })));
            }
            if let (false, Some(c), Some(at)) = (minus, constant_value(&b.lhs), from_now(&b.rhs)) {
                return Some(at.add(Range::point(c)));
            }
            None
        }
        _ => None,
    }
}

const AT_LEAST_ONE: &[&str] = &[
    "count_over_time",
    "absent",
    "absent_over_time",
    "present_over_time",
];
const NEVER_NEGATIVE: &[&str] = &[
    "rate", "irate", "increase", "changes", "resets", "abs", "sqrt",
];
/// Aggregations whose result is one of, or between, the values aggregated.
const WITHIN: &[&str] = &[
    "min",
    "max",
    "avg",
    "topk",
    "bottomk",
    "quantile",
    "limitk",
    "limit_ratio",
];

/// The values `expr` can take, where PromQL fixes them.
fn value_range(expr: &Expr) -> Option<Known> {
    if let Some(c) = constant_value(expr) {
        return known(Range::point(c), format!("it is {}", format_number(c)));
    }
    match unwrap_parens(expr) {
        Expr::Unary(u) => {
            let inner = value_range(&u.expr)?;
            known(inner.range.negate(), inner.why)
        }
        Expr::Call(c) => {
            let name = c.func.name;
            let arg = |i: usize| c.args.args.get(i).map(|a| a.as_ref());
            if AT_LEAST_ONE.contains(&name) {
                let range = if name.starts_with("absent") || name == "present_over_time" {
                    Range::point(1.0)
                } else {
                    Range::at_least(1.0)
                };
                return known(
                    range,
                    format!(
                        "`{name}()` is {} (with nothing to count it returns no series, not 0)",
                        range.describe()
                    ),
                );
            }
            if NEVER_NEGATIVE.contains(&name) {
                return known(
                    Range::at_least(0.0),
                    format!("`{name}()` is never negative"),
                );
            }
            match name {
                "clamp_min" => {
                    let floor = constant_value(arg(1)?)?;
                    known(
                        Range::at_least(floor),
                        format!("`clamp_min()` makes it at least {}", format_number(floor)),
                    )
                }
                "clamp_max" => {
                    let ceiling = constant_value(arg(1)?)?;
                    known(
                        Range::at_most(ceiling),
                        format!("`clamp_max()` makes it at most {}", format_number(ceiling)),
                    )
                }
                "clamp" => {
                    let (lo, hi) = (constant_value(arg(1)?)?, constant_value(arg(2)?)?);
                    (lo <= hi).then_some(())?;
                    known(
                        Range::between(lo, hi),
                        format!(
                            "`clamp()` keeps it between {} and {}",
                            format_number(lo),
                            format_number(hi)
                        ),
                    )
                }
                "vector" | "scalar" => value_range(arg(0)?),
                _ => None,
            }
        }
        Expr::Aggregate(a) => {
            let op = a.op.to_string();
            match op.as_str() {
                "count" | "count_values" => known(
                    Range::at_least(1.0),
                    format!("`{op}()` is at least 1 (with nothing to count it returns no series, not 0)"),
                ),
                "group" => known(Range::point(1.0), "`group()` is always 1"),
                _ if WITHIN.contains(&op.as_str()) => value_range(&a.expr),
                "sum" => {
                    let inner = value_range(&a.expr)?;
                    let floor = inner.range.lo.filter(|lo| lo.at >= 0.0)?;
                    known(Range { lo: Some(floor), hi: None }, inner.why)
                }
                _ => None,
            }
        }
        Expr::Binary(b) => binary_range(b),
        _ => None,
    }
}

fn binary_range(b: &BinaryExpr) -> Option<Known> {
    let op = b.op.to_string();
    if b.op.is_comparison_operator() {
        if b.return_bool() {
            return known(
                Range::between(0.0, 1.0),
                format!("a `{op} bool` comparison is 0 or 1"),
            );
        }
        // A filter keeps the vector side's value, where it passes.
        let (side, op, other) = match (b.lhs.value_type(), b.rhs.value_type()) {
            (ValueType::Scalar, ValueType::Vector) => (&b.rhs, swapped_comparison(&op), &b.lhs),
            _ => (&b.lhs, op.as_str(), &b.rhs),
        };
        let c = constant_value(other)?;
        let passing = Range::passing(op, c);
        return match value_range(side) {
            Some(inner) => known(
                inner.range.intersect(passing),
                format!(
                    "{}, and `{op} {}` leaves {}",
                    inner.why,
                    format_number(c),
                    leaves(inner.range.intersect(passing))
                ),
            ),
            None => known(
                passing,
                format!("`{op} {}` leaves {}", format_number(c), leaves(passing)),
            ),
        };
    }
    match op.as_str() {
        "+" | "-" => {
            if let (Some(l), Some(r)) = (from_now(&b.lhs), from_now(&b.rhs)) {
                // Both count from now: `time() - timestamp(x)` is an age.
                let range = if op == "-" {
                    l.add(r.negate())
                } else {
                    return None;
                };
                return known(range, format!("`{b}` is {} seconds: an instant selector returns no sample older than its 5m lookback", range.describe()));
            }
            let (l, r) = (value_range(&b.lhs)?, value_range(&b.rhs)?);
            let r_range = if op == "-" { r.range.negate() } else { r.range };
            known(
                l.range.add(r_range),
                if constant_value(&b.lhs).is_some() {
                    r.why
                } else {
                    l.why
                },
            )
        }
        "*" | "/" => {
            let (side, c) = match (constant_value(&b.lhs), constant_value(&b.rhs)) {
                (_, Some(c)) => (&b.lhs, c),
                (Some(c), None) if op == "*" => (&b.rhs, c),
                _ => return None,
            };
            let factor = if op == "/" {
                (c != 0.0).then(|| 1.0 / c)?
            } else {
                c
            };
            let inner = value_range(side)?;
            known(inner.range.scale(factor), inner.why)
        }
        _ => None,
    }
}

/// What passes a filter, in words: "only 0", "only values above 5", "nothing".
fn leaves(range: Range) -> String {
    match range.as_point() {
        _ if range.is_empty() => "nothing".to_string(),
        Some(v) => format!("only {}", format_number(v)),
        None => format!("only values {}", range.describe()),
    }
}

/// Why `b`, a comparison, can never hold.
fn never_holds(b: &BinaryExpr) -> Option<String> {
    // A `bool` comparison filters nothing: it returns 0 or 1 for every
    // series, so it always "holds" as a value.
    if !b.op.is_comparison_operator() || b.return_bool() {
        return None;
    }
    let op = b.op.to_string();
    // Both sides counted from now: `timestamp(x) < time() - 600`.
    if let (Some(l), Some(r)) = (from_now(&b.lhs), from_now(&b.rhs)) {
        if !l.can_compare(&op, &r) {
            return Some(format!(
                "`{b}` never holds: a sample's timestamp is at most 5m (the lookback) before `time()` and never after it"
            ));
        }
        return None;
    }
    let (l, r) = (value_range(&b.lhs)?, value_range(&b.rhs)?);
    // A side already empty was reported where it became so.
    if l.range.is_empty() || r.range.is_empty() {
        return None;
    }
    if l.range.can_compare(&op, &r.range) {
        return None;
    }
    // Said from the side that is not a constant: `0 == count(x)` as `== 0`.
    let (side, op, bound) = if constant_value(&b.lhs).is_some() && constant_value(&b.rhs).is_none()
    {
        (r, swapped_comparison(&op), &b.lhs)
    } else {
        (l, op.as_str(), &b.rhs)
    };
    Some(format!("`{op} {bound}` never holds: {}", side.why))
}

impl Check for Unsatisfiable {
    fn info(&self) -> &'static CheckInfo {
        &INFO
    }

    fn check_file(&self, file: &RuleFile, _cx: &FileContext<'_>, out: &mut Vec<Diagnostic>) {
        for (group, rule, operations) in binary_operations(file) {
            for (b, span) in operations {
                let Some(why) = never_holds(b) else { continue };
                let help = if why.contains("lookback") || why.contains("timestamp") {
                    "for data that stopped arriving: `absent_over_time(x[10m])`, or `time() - max_over_time(timestamp(x)[1h:1m]) > 600`"
                } else if why.contains("returns no series") {
                    "to alert when there is nothing left to count, use `absent(...)`"
                } else {
                    "the rule can never return anything: check the operators and thresholds"
                };
                out.push(
                    report_rule(&INFO, file, group, rule, span, why)
                        .label("never true")
                        .help(help),
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::run;
    use super::*;

    fn alert(expr: &str) -> String {
        format!("groups:\n- name: g\n  rules:\n  - alert: A\n    expr: {expr}\n")
    }

    fn found(expr: &str) -> Vec<String> {
        run(&Unsatisfiable, &alert(expr))
            .into_iter()
            .map(|(at, m)| format!("{at} {m}"))
            .collect()
    }

    #[test]
    fn chains_whose_bounds_exclude_each_other() {
        let f = found("x == 0 > 0");
        assert_eq!(f.len(), 1, "{f:?}");
        assert!(f[0].starts_with("5:18 `> 0` never holds"), "{f:?}");
        assert_eq!(found("x > 5 < 3").len(), 1);
        assert_eq!(found("5 < x < 3").len(), 1);
        assert_eq!(found("x > bool 5 > 1").len(), 1);
        // A `bool` comparison returns 0 or 1 for every series: it holds.
        assert!(found("count(x) == bool 0").is_empty());
        assert!(found("x > bool 5 > bool 1").is_empty());
        assert_eq!(found("x > 0 >= 0").len(), 0);
        assert_eq!(found("x >= 0 <= 0").len(), 0);
        assert_eq!(found("x > 0 <= 0").len(), 1);
    }

    #[test]
    fn values_with_a_floor() {
        let f = found("count(up{job=\"api\"} == 1) == 0");
        assert_eq!(f.len(), 1, "{f:?}");
        assert!(f[0].contains("`count()` is at least 1"), "{f:?}");
        assert_eq!(found("absent(up) == 0").len(), 1);
        assert_eq!(found("rate(x_total[5m]) < 0").len(), 1);
        assert_eq!(found("-rate(x_total[5m]) > 0").len(), 1);
        assert_eq!(found("clamp_max(x, 1) > 2").len(), 1);
        assert_eq!(found("sum(rate(x_total[5m])) * 100 < 0").len(), 1);
    }

    #[test]
    fn ages_from_timestamp() {
        let f = found("time() - timestamp(up) > 600");
        assert_eq!(f.len(), 1, "{f:?}");
        assert!(f[0].contains("between 0 and 300"), "{f:?}");
        assert_eq!(found("timestamp(up) - time() > 60").len(), 1);
        assert_eq!(found("timestamp(up) < time() - 600").len(), 1);
        assert_eq!(found("timestamp(up) > time()").len(), 1);
    }

    #[test]
    fn reachable_comparisons_pass() {
        for ok in [
            "count(up) < 3",
            "count(up) >= 1",
            "absent(up) == 1",
            "rate(x_total[5m]) > 0",
            "time() - timestamp(up) > 120",
            "timestamp(up) < time() - 120",
            "time() - max_over_time(timestamp(up)[1h:1m]) > 600",
            "time() - timestamp(up offset 1h) > 3600",
            "x - time() > 600",
            "deriv(x[5m]) < 0",
            "ratio > 0 * 100 > 1",
            "x == 0 or x > 0",
            "up == 0",
            "sum(x) < 0",
        ] {
            assert!(found(ok).is_empty(), "{ok}: {:?}", found(ok));
        }
    }
}
