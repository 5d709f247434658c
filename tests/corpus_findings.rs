//! The hygiene catalogue on real rule sets: how many findings each check
//! makes per corpus (reviewed in docs/corpus-findings.md; a change in a count
//! is a change in behaviour to review), and pint's deliberately broken
//! examples each reported for the problem they were written to show.

mod common;

use std::collections::BTreeMap;
use std::fmt::Write;

use common::*;

/// `check severity count` lines for one folder of the corpus, default settings.
fn counts(folder: &str) -> String {
    let path = corpus().join(folder).display().to_string();
    // Default settings, whatever .firedrill.toml lies above the checkout.
    let (_, json) = lint_json(&["--config=/dev/null", &path]);
    let mut by: BTreeMap<(String, String), usize> = BTreeMap::new();
    for d in json["diagnostics"].as_array().unwrap() {
        let key = (
            d["check"].as_str().unwrap().to_string(),
            d["severity"].as_str().unwrap().to_string(),
        );
        *by.entry(key).or_default() += 1;
    }
    let mut out = format!(
        "{folder}: {} files, {} rules\n",
        json["summary"]["files"], json["summary"]["rules"]
    );
    for ((check, severity), n) in by {
        writeln!(out, "  {check:<24} {severity:<8} {n}").unwrap();
    }
    out
}

#[test]
fn findings_per_check_on_the_real_corpora() {
    let mut all = String::new();
    for folder in [
        "kube-prometheus",
        "awesome-prometheus-alerts",
        "openshift-cluster-monitoring-operator",
        "thanos-mixin",
        "pint-examples",
        "community-rules/cloudnative-pg",
        "community-rules/jsonnet-libs",
        "community-rules/node_exporter",
        "community-rules/rabbitmq",
        "community-rules/rook",
        "community-rules/scylla",
        "community-rules/victoriametrics",
        "community-rules/wikimedia",
    ] {
        all.push_str(&counts(folder));
    }
    insta::assert_snapshot!(all);
}

#[test]
fn every_pint_example_is_reported_for_its_problem() {
    // The problem each file was written to show, and the check that sees it
    // offline, with the checks that are off by default turned on (they are
    // advice many teams decline; the examples were written to show it);
    // see docs/corpus-findings.md.
    let expected: &[(&str, &[&str])] = &[
        // Its two `Service Is Down` rules differ in their expressions (`up`,
        // `up{job="abc"}`): one alert at two selectors, not a duplicate. Its
        // names have spaces, which Prometheus takes, in a folder whose names
        // are not identifiers either: nothing departs from a house style.
        ("alerts.yml", &[]),
        ("dependency.yml", &["rule/record-convention"]),
        // `sum(requests_total) / sum(capacity_total)`: no rule of the set
        // rates either name, so nothing says they are counters (a gauge
        // named `*_total` is common); promql/counter stays silent.
        ("fragile.yml", &["alert/no-comparison"]),
        ("impossible.yml", &["promql/impossible"]),
        // A 10m group whose recorded series no rule of the set reads: no
        // reader sees it vanish between evaluations (group/interval names a
        // reader; a dashboard is beyond what the files say).
        ("interval.yml", &[]),
        ("nan.yml", &["promql/counter"]),
        ("regexp.yml", &["promql/regex-simplify", "rule/duplicate"]),
        ("reject.yml", &["alert/labels", "alert/label-url"]),
        ("template.yml", &["alert/value-format"]),
    ];
    let dir = corpus().join("pint-examples");
    let files = std::fs::read_dir(&dir).unwrap().count();
    assert_eq!(files, expected.len(), "a new example needs its expectation");
    let off_by_default: Vec<&str> = firedrill::checks::registry()
        .iter()
        .map(|c| c.info())
        .filter(|i| !i.default_enabled)
        .map(|i| i.id)
        .collect();
    let (_, json) = lint_json(&[
        &format!("--extend-select={}", off_by_default.join(",")),
        &dir.display().to_string(),
    ]);
    for (name, checks) in expected {
        let found: Vec<&str> = json["diagnostics"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|d| d["file"].as_str().unwrap().ends_with(name))
            .map(|d| d["check"].as_str().unwrap())
            .collect();
        for check in *checks {
            assert!(found.contains(check), "{name}: no {check} among {found:?}");
        }
    }
}
