//! What an expression's result can be, without running it: which labels its
//! series can carry, and whether it filters (so an alert on it fires only
//! sometimes). The label rules are Prometheus's (`engine.go`: aggregation
//! grouping, `resultMetric` of binary operators, `absent`'s equality
//! matchers); `tests/promtool_oracle.rs` checks the subtle ones.

use std::collections::BTreeSet;

use promql_parser::label::MatchOp;
use promql_parser::parser::value::ValueType;
use promql_parser::parser::{Expr, LabelModifier, VectorMatchCardinality};

/// The labels a result's series can carry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Labels {
    /// At most these.
    Only(BTreeSet<String>),
    /// Any label but these.
    AllExcept(BTreeSet<String>),
}

impl Labels {
    pub fn any() -> Labels {
        Labels::AllExcept(BTreeSet::new())
    }

    pub fn none() -> Labels {
        Labels::Only(BTreeSet::new())
    }

    pub fn can_carry(&self, label: &str) -> bool {
        match self {
            Labels::Only(set) => set.contains(label),
            Labels::AllExcept(set) => !set.contains(label),
        }
    }

    fn union(self, other: Labels) -> Labels {
        match (self, other) {
            (Labels::Only(a), Labels::Only(b)) => Labels::Only(&a | &b),
            (Labels::AllExcept(a), Labels::AllExcept(b)) => Labels::AllExcept(&a & &b),
            (Labels::Only(a), Labels::AllExcept(b)) | (Labels::AllExcept(b), Labels::Only(a)) => {
                Labels::AllExcept(&b - &a)
            }
        }
    }

    fn without(self, names: &[String]) -> Labels {
        match self {
            Labels::Only(mut set) => {
                for n in names {
                    set.remove(n);
                }
                Labels::Only(set)
            }
            Labels::AllExcept(mut set) => {
                set.extend(names.iter().cloned());
                Labels::AllExcept(set)
            }
        }
    }

    fn with(self, names: &[String]) -> Labels {
        match self {
            Labels::Only(mut set) => {
                set.extend(names.iter().cloned());
                Labels::Only(set)
            }
            Labels::AllExcept(mut set) => {
                for n in names {
                    set.remove(n);
                }
                Labels::AllExcept(set)
            }
        }
    }

    /// Only those of `names` this can carry.
    fn keep(&self, names: &[String]) -> Labels {
        Labels::Only(
            names
                .iter()
                .filter(|n| self.can_carry(n))
                .cloned()
                .collect(),
        )
    }
}

fn string_arg(expr: &Expr) -> Option<String> {
    match expr {
        Expr::StringLiteral(s) => Some(s.val.clone()),
        Expr::Paren(p) => string_arg(&p.expr),
        _ => None,
    }
}

