use std::collections::HashMap;

use super::{alerts, groups, parsed_expr, report_rule, Check, CheckInfo, Context};
use crate::diagnostic::{Diagnostic, Severity};
use crate::promql::{tokenize, Expr, TokenKind};
use crate::rules::RuleFile;

pub struct Counter;

static INFO: CheckInfo = CheckInfo {
    id: "promql/counter",
    severity: Severity::Warning,
    default_enabled: true,
    options: &[],
    summary: "A counter used as a value in an alert, where the rule set itself takes its `rate()` elsewhere",
    docs: r#"## What it does
Reports a selector of a metric named `..._total` (a counter, by the OpenMetrics naming rules)
whose value is used as it is: compared, divided, summed. Allowed around a counter: `rate`,
`irate`, `increase`, `resets`, `changes`, `timestamp`, the `absent`/`present`/`count` families
(which look at presence only), the `count` and `group` aggregations, and the right side of
`and`/`unless`.

Only a metric the loaded rule set itself treats as a counter somewhere (inside `rate`, `irate`,
`increase` or `resets`) is reported, and the finding says where: many exporters name gauges
`_total` ("processes total", "drives offline total"), and only the metric's type, which a rule
file does not hold, tells them apart. Also allowed, as the author's intent: `delta`, `deriv` and
the `*_over_time` functions (a gauge, for the author), `x_total - x_total offset 10m` (the change
taken by hand), and a `_total` beside a sibling of its stem (`disk_used / disk_total`: a total of
parts). Recording rules may store a counter as it is.

## Why is this bad?
A counter only grows, and drops to zero when the process restarts. Its raw value is "how many
since the last restart": `errors_total > 100` fires some weeks after every deploy and clears at
the next restart, whatever the error rate; `errors_total / requests_total` is a lifetime average
that barely moves during an incident.

## Example
```yaml
expr: sum by (job) (errors_total / requests_total) > 0.05
```
Write `sum by (job) (rate(errors_total[5m])) / sum by (job) (rate(requests_total[5m])) > 0.05`.

## Fixed
```yaml
expr: sum by (job) (rate(errors_total[5m])) / sum by (job) (rate(requests_total[5m])) > 0.05
```"#,
};

/// Functions that read a counter's changes or presence, not its value.
const SAFE_FUNCTIONS: &[&str] = &[
    "rate",
    "irate",
    "increase",
    "resets",
    "changes",
    "timestamp",
    "absent",
    "absent_over_time",
    "present_over_time",
    "count_over_time",
    // The author treats the metric as a gauge, or takes the change over
    // time himself: a `_total` gauge (`space_total`) or a deliberate choice.
    "delta",
    "idelta",
    "deriv",
    "predict_linear",
    "avg_over_time",
    "min_over_time",
    "max_over_time",
    "sum_over_time",
    "last_over_time",
    "quantile_over_time",
    "stddev_over_time",
    "stdvar_over_time",
    "mad_over_time",
];

fn is_counter(name: &str) -> bool {
    name.ends_with("_total")
}

/// What else the expression says about its `_total` names.
struct Idioms {
    /// Every metric name selected, and whether that selector has an `offset`.
    selectors: Vec<(String, bool)>,
}

impl Idioms {
    fn of(expr: &Expr) -> Idioms {
        let mut selectors = Vec::new();
        crate::promql::walk(expr, &mut |e| {
            let vs = match e {
                Expr::VectorSelector(vs) => vs,
                Expr::MatrixSelector(ms) => &ms.vs,
                _ => return,
            };
            if let Some(name) = &vs.name {
                selectors.push((name.clone(), vs.offset.is_some()));
            }
        });
        Idioms { selectors }
    }

    /// Whether the expression shows `name` is not a counter used raw:
    /// - `x_total - x_total offset 10m`: the change taken by hand;
    /// - a sibling of the same stem that is not a counter (`disk_total`
    ///   beside `disk_used`, `pg_total - pg_clean`): a total of parts, a gauge.
    fn excuses(&self, name: &str) -> bool {
        if self
            .selectors
            .iter()
            .any(|(n, offset)| n == name && *offset)
        {
            return true;
        }
        let Some(stem) = name.strip_suffix("_total") else {
            return false;
        };
        // `disk_storage_total`: its siblings are `disk_storage_*`.
        let prefix = format!("{stem}_");
        self.selectors
            .iter()
            .any(|(n, _)| n != name && !is_counter(n) && n.starts_with(&prefix))
    }
}

