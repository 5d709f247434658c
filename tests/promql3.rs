//! PromQL as Prometheus 3 parses it, and as Prometheus 2 did. The
//! conformance bar is Prometheus's own test data
//! (`fixtures/promqltest/`, copied from prometheus/prometheus main:
//! `duration_expression.test`, `extended_vectors.test`, `fill-modifier.test`):
//! every `eval` expression loads as a rule's `expr` with the features the
//! test framework turns on (`promql/promqltest/test.go`), and the rules
//! firedrill says fail at every evaluation are exactly the `expect fail` ones
//! among the queries Prometheus evaluates as instant queries, as it
//! evaluates rules. Prometheus 2's verdict comes from promtool 2.42 itself.

mod common;

use std::process::Command;

use common::promqltest::Eval;
use common::*;

fn evals() -> Vec<Eval> {
    let out = common::promqltest::evals(&[
        "duration_expression.test",
        "extended_vectors.test",
        "fill-modifier.test",
    ]);
    assert!(out.len() > 250, "read only {} evals", out.len());
    out
}

const EVERY_FEATURE: &str = "--enable-feature=promql-extended-range-selectors,promql-binop-fill-modifiers,promql-experimental-functions";

#[test]
fn every_expression_of_prometheus_testdata_gets_prometheus_verdict() {
    let evals = evals();
    let exprs: Vec<&str> = evals.iter().map(|e| e.expr.as_str()).collect();
    let found = lint_expressions(
        &exprs,
        &[EVERY_FEATURE, "--select=promql/syntax,promql/eval-error"],
    );
    let mut wrong = Vec::new();
    for (i, eval) in evals.iter().enumerate() {
        let said = found.get(&i).cloned().unwrap_or_default();
        let place = format!("{}:{} {}", eval.file, eval.line, eval.expr);
        if let Some(syntax) = said.iter().find(|(check, _)| check == "promql/syntax") {
            wrong.push(format!("{place}: refused: {}", syntax.1));
            continue;
        }
        let failures: Vec<&str> = said.iter().map(|(_, m)| m.as_str()).collect();
        match (&eval.fails_with, eval.instant) {
            (Some(message), _) => {
                let expected = format!("every evaluation fails: {message}");
                if failures != [expected.as_str()] {
                    wrong.push(format!("{place}: expected {expected:?}, said {failures:?}"));
                }
            }
            // Prometheus evaluated it as an instant query without error.
            (None, true) if !failures.is_empty() => {
                wrong.push(format!(
                    "{place}: Prometheus evaluates it, firedrill says {failures:?}"
                ));
            }
            _ => {}
        }
    }
    assert!(
        wrong.is_empty(),
        "{} of {}:\n{}",
        wrong.len(),
        evals.len(),
        wrong.join("\n")
    );
}

