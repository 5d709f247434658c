//! Runbook coverage on the shipped example and on real runbooks from the corpus.

mod common;

use std::collections::BTreeSet;

use common::*;

fn root(path: &str) -> String {
    format!("{}/{path}", env!("CARGO_MANIFEST_DIR"))
}

fn names(json: &serde_json::Value, check: &str) -> BTreeSet<String> {
    json["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["check"] == check)
        .map(|d| d["alertname"].as_str().unwrap_or_default().to_string())
        .collect()
}

fn count(json: &serde_json::Value, check: &str) -> usize {
    json["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["check"] == check)
        .count()
}

#[test]
fn shipped_example_is_covered_by_its_runbook() {
    let map = format!(
        "https://docs.wecare.example/ops/incident-response={}",
        root("rules/runbook.md")
    );
    let (code, json) = lint_json(&[
        &root("rules"),
        "--runbook",
        &root("rules/runbook.md"),
        "--runbook-map",
        &map,
    ]);
    assert_eq!(code, 0, "{json:#}");
    assert!(
        json["diagnostics"].as_array().unwrap().is_empty(),
        "{json:#}"
    );
}

#[test]
fn removing_a_row_reports_the_alert_at_its_line() {
    let dir = tempfile::tempdir().unwrap();
    let runbook = std::fs::read_to_string(root("rules/runbook.md")).unwrap();
    let without = runbook.replace("| MariaDBDown | [MariaDB down](#mariadb-down) |\n", "");
    assert_ne!(runbook, without);
    let path = dir.path().join("runbook.md");
    std::fs::write(&path, without).unwrap();
    let (code, json) = lint_json(&[&root("rules"), "--runbook", path.to_str().unwrap()]);
    assert_eq!(code, 1);
    let missing: Vec<_> = json["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["check"] == "runbook/missing")
        .collect();
    assert_eq!(missing.len(), 1, "{missing:#?}");
    let d = missing[0];
    assert_eq!(d["alertname"], "MariaDBDown");
    assert!(d["file"]
        .as_str()
        .unwrap()
        .ends_with("rules/prometheusrule-mariadb.yaml"));
    // `- alert: MariaDBDown` is line 12; the name starts at column 18.
    assert_eq!(
        (d["line"].as_u64(), d["column"].as_u64()),
        (Some(12), Some(18))
    );
    assert!(d["help"]
        .as_str()
        .unwrap()
        .contains("| MariaDBDown | [What to do](#mariadbdown) |"));
}

#[test]
fn a_renamed_section_breaks_its_link_and_its_urls() {
    let dir = tempfile::tempdir().unwrap();
    let runbook = std::fs::read_to_string(root("rules/runbook.md")).unwrap();
    let renamed = runbook.replace("### Redis pod down", "### Redis is down");
    let path = dir.path().join("runbook.md");
    std::fs::write(&path, renamed).unwrap();
    let map = format!(
        "https://docs.wecare.example/ops/incident-response={}",
        path.display()
    );
    let (code, json) = lint_json(&[
        &root("rules"),
        "--runbook",
        path.to_str().unwrap(),
        "--runbook-map",
        &map,
    ]);
    assert_eq!(code, 1);
    let broken: Vec<_> = json["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["check"] == "runbook/broken-link")
        .collect();
    assert_eq!(broken.len(), 1);
    assert_eq!(broken[0]["line"], 35, "the RedisDown row of the table");
    assert_eq!(
        names(&json, "runbook/url-unresolved"),
        BTreeSet::from(["RedisDown".to_string()])
    );
}

#[test]
fn kube_prometheus_urls_against_the_operator_runbooks() {
    let corpus = corpus();
    let map = format!(
        "https://runbooks.prometheus-operator.dev/runbooks/={}/runbooks-prometheus-operator/",
        corpus.display()
    );
    let (_, json) = lint_json(&[
        &corpus.join("kube-prometheus").display().to_string(),
        "--runbook-map",
        &map,
    ]);
    let mapping: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(corpus.join("runbook_mapping.json")).unwrap(),
    )
    .unwrap();
    let expected: BTreeSet<String> = mapping["kube-prometheus_to_runbooks-prometheus-operator"]
        ["missing"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["alert"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(expected.len(), 26);
    assert_eq!(names(&json, "runbook/url-unresolved"), expected);
    // KubePersistentVolumeInodesFillingUp has two rules (warning and critical).
    assert_eq!(count(&json, "runbook/url-unresolved"), 27);
}

#[test]
fn thanos_table_covers_every_alert_but_no_anchor_exists() {
    let corpus = corpus();
    let dir = corpus.join("thanos-mixin");
    let map = format!(
        "https://github.com/thanos-io/thanos/tree/main/mixin/={}/",
        dir.display()
    );
    let (_, json) = lint_json(&[
        &dir.display().to_string(),
        "--runbook",
        &dir.join("runbook.md").display().to_string(),
        "--runbook-map",
        &map,
    ]);
    assert_eq!(count(&json, "runbook/missing"), 0);
    assert_eq!(count(&json, "runbook/stale"), 0);
    assert_eq!(count(&json, "runbook/url-unresolved"), 48);
    assert_eq!(names(&json, "runbook/url-unresolved").len(), 48);
}

#[test]
fn openshift_urls_resolve_and_url_missing_is_opt_in() {
    let corpus = corpus();
    let map = format!(
        "https://github.com/openshift/runbooks/blob/master/alerts/={}/runbooks-openshift/",
        corpus.display()
    );
    let rules = corpus
        .join("openshift-cluster-monitoring-operator")
        .display()
        .to_string();
    let (_, json) = lint_json(&[&rules, "--runbook-map", &map]);
    assert_eq!(
        count(&json, "runbook/url-unresolved"),
        0,
        "all 33 runbook_url values resolve"
    );
    assert_eq!(count(&json, "runbook/url-missing"), 0, "off by default");
    let (_, json) = lint_json(&[
        &rules,
        "--runbook-map",
        &map,
        "--extend-select",
        "runbook/url-missing",
    ]);
    assert_eq!(count(&json, "runbook/url-missing"), 91);
    assert_eq!(names(&json, "runbook/url-missing").len(), 91);
}

#[test]
fn odd_markdown_gets_sensible_results() {
    let dir = tempfile::tempdir().unwrap();
    let rules = dir.path().join("rules.yaml");
    std::fs::write(
        &rules,
        "groups:\n- name: g\n  rules:\n  - alert: RedisDown\n    expr: up == 0\n    annotations:\n      runbook_url: https://wiki/ir#redis-1\n  - alert: NodeDown\n    expr: up == 0\n  - alert: DiskFull\n    expr: up == 0\n",
    )
    .unwrap();
    // A table without links, HTML in cells, emoji, a heading twice, CRLF.
    let runbook = "# IR 🚒\r\n\r\n| Alert | Triage |\r\n|---|---|\r\n| <code>RedisDown</code> | see below 🔥 |\r\n| `NodeDown` | <a href=\"#nodes\">nodes</a> |\r\n\r\n## Redis\r\n\r\n## Redis\r\n\r\n## Nodes\r\n";
    let page = dir.path().join("ir.md");
    std::fs::write(&page, runbook).unwrap();
    let map = format!("https://wiki/ir={}", page.display());
    let (code, json) = lint_json(&[
        rules.to_str().unwrap(),
        "--runbook",
        page.to_str().unwrap(),
        "--runbook-map",
        &map,
    ]);
    assert_eq!(code, 1);
    assert_eq!(
        names(&json, "runbook/missing"),
        BTreeSet::from(["DiskFull".to_string()])
    );
    assert_eq!(
        count(&json, "runbook/url-unresolved"),
        0,
        "#redis-1 is the second Redis heading"
    );
    assert_eq!(
        count(&json, "runbook/broken-link"),
        0,
        "the HTML link to #nodes resolves"
    );
}

#[test]
fn missing_runbook_path_is_a_usage_error() {
    let out = firedrill(&[
        "lint",
        &root("rules"),
        "--runbook",
        "/nonexistent/runbook.md",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("runbook /nonexistent/runbook.md: no such file"));
    let out = firedrill(&["lint", &root("rules"), "--runbook-map", "no-equals-sign"]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn partial_runs_do_not_report_stale_entries() {
    let one = root("rules/prometheusrule-redis.yaml");
    let (_, json) = lint_json(&[&one, "--runbook", &root("rules/runbook.md")]);
    assert!(
        count(&json, "runbook/stale") > 0,
        "a subset makes other rows look stale"
    );
    let (code, json) = lint_json(&[&one, "--runbook", &root("rules/runbook.md"), "--partial"]);
    assert_eq!(count(&json, "runbook/stale"), 0);
    assert_eq!(code, 0);
}

#[test]
fn the_summary_says_what_runbook_coverage_checked() {
    let runbook = root("rules/runbook.md");
    let map = format!("https://docs.wecare.example/ops/incident-response={runbook}");
    let out = firedrill(&[
        "lint",
        &root("rules"),
        "--runbook",
        &runbook,
        "--runbook-map",
        &map,
    ]);
    assert_eq!(out.status.code(), Some(0));
    let text = stdout(&out);
    assert!(
        text.contains(&format!(
            "All checks passed: 8 files (15 rules); 15 alerts, all in {runbook}; 15 of 15 runbook_url links resolved; Prometheus 3.16's verdict."
        )),
        "{text}"
    );

    // Without the map the links cannot be checked, and the summary says so.
    let text = stdout(&firedrill(&["lint", &root("rules"), "--runbook", &runbook]));
    assert!(
        text.contains(
            "0 of 15 runbook_url links resolved (15 under no --runbook-map, not checked)"
        ),
        "{text}"
    );

    // An alert without its row is counted, in the JSON summary too.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("runbook.md");
    let text = std::fs::read_to_string(&runbook).unwrap();
    std::fs::write(
        &path,
        text.replace("| MariaDBDown | [MariaDB down](#mariadb-down) |\n", ""),
    )
    .unwrap();
    let out = firedrill(&["lint", &root("rules"), "--runbook", path.to_str().unwrap()]);
    assert!(
        stdout(&out).contains("14 of 15 alerts in"),
        "{}",
        stdout(&out)
    );
    let (_, json) = lint_json(&[&root("rules"), "--runbook", path.to_str().unwrap()]);
    let summary = &json["summary"]["runbook"];
    assert_eq!(
        (summary["alerts"].as_u64(), summary["covered"].as_u64()),
        (Some(15), Some(14))
    );
    assert_eq!(summary["urls_unchecked"], 15);
    // Without a runbook there is nothing to say.
    let (_, json) = lint_json(&[&root("rules")]);
    assert!(json["summary"].get("runbook").is_none(), "{json:#}");
}