/// The counter selectors used as values, in source order, with the number
/// of earlier occurrences of the same name (to find them in the text).
fn raw_counters(expr: &Expr, safe: bool, seen: &mut Vec<String>, out: &mut Vec<(String, usize)>) {
    let mut visit_selector = |name: Option<&str>, out: &mut Vec<(String, usize)>| {
        let Some(name) = name.filter(|n| is_counter(n)) else {
            return;
        };
        let nth = seen.iter().filter(|s| *s == name).count();
        seen.push(name.to_string());
        if !safe {
            out.push((name.to_string(), nth));
        }
    };
    match expr {
        Expr::VectorSelector(vs) => visit_selector(vs.name.as_deref(), out),
        Expr::MatrixSelector(ms) => visit_selector(ms.vs.name.as_deref(), out),
        Expr::Paren(p) => raw_counters(&p.expr, safe, seen, out),
        Expr::Unary(u) => raw_counters(&u.expr, safe, seen, out),
        Expr::Subquery(s) => raw_counters(&s.expr, safe, seen, out),
        Expr::Aggregate(agg) => {
            if let Some(p) = &agg.param {
                raw_counters(p, safe, seen, out);
            }
            let op = agg.op.to_string();
            let presence = op == "count" || op == "group";
            raw_counters(&agg.expr, safe || presence, seen, out);
        }
        Expr::Call(call) => {
            let reads_changes = SAFE_FUNCTIONS.contains(&call.func.name);
            for arg in &call.args.args {
                raw_counters(arg, safe || reads_changes, seen, out);
            }
        }
        Expr::Binary(b) => {
            let op = b.op.to_string();
            raw_counters(&b.lhs, safe, seen, out);
            let presence = op == "and" || op == "unless";
            raw_counters(&b.rhs, safe || presence, seen, out);
        }
        Expr::NumberLiteral(_) | Expr::StringLiteral(_) | Expr::Extension(_) => {}
    }
}

impl Check for Counter {
    fn info(&self) -> &'static CheckInfo {
        &INFO
    }

    fn check_set(&self, ctx: &Context<'_>, out: &mut Vec<Diagnostic>) {
        // Where the rule set takes the rate of each metric: the evidence that
        // it is a counter.
        let mut rated: HashMap<String, (&RuleFile, usize)> = HashMap::new();
        for file in &ctx.rules.files {
            for rule in groups(file).flat_map(|g| &g.rules) {
                let Some((expr, parsed)) = parsed_expr(rule) else {
                    continue;
                };
                for name in rated_names(parsed) {
                    rated
                        .entry(name)
                        .or_insert_with(|| (file, file.source.line_col(expr.text.span.start).line));
                }
            }
        }
        // A recording rule may store a counter as it is (or summed): it
        // stays a counter, and the rate is taken where it is read.
        for (file, group, rule) in alerts(ctx.rules) {
            let Some((expr, parsed)) = parsed_expr(rule) else {
                continue;
            };
            let text = expr.text.value.as_str();
            if !text.contains("_total") {
                continue;
            }
            let mut found = Vec::new();
            raw_counters(parsed, false, &mut Vec::new(), &mut found);
            if found.is_empty() {
                continue;
            }
            let idioms = Idioms::of(parsed);
            found.retain(|(name, _)| !idioms.excuses(name) && rated.contains_key(name));
            let tokens = tokenize(text);
            for (name, nth) in found {
                // The nth use of the name as a metric (not a label name or function).
                let place = tokens
                    .iter()
                    .enumerate()
                    .filter(|(i, t)| {
                        t.kind == TokenKind::Identifier
                            && t.text(text) == name
                            && !tokens.get(i + 1).is_some_and(|n| {
                                n.kind == TokenKind::LeftParen
                                    || (n.kind == TokenKind::Operator
                                        && matches!(n.text(text), "=" | "!=" | "=~" | "!~"))
                            })
                    })
                    .nth(nth)
                    .map(|(_, t)| (t.start, t.end));
                let span = place.map_or(expr.text.span, |(s, e)| expr.file_span(s, e));
                let (where_file, where_line) = rated[&name];
                let place = if std::ptr::eq(where_file, file) {
                    format!("line {where_line}")
                } else {
                    format!("{}:{where_line}", where_file.source.name)
                };
                out.push(
                    report_rule(
                        &INFO,
                        file,
                        group,
                        rule,
                        span,
                        format!("counter `{name}` is used as a value, and the rule set takes its rate at {place}: as a counter it only grows and resets on restart (if it is a gauge, that rate is the mistake)"),
                    )
                    .label("raw counter")
                    .help(format!("use `rate({name}[5m])` or `increase({name}[1h])`")),
                );
            }
        }
    }
}