/// The labels the result of `expr` can carry. `absent()` and
/// `absent_over_time()` count as unknown here: what they carry is
/// [`absent_calls`]' business, so one finding is not made twice.
pub fn result_labels(expr: &Expr) -> Labels {
    match expr {
        Expr::VectorSelector(_) | Expr::MatrixSelector(_) => Labels::any(),
        Expr::NumberLiteral(_) | Expr::StringLiteral(_) => Labels::none(),
        Expr::Paren(p) => result_labels(&p.expr),
        Expr::Unary(u) => result_labels(&u.expr),
        Expr::Subquery(s) => result_labels(&s.expr),
        Expr::Extension(_) => Labels::any(),
        Expr::Aggregate(agg) => {
            let op = agg.op.to_string();
            let inner = result_labels(&agg.expr);
            if matches!(op.as_str(), "topk" | "bottomk" | "limitk" | "limit_ratio") {
                return inner;
            }
            let mut grouped = match &agg.modifier {
                Some(LabelModifier::Include(by)) => inner.keep(&by.labels),
                Some(LabelModifier::Exclude(without)) => inner.without(&without.labels),
                None => Labels::none(),
            };
            if op == "count_values" {
                if let Some(label) = agg.param.as_deref().and_then(string_arg) {
                    grouped = grouped.with(&[label]);
                }
            }
            grouped
        }
        Expr::Call(call) => {
            let args = &call.args.args;
            match call.func.name {
                "absent" | "absent_over_time" => Labels::any(),
                "label_replace" | "label_join" => {
                    let inner = args.first().map_or(Labels::any(), |a| result_labels(a));
                    match args.get(1).and_then(|a| string_arg(a)) {
                        Some(dst) => inner.with(&[dst]),
                        None => inner,
                    }
                }
                "histogram_quantile" => args
                    .get(1)
                    .map_or(Labels::any(), |a| result_labels(a).without(&["le".into()])),
                _ if call.func.return_type == ValueType::Scalar => Labels::none(),
                _ => args
                    .iter()
                    .find(|a| matches!(a.value_type(), ValueType::Vector | ValueType::Matrix))
                    .map_or(Labels::none(), |a| result_labels(a)),
            }
        }
        Expr::Binary(b) => {
            let lhs_scalar = b.lhs.value_type() == ValueType::Scalar;
            let rhs_scalar = b.rhs.value_type() == ValueType::Scalar;
            if lhs_scalar && rhs_scalar {
                return Labels::none();
            }
            if rhs_scalar {
                return result_labels(&b.lhs);
            }
            if lhs_scalar {
                return result_labels(&b.rhs);
            }
            let op = b.op.to_string();
            let (lhs, rhs) = (result_labels(&b.lhs), result_labels(&b.rhs));
            match op.as_str() {
                "and" | "unless" => return lhs,
                "or" => return lhs.union(rhs),
                _ => {}
            }
            let Some(modifier) = &b.modifier else {
                return lhs;
            };
            match &modifier.card {
                VectorMatchCardinality::ManyToOne(extra) => lhs.with(&extra.labels),
                VectorMatchCardinality::OneToMany(extra) => rhs.with(&extra.labels),
                _ => match &modifier.matching {
                    // One-to-one matching keeps only the `on` labels
                    // (or drops the `ignoring` ones), comparisons included.
                    Some(LabelModifier::Include(on)) => lhs.keep(&on.labels),
                    Some(LabelModifier::Exclude(ignoring)) => lhs.without(&ignoring.labels),
                    None => lhs,
                },
            }
        }
    }
}

