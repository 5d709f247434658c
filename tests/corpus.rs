//! Acceptance on real data: firedrill's verdict equals promtool's for every
//! rule file of the corpus's promtool/rulefmt/rules fixtures (as recorded in
//! their expectations.json), and every real-world rule set loads cleanly.

mod common;

use common::*;

/// What promtool decides for one file under one set of flags.
struct Case {
    file: String,
    flags: Vec<&'static str>,
    expect: String,
    why: String,
}

fn cases(folder: &str) -> Vec<Case> {
    let dir = corpus().join(folder);
    let text = std::fs::read_to_string(dir.join("expectations.json")).expect("expectations.json");
    let expectations: serde_json::Value = serde_json::from_str(&text).unwrap();
    let mut out = Vec::new();
    for (name, e) in expectations.as_object().unwrap() {
        if e["kind"] != "rule-file" {
            continue; // unit-test and config files are not rule files
        }
        let file = dir.join(name).display().to_string();
        let why = e["why"].as_str().unwrap_or_default().to_string();
        let get = |k: &str| e.get(k).and_then(|v| v.as_str()).map(str::to_string);
        // promtool check rules validates names as UTF-8; so does firedrill.
        let default = get("expect_utf8_validation")
            // firedrill, like promtool, enables no experimental PromQL by default.
            .or_else(|| get("expect_without_feature_flags"))
            .or_else(|| get("expect"))
            .unwrap();
        out.push(Case {
            file: file.clone(),
            flags: vec![],
            expect: default,
            why: why.clone(),
        });
        if let Some(v) = get("expect_with_ignore_unknown_fields") {
            out.push(Case {
                file: file.clone(),
                flags: vec!["--ignore-unknown-fields"],
                expect: v,
                why: why.clone(),
            });
        }
        // promtool --lint-fatal turns the duplicate-rules warning into failure;
        // firedrill's equivalent is --fail-on warning.
        if let Some(v) = get("expect_lint_fatal") {
            out.push(Case {
                file: file.clone(),
                flags: vec!["--fail-on", "warning"],
                expect: v,
                why: why.clone(),
            });
        }
    }
    assert!(!out.is_empty(), "no rule files in {folder}");
    out
}

fn verdicts_match(folder: &str) {
    let mut mismatches = Vec::new();
    let all = cases(folder);
    for case in &all {
        let mut args = vec!["lint", "--format", "json"];
        args.extend(case.flags.iter().copied());
        args.push(&case.file);
        let out = firedrill(&args);
        let verdict = match out.status.code() {
            Some(0) => "accept",
            Some(1) => "reject",
            other => panic!("{}: exit {other:?}: {}", case.file, stderr(&out)),
        };
        if verdict != case.expect {
            mismatches.push(format!(
                "{} {:?}: firedrill {verdict}, promtool {} ({})",
                case.file, case.flags, case.expect, case.why
            ));
        }
    }
    assert!(
        mismatches.is_empty(),
        "{} of {} verdicts differ:\n{}",
        mismatches.len(),
        all.len(),
        mismatches.join("\n")
    );
}

#[test]
fn promtool_testdata_verdicts_match_promtool() {
    verdicts_match("promtool-testdata");
}

#[test]
fn rulefmt_testdata_verdicts_match_promtool() {
    verdicts_match("prometheus-rulefmt-testdata");
}

#[test]
fn rules_fixtures_verdicts_match_promtool() {
    verdicts_match("prometheus-rules-fixtures");
}

/// Rule counts from the corpus's SOURCES.md: every rule is loaded, none twice.
#[test]
fn real_world_rule_sets_load_with_zero_errors() {
    for (folder, files, rules) in [
        ("kube-prometheus", 8, 234),
        ("awesome-prometheus-alerts", 112, 954),
        ("openshift-cluster-monitoring-operator", 11, 264),
        ("thanos-mixin", 2, 64),
    ] {
        let path = corpus().join(folder).display().to_string();
        let (code, json) = lint_json(&[&path]);
        let errors: Vec<_> = json["diagnostics"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|d| d["severity"] == "error")
            .collect();
        assert!(errors.is_empty(), "{folder}: {errors:#?}");
        assert_eq!(code, 0, "{folder}");
        assert_eq!(json["summary"]["files"], files, "{folder}: rule files");
        assert_eq!(json["summary"]["rules"], rules, "{folder}: rules");
    }
}

/// kube-prometheus has recording rules of one name and no labels over
/// disjoint selectors (`verb=~"LIST|GET"`, `verb=~"POST|..."`): promtool's
/// duplicate-rules lint, which compares name and labels only, flags them,
/// but they write different series. firedrill compares the expression too.
#[test]
fn kube_prometheus_same_name_rules_over_disjoint_selectors_are_not_duplicates() {
    let path = corpus()
        .join("kube-prometheus/kubernetesControlPlane-prometheusRule.yaml")
        .display()
        .to_string();
    let (_, json) = lint_json(&["--select=rule/duplicate", &path]);
    assert!(findings(&json).is_empty(), "{json}");
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(
        text.matches("record: code_verb:apiserver_request_total:increase1h")
            .count()
            >= 4,
        "the corpus file no longer has the shape this test is about"
    );
}
