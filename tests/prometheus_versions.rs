//! Each Prometheus version `--prometheus-version` takes gives its own
//! verdict on what changed between versions, held to Prometheus's own test
//! data of that version (fixtures/promqltest, fixtures/promtool; their
//! READMEs give the tags and commits):
//!
//! - 3.13, the long-term-support line: duration expressions need
//!   `promql-duration-expr` (promql/parser/parse.go at v3.13.0,
//!   `experimentalDurationExpr`), `first_over_time` is experimental
//!   (promql/parser/functions.go at v3.13.0), `start_timestamp` does not
//!   exist yet;
//! - 3.14: duration expressions on for good (CHANGELOG 3.14.0, #19033),
//!   `first_over_time` stable (#19093), `start_timestamp` experimental
//!   (#19089);
//! - 3.16: `anchored` and `smoothed` on for good (pull request #19697).
//!
//! model/rulefmt/testdata is the same at v3.13.0 and main (`git diff` of the
//! two is empty), so the rule-file verdicts do not change between the 3.x
//! versions; `tests/corpus.rs` holds firedrill to them.

mod common;

use common::promqltest::evals;
use common::*;

/// The `promql/syntax` messages of each expression, by index.
fn syntax(exprs: &[&str], flags: &[&str]) -> Vec<Vec<String>> {
    let mut all = vec!["--select=promql/syntax"];
    all.extend_from_slice(flags);
    let found = lint_expressions(exprs, &all);
    (0..exprs.len())
        .map(|i| {
            found
                .get(&i)
                .map(|f| f.iter().map(|(_, m)| m.clone()).collect())
                .unwrap_or_default()
        })
        .collect()
}

/// A duration expression in the text, by the grammar's rule
/// (`generated_parser.y`: arithmetic, `step()`, `range()`, `min_of`,
/// `max_of` or parentheses where a duration goes), read here without
/// firedrill's code.
fn has_duration_expression(expr: &str) -> bool {
    let mut inside = 0usize;
    let bytes = expr.as_bytes();
    for (i, &b) in bytes.iter().enumerate() {
        match b {
            b'[' => inside += 1,
            b']' => inside = inside.saturating_sub(1),
            b'+' | b'*' | b'/' | b'%' | b'^' | b'(' if inside > 0 => return true,
            // A sign is part of a literal only right after `[` or `:`.
            b'-' if inside > 0 => {
                let before = expr[..i].trim_end();
                if !(before.ends_with('[') || before.ends_with(':')) {
                    return true;
                }
            }
            _ => {}
        }
    }
    let lower = expr.to_ascii_lowercase();
    lower.match_indices("offset").any(|(at, _)| {
        let rest = lower[at + 6..].trim_start();
        let rest = rest.strip_prefix(['-', '+']).unwrap_or(rest).trim_start();
        rest.starts_with('(')
            || ["step(", "range(", "min_of(", "max_of("]
                .iter()
                .any(|f| rest.starts_with(f))
    })
}