/// Whether every series of `expr`'s result has `label`, as the expression
/// alone proves it: a selector matching it with a value that cannot be
/// empty, `count_values` writing it, and the operations that keep it on
/// the way up. Stricter than asking whether a label appears somewhere in
/// the expression: `x and on(i) y{l="a"}` keeps `x`'s labels, never `l`.
pub fn certainly_in_result(expr: &Expr, label: &str) -> bool {
    let listed = |names: &[String]| names.iter().any(|n| n == label);
    match expr {
        Expr::VectorSelector(vs) => selector_proves(vs, label),
        Expr::MatrixSelector(m) => selector_proves(&m.vs, label),
        Expr::Paren(p) => certainly_in_result(&p.expr, label),
        Expr::Unary(u) => certainly_in_result(&u.expr, label),
        Expr::Subquery(s) => certainly_in_result(&s.expr, label),
        Expr::NumberLiteral(_) | Expr::StringLiteral(_) | Expr::Extension(_) => false,
        Expr::Aggregate(agg) => {
            let op = agg.op.to_string();
            if op == "count_values"
                && agg.param.as_deref().and_then(string_arg).as_deref() == Some(label)
            {
                return true;
            }
            let kept = match &agg.modifier {
                _ if matches!(op.as_str(), "topk" | "bottomk" | "limitk" | "limit_ratio") => true,
                Some(LabelModifier::Include(by)) => listed(&by.labels),
                Some(LabelModifier::Exclude(without)) => !listed(&without.labels),
                None => false,
            };
            kept && certainly_in_result(&agg.expr, label)
        }
        Expr::Call(call) => {
            let args = &call.args.args;
            match call.func.name {
                // They carry the equality matchers' labels, or none at all
                // when the series exist: not certain.
                "absent" | "absent_over_time" => false,
                // Written only where the regex matches.
                "label_replace" | "label_join" => {
                    args.get(1).and_then(|a| string_arg(a)).as_deref() != Some(label)
                        && args.first().is_some_and(|a| certainly_in_result(a, label))
                }
                "histogram_quantile" if label == "le" => false,
                _ if call.func.return_type == ValueType::Scalar => false,
                _ => args
                    .iter()
                    .find(|a| matches!(a.value_type(), ValueType::Vector | ValueType::Matrix))
                    .is_some_and(|a| certainly_in_result(a, label)),
            }
        }
        Expr::Binary(b) => {
            let lhs_vector = b.lhs.value_type() == ValueType::Vector;
            let rhs_vector = b.rhs.value_type() == ValueType::Vector;
            match (lhs_vector, rhs_vector) {
                (false, false) => return false,
                (true, false) => return certainly_in_result(&b.lhs, label),
                (false, true) => return certainly_in_result(&b.rhs, label),
                (true, true) => {}
            }
            match b.op.to_string().as_str() {
                "and" | "unless" => return certainly_in_result(&b.lhs, label),
                "or" => {
                    return certainly_in_result(&b.lhs, label) && certainly_in_result(&b.rhs, label)
                }
                _ => {}
            }
            let Some(modifier) = &b.modifier else {
                return certainly_in_result(&b.lhs, label);
            };
            match &modifier.card {
                VectorMatchCardinality::ManyToOne(_) => certainly_in_result(&b.lhs, label),
                VectorMatchCardinality::OneToMany(_) => certainly_in_result(&b.rhs, label),
                _ => {
                    let kept = match &modifier.matching {
                        Some(LabelModifier::Include(on)) => listed(&on.labels),
                        Some(LabelModifier::Exclude(ignoring)) => !listed(&ignoring.labels),
                        None => true,
                    };
                    kept && certainly_in_result(&b.lhs, label)
                }
            }
        }
    }
}

/// A selector's matcher on `label` that no empty value passes.
fn selector_proves(vs: &promql_parser::parser::VectorSelector, label: &str) -> bool {
    vs.matchers.matchers.iter().any(|m| {
        m.name == label
            && match &m.op {
                MatchOp::Equal => !m.value.is_empty(),
                MatchOp::Re(re) => !re.is_match(""),
                _ => false,
            }
    })
}

/// An `absent()`/`absent_over_time()` whose result can be the alert's, and
/// the labels it carries: those of its selector's equality matchers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AbsentCall {
    pub function: &'static str,
    pub carries: BTreeSet<String>,
}

/// The `absent()` calls whose series can come out of `expr` unchanged.
pub fn absent_calls(expr: &Expr) -> Vec<AbsentCall> {
    let mut out = Vec::new();
    collect_absent(expr, &mut out);
    out
}

