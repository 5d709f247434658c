//! The recommended change as YAML to paste over the rule's fields. The
//! user's expression is kept as written; only the threshold's number is
//! replaced. firedrill never edits rule files.

use crate::promql::{tokenize, TokenKind};
use crate::replay::plan::{Plan, PlanMode};
use crate::replay::Candidate;
use crate::rules::Duration;

/// `alert`, `expr`, `for` (and `keep_firing_for`) of the rule with the
/// candidate's values, indented as a rule list entry.
pub fn snippet(plan: &Plan, candidate: Candidate) -> String {
    let expr = match (&plan.mode, candidate.threshold) {
        (PlanMode::Split { threshold, op }, Some(new)) => {
            replace_threshold(&plan.expr, *threshold, new)
                .unwrap_or_else(|| format!("{} {} {}", plan.query, op.symbol(), number(new)))
        }
        _ => plan.expr.trim().to_string(),
    };
    let mut out = format!("- alert: {}\n", plan.alertname);
    if expr.contains('\n') {
        out.push_str("  expr: |\n");
        for line in expr.lines() {
            out.push_str("    ");
            out.push_str(line);
            out.push('\n');
        }
    } else {
        out.push_str(&format!("  expr: {}\n", yaml_plain_or_quoted(&expr)));
    }
    out.push_str(&format!("  for: {}\n", duration(candidate.for_.millis)));
    if candidate.keep_firing_for.millis > 0 || plan.keep_firing_for.millis > 0 {
        out.push_str(&format!(
            "  keep_firing_for: {}\n",
            duration(candidate.keep_firing_for.millis)
        ));
    }
    out
}

fn duration(ms: u64) -> String {
    if ms == 0 {
        "0s".into()
    } else {
        Duration { millis: ms }.to_string()
    }
}

/// A threshold as people write it: `0.9`, `100`, `1e+06`.
pub fn number(v: f64) -> String {
    if v.is_infinite() {
        return if v > 0.0 {
            "+Inf".into()
        } else {
            "-Inf".into()
        };
    }
    format!("{v}")
}

/// The expression with the comparison's number (its last token, or its
/// first for `0.8 < x`) replaced; `None` when that number is not there as
/// a plain literal.
fn replace_threshold(expr: &str, old: f64, new: f64) -> Option<String> {
    let tokens: Vec<_> = tokenize(expr)
        .into_iter()
        .filter(|t| t.kind != TokenKind::Comment)
        .collect();
    let candidates = [tokens.last(), tokens.first()];
    for t in candidates.into_iter().flatten() {
        if t.kind != TokenKind::Number {
            continue;
        }
        let text = t.text(expr);
        let value = text.parse::<f64>().ok()?;
        if value == old || (value - old).abs() <= f64::EPSILON * old.abs() {
            let mut out = String::with_capacity(expr.len());
            out.push_str(&expr[..t.start]);
            out.push_str(&number(new));
            out.push_str(&expr[t.end..]);
            return Some(out.trim_end().to_string());
        }
    }
    None
}

/// Plain YAML when it reads back as the same string, else double-quoted.
fn yaml_plain_or_quoted(text: &str) -> String {
    let risky = text.starts_with([
        '{', '[', '*', '&', '!', '|', '>', '\'', '"', '%', '@', '`', '-', '?', ':', '#',
    ]) || text.contains(": ")
        || text.contains(" #")
        || text.ends_with(':');
    if risky {
        serde_json::to_string(text).expect("a string serializes")
    } else {
        text.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::promql::Comparison;

    fn plan(expr: &str, threshold: f64) -> Plan {
        Plan {
            file: "f".into(),
            line: 1,
            group: "g".into(),
            alertname: "FPMPoolSaturation".into(),
            query: "q".into(),
            written: "q".into(),
            expr: expr.into(),
            mode: PlanMode::Split {
                op: Comparison::Gt,
                threshold,
            },
            interval: Duration::from_secs(60),
            interval_from: crate::replay::plan::IntervalFrom::Group,
            query_offset: Duration::ZERO,
            group_labels: Vec::new(),
            limit: 0,
            inlined: Vec::new(),
            not_inlined: Vec::new(),
            reads_recorded: Vec::new(),
            for_: Duration::from_secs(120),
            keep_firing_for: Duration::ZERO,
            static_labels: Vec::new(),
        }
    }

    fn candidate(threshold: f64, for_s: u64) -> Candidate {
        Candidate {
            threshold: Some(threshold),
            for_: crate::rules::Duration::from_secs(for_s),
            keep_firing_for: crate::rules::Duration::ZERO,
        }
    }

    #[test]
    fn keeps_the_expression_as_written() {
        let p = plan(
            "sum by (pool) (phpfpm_active_processes)\n  / sum by (pool) (phpfpm_total_processes)\n  > 0.8\n",
            0.8,
        );
        let s = snippet(&p, candidate(0.9, 300));
        assert_eq!(
            s,
            "- alert: FPMPoolSaturation\n  expr: |\n    sum by (pool) (phpfpm_active_processes)\n      / sum by (pool) (phpfpm_total_processes)\n      > 0.9\n  for: 5m\n"
        );
    }

    #[test]
    fn a_reversed_comparison_or_a_quoted_expression() {
        let s = snippet(&plan("0.8 < rate(x[5m])", 0.8), candidate(0.95, 120));
        assert!(s.contains("  expr: 0.95 < rate(x[5m])\n"), "{s}");
        let s = snippet(&plan("{job=\"a\"} > 5", 5.0), candidate(7.0, 0));
        assert!(s.contains("  expr: \"{job=\\\"a\\\"} > 7\"\n"), "{s}");
        assert!(s.ends_with("  for: 0s\n"), "{s}");
    }

    #[test]
    fn a_threshold_it_cannot_find_is_written_in_canonical_form() {
        let s = snippet(&plan("x > 8e-1 # comment", 0.8), candidate(0.9, 60));
        assert!(s.contains("x > 0.9 # comment"), "{s}");
        let s = snippet(&plan("x > (0.4 * 2)", 0.8), candidate(0.9, 60));
        assert!(s.contains("expr: q > 0.9"), "{s}");
    }
}