/// The metrics read inside `rate`, `irate`, `increase` or `resets`.
fn rated_names(expr: &Expr) -> Vec<String> {
    let mut out = Vec::new();
    crate::promql::walk(expr, &mut |e| {
        let Expr::Call(call) = e else { return };
        if !matches!(call.func.name, "rate" | "irate" | "increase" | "resets") {
            return;
        }
        for arg in &call.args.args {
            crate::promql::walk(arg, &mut |inner| {
                let name = match inner {
                    Expr::MatrixSelector(m) => m.vs.name.as_deref(),
                    Expr::VectorSelector(v) => v.name.as_deref(),
                    _ => None,
                };
                if let Some(n) = name {
                    out.push(n.to_string());
                }
            });
        }
    });
    out
}

#[cfg(test)]
mod tests {
    use super::super::testing::run;
    use super::*;

    /// An alert, after a recording rule that rates every counter the tests use.
    fn record(expr: &str) -> String {
        format!("groups:\n- name: g\n  rules:\n  - alert: CounterAlert\n    expr: {expr}\n  - record: job:rates:sum\n    expr: sum(rate(errors_total[5m])) + sum(rate(requests_total[5m])) + sum(rate(a_total[5m])) + sum(rate(restarts_total[5m])) + sum(rate(x_total[5m]))\n")
    }

    #[test]
    fn reports_raw_counters() {
        let found = run(
            &Counter,
            &record("sum(errors_total / requests_total) by (job)"),
        );
        let places: Vec<&str> = found.iter().map(|(p, _)| p.as_str()).collect();
        assert_eq!(places, ["5:15", "5:30"], "{found:?}");
        let found = run(&Counter, &record("rate(a_total[5m]) / a_total"));
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].0, "5:31");
    }

    #[test]
    fn a_total_the_rule_set_never_rates_may_be_a_gauge() {
        let text = "groups:\n- name: g\n  rules:\n  - alert: A\n    expr: phpfpm_processes_total{state=\"idle\"} < 1\n";
        assert!(run(&Counter, text).is_empty());
        let found = run(&Counter, &record("errors_total > 100"));
        assert!(
            found[0]
                .1
                .contains("and the rule set takes its rate at line 7"),
            "{found:?}"
        );
    }

    #[test]
    fn a_recording_rule_may_store_a_counter() {
        let text = "groups:\n- name: g\n  rules:\n  - record: job:x:sum\n    expr: sum by (job) (x_total)\n";
        assert!(run(&Counter, text).is_empty());
    }

    #[test]
    fn rates_presence_and_counts_pass() {
        for ok in [
            "sum by (job) (rate(errors_total[5m])) / sum by (job) (rate(requests_total[5m]))",
            "increase(x_total[1h]) > 0 and on (job) y_total",
            "absent(up_total{job=\"a\"})",
            "count by (job) (x_total)",
            "changes(process_restarts_total[10m]) > 2",
            "up{job=\"x_total\"} == 0",
            // The change taken by hand, a gauge named as a total of parts, a gauge's slope.
            "restarts_total - restarts_total offset 10m >= 2",
            "disk_used / disk_total > 0.8",
            "ceph_pg_total - ceph_pg_clean > 0",
            "delta(space_total[1h]) < 0",
        ] {
            assert!(run(&Counter, &record(ok)).is_empty(), "{ok}");
        }
    }
}