fn collect_absent(expr: &Expr, out: &mut Vec<AbsentCall>) {
    match expr {
        Expr::Paren(p) => collect_absent(&p.expr, out),
        Expr::Call(call) if matches!(call.func.name, "absent" | "absent_over_time") => {
            let selector = call.args.args.first().and_then(|a| match a.as_ref() {
                Expr::VectorSelector(vs) => Some(vs),
                Expr::MatrixSelector(ms) => Some(&ms.vs),
                _ => None,
            });
            let mut carries = BTreeSet::new();
            if let Some(vs) = selector {
                let mut seen = BTreeSet::new();
                for m in &vs.matchers.matchers {
                    if m.name == "__name__" {
                        continue;
                    }
                    if matches!(m.op, MatchOp::Equal) && seen.insert(m.name.clone()) {
                        carries.insert(m.name.clone());
                    } else if matches!(m.op, MatchOp::Equal) {
                        // Two equality matchers on one name: absent() drops it.
                        carries.remove(&m.name);
                    }
                }
            }
            out.push(AbsentCall {
                function: call.func.name,
                carries,
            });
        }
        Expr::Binary(b) => {
            let op = b.op.to_string();
            let lhs_scalar = b.lhs.value_type() == ValueType::Scalar;
            let rhs_scalar = b.rhs.value_type() == ValueType::Scalar;
            if op == "or" {
                collect_absent(&b.lhs, out);
                collect_absent(&b.rhs, out);
            } else if lhs_scalar && !rhs_scalar {
                collect_absent(&b.rhs, out);
            } else if b.modifier.is_none() || rhs_scalar || op == "and" || op == "unless" {
                // `and on(...)`/`unless on(...)` keep the left side's series
                // as they are: an absent() there is the alert's.
                collect_absent(&b.lhs, out);
            }
        }
        _ => {}
    }
}

/// Whether `expr` leaves out some series some of the time: a comparison
/// without `bool`, a set operator, `absent()`, or something built on one.
/// `vector(...)` counts as intended (a Watchdog heartbeat fires always).
/// `filtered_metric` says whether a selected metric is itself a filtered
/// result (a recording rule that compares, or `ALERTS`).
pub fn filters(expr: &Expr, filtered_metric: &dyn Fn(&str) -> bool) -> bool {
    match expr {
        Expr::VectorSelector(vs) => vs.name.as_deref().is_some_and(filtered_metric),
        Expr::MatrixSelector(ms) => ms.vs.name.as_deref().is_some_and(filtered_metric),
        Expr::NumberLiteral(_) | Expr::StringLiteral(_) | Expr::Extension(_) => false,
        Expr::Paren(p) => filters(&p.expr, filtered_metric),
        Expr::Unary(u) => filters(&u.expr, filtered_metric),
        Expr::Subquery(s) => filters(&s.expr, filtered_metric),
        Expr::Aggregate(agg) => filters(&agg.expr, filtered_metric),
        Expr::Call(call) => {
            matches!(call.func.name, "absent" | "absent_over_time" | "vector")
                || call.args.args.iter().any(|a| filters(a, filtered_metric))
        }
        Expr::Binary(b) => {
            let op = b.op.to_string();
            if b.op.is_comparison_operator() {
                return !b.return_bool()
                    || filters(&b.lhs, filtered_metric)
                    || filters(&b.rhs, filtered_metric);
            }
            match op.as_str() {
                "and" | "unless" => true,
                "or" => filters(&b.lhs, filtered_metric) && filters(&b.rhs, filtered_metric),
                _ => filters(&b.lhs, filtered_metric) || filters(&b.rhs, filtered_metric),
            }
        }
    }
}

/// The value of an expression made of numbers alone (`3 * 24 * 3600`,
/// `-(1 + 1)`), when it is one; division or modulo by zero is not.
pub fn constant_value(expr: &Expr) -> Option<f64> {
    match expr {
        Expr::NumberLiteral(n) => Some(n.val),
        Expr::Paren(p) => constant_value(&p.expr),
        Expr::Unary(u) => constant_value(&u.expr).map(|v| -v),
        Expr::Binary(b) if !b.op.is_comparison_operator() => {
            let (l, r) = (constant_value(&b.lhs)?, constant_value(&b.rhs)?);
            match b.op.to_string().as_str() {
                "+" => Some(l + r),
                "-" => Some(l - r),
                "*" => Some(l * r),
                "/" if r != 0.0 => Some(l / r),
                "%" if r != 0.0 => Some(l % r),
                "^" => Some(l.powf(r)),
                _ => None,
            }
        }
        _ => None,
    }
}

