//! Against a real Prometheus (Debian package `prometheus`): generated
//! history is backfilled with `promtool tsdb create-blocks-from
//! openmetrics` and served on 127.0.0.1. A live `simulate` must equal the
//! replay of a `record` of the same window, and the firing set `promtool
//! test rules` computes from the same samples; windows past Prometheus's
//! 11,000 points per series must come back whole and exact.

mod common;

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::process::Command;

use common::prometheus::{Prometheus, Series};
use common::rng::Rng;
use common::{firedrill, stderr, stdout};
use serde_json::Value;

/// 2026-11-01T00:00:00Z, on every evaluation grid.
const T0: i64 = 1_793_491_200;

/// Alerts of several shapes and timings over series with spikes, resets,
/// and gaps long enough (over the 5m lookback) to make them vanish.
fn scenarios(steps: i64) -> (String, Vec<Series>) {
    let mut rng = Rng(0x5DEE_CE66_D1CE_4E5B);
    let mut rules = String::from("groups:\n- name: live\n  interval: 1m\n  rules:\n");
    let mut series = Vec::new();
    for id in 0..10 {
        let metric = format!("live_m{id}");
        for s in 0..1 + rng.below(3) {
            let kind = rng.below(3);
            let gap_from = rng.below(steps as u64) as i64;
            let gap_len = [0, 3, 8, 15][rng.below(4) as usize];
            let mut level = rng.below(50) as f64;
            let mut samples = Vec::new();
            for k in 0..=steps {
                let v = match kind {
                    0 if rng.below(6) == 0 => 50.0 + rng.below(50) as f64,
                    0 => rng.below(50) as f64,
                    1 => {
                        level = if rng.below(15) == 0 {
                            0.0
                        } else {
                            level + rng.below(5) as f64
                        };
                        level
                    }
                    _ => level + rng.below(30) as f64 - 15.0,
                };
                if k >= gap_from && k < gap_from + gap_len {
                    continue;
                }
                samples.push((T0 + k * 60, v));
            }
            series.push(Series {
                metric: metric.clone(),
                labels: vec![
                    ("instance".into(), format!("i{s}")),
                    ("job".into(), format!("j{}", s % 2)),
                ],
                samples,
            });
        }
        let threshold = 25 + rng.below(40);
        let expr = match rng.below(5) {
            0 => format!("sum by (job) ({metric}) > {threshold}"),
            1 => format!("max by (job) ({metric}) > {threshold}"),
            2 => format!("{metric} < {threshold}"),
            3 => format!("{metric} >= {threshold}"),
            _ => format!("{metric} > {threshold}"),
        };
        let for_min = [0, 1, 2, 3, 5][rng.below(5) as usize];
        let keep_min = [0, 0, 1, 2, 4][rng.below(5) as usize];
        writeln!(
            rules,
            "  - alert: Live{id}\n    expr: {expr}\n    for: {for_min}m\n    keep_firing_for: {keep_min}m\n    labels:\n      severity: page"
        )
        .unwrap();
    }
    (rules, series)
}

fn run_json(args: &[&str]) -> Value {
    let out = firedrill(args);
    assert!(
        out.status.success(),
        "firedrill {args:?} failed: {}",
        stderr(&out)
    );
    serde_json::from_str(&stdout(&out)).unwrap()
}

/// `(alertname, labels without alertname) → firing intervals` of today's rule.
fn firing(json: &Value) -> BTreeMap<(String, String), Vec<(i64, i64)>> {
    let mut out = BTreeMap::new();
    for rule in json["rules"].as_array().unwrap() {
        let current = &rule["candidates"][0];
        assert_eq!(current["current"], true);
        for alert in current["alerts"].as_array().unwrap() {
            let labels: Vec<String> = alert["labels"]
                .as_object()
                .unwrap()
                .iter()
                .filter(|(k, _)| *k != "alertname")
                .map(|(k, v)| format!("{k}: {}", v.as_str().unwrap()))
                .collect();
            let intervals: Vec<(i64, i64)> = alert["firing"]
                .as_array()
                .unwrap()
                .iter()
                .map(|p| (p[0].as_i64().unwrap(), p[1].as_i64().unwrap()))
                .collect();
            if !intervals.is_empty() {
                out.insert(
                    (
                        alert["alertname"].as_str().unwrap().to_string(),
                        labels.join(", "),
                    ),
                    intervals,
                );
            }
        }
    }
    out
}

