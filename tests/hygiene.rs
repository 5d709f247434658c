//! The hygiene catalogue end to end: for every check, a rule it reports, the
//! same rule fixed, and the same rule silenced by a `# firedrill disable`
//! comment (counted as suppressed); `.firedrill.toml` settings.

mod common;

use common::*;

/// A complete, clean alert (severity, summary, description), to which each
/// case adds its own fault.
fn alert(name: &str, expr: &str, extra: &str) -> String {
    format!(
        "  - alert: {name}\n    expr: {expr}\n{extra}    labels: {{severity: warning}}\n    annotations: {{summary: s, description: d}}\n"
    )
}

/// Five clean alerts: a house style for the label and annotation checks to read.
fn house() -> String {
    (1..=5)
        .map(|i| alert(&format!("Neighbour{i}"), "up == 0", ""))
        .collect()
}

fn file(group_extra: &str, rules: &str) -> String {
    format!("groups:\n- name: g\n{group_extra}  rules:\n{rules}")
}

/// (check, bad rule file, fixed rule file)
fn cases() -> Vec<(&'static str, String, String)> {
    vec![
        (
            "alert/no-comparison",
            file("", &alert("Down", "up{job=\"api\"}", "")),
            file("", &alert("Down", "up{job=\"api\"} == 0", "")),
        ),
        (
            "alert/for",
            file("", &alert("Down", "up == 0", "    for: 10s\n")),
            file("", &alert("Down", "up == 0", "    for: 5m\n")),
        ),
        (
            "alert/labels",
            file("", &(house() + "  - alert: Down\n    expr: up == 0\n    labels: {severity: warnig}\n    annotations: {summary: s, description: d}\n")),
            file("", &(house() + &alert("Down", "up == 0", ""))),
        ),
        (
            "alert/annotations",
            file("", &(house() + "  - alert: Down\n    expr: up == 0\n    labels: {severity: warning}\n    annotations: {summary: s, descripton: d}\n")),
            file("", &(house() + &alert("Down", "up == 0", ""))),
        ),
        (
            "alert/for-long",
            file("", &alert("Down", "up == 0", "    for: 3d\n")),
            file("", &alert("Down", "up == 0", "    for: 1h\n")),
        ),
        (
            "alert/value-in-label",
            file("", "  - alert: Down\n    expr: up == 0\n    labels: {severity: warning, value: '{{ $value }}'}\n    annotations: {summary: s, description: d}\n"),
            file("", "  - alert: Down\n    expr: up == 0\n    labels: {severity: warning}\n    annotations: {summary: s, description: '{{ $value }}'}\n"),
        ),
        (
            "promql/rate-of-sum",
            file("", &alert("Errors", "rate(sum(e_total)[5m:1m]) > 1", "    for: 5m\n")),
            file("", &alert("Errors", "sum(rate(e_total[5m])) > 1", "    for: 5m\n")),
        ),
        (
            "promql/rate-gauge",
            file("", &alert("Shrinking", "rate(node_memory_MemFree_bytes[5m]) > 1000", "    for: 5m\n")),
            file("", &alert("Shrinking", "deriv(node_memory_MemFree_bytes[5m]) > 1000", "    for: 5m\n")),
        ),
        (
            "alert/template",
            file("", "  - alert: Errors\n    expr: sum by (job) (rate(e_total[5m])) > 1\n    for: 5m\n    labels: {severity: warning}\n    annotations: {summary: '{{ $labels.instance }}', description: d}\n"),
            file("", "  - alert: Errors\n    expr: sum by (job) (rate(e_total[5m])) > 1\n    for: 5m\n    labels: {severity: warning}\n    annotations: {summary: '{{ $labels.job }}', description: d}\n"),
        ),
        (
            "promql/rate-window",
            file("", &alert("Errors", "rate(e_total[15s]) > 1", "    for: 5m\n")),
            file("", &alert("Errors", "rate(e_total[5m]) > 1", "    for: 5m\n")),
        ),
        (
            "promql/regex",
            file("", &alert("Down", "up{job!~\".*\"} == 0", "")),
            file("", &alert("Down", "up{job!~\"api|web\"} == 0", "")),
        ),
        (
            "promql/absent-labels",
            file("", "  - alert: Gone\n    expr: absent(up{job=\"api\"})\n    labels: {severity: warning}\n    annotations: {summary: '{{ $labels.instance }}', description: d}\n"),
            file("", "  - alert: Gone\n    expr: absent(up{job=\"api\"})\n    labels: {severity: warning}\n    annotations: {summary: '{{ $labels.job }}', description: d}\n"),
        ),
        (
            "promql/counter",
            // Reported only where the rule set itself rates the metric.
            file("", &(alert("ErrorRate", "rate(errors_total[5m]) > 1", "    for: 5m\n") + &alert("Errors", "errors_total > 100", ""))),
            file("", &(alert("ErrorRate", "rate(errors_total[5m]) > 1", "    for: 5m\n") + &alert("Errors", "increase(errors_total[1h]) > 100", ""))),
        ),
        (
            "promql/impossible",
            file("", &alert("Stalled", "sum(queue_depth or vector(0)) < 0", "")),
            file("", &alert("Stalled", "sum(queue_depth or vector(0)) <= 0", "")),
        ),
        (
            "promql/aggregated-ratio",
            file("", &alert("Errors", "sum by (job) (rate(e_total[5m]) / rate(r_total[5m])) > 0.05", "    for: 5m\n")),
            file("", &alert("Errors", "sum by (job) (rate(e_total[5m])) / sum by (job) (rate(r_total[5m])) > 0.05", "    for: 5m\n")),
        ),
        (
            "rule/same-series",
            file("", "  - record: cluster:cpu:sum\n    expr: sum(rate(cpu_total{mode!=\"idle\"}[5m]))\n  - record: cluster:cpu:sum\n    expr: sum(rate(cpu_total{mode=\"user\"}[5m]))\n"),
            file("", "  - record: cluster:cpu:sum\n    expr: sum(rate(cpu_total{mode!=\"idle\"}[5m]))\n  - record: cluster:cpu_user:sum\n    expr: sum(rate(cpu_total{mode=\"user\"}[5m]))\n"),
        ),
        (
            "alert/always-fires",
            file("", &alert("QueueStuck", "(sum(queue_depth) > 100) or vector(0)", "")),
            file("", &alert("QueueStuck", "sum(queue_depth) > 100", "")),
        ),
        (
            "promql/unsatisfiable",
            file("", &alert("ApiGone", "count(up{job=\"api\"}) == 0", "")),
            file("", &alert("ApiGone", "absent(up{job=\"api\"})", "")),
        ),
        (
            "promql/vector-matching",
            file("", &alert("Errors", "sum by (job) (rate(e_total[5m])) / sum by (instance) (rate(r_total[5m])) > 1", "    for: 5m\n")),
            file("", &alert("Errors", "sum by (job) (rate(e_total[5m])) / sum by (job) (rate(r_total[5m])) > 1", "    for: 5m\n")),
        ),
        (
            "promql/precedence",
            file("", &alert("Errors", "errors / requests > 0 * 100 > 1", "")),
            file("", &alert("Errors", "(errors / requests > 0) * 100 > 1", "")),
        ),
        (
            "promql/regex-in-equality",
            file("", &alert("Down", "up{job=\"api|web\"} == 0", "")),
            file("", &alert("Down", "up{job=~\"api|web\"} == 0", "")),
        ),
        (
            "rule/duplicate",
            file("", &(alert("Down", "up == 0", "") + &alert("Down", "up  ==  0", ""))),
            file("", &(alert("Down", "up == 0", "") + &alert("Up", "up == 1", ""))),
        ),
        (
            "rule/name",
            file("", &(house() + &alert("Service Is Down", "up == 0", ""))),
            file("", &(house() + &alert("ServiceIsDown", "up == 0", ""))),
        ),
        (
            "group/interval",
            file(
                "  interval: 10m\n",
                &("  - record: job:up:sum\n    expr: sum by (job) (up)\n".to_string()
                    + &alert("Down", "job:up:sum == 0", "")),
            ),
            file(
                "  interval: 1m\n",
                &("  - record: job:up:sum\n    expr: sum by (job) (up)\n".to_string()
                    + &alert("Down", "job:up:sum == 0", "")),
            ),
        ),
    ]
}