/// The same comparison with its operands swapped: `1 < x` is `x > 1`.
pub fn swapped_comparison(op: &str) -> &str {
    match op {
        ">" => "<",
        "<" => ">",
        ">=" => "<=",
        "<=" => ">=",
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::promql::{parse, ParseOptions};

    fn labels(text: &str) -> Labels {
        result_labels(&parse(text, ParseOptions::default()).unwrap())
    }

    fn only(names: &[&str]) -> Labels {
        Labels::Only(names.iter().map(|s| s.to_string()).collect())
    }

    #[test]
    fn aggregations_keep_their_grouping() {
        assert_eq!(labels("sum by (job) (rate(x[5m]))"), only(&["job"]));
        assert_eq!(labels("sum(x)"), only(&[]));
        assert_eq!(
            labels("sum without (instance) (x)"),
            Labels::AllExcept(["instance".to_string()].into())
        );
        assert_eq!(labels("topk(3, sum by (a, b) (x))"), only(&["a", "b"]));
        assert_eq!(labels("count_values by (a) (\"v\", x)"), only(&["a", "v"]));
        assert_eq!(labels("sum by (a) (sum by (b) (x))"), only(&[]));
        assert_eq!(
            labels("histogram_quantile(0.9, sum by (le, job) (rate(x[5m])))"),
            only(&["job"])
        );
        assert_eq!(
            labels("label_replace(sum by (a) (x), \"z\", \"$1\", \"a\", \"(.*)\")"),
            only(&["a", "z"])
        );
    }

    #[test]
    fn binary_operators_follow_prometheus() {
        assert_eq!(
            labels("sum by (a) (x) / sum by (a) (y) > 0.1"),
            only(&["a"])
        );
        assert_eq!(labels("x > on (job) y"), only(&["job"]));
        assert_eq!(
            labels("sum by (a) (x) * on (a) group_left (b) y"),
            only(&["a", "b"])
        );
        assert_eq!(
            labels("sum by (a) (x) or sum by (b) (y)"),
            only(&["a", "b"])
        );
        assert_eq!(labels("sum by (a) (x) and y"), only(&["a"]));
        assert_eq!(labels("1 - sum by (a) (x)"), only(&["a"]));
        assert_eq!(labels("vector(1)"), only(&[]));
        assert!(labels("up == 0").can_carry("instance"));
    }

    #[test]
    fn absent_carries_its_equality_matchers() {
        let expr = parse(
            "absent(up{job=\"a\", instance=~\"b.*\"}) or absent_over_time(x[5m])",
            ParseOptions::default(),
        )
        .unwrap();
        let calls = absent_calls(&expr);
        assert_eq!(calls.len(), 2);
        assert_eq!(calls[0].carries, ["job".to_string()].into());
        assert!(calls[1].carries.is_empty());
        let inside = parse("sum(absent(up{job=\"a\"}))", ParseOptions::default()).unwrap();
        assert!(absent_calls(&inside).is_empty());
    }

    #[test]
    fn filters_know_the_exceptions() {
        let f = |text: &str| {
            filters(&parse(text, ParseOptions::default()).unwrap(), &|n| {
                n == "ALERTS"
            })
        };
        for yes in [
            "up == 0",
            "sum(rate(x[5m])) > 1",
            "absent(up{job=\"a\"})",
            "vector(1)",
            "(x > 1) * 100",
            "x and on() hour() > 8",
            "x unless y",
            "ALERTS{alertstate=\"firing\"}",
            "count(x > 1) by (job)",
        ] {
            assert!(f(yes), "{yes}");
        }
        for no in [
            "up",
            "rate(x[5m])",
            "topk(5, rate(errors_total[5m]))",
            "sum(a) / sum(b)",
            "x > bool 1",
            "x or y > 1",
            "histogram_quantile(0.9, rate(x_bucket[5m]))",
        ] {
            assert!(!f(no), "{no}");
        }
    }
}