/// The firing set at every evaluation, as a `promtool test rules` file over
/// the same samples (times relative to T0).
fn promtool_test(
    series: &[Series],
    firing: &BTreeMap<(String, String), Vec<(i64, i64)>>,
    alerts: &[String],
    steps: i64,
) -> String {
    let mut t = String::from("rule_files: [rules.yml]\nevaluation_interval: 1m\ntests:\n- interval: 1m\n  input_series:\n");
    for s in series {
        let mut values = vec!["_".to_string(); steps as usize + 1];
        for (ts, v) in &s.samples {
            values[((ts - T0) / 60) as usize] = v.to_string();
        }
        let labels: Vec<String> = s
            .labels
            .iter()
            .map(|(k, v)| format!("{k}=\"{v}\""))
            .collect();
        writeln!(
            t,
            "  - series: '{}{{{}}}'\n    values: '{}'",
            s.metric,
            labels.join(","),
            values.join(" ")
        )
        .unwrap();
    }
    t.push_str("  alert_rule_test:\n");
    // The replayed window [start, end) ends before the evaluation at `end`.
    for k in 0..steps {
        let at = T0 + k * 60;
        for alert in alerts {
            writeln!(
                t,
                "  - eval_time: {k}m\n    alertname: {alert}\n    exp_alerts:"
            )
            .unwrap();
            let mut any = false;
            for ((name, labels), intervals) in firing {
                if name == alert && intervals.iter().any(|(a, b)| *a <= at && at < *b) {
                    writeln!(t, "    - exp_labels: {{{labels}}}").unwrap();
                    any = true;
                }
            }
            if !any {
                t.truncate(t.trim_end().len());
                t.push_str(" []\n");
            }
        }
    }
    t
}

#[test]
fn live_replay_equals_its_recording_and_promtool() {
    let steps = 90;
    let (rules, series) = scenarios(steps);
    let prometheus = Prometheus::start(&series);
    let rules_path = prometheus.path("rules.yml");
    std::fs::write(&rules_path, &rules).unwrap();
    let rules_arg = rules_path.to_str().unwrap();
    let (start, end) = (T0.to_string(), (T0 + steps * 60).to_string());
    let window = ["--start", &start, "--end", &end];

    // Small chunks, so every alert's window is stitched from many requests.
    let mut live_args = vec![
        "simulate",
        rules_arg,
        "--prometheus",
        &prometheus.url,
        "--format",
        "json",
        "--max-points",
        "13",
        "-q",
    ];
    live_args.extend(window);
    let live = run_json(&live_args);

    let recording = prometheus.path("recording.parquet");
    let mut record_args = vec![
        "record",
        rules_arg,
        "--prometheus",
        &prometheus.url,
        "--out",
        recording.to_str().unwrap(),
        "-q",
    ];
    record_args.extend(window);
    let out = firedrill(&record_args);
    assert!(out.status.success(), "record failed: {}", stderr(&out));
    let replayed = run_json(&[
        "simulate",
        rules_arg,
        "--data",
        recording.to_str().unwrap(),
        "--format",
        "json",
    ]);

    assert_eq!(
        live["rules"], replayed["rules"],
        "live and recorded replays differ"
    );
    assert_eq!(live["source"], prometheus.url.as_str());
    assert_eq!(
        replayed["source"],
        format!("{}, recorded from {}", recording.display(), prometheus.url)
    );

    let fired = firing(&live);

    // `tune` reads history the same way: live and from the recording, the
    // same candidates and the same recommendation.
    let alert = &fired.keys().next().expect("an alert fired").0;
    let mut tune_live = vec![
        "tune",
        rules_arg,
        "--alert",
        alert,
        "--prometheus",
        &prometheus.url,
        "--format",
        "json",
        "--max-points",
        "13",
        "-q",
    ];
    tune_live.extend(window);
    let tuned_live = run_json(&tune_live);
    let tuned_recorded = run_json(&[
        "tune",
        rules_arg,
        "--alert",
        alert,
        "--data",
        recording.to_str().unwrap(),
        "--format",
        "json",
    ]);
    assert!(tuned_live["candidates"].as_array().unwrap().len() > 1);
    assert_eq!(tuned_live["candidates"], tuned_recorded["candidates"]);
    assert_eq!(tuned_live["recommended"], tuned_recorded["recommended"]);

    let alerts: Vec<String> = (0..10).map(|i| format!("Live{i}")).collect();
    let firing_alerts: std::collections::BTreeSet<&String> = fired.keys().map(|(a, _)| a).collect();
    assert!(
        firing_alerts.len() >= 4,
        "too few alerts fire to prove anything: {firing_alerts:?}"
    );

    std::fs::write(
        prometheus.path("test.yml"),
        promtool_test(&series, &fired, &alerts, steps),
    )
    .unwrap();
    let out = Command::new("promtool")
        .args(["test", "rules", "test.yml"])
        .current_dir(prometheus.dir())
        .output()
        .unwrap();
    let text =
        String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "promtool disagrees with the live replay:\n{}",
        &text[..text.len().min(6000)]
    );
}

