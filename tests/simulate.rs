//! `firedrill simulate` end to end: the shipped example, the JSON contract,
//! and recordings that are wrong in every way we could think of.

mod common;

use std::path::Path;

use common::*;
use firedrill::history::{recording, QueryResult, RawSeries, Recording};

fn root(path: &str) -> String {
    format!("{}/{path}", env!("CARGO_MANIFEST_DIR"))
}

fn simulate_json(args: &[&str]) -> serde_json::Value {
    let mut all = vec!["simulate", "--format", "json"];
    all.extend_from_slice(args);
    let out = firedrill(&all);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    serde_json::from_slice(&out.stdout).unwrap()
}

fn rule<'a>(json: &'a serde_json::Value, alert: &str) -> &'a serde_json::Value {
    json["rules"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["alertname"] == alert)
        .unwrap_or_else(|| panic!("no {alert}"))
}

#[test]
fn shipped_example_replays_every_alert() {
    let out = firedrill(&[
        "simulate",
        &root("rules"),
        "--data",
        &root("fixtures/wecare-7d.parquet"),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.contains("FPMPoolSaturation"), "{text}");
    assert!(text.contains("(today)"), "{text}");
    let json = simulate_json(&[
        &root("rules"),
        "--data",
        &root("fixtures/wecare-7d.parquet"),
    ]);
    assert_eq!(json["version"], 1);
    assert_eq!(json["rules"].as_array().unwrap().len(), 15);
    let watchdog = rule(&json, "Watchdog");
    assert_eq!(watchdog["mode"], "whole");
    assert_eq!(
        watchdog["candidates"][0]["pages"], 1,
        "Watchdog fires once, for the whole week"
    );
    // A heartbeat: firing throughout, for exactly the window, not a page.
    let week = 7 * 86_400;
    assert_eq!(watchdog["always_firing"], true);
    assert_eq!(
        watchdog["end"].as_i64().unwrap() - watchdog["start"].as_i64().unwrap(),
        week
    );
    assert_eq!(watchdog["evaluations"], 10_080);
    assert_eq!(watchdog["candidates"][0]["firing_seconds"], week as f64);
    for r in json["rules"].as_array().unwrap() {
        let firing = r["candidates"][0]["firing_seconds"].as_f64().unwrap();
        let instances = r["candidates"][0]["label_sets_fired"].as_f64().unwrap();
        assert!(firing <= instances * week as f64, "{r}");
        if r["alertname"] != "Watchdog" {
            assert_eq!(r["always_firing"], false, "{r}");
        }
    }
    // The totals leave it out, and say where the data came from.
    let fired: Vec<&serde_json::Value> = json["rules"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["always_firing"] == false && r["candidates"][0]["pages"] != 0)
        .collect();
    let episodes: u64 = fired
        .iter()
        .map(|r| r["candidates"][0]["pages"].as_u64().unwrap())
        .sum();
    assert!(
        text.contains(&format!(
            "Today's rules over 1w: {} of 15 alerts fired, {episodes} firing episodes (pages). Firing throughout, not counted: Watchdog. Data: {}, recorded from http://",
            fired.len(),
            root("fixtures/wecare-7d.parquet")
        )),
        "{text}"
    );
    assert!(!text.contains("7d1m") && !text.contains("1w1m"), "{text}");
}

#[test]
fn human_output_fits_the_terminal_width() {
    let args = [
        "simulate",
        &root("rules"),
        "--data",
        &root("fixtures/wecare-7d.parquet"),
    ];
    let wide = stdout(&firedrill(&args));
    assert!(wide.lines().any(|l| l.chars().count() > 100), "{wide}");
    for columns in [80, 100] {
        let out = firedrill_with(&args, None, &[("COLUMNS", &columns.to_string())]);
        let text = stdout(&out);
        for line in text.lines() {
            assert!(line.chars().count() <= columns, "{columns}: {line:?}");
        }
        // Wrapped, not cut: every alert and its signal's selectors are there.
        assert!(text.contains("pod=~\"redis-sentinel-.*\""), "{text}");
        assert_eq!(text.matches("(today)").count(), 15);
    }
    let tune = [
        "tune",
        &root("rules"),
        "--alert",
        "FPMPoolSaturation",
        "--data",
        &root("fixtures/wecare-7d.parquet"),
        "--marks",
        &root("rules/incidents.toml"),
    ];
    let text = stdout(&firedrill_with(&tune, None, &[("COLUMNS", "80")]));
    // Only the YAML to paste may be wider: it is not wrapped.
    for line in text.lines().filter(|l| !l.starts_with("    ")) {
        assert!(line.chars().count() <= 80, "{line:?}");
    }
    assert!(text.contains("recommended:"), "{text}");
}

/// The fixture's false positive: FPMPoolSaturation pages at 03:14 on
/// 2026-11-19, and a higher threshold or a longer `for` stays quiet then.
#[test]
fn the_fixture_false_positive_fires_today_and_a_better_rule_silences_it() {
    let json = simulate_json(&[
        &root("rules"),
        "--data",
        &root("fixtures/wecare-7d.parquet"),
        "--alert",
        "FPMPoolSaturation",
        "--threshold",
        "0.9",
        "--for",
        "5m",
    ]);
    let r = rule(&json, "FPMPoolSaturation");
    let night = (1_795_057_920, 1_795_058_400); // 2026-11-19 03:12 .. 03:20
    let fires_at_night =
        |c: &serde_json::Value| {
            c["alerts"].as_array().unwrap().iter().any(|a| {
                a["firing"].as_array().unwrap().iter().any(|iv| {
                    iv[0].as_i64().unwrap() < night.1 && iv[1].as_i64().unwrap() > night.0
                })
            })
        };
    let candidates = r["candidates"].as_array().unwrap();
    let today = &candidates[0];
    assert_eq!(today["current"], true);
    assert_eq!(
        (today["threshold"].as_f64(), today["for_seconds"].as_f64()),
        (Some(0.8), Some(120.0))
    );
    assert!(fires_at_night(today), "today's rule must page at night");
    for c in &candidates[1..] {
        assert!(!fires_at_night(c), "candidate {c} still pages at night");
    }
    // The JSON contract: labels carry the whole identity, alertname included.
    let a = &today["alerts"][0];
    assert_eq!(a["labels"]["alertname"], "FPMPoolSaturation");
    assert_eq!(a["labels"]["severity"], "warning");
    assert!(a["labels"].get("pod").is_some());
}

#[test]
fn sweeps_list_every_candidate_with_today_first() {
    let json = simulate_json(&[
        &root("rules"),
        "--data",
        &root("fixtures/wecare-7d.parquet"),
        "--alert",
        "TraefikWecareHigh5xxRate",
        "--threshold",
        "auto",
        "--for",
        "0s,5m,10m",
    ]);
    let c = rule(&json, "TraefikWecareHigh5xxRate")["candidates"]
        .as_array()
        .unwrap();
    assert!(c.len() >= 3 * 5, "{}", c.len());
    assert_eq!(c[0]["current"], true);
    assert!(c[1..].iter().all(|x| x["current"] == false));
}

#[test]
fn csv_and_parquet_outputs() {
    let dir = tempfile::tempdir().unwrap();
    let out_path = dir.path().join("results.parquet");
    let out = firedrill(&[
        "simulate",
        &root("rules"),
        "--data",
        &root("fixtures/wecare-7d.parquet"),
        "--format",
        "csv",
        "--out",
        out_path.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.starts_with("alertname,group,file,current,op,threshold"));
    assert_eq!(text.lines().count(), 16, "a header and one row per alert");
    assert!(std::fs::metadata(&out_path).unwrap().len() > 0);
}

// ---- bad recordings: a clear error, exit 2, never a wrong count ----

const RULE: &str = "groups:\n- name: g\n  rules:\n  - alert: High\n    expr: x > 5\n    for: 1m\n";

fn write_recording(dir: &Path, results: Vec<QueryResult>) -> String {
    let path = dir.join("r.parquet");
    recording::write(
        &path,
        &Recording {
            source: "test".into(),
            results,
        },
    )
    .unwrap();
    path.display().to_string()
}

fn result(step_s: i64, samples: Vec<(i64, f64)>) -> QueryResult {
    QueryResult {
        query: "x".into(),
        step_ms: step_s * 1000,
        start_ms: 0,
        end_ms: 600_000,
        series: vec![RawSeries {
            labels: vec![("__name__".into(), "x".into()), ("i".into(), "a".into())],
            samples,
        }],
    }
}

fn run_bad(results: Vec<QueryResult>, raw: Option<&[u8]>) -> (Option<i32>, String) {
    run_bad_with(results, raw, &[])
}

fn run_bad_with(
    results: Vec<QueryResult>,
    raw: Option<&[u8]>,
    flags: &[&str],
) -> (Option<i32>, String) {
    let dir = tempfile::tempdir().unwrap();
    let rules = dir.path().join("rules.yaml");
    std::fs::write(&rules, RULE).unwrap();
    let data = match raw {
        Some(bytes) => {
            let p = dir.path().join("raw.parquet");
            std::fs::write(&p, bytes).unwrap();
            p.display().to_string()
        }
        None => write_recording(dir.path(), results),
    };
    let mut args = vec!["simulate", rules.to_str().unwrap(), "--data", &data];
    args.extend_from_slice(flags);
    let out = firedrill(&args);
    (out.status.code(), stderr(&out))
}

#[test]
fn recording_without_the_alerts_query() {
    let mut other = result(60, vec![]);
    other.query = "y".into();
    let (code, err) = run_bad(vec![other], None);
    assert_eq!(code, Some(2));
    assert!(err.contains("has no data for alert \"High\""), "{err}");
}

#[test]
fn truncated_and_non_parquet_recordings() {
    let dir = tempfile::tempdir().unwrap();
    let good = write_recording(dir.path(), vec![result(60, vec![(0, 1.0)])]);
    let bytes = std::fs::read(good).unwrap();
    let (code, err) = run_bad(vec![], Some(&bytes[..bytes.len() - 40]));
    assert_eq!(code, Some(2));
    assert!(err.contains("truncated"), "{err}");
    let (code, _) = run_bad(vec![], Some(b"PAR1 this is not parquet"));
    assert_eq!(code, Some(2));
}

#[test]
fn step_that_does_not_divide_the_interval() {
    // Told the rules run every minute, a recording at 90s cannot be replayed.
    let (code, err) = run_bad_with(
        vec![result(90, vec![(0, 9.0)])],
        None,
        &["--eval-interval", "1m"],
    );
    assert_eq!(code, Some(2));
    assert!(
        err.contains("does not divide the evaluation interval"),
        "{err}"
    );
}

#[test]
fn duplicate_and_misaligned_timestamps() {
    let (code, err) = run_bad(vec![result(60, vec![(60_000, 9.0), (60_000, 9.0)])], None);
    assert_eq!(code, Some(2));
    assert!(err.contains("two samples"), "{err}");
    let (code, err) = run_bad(vec![result(60, vec![(61_000, 9.0)])], None);
    assert_eq!(code, Some(2));
    assert!(err.contains("not on the evaluation grid"), "{err}");
}

#[test]
fn out_of_order_nan_and_infinite_values_have_defined_results() {
    let dir = tempfile::tempdir().unwrap();
    let rules = dir.path().join("rules.yaml");
    std::fs::write(&rules, RULE).unwrap();
    // Out of order is placed by timestamp; NaN never passes `> 5`; +Inf does.
    let samples = vec![
        (120_000, f64::INFINITY),
        (0, 9.0),
        (60_000, 9.0),
        (180_000, f64::NAN),
        (240_000, f64::NEG_INFINITY),
    ];
    let data = write_recording(dir.path(), vec![result(60, samples)]);
    let json = simulate_json(&[rules.to_str().unwrap(), "--data", &data]);
    let c = &rule(&json, "High")["candidates"][0];
    assert_eq!(c["pages"], 1);
    assert_eq!(c["alerts"][0]["firing"], serde_json::json!([[60, 180]]));
    assert_eq!(c["alerts"][0]["pending"], serde_json::json!([[0, 60]]));
}

#[test]
fn other_format_versions_are_refused() {
    use polars::prelude::*;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("v2.parquet");
    let mut df = DataFrame::new_infer_height(vec![
        Column::new("format".into(), ["firedrill-recording"]),
        Column::new("version".into(), [2u32]),
    ])
    .unwrap();
    ParquetWriter::new(std::fs::File::create(&path).unwrap())
        .finish(&mut df)
        .unwrap();
    let bytes = std::fs::read(&path).unwrap();
    let (code, err) = run_bad(vec![], Some(&bytes));
    assert_eq!(code, Some(2));
    assert!(err.contains("version 2"), "{err}");
}

#[test]
fn time_flags_name_the_flag_take_bare_dates_and_show_times() {
    let base = [
        "simulate",
        &root("rules"),
        "--data",
        &root("fixtures/wecare-7d.parquet"),
        "--alert",
        "RedisDown",
    ];
    let run = |extra: &[&str]| {
        let mut args = base.to_vec();
        args.extend_from_slice(extra);
        firedrill(&args)
    };
    // The error names the flag.
    let out = run(&["--end", "tomorrow"]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(
        err.starts_with("firedrill: error: --end: \"tomorrow\""),
        "{err}"
    );
    assert_eq!(err.lines().count(), 1, "{err}");
    // A bare date is midnight UTC.
    let json = simulate_json(&[&base[1..], &["--start", "2026-11-22"]].concat());
    assert_eq!(rule(&json, "RedisDown")["start"], 1_795_305_600); // 2026-11-22T00:00:00Z
                                                                  // A start after the end shows both times, not milliseconds.
    let out = run(&["--start", "2026-11-20", "--end", "2026-11-19T12:00Z"]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(
        err.contains("ends (2026-11-19T12:00:00Z) before it starts (2026-11-20T00:00:00Z)"),
        "{err}"
    );
    assert!(!err.contains(" ms"), "{err}");
    // A window outside the recording says when, too.
    let err = stderr(&run(&["--start", "2026-12-22"]));
    assert!(err.contains("2026-12-22T00:00:00Z"), "{err}");
    assert!(!err.contains(" ms"), "{err}");
}

#[test]
fn a_mistyped_alert_name_gets_a_suggestion() {
    for (command, typo, meant) in [
        ("simulate", "FPMPoolSaturaton", "FPMPoolSaturation"),
        ("tune", "redisdown", "RedisDown"),
    ] {
        let out = firedrill(&[
            command,
            &root("rules"),
            "--data",
            &root("fixtures/wecare-7d.parquet"),
            "--alert",
            typo,
        ]);
        assert_eq!(out.status.code(), Some(2));
        assert!(
            stderr(&out).contains(&format!("(did you mean \"{meant}\"?)")),
            "{}",
            stderr(&out)
        );
    }
}

#[test]
fn record_from_a_recording_keeps_only_what_the_rules_need() {
    // `record --data` takes the alerts' queries out of a recording: the
    // replay of the smaller recording is the replay of the whole one.
    let dir = tempfile::tempdir().unwrap();
    let small = dir.path().join("redis.parquet");
    let rules = root("rules/prometheusrule-redis.yaml");
    let out = firedrill(&[
        "record",
        &rules,
        "--data",
        &root("fixtures/wecare-7d.parquet"),
        "--out",
        small.to_str().unwrap(),
        "--quiet",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let whole = recording::read(Path::new(&root("fixtures/wecare-7d.parquet"))).unwrap();
    let kept = recording::read(&small).unwrap();
    assert!(!kept.results.is_empty() && kept.results.len() < whole.results.len());
    assert_eq!(kept.source, whole.source);
    for r in &kept.results {
        assert_eq!(Some(r), whole.find(&r.query), "{}", r.query);
    }
    let candidates = |data: &str| {
        let json = simulate_json(&[&rules, "--data", data]);
        json["rules"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| (r["alertname"].clone(), r["candidates"].clone()))
            .collect::<Vec<_>>()
    };
    assert_eq!(
        candidates(small.to_str().unwrap()),
        candidates(&root("fixtures/wecare-7d.parquet"))
    );
}

/// Replays `rules` on one recorded query `x` (step 60s unless `step_s`),
/// JSON with every instance's timeline.
fn replay_json(rules: &str, results: Vec<QueryResult>, flags: &[&str]) -> serde_json::Value {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("rules.yaml");
    std::fs::write(&path, rules).unwrap();
    let data = write_recording(dir.path(), results);
    let mut args = vec![path.to_str().unwrap(), "--data", &data];
    args.extend_from_slice(flags);
    simulate_json(&args)
}

fn firing(json: &serde_json::Value) -> &serde_json::Value {
    &json["rules"][0]["candidates"][0]["alerts"][0]["firing"]
}

#[test]
fn query_offset_reads_history_that_far_back_and_keeps_the_alert_at_its_evaluation() {
    // rules/group.go and rules/alerting.go (Prometheus 3): the evaluation at
    // `t` queries at `t - query_offset`; the alert's times are `t`. `x` is
    // 9 at the query times 120s, 180s, 240s. Without an offset the alert
    // fires from 120s to 300s; with `query_offset: 2m` each evaluation sees
    // the value of 2m before, so it fires from 240s to 420s.
    let samples: Vec<(i64, f64)> = (0..=10)
        .map(|k| (k * 60_000, if (2..=4).contains(&k) { 9.0 } else { 1.0 }))
        .collect();
    let rule = |offset: &str| {
        format!("groups:\n- name: g\n  interval: 1m\n{offset}  rules:\n  - alert: High\n    expr: x > 5\n")
    };
    let plain = replay_json(&rule(""), vec![result(60, samples.clone())], &[]);
    assert_eq!(firing(&plain), &serde_json::json!([[120, 300]]));
    assert_eq!(plain["rules"][0]["query_offset_seconds"], 0.0);
    let offset = replay_json(
        &rule("  query_offset: 2m\n"),
        vec![result(60, samples.clone())],
        &[],
    );
    assert_eq!(firing(&offset), &serde_json::json!([[240, 420]]));
    assert_eq!(offset["rules"][0]["query_offset_seconds"], 120.0);
    // The global rule_query_offset, for groups without their own.
    let global = replay_json(
        &rule(""),
        vec![result(60, samples)],
        &["--rule-query-offset", "2m"],
    );
    assert_eq!(firing(&global), &serde_json::json!([[240, 420]]));
}

#[test]
fn group_labels_are_on_every_alert_under_the_rules_own() {
    // Prometheus 3, rules/manager.go: `FromMaps(rg.Labels, r.Labels)`, the
    // rule's labels override the group's.
    let rules = "groups:\n- name: g\n  interval: 1m\n  labels:\n    team: db\n    env: prod\n  rules:\n  - alert: High\n    expr: x > 5\n    labels:\n      team: web\n";
    let json = replay_json(rules, vec![result(60, vec![(0, 9.0)])], &[]);
    let labels = &json["rules"][0]["candidates"][0]["alerts"][0]["labels"];
    assert_eq!(
        labels,
        &serde_json::json!({"alertname": "High", "env": "prod", "i": "a", "team": "web"})
    );
    assert_eq!(
        json["rules"][0]["group_labels"],
        serde_json::json!({"env": "prod", "team": "db"})
    );
}

#[test]
fn manifests_run_every_30s_unless_told_and_the_output_says_which() {
    let manifest = "apiVersion: monitoring.coreos.com/v1\nkind: PrometheusRule\nmetadata: {name: r}\nspec:\n  groups:\n  - name: g\n    rules:\n    - alert: High\n      expr: x > 5\n";
    let at = |step_s: i64| {
        let samples = (0..=20).map(|k| (k * step_s * 1000, 1.0)).collect();
        let mut r = result(step_s, samples);
        r.end_ms = 20 * step_s * 1000;
        r
    };
    let rule = |json: &serde_json::Value| {
        (
            json["rules"][0]["eval_interval_seconds"].as_f64().unwrap(),
            json["rules"][0]["eval_interval_from"]
                .as_str()
                .unwrap()
                .to_string(),
        )
    };
    // The Prometheus Operator's default evaluationInterval.
    let json = replay_json(manifest, vec![at(30)], &[]);
    assert_eq!(rule(&json), (30.0, "operator".to_string()));
    // A recording made at 1m replays at 1m, and says so.
    let json = replay_json(manifest, vec![at(60)], &[]);
    assert_eq!(rule(&json), (60.0, "recording".to_string()));
    // Told: the flag wins.
    let json = replay_json(manifest, vec![at(30)], &["--eval-interval", "1m"]);
    assert_eq!(rule(&json), (60.0, "given".to_string()));
    // A plain file: Prometheus's 1m.
    let plain = "groups:\n- name: g\n  rules:\n  - alert: High\n    expr: x > 5\n";
    let json = replay_json(plain, vec![at(60)], &[]);
    assert_eq!(rule(&json), (60.0, "prometheus".to_string()));
}

#[test]
fn evaluations_over_the_limit_are_reported_with_their_times() {
    // Two instances over 5 in the same minutes, `limit: 1`: from the first
    // evaluation with both pending, every evaluation fails (rules/alerting.go
    // drops all the rule's alerts each time), so nothing fires.
    let mut r = result(60, (0..=10).map(|k| (k * 60_000, 9.0)).collect());
    let mut second = r.series[0].clone();
    second.labels = vec![("__name__".into(), "x".into()), ("i".into(), "b".into())];
    r.series.push(second);
    let rules = "groups:\n- name: g\n  interval: 1m\n  limit: 1\n  rules:\n  - alert: High\n    expr: x > 5\n    for: 1m\n";
    let json = replay_json(rules, vec![r], &[]);
    let rule = &json["rules"][0];
    assert_eq!(rule["limit"], 1);
    assert_eq!(rule["candidates"][0]["pages"], 0);
    assert_eq!(rule["candidates"][0]["evaluations_failed"], 10);
    assert_eq!(rule["failed_evaluations"][0], 0);
}