fn checks_found(json: &serde_json::Value) -> Vec<String> {
    json["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["check"].as_str().unwrap().to_string())
        .collect()
}

/// Puts `comment` on the line above the (last) rule of `text`.
fn above_last_rule(text: &str, comment: &str) -> String {
    let at = text
        .rfind("  - alert:")
        .max(text.rfind("  - record:"))
        .unwrap();
    format!("{}  {comment}\n{}", &text[..at], &text[at..])
}

#[test]
fn every_check_reports_the_bad_rule_passes_the_fixed_one_and_can_be_silenced() {
    let dir = tempfile::tempdir().unwrap();
    for (check, bad, good) in cases() {
        let path = dir.path().join("rules.yaml");
        let lint = |text: &str| {
            std::fs::write(&path, text).unwrap();
            // Off-by-default checks (alert/for-long) are turned on; for the
            // others this changes nothing.
            let select = format!("--extend-select={check}");
            lint_json(&["--fail-on=info", &select, path.to_str().unwrap()])
        };
        let (code, json) = lint(&bad);
        assert_eq!(code, 1, "{check}: {json}");
        assert!(
            checks_found(&json).iter().any(|c| c == check),
            "{check} not reported: {json}"
        );
        assert!(
            checks_found(&json).iter().all(|c| c == check),
            "{check}: the bad case should fail only this check: {json}"
        );

        let (code, json) = lint(&good);
        assert_eq!(
            (code, checks_found(&json)),
            (0, vec![]),
            "{check} fixed: {json}"
        );

        // `group/interval` is about the group: its comment goes above the group.
        let silenced = if check == "group/interval" {
            bad.replacen(
                "- name: g",
                &format!("# firedrill disable={check}\n- name: g"),
                1,
            )
        } else {
            above_last_rule(
                &bad,
                &format!("# firedrill disable={check}  reason: a test"),
            )
        };
        let (code, json) = lint(&silenced);
        assert_eq!(
            (code, checks_found(&json)),
            (0, vec![]),
            "{check} silenced: {json}"
        );
        assert!(
            json["summary"]["suppressed"].as_u64().unwrap() >= 1,
            "{check}: {json}"
        );

        let file_wide = format!("# firedrill disable-file={check}\n{bad}");
        let (code, json) = lint(&file_wide);
        assert_eq!(
            (code, checks_found(&json)),
            (0, vec![]),
            "{check} disable-file: {json}"
        );
    }
}

#[test]
fn suppression_comments_are_checked_and_counted_in_the_human_summary() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("rules.yaml");
    let text = file(
        "",
        &(above_last_rule(
            &alert("Down", "count(up) == 0", ""),
            "# firedrill disable=promql/unsatisfiable",
        ) + "  # firedrill disable=alert/label\n"
            + &alert("Up", "up == 1", "")
            + "  # firedrill disable=promql/unsatisfiable\n"
            + &alert("Other", "up == 2", "")),
    );
    std::fs::write(&path, &text).unwrap();
    let (_, json) = lint_json(&[path.to_str().unwrap()]);
    let found: Vec<(String, u64)> = json["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["check"].as_str().unwrap().to_string(),
                d["line"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        found,
        [
            ("suppression/unknown-id".to_string(), 9),
            ("suppression/unused".to_string(), 14)
        ],
        "{json}"
    );
    assert_eq!(json["summary"]["suppressed"], 1);
    let out = firedrill(&["lint", path.to_str().unwrap()]);
    let text = stdout(&out);
    assert!(text.contains("did you mean \"alert/labels\"?"), "{text}");
    assert!(
        text.contains("1 finding suppressed by `# firedrill disable`"),
        "{text}"
    );
    // The unused-suppression finding is not made for checks that did not run.
    let (_, json) = lint_json(&["--ignore=promql/unsatisfiable", path.to_str().unwrap()]);
    assert!(
        !checks_found(&json)
            .iter()
            .any(|c| c == "suppression/unused"),
        "{json}"
    );
}

#[test]
fn the_config_file_sets_policy_severities_and_which_checks_run() {
    let dir = tempfile::tempdir().unwrap();
    let rules = dir.path().join("rules.yaml");
    std::fs::write(
        &rules,
        file(
            "",
            "  - alert: Down\n    expr: rate(e_total[15s]) > 1\n    for: 5m\n    labels: {severity: page}\n    annotations: {summary: s, description: d}\n",
        ),
    )
    .unwrap();
    let config = dir.path().join(".firedrill.toml");
    let lint = |toml: &str| {
        std::fs::write(&config, toml).unwrap();
        lint_json(&[
            "--config",
            config.to_str().unwrap(),
            rules.to_str().unwrap(),
        ])
    };
    let (_, json) = lint("");
    let defaults: std::collections::BTreeSet<String> = checks_found(&json).into_iter().collect();
    // No policy until set, and one alert shows no house style: only the window.
    assert_eq!(
        defaults,
        ["promql/rate-window"].map(String::from).into(),
        "{json}"
    );
    let (code, json) = lint(
        "[lint]\nscrape-interval = \"5s\"\n[checks.\"alert/labels\"]\nrequired = [\"severity\", \"team\"]\nallowed = { severity = [\"page\", \"ticket\"] }\n",
    );
    let messages: Vec<&str> = json["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["message"].as_str().unwrap())
        .collect();
    assert_eq!(
        messages,
        ["alert has no `team` label, which .firedrill.toml requires"],
        "{json}"
    );
    assert_eq!(code, 0, "warnings do not fail by default");
    let (code, json) = lint(
        "[lint]\ndisable = [\"promql\"]\nseverity = { \"alert/labels\" = \"error\" }\n[checks.\"alert/labels\"]\nrequired = [\"team\"]\n",
    );
    assert_eq!(checks_found(&json), ["alert/labels"]);
    assert_eq!(json["diagnostics"][0]["severity"], "error");
    assert_eq!(code, 1);
    // A flag turns a check back on that the file turns off.
    let out = firedrill(&[
        "lint",
        "--format=json",
        "--config",
        config.to_str().unwrap(),
        "--extend-select=promql",
        rules.to_str().unwrap(),
    ]);
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(
        checks_found(&json)
            .iter()
            .any(|c| c == "promql/rate-window"),
        "{json}"
    );
}

#[test]
fn config_errors_point_at_the_key() {
    let dir = tempfile::tempdir().unwrap();
    let rules = dir.path().join("rules.yaml");
    std::fs::write(&rules, file("", &alert("Down", "up == 0", ""))).unwrap();
    let config = dir.path().join(".firedrill.toml");
    for (toml, place, message) in [
        (
            "[lint]\ndisable = [\"alert/lables\"]\n",
            ":2:12",
            "unknown check or check family \"alert/lables\"",
        ),
        (
            "[lint]\nscrape-interval = \"1 minute\"\n",
            ":2:19",
            "not a valid duration",
        ),
        (
            "[checks.\"alert/annotations\"]\npatterns = { runbook_url = \"(\" }\n",
            ":2:28",
            "invalid pattern",
        ),
        (
            "[checks.\"alert/nope\"]\n",
            ":1:9",
            "unknown check \"alert/nope\"",
        ),
        (
            "[checks.\"alert/for-long\"]\nmax = \"1 day\"\n",
            ":2:7",
            "not a valid duration",
        ),
        (
            "[checks.\"alert/labels\"]\nrequird = [\"team\"]\n",
            ":2:1",
            "unknown field `requird`",
        ),
        (
            "[checks.\"rule/name\"]\nmax = 1\n",
            ":1:9",
            "check \"rule/name\" has no options",
        ),
        (
            "[lint]\nseverity = { \"rule/name\" = \"fatal\" }\n",
            ":2:28",
            "unknown variant `fatal`",
        ),
    ] {
        std::fs::write(&config, toml).unwrap();
        let out = firedrill(&[
            "lint",
            "--config",
            config.to_str().unwrap(),
            rules.to_str().unwrap(),
        ]);
        assert_eq!(out.status.code(), Some(2), "{toml}");
        let err = stderr(&out);
        assert!(
            err.contains(&format!(".firedrill.toml{place}")),
            "{toml}: {err}"
        );
        assert!(err.contains(message), "{toml}: {err}");
    }
}
