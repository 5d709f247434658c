//! PromQL as Prometheus 3.15 parses it. Duration expressions are on by
//! default since 3.14: every expression of Prometheus's own
//! `promql/promqltest/testdata/duration_expression.test` (prometheus/prometheus
//! main) that does not depend on the query's step loads as a rule's `expr`.

mod common;

use common::*;

/// The `eval` expressions of duration_expression.test, as written there.
const CONSTANT: &[&str] = &[
    "changes(http_requests[30m])",
    "changes(http_requests[26m+4m])",
    "changes(http_requests[30m+0s])",
    "changes(http_requests[1800])",
    "changes(http_requests[60*30])",
    "changes(http_requests[2m*15])",
    "changes(http_requests[2m*(10+5)])",
    "changes(http_requests[29m+60s])",
    "changes(http_requests[24m+((1.5*2m)+2m)])",
    "changes(http_requests[-5m+35m])",
    "changes(http_requests[1h/2])",
    "changes(http_requests[1h30m % 1h])",
    "changes(http_requests[30m1s-30m1s % 1m])",
    "changes(http_requests[(9m30s+30s)*3])",
    "sum_over_time(metric1_total[29s+1s:5s+5s])",
    "sum_over_time(metric1_total[29s+1s:((((8 - 2) / 3) * 7s) % 4) + 8000ms])",
    "sum_over_time(metric1_total[29s+1s:20*500ms] offset (20*(((((8 - 2) / 3) * 7s) % 4) + 8000ms)))",
    "sum_over_time(metric1_total[29s+1s:20*500ms] offset -(20*(((((8 - 2) / 3) * 7s) % 4) + 8000ms)))",
    "metric1_total offset (100 + 2)",
    "metric1_total offset 100 + 2",
    "(metric1_total offset 2) ^ 2",
    "metric1_total offset 2 ^ 2",
    "metric1_total offset -2 ^ 2",
    "metric1_total offset (2 ^ 2)",
    "metric1_total offset (2 * 2)",
    "metric1_total offset -2 * 2",
    "metric1_total offset (-2 * 2)",
    "metric1_total offset -4",
    "metric1_total offset (-2 ^ 2)",
];

fn lint_expr(expr: &str) -> serde_json::Value {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("rules.yaml");
    let text = format!(
        "groups:\n- name: g\n  rules:\n  - record: x:y:z\n    expr: '{}'\n",
        expr.replace('\'', "''")
    );
    std::fs::write(&path, text).unwrap();
    lint_json(&["--select=promql/syntax", path.to_str().unwrap()]).1
}

#[test]
fn duration_expressions_of_prometheus_testdata_load() {
    let refused: Vec<String> = CONSTANT
        .iter()
        .filter_map(|expr| {
            let json = lint_expr(expr);
            let found = json["diagnostics"].as_array().unwrap();
            (!found.is_empty()).then(|| format!("{expr}: {}", found[0]["message"]))
        })
        .collect();
    assert!(refused.is_empty(), "refused:\n{}", refused.join("\n"));
}

#[test]
fn an_error_beside_a_folded_duration_points_at_its_own_place() {
    // `[5m * 2]` is folded for the parser; the missing operand after `+`
    // is still reported where it is in the rule as written.
    let json = lint_expr("rate(x[5m * 2]) + ");
    let found = json["diagnostics"].as_array().unwrap();
    assert_eq!(found.len(), 1, "{json}");
    // `    expr: '` is 11 columns; `+` is the 17th character of the expression.
    assert_eq!(found[0]["line"], 5, "{json}");
    assert_eq!(found[0]["column"], 11 + 17, "{json}");
}
