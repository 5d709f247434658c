//! The "can never fire" checks, asked of Prometheus itself: each rule below
//! that `promql/unsatisfiable`, `promql/vector-matching`,
//! `promql/precedence` or `promql/aggregated-ratio` reports is given, in a `promtool test rules` file,
//! exactly the data it was written to catch, and promtool (Debian package
//! `prometheus`) must see it stay silent while its fixed form, on the same
//! data, fires. firedrill must report the first kind and not the second.

mod common;

use std::process::Command;

use common::*;

const RULES: &str = r#"groups:
- name: never
  rules:
  - alert: CountZero
    expr: count(up{job="api"} == 1) == 0
  - alert: CountZeroFixed
    expr: absent(up{job="api"} == 1)
  - alert: StaleAge
    expr: time() - timestamp(heartbeat) > 600
  - alert: StaleAgeFixed
    expr: absent_over_time(heartbeat[10m])
  - alert: ByMismatch
    expr: sum by (job) (errors) / sum by (instance) (requests) > 0.1
  - alert: ByMismatchFixed
    expr: sum by (job) (errors) / sum by (job) (requests) > 0.1
  - alert: OnDropped
    expr: count(errors > 0) * on (instance) group_left (node) node_info > 0
  - alert: OnDroppedFixed
    expr: count(errors > 0) * on () group_left (node) node_info > 0
  - alert: Precedence
    expr: errors / requests > 0 * 100 > 1
  - alert: PrecedenceFixed
    expr: (errors / requests > 0) * 100 > 1
  - alert: Chain
    expr: errors == 0 > 0
  - alert: ChainFixed
    expr: errors >= 0 > 0
  - alert: SumOfRatios
    expr: sum by (job) (rate(failed_total[5m]) / rate(served_total[5m])) > 0.1
  - alert: SumOfRatiosFixed
    expr: sum by (job) (rate(failed_total[5m])) / sum by (job) (rate(served_total[5m])) > 0.1
  - alert: AndCount
    expr: errors{job="api"} > 1 and count(up{job="api"} == 0) > 0
  - alert: AndCountFixed
    expr: errors{job="api"} > 1 and on() count(up{job="api"} == 0) > 0
"#;

/// Every target of `api` down, a heartbeat that stopped at 5m, an error
/// ratio of 0.5 on one instance of one job.
const TESTS: &str = r#"rule_files: [rules.yaml]
evaluation_interval: 1m
tests:
- interval: 1m
  input_series:
  - series: 'up{job="api", instance="a"}'
    values: '0x30'
  - series: 'heartbeat{job="cron"}'
    values: '1x5 _x25'
  - series: 'errors{job="api", instance="a"}'
    values: '5x30'
  - series: 'requests{job="api", instance="a"}'
    values: '10x30'
  - series: 'node_info{instance="a", node="n1"}'
    values: '1x30'
  - series: 'failed_total{job="web", instance="busy"}'
    values: '0+30x30'
  - series: 'served_total{job="web", instance="busy"}'
    values: '0+60x30'
  - series: 'failed_total{job="web", instance="idle"}'
    values: '0x30'
  - series: 'served_total{job="web", instance="idle"}'
    values: '0x30'
  alert_rule_test:
  - {eval_time: 20m, alertname: CountZero, exp_alerts: []}
  - eval_time: 20m
    alertname: CountZeroFixed
    exp_alerts: [{exp_labels: {}}]
  - {eval_time: 20m, alertname: StaleAge, exp_alerts: []}
  - {eval_time: 8m, alertname: StaleAge, exp_alerts: []}
  - eval_time: 20m
    alertname: StaleAgeFixed
    exp_alerts: [{exp_labels: {}}]
  - {eval_time: 20m, alertname: ByMismatch, exp_alerts: []}
  - eval_time: 20m
    alertname: ByMismatchFixed
    exp_alerts: [{exp_labels: {job: api}}]
  - {eval_time: 20m, alertname: OnDropped, exp_alerts: []}
  - eval_time: 20m
    alertname: OnDroppedFixed
    exp_alerts: [{exp_labels: {node: n1}}]
  - {eval_time: 20m, alertname: Precedence, exp_alerts: []}
  - eval_time: 20m
    alertname: PrecedenceFixed
    exp_alerts: [{exp_labels: {job: api, instance: a}}]
  - {eval_time: 20m, alertname: Chain, exp_alerts: []}
  - eval_time: 20m
    alertname: ChainFixed
    exp_alerts: [{exp_labels: {job: api, instance: a}}]
  - {eval_time: 20m, alertname: SumOfRatios, exp_alerts: []}
  - eval_time: 20m
    alertname: SumOfRatiosFixed
    exp_alerts: [{exp_labels: {job: web}}]
  - {eval_time: 20m, alertname: AndCount, exp_alerts: []}
  - eval_time: 20m
    alertname: AndCountFixed
    exp_alerts: [{exp_labels: {job: api, instance: a}}]
