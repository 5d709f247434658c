//! Alerts on recording rules, against a real Prometheus (Debian package
//! `prometheus`, 2.42). Raw series are backfilled with `promtool tsdb
//! create-blocks-from openmetrics`; the recording rules are then evaluated
//! over that history by `promtool tsdb create-blocks-from rules`, as
//! Prometheus would have recorded them, and loaded. The same alert
//! replayed on the recorded series and replayed through its recording
//! rules (`--inline-recording`) must fire at the same times when the
//! recording and the alert run on the same grid; where they do not (a
//! recording every 2m read by an alert every 1m) the difference is the one
//! the docs explain: the recorded value holds until the next recording.

mod common;

use std::collections::BTreeMap;
use std::process::Command;

use common::prometheus::{Prometheus, Series};
use common::stderr;
use serde_json::Value;

/// 2026-11-01T00:00:00Z.
const T0: i64 = 1_793_491_200;
const STEPS: i64 = 180;

fn raw() -> Vec<Series> {
    // Two jobs' error counts: a bump for job a in minutes 40-59, one for
    // job b in minutes 100-103 (too short for `for: 5m`), and a long
    // one for b in minutes 130-150.
    let value = |job: &str, k: i64| -> f64 {
        match job {
            "a" if (40..60).contains(&k) => 4.0,
            "b" if (100..104).contains(&k) || (130..151).contains(&k) => 5.0,
            _ => 1.0,
        }
    };
    let mut series = Vec::new();
    for job in ["a", "b"] {
        for instance in ["1", "2"] {
            series.push(Series {
                metric: "errors".into(),
                labels: vec![
                    ("job".into(), job.into()),
                    ("instance".into(), instance.into()),
                ],
                samples: (0..=STEPS).map(|k| (T0 + k * 60, value(job, k))).collect(),
            });
        }
    }
    series
}

fn rules(recording_interval: &str) -> String {
    format!(
        "groups:
- name: record
  interval: {recording_interval}
  rules:
  - record: job:errors:sum
    expr: sum by (job) (errors)
    labels:
      tier: backend
- name: alert
  interval: 1m
  rules:
  - alert: ManyErrors
    expr: job:errors:sum{{tier=\"backend\"}} > 6
    for: 5m
"
    )
}

/// Evaluates the recording rules over the history and loads the blocks.
fn record_over_history(prometheus: &mut Prometheus, rules_path: &std::path::Path) {
    let blocks = prometheus.path("recorded");
    let out = Command::new("promtool")
        .args(["tsdb", "create-blocks-from", "rules"])
        .arg(format!("--start={T0}"))
        .arg(format!("--end={}", T0 + STEPS * 60))
        .arg(format!("--url={}", prometheus.url))
        .arg(format!("--output-dir={}", blocks.display()))
        .arg(rules_path)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "promtool create-blocks-from rules: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    for entry in std::fs::read_dir(&blocks).unwrap() {
        let path = entry.unwrap().path();
        let to = prometheus.path("tsdb").join(path.file_name().unwrap());
        std::fs::rename(&path, to).unwrap();
    }
    prometheus.restart();
}

fn simulate(prometheus: &Prometheus, rules_path: &std::path::Path, extra: &[&str]) -> Value {
    prometheus.simulate(rules_path, T0 + 10 * 60, T0 + STEPS * 60, extra)
}

/// Firing intervals (unix seconds) by alert instance's `job`.
fn firing(json: &Value) -> BTreeMap<String, Value> {
    json["rules"][0]["candidates"][0]["alerts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            (
                a["labels"]["job"].as_str().unwrap().to_string(),
                a["firing"].clone(),
            )
        })
        .collect()
}

/// Where in each minute Prometheus evaluated the recording group: the
/// offset of the recorded samples' timestamps (rules/group.go spreads
/// groups over their interval by a hash of their name and file).
fn recording_offset(prometheus: &Prometheus, interval_s: i64) -> i64 {
    let url = format!(
        "{}/api/v1/query?query=job:errors:sum[10m]&time={}",
        prometheus.url,
        T0 + 60 * 60
    );
    let body: Value = reqwest::blocking::Client::builder()
        .no_proxy()
        .build()
        .unwrap()
        .get(url)
        .send()
        .unwrap()
        .text()
        .map(|t| serde_json::from_str(&t).unwrap())
        .unwrap();
    let at = body["data"]["result"][0]["values"][0][0].as_f64().unwrap() as i64;
    (at - T0).rem_euclid(interval_s)
}

/// `intervals` moved later by `by` seconds.
fn shifted(intervals: &Value, by: i64) -> Value {
    Value::Array(
        intervals
            .as_array()
            .unwrap()
            .iter()
            .map(|i| serde_json::json!([i[0].as_i64().unwrap() + by, i[1].as_i64().unwrap() + by]))
            .collect(),
    )
}