#[test]
fn duration_expressions_need_their_flag_in_3_13_only() {
    let all = evals(&["duration_expression.test"]);
    // What Prometheus's own test data expects to fail when parsing is
    // refused by every version (`expect fail` at evaluation is not).
    let exprs: Vec<&str> = all.iter().map(|e| e.expr.as_str()).collect();
    let flags = "--enable-feature=promql-experimental-functions";
    let v313 = syntax(&exprs, &["--prometheus-version=3.13", flags]);
    let v313_flag = syntax(
        &exprs,
        &[
            "--prometheus-version=3.13",
            "--enable-feature=promql-experimental-functions,promql-duration-expr",
        ],
    );
    let v314 = syntax(&exprs, &["--prometheus-version=3.14", flags]);
    let mut gated = 0;
    let mut wrong = Vec::new();
    for (i, eval) in all.iter().enumerate() {
        let place = format!("{}:{} {}", eval.file, eval.line, eval.expr);
        if v313_flag[i] != v314[i] {
            wrong.push(format!(
                "{place}: 3.13 with the flag says {:?}, 3.14 {:?}",
                v313_flag[i], v314[i]
            ));
        }
        if has_duration_expression(&eval.expr) && v314[i].is_empty() {
            gated += 1;
            let expected =
                "could not parse expression: experimental duration expression is not enabled";
            if v313[i] != [expected] {
                wrong.push(format!("{place}: 3.13 without the flag says {:?}", v313[i]));
            }
        } else if v313[i] != v314[i] {
            wrong.push(format!(
                "{place}: no duration expression, yet 3.13 says {:?} and 3.14 {:?}",
                v313[i], v314[i]
            ));
        }
    }
    assert!(
        gated >= 40,
        "only {gated} duration expressions in the test data"
    );
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn first_over_time_is_experimental_until_3_14() {
    let all: Vec<_> = evals(&["v3.13.0/functions.test"])
        .into_iter()
        .filter(|e| e.expr.contains("first_over_time(") && !e.expr.contains("ts_of_first"))
        .collect();
    assert!(!all.is_empty());
    let exprs: Vec<&str> = all.iter().map(|e| e.expr.as_str()).collect();
    let expected =
        "could not parse expression: function \"first_over_time\" is experimental and not enabled";
    for said in syntax(&exprs, &["--prometheus-version=3.13"]) {
        assert_eq!(said, [expected]);
    }
    for (flags, version) in [
        (
            &[
                "--prometheus-version=3.13",
                "--enable-feature=promql-experimental-functions",
            ][..],
            "3.13 with the flag",
        ),
        (&["--prometheus-version=3.14"][..], "3.14"),
        (&[][..], "the default"),
    ] {
        let said = syntax(&exprs, flags);
        assert!(said.iter().all(Vec::is_empty), "{version}: {said:?}");
    }
}

#[test]
fn start_timestamp_came_with_3_14_as_experimental() {
    let all: Vec<_> = evals(&["start_timestamps.test"])
        .into_iter()
        .filter(|e| e.expr.contains("start_timestamp("))
        .collect();
    assert!(all.len() >= 2, "{}", all.len());
    let exprs: Vec<&str> = all.iter().map(|e| e.expr.as_str()).collect();
    let experimental = "--enable-feature=promql-experimental-functions";
    for said in syntax(&exprs, &["--prometheus-version=3.13", experimental]) {
        assert_eq!(
            said,
            ["could not parse expression: unknown function with name \"start_timestamp\""]
        );
    }
    for said in syntax(&exprs, &["--prometheus-version=3.14"]) {
        assert_eq!(
            said,
            ["could not parse expression: function \"start_timestamp\" is experimental and not enabled"]
        );
    }
    let said = syntax(&exprs, &["--prometheus-version=3.14", experimental]);
    assert!(said.iter().all(Vec::is_empty), "{said:?}");
}

#[test]
fn anchored_and_smoothed_need_no_flag_from_3_16() {
    let all: Vec<_> = evals(&["extended_vectors.test"])
        .into_iter()
        .filter(|e| e.fails_with.is_none())
        .collect();
    let exprs: Vec<&str> = all.iter().map(|e| e.expr.as_str()).collect();
    let flagged = syntax(
        &exprs,
        &[
            "--prometheus-version=3.15",
            "--enable-feature=promql-extended-range-selectors",
        ],
    );
    let v315 = syntax(&exprs, &["--prometheus-version=3.15"]);
    let v316 = syntax(&exprs, &["--prometheus-version=3.16"]);
    let mut gated = 0;
    for i in 0..exprs.len() {
        // 3.16 without the flag says what 3.15 with it says.
        assert_eq!(v316[i], flagged[i], "{}", exprs[i]);
        if v315[i] != flagged[i] {
            gated += 1;
            assert!(
                v315[i]
                    .iter()
                    .any(|m| m.contains("modifier is experimental and not enabled")),
                "{}: {:?}",
                exprs[i],
                v315[i]
            );
        }
    }
    assert!(gated > 30, "only {gated} expressions gated");
}

/// (record name, message) of each finding of `lint` on a file.
fn findings_of(path: &str, flags: &[&str]) -> Vec<(String, String)> {
    let mut args = vec!["--select=promql/syntax"];
    args.extend_from_slice(flags);
    args.push(path);
    let (_, json) = lint_json(&args);
    json["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["record"].as_str().unwrap_or_default().to_string(),
                d["message"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

#[test]
fn promtools_feature_fixture_per_version() {
    // cmd/promtool/testdata/features.yml: one rule per flag, named after it;
    // TestCheckRulesWithFeatureFlag checks it with the flags on.
    let v313 = fixtures().join("promtool/v3.13.0/features.yml");
    let v313 = v313.to_str().unwrap();
    let main = fixtures().join("promtool/main/features.yml");
    let main = main.to_str().unwrap();
    let gated = |path: &str, flags: &[&str]| -> Vec<String> {
        findings_of(path, flags)
            .into_iter()
            .map(|(r, _)| r)
            .collect()
    };
    // 3.13: each rule needs the flag it is named after.
    assert_eq!(
        gated(v313, &["--prometheus-version=3.13"]),
        [
            "promql-experimental-functions",
            "promql-duration-expr",
            "promql-extended-range-selectors"
        ]
    );
    assert!(gated(
        v313,
        &[
            "--prometheus-version=3.13",
            "--enable-feature=promql-experimental-functions,promql-duration-expr,promql-extended-range-selectors"
        ]
    )
    .is_empty());
    // 3.15: duration expressions are on for good.
    assert_eq!(
        gated(main, &["--prometheus-version=3.15"]),
        [
            "promql-experimental-functions",
            "promql-extended-range-selectors",
            "promql-binop-fill-modifiers"
        ]
    );
    // 3.16, the default: so are `anchored` and `smoothed`.
    assert_eq!(
        gated(main, &[]),
        [
            "promql-experimental-functions",
            "promql-binop-fill-modifiers"
        ]
    );
    assert!(gated(
        main,
        &["--enable-feature=promql-experimental-functions,promql-binop-fill-modifiers"]
    )
    .is_empty());
}

#[test]
fn the_verdict_says_whose_it_is() {
    let main = fixtures().join("promtool/main/features.yml");
    let main = main.to_str().unwrap();
    let out = firedrill(&["lint", "--prometheus-version=3.13", main]);
    assert!(
        stdout(&out).contains("Prometheus 3.13's verdict."),
        "{}",
        stdout(&out)
    );
    let out = firedrill(&[
        "lint",
        "--enable-feature=promql-experimental-functions,promql-binop-fill-modifiers",
        main,
    ]);
    assert!(
        stdout(&out).contains(
            "Prometheus 3.16's verdict with promql-experimental-functions, promql-binop-fill-modifiers."
        ),
        "{}",
        stdout(&out)
    );
    let (_, json) = lint_json(&["--prometheus-version=2", main]);
    assert_eq!(json["summary"]["prometheus"]["version"], "2");
    let (_, json) = lint_json(&["--enable-feature=promql-duration-expr", main]);
    // Always on in 3.16: the flag changes nothing there and is not listed.
    assert_eq!(
        json["summary"]["prometheus"],
        serde_json::json!({"version": "3.16", "features": []})
    );
}

#[test]
fn a_version_firedrill_does_not_tell_apart_is_refused() {
    for (version, says) in [
        ("3.17", "not a stable release firedrill knows"),
        ("3.10", "does not tell Prometheus 3.10 apart"),
        ("4", "unknown Prometheus version"),
    ] {
        let out = firedrill(&[
            "lint",
            &format!("--prometheus-version={version}"),
            fixtures()
                .join("promtool/main/features.yml")
                .to_str()
                .unwrap(),
        ]);
        assert_eq!(out.status.code(), Some(2), "{version}");
        assert!(stderr(&out).contains(says), "{version}: {}", stderr(&out));
    }
}