"#;

/// Runs `promtool test rules` on `rules` and `tests` written to `dir`:
/// whether it passed, and what it said.
fn promtool_test(dir: &std::path::Path, rules: &str, tests: &str) -> (bool, String) {
    common::tools::require("promtool", "prometheus");
    std::fs::write(dir.join("rules.yaml"), rules).unwrap();
    std::fs::write(dir.join("tests.yaml"), tests).unwrap();
    let out = Command::new("promtool")
        .args(["test", "rules", "tests.yaml"])
        .current_dir(dir)
        .output()
        .unwrap();
    (
        out.status.success(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

/// The alerts of `dir`'s rules.yaml that the `checks` report, sorted.
fn firedrill_reports(dir: &std::path::Path, checks: &str) -> Vec<String> {
    let path = dir.join("rules.yaml");
    let (_, json) = lint_json(&[&format!("--select={checks}"), path.to_str().unwrap()]);
    let mut reported: Vec<String> = json["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["alertname"].as_str().unwrap().to_string())
        .collect();
    reported.sort_unstable();
    reported
}

/// Asks promtool to run `tests` on `rules` (it must agree with what they
/// expect), then which alerts of `rules` the `checks` report, sorted.
fn promtool_agrees_and_firedrill_reports(rules: &str, tests: &str, checks: &str) -> Vec<String> {
    let dir = tempfile::tempdir().unwrap();
    let (passed, said) = promtool_test(dir.path(), rules, tests);
    assert!(passed, "promtool disagrees about what fires:\n{said}");
    firedrill_reports(dir.path(), checks)
}

#[test]
fn what_never_fires_in_prometheus_is_reported_and_its_fix_is_not() {
    let reported = promtool_agrees_and_firedrill_reports(
        RULES,
        TESTS,
        "promql/unsatisfiable,promql/vector-matching,promql/precedence,promql/aggregated-ratio",
    );
    assert_eq!(
        reported,
        [
            "AndCount",
            "ByMismatch",
            "Chain",
            "CountZero",
            "OnDropped",
            "Precedence",
            "StaleAge",
            "SumOfRatios"
        ]
    );
}

/// The other side: a rule that fires at every evaluation whatever its
/// threshold says, because its expression ends in an `or vector(N)`
/// fallback (`alert/always-fires`).
const ALWAYS: &str = r#"groups:
- name: always
  rules:
  - alert: QueueStuck
    expr: (sum(queue_depth) > 100) or vector(0)
  - alert: QueueStuckFixed
    expr: sum(queue_depth) > 100
  - alert: QueueStuckCompared
    expr: (sum(queue_depth) or vector(0)) > 100
"#;

const ALWAYS_TESTS: &str = r#"rule_files: [rules.yaml]
evaluation_interval: 1m
tests:
- interval: 1m
  input_series:
  - series: 'queue_depth{job="worker"}'
    values: '5x30'
  alert_rule_test:
  - eval_time: 20m
    alertname: QueueStuck
    exp_alerts: [{exp_labels: {}}]
  - {eval_time: 20m, alertname: QueueStuckFixed, exp_alerts: []}
  - {eval_time: 20m, alertname: QueueStuckCompared, exp_alerts: []}
"#;

#[test]
fn what_always_fires_in_prometheus_is_reported_and_its_fix_is_not() {
    let reported =
        promtool_agrees_and_firedrill_reports(ALWAYS, ALWAYS_TESTS, "alert/always-fires");
    assert_eq!(reported, ["QueueStuck"]);
}

/// A set operation that can never pair removes nothing: the maintenance
/// window meant to mute the alert does not (`promql/vector-matching`).
const UNLESS: &str = r#"groups:
- name: unless
  rules:
  - alert: DownOutsideMaintenance
    expr: up{job="api"} == 0 unless sum(maintenance_active) > 0
  - alert: DownOutsideMaintenanceFixed
    expr: up{job="api"} == 0 unless on() sum(maintenance_active) > 0
"#;

const UNLESS_TESTS: &str = r#"rule_files: [rules.yaml]
evaluation_interval: 1m
tests:
- interval: 1m
  input_series:
  - series: 'up{job="api", instance="a"}'
    values: '0x30'
  - series: 'maintenance_active{team="platform"}'
    values: '1x30'
  alert_rule_test:
  - eval_time: 20m
    alertname: DownOutsideMaintenance
    exp_alerts: [{exp_labels: {job: api, instance: a}}]
  - {eval_time: 20m, alertname: DownOutsideMaintenanceFixed, exp_alerts: []}
"#;

#[test]
fn a_set_operation_that_never_pairs_mutes_nothing_in_prometheus_and_is_reported() {
    let reported =
        promtool_agrees_and_firedrill_reports(UNLESS, UNLESS_TESTS, "promql/vector-matching");
    assert_eq!(reported, ["DownOutsideMaintenance"]);
}

/// A stricter copy of an alert with the same labels never fires alone: when
/// it fires, the looser one already fires with the same labels, and
/// Prometheus itself refuses the second: promtool fails the evaluation with
/// "duplicate sample for timestamp" (the two rules' `ALERTS_FOR_STATE`
/// samples, of one series, carry different start times). Its fixed form,
/// with its own severity, is a second alert (`alert/shadowed`).
const SHADOWED: &str = r#"groups:
- name: disk
  rules:
  - alert: DiskFilling
    expr: disk_used_ratio > 0.8
    for: 10m
    labels: {severity: warning}
  - alert: DiskFilling
    expr: disk_used_ratio > 0.95
    for: 10m
    labels: {severity: warning}
"#;

const SHADOWED_FIXED: &str = r#"groups:
- name: disk
  rules:
  - alert: DiskFilling
    expr: disk_used_ratio > 0.8
    for: 10m
    labels: {severity: warning}
  - alert: DiskFilling
    expr: disk_used_ratio > 0.95
    for: 10m
    labels: {severity: critical}
"#;

const SHADOWED_TESTS: &str = r#"rule_files: [rules.yaml]
evaluation_interval: 1m
tests:
- interval: 1m
  input_series:
  - series: 'disk_used_ratio{mountpoint="/"}'
    values: '0.85x20 0.97x20'
  alert_rule_test:
  - eval_time: 15m
    alertname: DiskFilling
    exp_alerts:
    - exp_labels: {severity: warning, mountpoint: /}
  - eval_time: 35m
    alertname: DiskFilling
    exp_alerts:
    - exp_labels: {severity: warning, mountpoint: /}
    - exp_labels: {severity: critical, mountpoint: /}
"#;

#[test]
fn a_stricter_copy_with_the_same_labels_is_refused_by_prometheus_and_reported() {
    // The fixed form: promtool sees both alerts, firedrill nothing.
    let reported =
        promtool_agrees_and_firedrill_reports(SHADOWED_FIXED, SHADOWED_TESTS, "alert/shadowed");
    assert!(reported.is_empty(), "{reported:?}");
    // The copy: Prometheus refuses the second rule's samples.
    let dir = tempfile::tempdir().unwrap();
    let (passed, said) = promtool_test(dir.path(), SHADOWED, SHADOWED_TESTS);
    assert!(!passed, "{said}");
    assert!(
        said.contains("rule: DiskFilling, time: 21m0s, err: duplicate sample for timestamp"),
        "{said}"
    );
    assert_eq!(
        firedrill_reports(dir.path(), "alert/shadowed"),
        ["DiskFilling"]
    );
}

/// Two series always above the threshold, taking turns at the top: an
/// alert on `topk(1, ...)` resolves and restarts every evaluation, so its
/// `for` never completes, while the comparison on every series fires for
/// both (`alert/topk`).
const TOPK: &str = r#"groups:
- name: topk
  rules:
  - alert: WorstQueue
    expr: topk(1, queue_depth) > 10
    for: 5m
  - alert: WorstQueueFixed
    expr: queue_depth > 10
    for: 5m
"#;

const TOPK_TESTS: &str = r#"rule_files: [rules.yaml]
evaluation_interval: 1m
tests:
- interval: 1m
  input_series:
  - series: 'queue_depth{queue="a"}'
    values: '20 11 20 11 20 11 20 11 20 11 20 11 20 11 20 11 20 11 20 11 20 11 20 11 20 11 20 11 20 11'
  - series: 'queue_depth{queue="b"}'
    values: '11 20 11 20 11 20 11 20 11 20 11 20 11 20 11 20 11 20 11 20 11 20 11 20 11 20 11 20 11 20'
  alert_rule_test:
  - {eval_time: 20m, alertname: WorstQueue, exp_alerts: []}
  - eval_time: 20m
    alertname: WorstQueueFixed
    exp_alerts:
    - exp_labels: {queue: a}
    - exp_labels: {queue: b}
"#;

#[test]
fn an_alert_on_a_ranking_flaps_in_prometheus_and_is_reported() {
    let reported = promtool_agrees_and_firedrill_reports(TOPK, TOPK_TESTS, "alert/topk");
    assert_eq!(reported, ["WorstQueue"]);
}