#[test]
fn what_prometheus_gates_needs_its_feature() {
    // promql/parser/parse.go: setAnchored, setSmoothed, newBinaryExpression;
    // 3.15, the last release where `anchored`/`smoothed` need their flag.
    let evals = evals();
    let exprs: Vec<&str> = evals.iter().map(|e| e.expr.as_str()).collect();
    let found = lint_expressions(
        &exprs,
        &["--select=promql/syntax", "--prometheus-version=3.15"],
    );
    let word = |expr: &str, w: &str| {
        expr.split(|c: char| !c.is_ascii_alphanumeric() && c != '_')
            .any(|t| t == w)
    };
    let mut wrong = Vec::new();
    for (i, expr) in exprs.iter().enumerate() {
        let expected = if word(expr, "anchored") {
            Some("anchored modifier is experimental and not enabled")
        } else if word(expr, "smoothed") {
            Some("smoothed modifier is experimental and not enabled")
        } else if ["fill(", "fill_left(", "fill_right("]
            .iter()
            .any(|f| expr.contains(f))
        {
            Some("binop fill modifiers are experimental and not enabled")
        } else {
            None
        };
        let said: Vec<String> = found
            .get(&i)
            .cloned()
            .unwrap_or_default()
            .into_iter()
            .map(|(_, m)| m)
            .collect();
        let expected: Vec<String> = expected
            .map(|m| format!("could not parse expression: {m}"))
            .into_iter()
            .collect();
        if said != expected {
            wrong.push(format!("{expr}: expected {expected:?}, said {said:?}"));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn modifiers_prometheus_refuses_when_parsing_are_refused() {
    // promql/parser/parse.go: setAnchored and setSmoothed.
    let exprs = [
        "max_over_time(x[1h:5m] anchored)",
        "rate(x[5m]) smoothed",
        "rate(x[5m] anchored smoothed)",
        "rate(x[1h / 0])",
        "rate(x[-5m])",
    ];
    let found = lint_expressions(&exprs, &[EVERY_FEATURE, "--select=promql/syntax"]);
    let said: Vec<String> = (0..exprs.len())
        .map(|i| found.get(&i).map(|f| f[0].1.clone()).unwrap_or_default())
        .collect();
    assert_eq!(
        said,
        [
            "could not parse expression: anchored modifier is not supported for subqueries",
            "could not parse expression: smoothed modifier not implemented",
            "could not parse expression: anchored and smoothed modifiers cannot be used together",
            "could not parse expression: division by zero",
            "could not parse expression: duration must be greater than 0",
        ]
    );
}

/// Expressions where Prometheus 2 and 3 differ, and a few where they agree.
const ACROSS_VERSIONS: &[&str] = &[
    "rate(up[5m])",
    "rate(up[5m * 2])",
    "up offset (1h + 5m)",
    "rate(up[100])",
    "up offset 100",
    "up offset -5m",
    "max_over_time(up[1h:100])",
    "up offset 0",
    "up offset 0s",
    "holt_winters(up[5m], 0.1, 0.2)",
    "double_exponential_smoothing(up[5m], 0.1, 0.2)",
    "a + fill(0) b",
    "rate(up[5m] anchored)",
    "sum by (job) (rate(up[5m])) > 0",
];

#[test]
fn prometheus_2_verdicts_are_promtool_2_42s() {
    common::tools::require("promtool", "prometheus");
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("rules.yaml");
    let found = lint_expressions(
        ACROSS_VERSIONS,
        &["--prometheus-version=2", "--select=promql/syntax"],
    );
    let mut differ = Vec::new();
    for (i, expr) in ACROSS_VERSIONS.iter().enumerate() {
        let text = format!(
            "groups:\n- name: g\n  rules:\n  - record: x:y:z\n    expr: '{}'\n",
            expr.replace('\'', "''")
        );
        std::fs::write(&path, text).unwrap();
        let out = Command::new("promtool")
            .args(["check", "rules", path.to_str().unwrap()])
            .output()
            .unwrap();
        let promtool = out.status.success();
        let firedrill = !found.contains_key(&i);
        if promtool != firedrill {
            differ.push(format!(
                "{expr}: promtool 2.42 {}, firedrill --prometheus-version=2 {}: {:?} / {}",
                if promtool { "accepts" } else { "refuses" },
                if firedrill { "accepts" } else { "refuses" },
                found.get(&i),
                String::from_utf8_lossy(&out.stdout)
            ));
        }
    }
    assert!(differ.is_empty(), "{}", differ.join("\n"));
}

#[test]
fn prometheus_3_takes_what_2_refused() {
    // The same expressions, Prometheus 3's verdict (generated_parser.y):
    // durations may be numbers and expressions, an offset may be 0,
    // holt_winters is gone, fill needs its feature, and so does anchored
    // up to 3.15 (always on since 3.16, pull request #19697).
    let refused = |flags: &[&str]| -> Vec<&str> {
        let found = lint_expressions(ACROSS_VERSIONS, flags);
        ACROSS_VERSIONS
            .iter()
            .enumerate()
            .filter(|(i, _)| found.contains_key(i))
            .map(|(_, e)| *e)
            .collect()
    };
    assert_eq!(
        refused(&["--select=promql/syntax", "--prometheus-version=3.15"]),
        [
            "holt_winters(up[5m], 0.1, 0.2)",
            "double_exponential_smoothing(up[5m], 0.1, 0.2)",
            "a + fill(0) b",
            "rate(up[5m] anchored)",
        ]
    );
    assert_eq!(
        refused(&["--select=promql/syntax"]),
        [
            "holt_winters(up[5m], 0.1, 0.2)",
            "double_exponential_smoothing(up[5m], 0.1, 0.2)",
            "a + fill(0) b",
        ]
    );
}

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

/// Type errors promql-parser finds, in the words and at the column promtool
/// gives (`checkAST` in promql/parser/parse.go; the messages are the same in
/// 2.42 and 3.15).
const TYPE_ERRORS: &[&str] = &[
    "rate(x)",
    "rate(x[5m]) + y[5m]",
    "x[5m] > 0",
    "sum(rate(x[5m])[5m])",
    "abs(x[5m])",
    "histogram_quantile(0.9, x[5m])",
    "histogram_quantile(x, 0.9)",
    "round(x, y)",
    "clamp(x, 1, y)",
    "predict_linear(x[5m], y)",
    "label_join(x, \"a\", 1, \"b\")",
    "label_replace(x, \"a\", \"b\", \"c\")",
    "x and 1",
    "1 > 2",
    "rate(x[5m])[5m]",
    "max_over_time(rate(x[5m])[5m:1m]) + z[1m]",
    "topk(x, y)",
    "quantile(\"a\", x)",
    "count_values(1, x)",
    "absent(x[5m])",
    "sum(x) by (job) + on(job) 1",
    "sum by (job) (z[1m])",
];

#[test]
fn type_errors_are_in_promtools_words_at_its_column() {
    common::tools::require("promtool", "prometheus");
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("rules.yaml");
    let mut differ = Vec::new();
    for expr in TYPE_ERRORS {
        let text = format!(
            "groups:\n- name: g\n  rules:\n  - record: x:y:z\n    expr: '{}'\n",
            expr.replace('\'', "''")
        );
        std::fs::write(&path, text).unwrap();
        let out = Command::new("promtool")
            .args(["check", "rules", path.to_str().unwrap()])
            .output()
            .unwrap();
        let said = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        // `... could not parse expression: 1:15: parse error: <message>`
        let promtool = said
            .split("could not parse expression: ")
            .nth(1)
            .map(|s| s.lines().next().unwrap().replace("parse error: ", ""))
            .unwrap_or_else(|| format!("(promtool: {said})"));
        let (_, json) = lint_json(&["--select=promql/syntax", path.to_str().unwrap()]);
        let firedrill = json["diagnostics"]
            .as_array()
            .unwrap()
            .first()
            .map(|d| {
                // `    expr: '` is 11 columns.
                format!(
                    "1:{}: {}",
                    d["column"].as_u64().unwrap() - 11,
                    d["message"]
                        .as_str()
                        .unwrap()
                        .trim_start_matches("could not parse expression: ")
                )
            })
            .unwrap_or_default();
        if firedrill != promtool {
            differ.push(format!(
                "{expr}\n  promtool:  {promtool}\n  firedrill: {firedrill}"
            ));
        }
    }
    assert!(differ.is_empty(), "{}", differ.join("\n"));
}