#[test]
fn windows_past_11000_points_are_split_and_exact() {
    // 12,500 one-minute points: more than one Prometheus range query allows.
    let steps: i64 = 12_499;
    let series: Vec<Series> = ["a", "b"]
        .iter()
        .enumerate()
        .map(|(i, pod)| Series {
            metric: "long_signal".into(),
            labels: vec![("pod".into(), pod.to_string())],
            samples: (0..=steps)
                .map(|k| (T0 + k * 60, ((k + i as i64 * 13) % 101) as f64))
                .collect(),
        })
        .collect();
    let prometheus = Prometheus::start(&series);
    let rules_path = prometheus.path("rules.yml");
    std::fs::write(
        &rules_path,
        "groups:\n- name: long\n  rules:\n  - alert: LongSignalHigh\n    expr: long_signal > 97\n    for: 2m\n",
    )
    .unwrap();
    let rules_arg = rules_path.to_str().unwrap();
    let (start, end) = (T0.to_string(), (T0 + steps * 60).to_string());

    let mut recordings = Vec::new();
    for (name, extra) in [
        ("default.parquet", vec![]),
        (
            "hourly.parquet",
            vec!["--max-range", "1h", "--concurrency", "8"],
        ),
        // Two series, 999 samples a response: a one-day probe, then 499-point requests.
        (
            "budget.parquet",
            vec!["--max-samples-per-request", "999", "--concurrency", "3"],
        ),
    ] {
        let path = prometheus.path(name);
        let mut args = vec![
            "record",
            rules_arg,
            "--prometheus",
            &prometheus.url,
            "--start",
            &start,
            "--end",
            &end,
            "--out",
            path.to_str().unwrap(),
            "-q",
        ];
        args.extend(extra);
        let out = firedrill(&args);
        assert!(out.status.success(), "record failed: {}", stderr(&out));
        let recording = firedrill::history::recording::read(&path).unwrap();
        assert_eq!(recording.results.len(), 1);
        let result = &recording.results[0];
        assert_eq!(result.query, "long_signal");
        assert_eq!(
            (result.start_ms, result.end_ms, result.step_ms),
            (T0 * 1000, (T0 + steps * 60) * 1000, 60_000)
        );
        assert_eq!(result.series.len(), 2);
        for (got, want) in result.series.iter().zip(&series) {
            assert!(got
                .labels
                .contains(&("pod".to_string(), want.labels[0].1.clone())));
            let expected: Vec<(i64, f64)> =
                want.samples.iter().map(|(t, v)| (t * 1000, *v)).collect();
            assert_eq!(
                got.samples, expected,
                "every timestamp once, every value exact"
            );
        }
        recordings.push(path);
    }

    let live = prometheus.simulate(&rules_path, T0, T0 + steps * 60, &[]);
    let replayed = run_json(&[
        "simulate",
        rules_arg,
        "--data",
        recordings[1].to_str().unwrap(),
        "--format",
        "json",
    ]);
    assert_eq!(live["rules"], replayed["rules"]);
    // The window [start, end) holds `steps` evaluations; the sample at `end`
    // is past it.
    assert_eq!(live["rules"][0]["evaluations"], steps);
    // `> 97 for 2m` pages once per run of three or more evaluations above 97.
    let expected: usize = series
        .iter()
        .map(|s| {
            let above: Vec<bool> = s.samples[..steps as usize]
                .iter()
                .map(|(_, v)| *v > 97.0)
                .collect();
            (2..above.len())
                .filter(|&k| above[k] && above[k - 1] && above[k - 2] && (k < 3 || !above[k - 3]))
                .count()
        })
        .sum();
    assert!(expected > 200);
    assert_eq!(live["rules"][0]["candidates"][0]["pages"], expected);
}