#[test]
fn an_alert_replayed_through_its_recording_rule_fires_as_on_the_recorded_series() {
    let mut prometheus = Prometheus::start(&raw());
    let rules_path = prometheus.path("rules.yml");
    std::fs::write(&rules_path, rules("1m")).unwrap();
    record_over_history(&mut prometheus, &rules_path);

    let recorded = simulate(&prometheus, &rules_path, &[]);
    let inlined = simulate(&prometheus, &rules_path, &["--inline-recording"]);
    assert_eq!(
        recorded["rules"][0]["query"],
        "job:errors:sum{tier=\"backend\"}"
    );
    assert_eq!(
        inlined["rules"][0]["recording_rules_inlined"][0]["name"],
        "job:errors:sum"
    );
    assert!(inlined["rules"][0]["query"]
        .as_str()
        .unwrap()
        .contains("sum by (job) (errors)"));
    // Job a sums to 8 in minutes 40-59 and fires from minute 45 (for: 5m)
    // to 60; job b's short bump never fires, its long one from 135 to 151.
    let inlined = firing(&inlined);
    assert_eq!(
        serde_json::to_value(&inlined).unwrap(),
        serde_json::json!({
            "a": [[T0 + 45 * 60, T0 + 60 * 60]],
            "b": [[T0 + 135 * 60, T0 + 151 * 60]],
        })
    );
    // On the recorded series the same, but read through the recording
    // group's own evaluation offset: a sample recorded at minute m + o
    // (0 < o < 1m) is what the alert reads at minute m + 1. The alert
    // then fires exactly one evaluation later; with o = 0, at the same time.
    let lag = if recording_offset(&prometheus, 60) == 0 {
        0
    } else {
        60
    };
    let recorded = firing(&recorded);
    for job in ["a", "b"] {
        assert_eq!(recorded[job], shifted(&inlined[job], lag), "job {job}");
    }
}

#[test]
fn a_slower_recording_lags_by_at_most_its_interval() {
    // Recorded every 2m, read every 1m: a recorded value holds until the
    // next recording, so each firing starts and ends up to 2m (one
    // recording interval, plus the group's offset within it) after the
    // inlined replay, which reads the raw series at every evaluation.
    let mut prometheus = Prometheus::start(&raw());
    let rules_path = prometheus.path("rules.yml");
    std::fs::write(&rules_path, rules("2m")).unwrap();
    record_over_history(&mut prometheus, &rules_path);
    let recorded = firing(&simulate(&prometheus, &rules_path, &[]));
    let inlined = firing(&simulate(&prometheus, &rules_path, &["--inline-recording"]));
    assert_eq!(
        inlined["b"],
        serde_json::json!([[T0 + 135 * 60, T0 + 151 * 60]])
    );
    for job in ["a", "b"] {
        let (r, i) = (&recorded[job][0], &inlined[job][0]);
        for edge in 0..2 {
            let lag = r[edge].as_i64().unwrap() - i[edge].as_i64().unwrap();
            assert!(
                (0..=120).contains(&lag),
                "job {job}: recorded {r}, inlined {i}"
            );
        }
    }
}

/// A git repository whose `rules.yml` was `before`, then `after` (two
/// commits).
fn change(before: &str, after: &str) -> tempfile::TempDir {
    let repo = tempfile::tempdir().unwrap();
    let rules_path = repo.path().join("rules.yml");
    std::fs::write(&rules_path, before).unwrap();
    common::git::git(repo.path(), &["init", "-q"]);
    common::git::git(repo.path(), &["add", "-A"]);
    common::git::git(repo.path(), &["commit", "-q", "-m", "before"]);
    std::fs::write(&rules_path, after).unwrap();
    common::git::git(repo.path(), &["commit", "-q", "-am", "after"]);
    repo
}

