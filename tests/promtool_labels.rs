//! The label rules behind `alert/template`, `promql/absent-labels` and
//! `promql/join-label-lost`, asked
//! of Prometheus itself: `promtool test rules` must render the labels and
//! annotations below exactly as expected, and firedrill must report exactly
//! the template references that promtool renders empty.

mod common;

use std::process::Command;

use common::*;

const RULES: &str = r#"groups:
- name: labels
  rules:
  - alert: OnMatching
    expr: up > on (job) threshold
    labels:
      severity: warning
    annotations:
      summary: '[{{ $labels.job }}][{{ $labels.instance }}]'
  - alert: SumByJob
    expr: sum by (job) (up) > 0
    labels:
      severity: warning
    annotations:
      summary: '[{{ $labels.job }}][{{ $labels.instance }}][{{ $labels.severity }}]'
  - alert: GroupLeft
    expr: up * on (job) group_left (team) owner > 0
    labels:
      severity: warning
    annotations:
      summary: '[{{ $labels.instance }}][{{ $labels.team }}]'
  - alert: GroupLeftDropped
    expr: sum by (job) (up * on (job) group_left (team) owner) > 0
    labels:
      severity: warning
    annotations:
      summary: '[{{ $labels.job }}][{{ $labels.team }}]'
  - alert: WithoutInstance
    expr: sum without (instance) (up) > 0
    labels:
      severity: warning
    annotations:
      summary: '[{{ $labels.job }}][{{ $labels.instance }}]'
  - alert: AbsentAndOn
    expr: absent(gone{job="api"}) and on() vector(1)
    labels:
      severity: warning
    annotations:
      summary: '[{{ $labels.job }}][{{ $labels.instance }}]'
  - alert: Missing
    expr: absent(gone{job="api", instance=~".+"})
    labels:
      severity: warning
    annotations:
      summary: '[{{ $labels.job }}][{{ $labels.instance }}]'
"#;

const TESTS: &str = r#"rule_files: [rules.yaml]
evaluation_interval: 1m
tests:
- interval: 1m
  input_series:
  - series: 'up{job="api", instance="a:9100"}'
    values: '1x5'
  - series: 'threshold{job="api", env="prod"}'
    values: '0x5'
  - series: 'owner{job="api", team="sre"}'
    values: '1x5'
  alert_rule_test:
  - eval_time: 2m
    alertname: OnMatching
    exp_alerts:
    - exp_labels: {severity: warning, job: api}
      exp_annotations: {summary: '[api][]'}
  - eval_time: 2m
    alertname: SumByJob
    exp_alerts:
    - exp_labels: {severity: warning, job: api}
      exp_annotations: {summary: '[api][][]'}
  - eval_time: 2m
    alertname: GroupLeft
    exp_alerts:
    - exp_labels: {severity: warning, job: api, instance: 'a:9100', team: sre}
      exp_annotations: {summary: '[a:9100][sre]'}
  - eval_time: 2m
    alertname: GroupLeftDropped
    exp_alerts:
    - exp_labels: {severity: warning, job: api}
      exp_annotations: {summary: '[api][]'}
  - eval_time: 2m
    alertname: WithoutInstance
    exp_alerts:
    - exp_labels: {severity: warning, job: api}
      exp_annotations: {summary: '[api][]'}
  - eval_time: 2m
    alertname: AbsentAndOn
    exp_alerts:
    - exp_labels: {severity: warning, job: api}
      exp_annotations: {summary: '[api][]'}
  - eval_time: 2m
    alertname: Missing
    exp_alerts:
    - exp_labels: {severity: warning, job: api}
      exp_annotations: {summary: '[api][]'}
"#;

#[test]
fn template_label_findings_are_exactly_what_promtool_renders_empty() {
    common::prometheus::require("promtool");
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("rules.yaml"), RULES).unwrap();
    std::fs::write(dir.path().join("tests.yaml"), TESTS).unwrap();
    let out = Command::new("promtool")
        .args(["test", "rules", "tests.yaml"])
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "promtool disagrees with the expected labels:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );

    // Each `[]` above is a reference firedrill must report, and nothing else.
    let path = dir.path().join("rules.yaml");
    let (_, json) = lint_json(&[
        "--select=alert/template,promql/absent-labels,promql/join-label-lost",
        path.to_str().unwrap(),
    ]);
    let mut found: Vec<(String, String, String)> = json["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            let message = d["message"].as_str().unwrap();
            let label = message.split('`').nth(1).unwrap_or_default().to_string();
            (
                d["alertname"].as_str().unwrap().to_string(),
                d["check"].as_str().unwrap().to_string(),
                label,
            )
        })
        .collect();
    found.sort();
    let expected = [
        ("AbsentAndOn", "promql/absent-labels", "$labels.instance"),
        ("GroupLeftDropped", "alert/template", "$labels.team"),
        (
            "GroupLeftDropped",
            "promql/join-label-lost",
            "group_left(team)",
        ),
        ("Missing", "promql/absent-labels", "$labels.instance"),
        ("OnMatching", "alert/template", "$labels.instance"),
        ("SumByJob", "alert/template", "$labels.instance"),
        ("SumByJob", "alert/template", "$labels.severity"),
        ("WithoutInstance", "alert/template", "$labels.instance"),
    ]
    .map(|(a, b, c)| (a.to_string(), b.to_string(), c.to_string()));
    assert_eq!(found, expected, "{json}");
}