#[test]
fn killing_prometheus_halfway_through_a_record_leaves_no_recording() {
    let series = vec![Series {
        metric: "halfway_m".into(),
        labels: vec![("job".into(), "a".into())],
        samples: (0..=120).map(|k| (T0 + k * 60, (k % 7) as f64)).collect(),
    }];
    let mut prometheus = Prometheus::start(&series);
    let dir = tempfile::tempdir().unwrap();
    let rules = dir.path().join("rules.yml");
    std::fs::write(
        &rules,
        "groups:\n- name: halfway\n  rules:\n  - alert: HalfwayHigh\n    expr: halfway_m > 3\n",
    )
    .unwrap();
    let out = dir.path().join("year.parquet");
    // A year at 15 s, 120 points a request: over 17,000 requests, far more
    // than can finish before the server dies a second in.
    let child = std::process::Command::new(env!("CARGO_BIN_EXE_firedrill"))
        .args([
            "record",
            rules.to_str().unwrap(),
            "--prometheus",
            &prometheus.url,
        ])
        .args([
            "--start",
            &T0.to_string(),
            "--end",
            &(T0 + 365 * 86_400).to_string(),
        ])
        .args([
            "--eval-interval",
            "15s",
            "--max-points",
            "120",
            "--concurrency",
            "2",
        ])
        .args(["--retries", "1", "--timeout", "5s", "--quiet", "--out"])
        .arg(&out)
        .env("NO_PROXY", "127.0.0.1")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_secs(1));
    prometheus.kill();
    let result = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&result.stderr);
    assert_eq!(result.status.code(), Some(2), "{err}");
    assert!(err.contains(&prometheus.url), "{err}");
    assert!(err.contains("could not connect"), "{err}");
    assert!(!out.exists(), "a partial recording was written");
    let left: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(left, vec!["rules.yml".to_string()], "files left behind");
}

#[test]
fn a_group_query_offset_fetches_that_far_back_from_a_live_server() {
    // rules/group.go (Prometheus 3): the evaluation at `t` queries at
    // `t - query_offset`. `spike` is 9 in minutes 30-39 and 1 otherwise;
    // without an offset the alert fires from minute 30 to 40, with
    // `query_offset: 3m` from 33 to 43, reading the same samples 3m later.
    let series = vec![Series {
        metric: "spike".into(),
        labels: vec![("job".into(), "a".into())],
        samples: (0..=90)
            .map(|k| (T0 + k * 60, if (30..40).contains(&k) { 9.0 } else { 1.0 }))
            .collect(),
    }];
    let prometheus = Prometheus::start(&series);
    let rules = |offset: &str| {
        format!("groups:\n- name: g\n  interval: 1m\n{offset}  rules:\n  - alert: Spike\n    expr: spike > 5\n")
    };
    let firing_of = |text: String| {
        let path = prometheus.path("offset.yml");
        std::fs::write(&path, text).unwrap();
        let json = prometheus.simulate(&path, T0 + 10 * 60, T0 + 80 * 60, &[]);
        json["rules"][0]["candidates"][0]["alerts"][0]["firing"].clone()
    };
    assert_eq!(
        firing_of(rules("")),
        serde_json::json!([[T0 + 30 * 60, T0 + 40 * 60]])
    );
    assert_eq!(
        firing_of(rules("  query_offset: 3m\n")),
        serde_json::json!([[T0 + 33 * 60, T0 + 43 * 60]])
    );
}