/// `firedrill diff` of the last commit of `repo` against the one before,
/// replayed on `prometheus`, in `format`; its output.
fn diff(repo: &std::path::Path, prometheus: &Prometheus, format: &str) -> String {
    let (start, end) = ((T0 + 10 * 60).to_string(), (T0 + STEPS * 60).to_string());
    let out = Command::new(env!("CARGO_BIN_EXE_firedrill"))
        .current_dir(repo)
        .env_remove("PROMETHEUS_URL")
        .args([
            "diff",
            "rules.yml",
            "--base",
            "HEAD~1",
            "--prometheus",
            &prometheus.url,
            "--start",
            &start,
            "--end",
            &end,
            "--format",
            format,
            "-q",
        ])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn diff_replays_an_unchanged_alert_through_its_changed_recording_rule() {
    // A pull request quadruples what the recording rule writes; the alert on
    // it is untouched. The server has only the old rule's history: `diff`
    // replays the alert as it is (on the recorded series) and through the
    // new recording rule, and says why.
    let mut prometheus = Prometheus::start(&raw());
    let repo = change(
        &rules("1m"),
        &rules("1m").replace("sum by (job) (errors)", "4 * sum by (job) (errors)"),
    );
    // What the server recorded is the rule as it was before.
    let before = prometheus.path("rules.yml");
    std::fs::write(&before, rules("1m")).unwrap();
    record_over_history(&mut prometheus, &before);
    let json: Value = serde_json::from_str(&diff(repo.path(), &prometheus, "json")).unwrap();
    let alert = &json["alerts"][0];
    assert_eq!(alert["alertname"], "ManyErrors");
    assert_eq!(alert["status"], "changed");
    assert_eq!(
        alert["changes"][0],
        "recording rule `job:errors:sum` (changed in this change), replayed through"
    );
    // Before, twice (the two bumps); after, even the baseline 4 × (1 + 1)
    // is over 6: both jobs fire from the first evaluations on.
    assert_eq!(alert["before"]["pages"], 2);
    assert!(
        alert["after"]["firing_seconds"].as_f64().unwrap()
            > alert["before"]["firing_seconds"].as_f64().unwrap(),
        "{alert}"
    );
}

/// Rules whose alerts read `job:errors:sum` in ways the server has no
/// history of: as recorded (a recording not deployed), and with an
/// `offset`, which is not inlined.
const UNRECORDED: &str = "groups:
- name: record
  interval: 1m
  rules:
  - record: job:errors:sum
    expr: sum by (job) (errors)
- name: alert
  interval: 1m
  rules:
  - alert: ManyErrors
    expr: job:errors:sum > 6
    for: 5m
  - alert: ManyErrorsBefore
    expr: job:errors:sum offset 5m > 6
";

#[test]
fn a_replay_never_falls_silently_into_no_data() {
    // Only raw series on the server: nothing was ever recorded.
    let prometheus = Prometheus::start(&raw());
    let rules_path = prometheus.path("rules.yml");
    std::fs::write(&rules_path, UNRECORDED).unwrap();
    let json = simulate(&prometheus, &rules_path, &[]);
    let apart = &json["ranking"]["no_data_recorded"];
    assert_eq!(apart.as_array().unwrap().len(), 2, "{apart}");
    assert_eq!(apart[0]["alertname"], "ManyErrors");
    let read = &apart[0]["recorded_series_read"][0];
    assert_eq!(read["name"], "job:errors:sum");
    assert!(
        read["reason"]
            .as_str()
            .unwrap()
            .contains("--inline-recording"),
        "{read}"
    );
    assert_eq!(json["ranking"]["no_data"], serde_json::json!([]));

    // Inlined, the first replays from the raw series; the second cannot be
    // (`offset` goes on selectors only) and says why, in JSON and in the
    // table.
    let json = simulate(&prometheus, &rules_path, &["--inline-recording"]);
    let apart = json["ranking"]["no_data_recorded"].as_array().unwrap();
    assert_eq!(apart.len(), 1, "{apart:?}");
    assert_eq!(apart[0]["alertname"], "ManyErrorsBefore");
    assert!(apart[0]["recorded_series_read"][0]["reason"]
        .as_str()
        .unwrap()
        .contains("offset"));
    assert_eq!(json["ranking"]["fired"][0]["alertname"], "ManyErrors");
    let (start, end) = ((T0 + 10 * 60).to_string(), (T0 + STEPS * 60).to_string());
    let out = common::firedrill(&[
        "simulate",
        rules_path.to_str().unwrap(),
        "--prometheus",
        &prometheus.url,
        "--start",
        &start,
        "--end",
        &end,
        "--inline-recording",
        "-q",
    ]);
    let text = common::stdout(&out);
    assert!(
        text.contains("No data through recording rules (1): ManyErrorsBefore reads job:errors:sum"),
        "{text}"
    );
}

#[test]
fn diff_names_an_alert_the_server_cannot_replay_in_the_comment() {
    // A pull request adds a recording rule and two alerts on it: one is
    // replayed through the new rule, the other reads it with `offset` and
    // cannot be; the comment says so instead of "would have fired 0 times".
    let prometheus = Prometheus::start(&raw());
    let repo = change(
        "groups:\n- name: alert\n  interval: 1m\n  rules:\n  - alert: Old\n    expr: errors > 100\n",
        UNRECORDED,
    );
    let run = |format: &str| diff(repo.path(), &prometheus, format);
    let markdown = run("markdown");
    assert!(
        markdown.contains("No data through recording rules")
            && markdown
                .contains("- `ManyErrorsBefore` reads `job:errors:sum` (the selector has `offset`"),
        "{markdown}"
    );
    assert!(
        markdown.contains(
            "| `ManyErrorsBefore` | added | – | 0 | – | 0 | no data: reads recorded series"
        ),
        "{markdown}"
    );
    let json: Value = serde_json::from_str(&run("json")).unwrap();
    let alerts = json["alerts"].as_array().unwrap();
    let before = alerts
        .iter()
        .find(|a| a["alertname"] == "ManyErrorsBefore")
        .unwrap();
    assert_eq!(before["no_data_recorded"][0]["name"], "job:errors:sum");
    let many = alerts
        .iter()
        .find(|a| a["alertname"] == "ManyErrors")
        .unwrap();
    assert_eq!(many["no_data_recorded"], serde_json::json!([]));
    assert!(many["after"]["pages"].as_u64().unwrap() > 0, "{many}");
}