#[test]
fn a_whole_repository_opens_with_its_noisiest_alerts_and_names_the_silent_ones() {
    // Three signals on a real Prometheus: `flappy` passes 5 in six
    // separate minutes, `steady` in one long run, `calm` never; a fourth
    // alert reads `stedy`, a metric nobody scrapes.
    let minutes = 0..=90;
    let series = vec![
        Series {
            metric: "flappy".into(),
            labels: vec![("job".into(), "a".into())],
            samples: minutes
                .clone()
                .map(|k| (T0 + k * 60, if k % 12 == 5 { 9.0 } else { 1.0 }))
                .collect(),
        },
        Series {
            metric: "steady".into(),
            labels: vec![("job".into(), "a".into())],
            samples: minutes
                .clone()
                .map(|k| (T0 + k * 60, if (20..60).contains(&k) { 9.0 } else { 1.0 }))
                .collect(),
        },
        Series {
            metric: "calm".into(),
            labels: vec![("job".into(), "a".into())],
            samples: minutes.map(|k| (T0 + k * 60, 1.0)).collect(),
        },
    ];
    let prometheus = Prometheus::start(&series);
    let path = prometheus.path("repo.yml");
    std::fs::write(
        &path,
        "groups:\n- name: g\n  interval: 1m\n  rules:\n  - alert: Steady\n    expr: steady > 5\n  - alert: Typo\n    expr: stedy > 5\n  - alert: Calm\n    expr: calm > 5\n  - alert: Flappy\n    expr: flappy > 5\n",
    )
    .unwrap();
    let json = prometheus.simulate(&path, T0 + 60, T0 + 85 * 60, &[]);
    let ranking = &json["ranking"];
    let pages = |name: &str| {
        json["rules"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["alertname"] == name)
            .unwrap()["candidates"][0]["pages"]
            .as_u64()
            .unwrap()
    };
    assert!(pages("Flappy") > pages("Steady"));
    let fired: Vec<&str> = ranking["fired"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["alertname"].as_str().unwrap())
        .collect();
    assert_eq!(fired, ["Flappy", "Steady"]);
    assert_eq!(ranking["never_fired"], serde_json::json!(["Calm"]));
    assert_eq!(ranking["no_data"], serde_json::json!(["Typo"]));

    let top = prometheus.simulate(&path, T0 + 60, T0 + 85 * 60, &["--top", "1"]);
    assert_eq!(top["ranking"]["fired"].as_array().unwrap().len(), 1);
    assert_eq!(top["ranking"]["more"], 1);

    // The same in words, with the typo explained, and --top keeping one block.
    let out = firedrill(&[
        "simulate",
        path.to_str().unwrap(),
        "--prometheus",
        &prometheus.url,
        "--start",
        &(T0 + 60).to_string(),
        "--end",
        &(T0 + 85 * 60).to_string(),
        "--top",
        "1",
        "-q",
    ]);
    let text = stdout(&out);
    assert!(text.starts_with("Noisiest first"), "{text}");
    assert!(text.contains("No data at all (1): Typo."), "{text}");
    assert!(text.contains("a typo in a metric or label name"), "{text}");
    assert!(text.contains("Flappy  "), "{text}");
    assert!(!text.contains("\nSteady  "), "{text}");
}
