//! The same samples served by a real Prometheus (2.42) and a real
//! VictoriaMetrics (1.79, Debian packages): `simulate --prometheus`,
//! `record` and `tune` against either give the same answers, and where
//! VictoriaMetrics' `query_range` differs it is pinned down here
//! (README, "VictoriaMetrics").
//!
//! - **Step alignment.** Once a query returns 50 or more points,
//!   VictoriaMetrics moves `start` and `end` to multiples of the step (for
//!   its response cache), so points land off an evaluation grid with an
//!   offset. firedrill sends `nocache=1`, which turns that off.
//! - **Gaps.** VictoriaMetrics ends a series at a gap longer than about
//!   twice its median sample interval, where Prometheus carries the last
//!   sample for its 5m lookback delta; no query argument of 1.79 changes
//!   that (`max_lookback` does not), the server's
//!   `-search.minStalenessInterval=5m` does.

mod common;

use std::collections::BTreeMap;

use common::prometheus::{Prometheus, Series};
use common::victoria::VictoriaMetrics;
use common::{firedrill, stderr};

/// 2026-11-01T00:00:00Z.
const T0: i64 = 1_793_491_200;

fn minutes(f: impl Fn(i64) -> Option<f64>) -> Vec<(i64, f64)> {
    (0..=240)
        .filter_map(|k| f(k).map(|v| (T0 + k * 60, v)))
        .collect()
}

/// Regular one-minute gauges: a load that crosses 0.8 a few times per pod,
/// and errors in two bursts. No gaps, and every series runs past the window.
fn regular() -> Vec<Series> {
    let mut series = Vec::new();
    for (pod, phase) in [("a", 0), ("b", 7), ("c", 19)] {
        series.push(Series {
            metric: "load".into(),
            labels: vec![("pod".into(), pod.into())],
            samples: minutes(|k| {
                let x = ((k + phase) % 37) as f64 / 37.0;
                Some(if (k + phase) % 53 < 6 {
                    0.95
                } else {
                    0.5 + 0.3 * x
                })
            }),
        });
    }
    series.push(Series {
        metric: "errors".into(),
        labels: vec![("job".into(), "api".into())],
        samples: minutes(|k| {
            Some(if (60..75).contains(&k) || (150..152).contains(&k) {
                12.0
            } else {
                1.0
            })
        }),
    });
    series
}

const RULES: &str = "groups:
- name: g
  interval: 1m
  rules:
  - alert: LoadHigh
    expr: load > 0.8
    for: 2m
  - alert: Errors
    expr: errors > 5
    keep_firing_for: 3m
";

/// `(alertname, labels) → firing intervals` of today's rules in a simulate JSON.
fn firing(json: &serde_json::Value) -> BTreeMap<String, serde_json::Value> {
    json["rules"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|r| r["candidates"][0]["alerts"].as_array().unwrap().iter())
        .map(|a| (a["labels"].to_string(), a["firing"].clone()))
        .collect()
}

fn simulate(rules: &std::path::Path, url: &str, extra: &[&str]) -> serde_json::Value {
    common::prometheus::simulate_on(url, rules, T0 + 10 * 60, T0 + 200 * 60, extra)
}

#[test]
fn victoria_metrics_replays_like_prometheus() {
    let series = regular();
    let prometheus = Prometheus::start(&series);
    // No -search.disableCache: the response cache and its step alignment
    // are what a production VictoriaMetrics runs with.
    let vm = VictoriaMetrics::start(&series, &[]);
    let rules = prometheus.path("rules.yml");
    std::fs::write(&rules, RULES).unwrap();

    // Evaluations 20s past the minute: off any multiple of the step.
    for extra in [&[][..], &["--eval-offset", "20s"][..]] {
        let from_prometheus = firing(&simulate(&rules, &prometheus.url, extra));
        let from_vm = firing(&simulate(&rules, &vm.url, extra));
        assert!(from_prometheus.len() >= 3, "{from_prometheus:?}");
        assert_eq!(from_vm, from_prometheus, "{extra:?}");
    }

    // Without `nocache=1` VictoriaMetrics would have answered on its own grid.
    let client = reqwest::blocking::Client::builder()
        .no_proxy()
        .build()
        .unwrap();
    let first_timestamp = |nocache: bool| {
        let mut query = vec![
            ("query", "load".to_string()),
            ("start", (T0 + 20).to_string()),
            ("end", (T0 + 120 * 60 + 20).to_string()),
            ("step", "60".to_string()),
        ];
        if nocache {
            query.push(("nocache", "1".to_string()));
        }
        let text = client
            .get(format!("{}/api/v1/query_range", vm.url))
            .query(&query)
            .send()
            .unwrap()
            .text()
            .unwrap();
        let body: serde_json::Value = serde_json::from_str(&text).unwrap();
        body["data"]["result"][0]["values"][0][0].as_i64().unwrap()
    };
    assert_eq!(first_timestamp(true), T0 + 20);
    assert_eq!(first_timestamp(false), T0, "1.79 aligns start to the step");

    // record from VictoriaMetrics, replay the recording: the same again.
    let recording = prometheus.path("vm.parquet");
    let (start, end) = ((T0 + 10 * 60).to_string(), (T0 + 200 * 60).to_string());
    let out = firedrill(&[
        "record",
        rules.to_str().unwrap(),
        "--prometheus",
        &vm.url,
        "--start",
        &start,
        "--end",
        &end,
        "--out",
        recording.to_str().unwrap(),
        "-q",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let out = firedrill(&[
        "simulate",
        rules.to_str().unwrap(),
        "--data",
        recording.to_str().unwrap(),
        "--format",
        "json",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let replayed: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        firing(&replayed),
        firing(&simulate(&rules, &prometheus.url, &[]))
    );

    // tune: the same sweep and the same recommendation from either server.
    let tune = |url: &str| -> serde_json::Value {
        let out = firedrill(&[
            "tune",
            rules.to_str().unwrap(),
            "--alert",
            "LoadHigh",
            "--prometheus",
            url,
            "--start",
            &start,
            "--end",
            &end,
            "--false-positive",
            &(T0 + 47 * 60).to_string(),
            "--format",
            "json",
            "-q",
        ]);
        assert!(
            out.status.code().is_some_and(|c| c <= 1),
            "{}",
            stderr(&out)
        );
        serde_json::from_slice(&out.stdout).unwrap()
    };
    let (p, v) = (tune(&prometheus.url), tune(&vm.url));
    let pages = |t: &serde_json::Value| -> Vec<u64> {
        t["candidates"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["pages"].as_u64().unwrap())
            .collect()
    };
    assert_eq!(pages(&v), pages(&p));
    assert_eq!(v["recommended"], p["recommended"]);
}

#[test]
fn a_gap_ends_a_series_in_victoria_metrics_unless_told_otherwise() {
    // `flaky` is 9 from minute 20 to 80 but misses three samples (40-42):
    // Prometheus's 5m lookback bridges the gap, so the alert fires once;
    // VictoriaMetrics ends the series at the gap, so `for: 5m` restarts.
    let series = vec![Series {
        metric: "flaky".into(),
        labels: vec![("job".into(), "a".into())],
        samples: minutes(|k| {
            if (40..43).contains(&k) {
                None
            } else {
                Some(if (20..80).contains(&k) { 9.0 } else { 1.0 })
            }
        }),
    }];
    let prometheus = Prometheus::start(&series);
    let vm = VictoriaMetrics::start(&series, &[]);
    let bridged = VictoriaMetrics::start(&series, &["-search.minStalenessInterval=5m"]);
    let rules = prometheus.path("rules.yml");
    std::fs::write(
        &rules,
        "groups:\n- name: g\n  interval: 1m\n  rules:\n  - alert: Flaky\n    expr: flaky > 5\n    for: 5m\n",
    )
    .unwrap();
    let episodes = |url: &str| {
        simulate(&rules, url, &[])["rules"][0]["candidates"][0]["pages"]
            .as_u64()
            .unwrap()
    };
    assert_eq!(episodes(&prometheus.url), 1);
    assert_eq!(episodes(&vm.url), 2, "the gap resets pending");
    assert_eq!(
        firing(&simulate(&rules, &bridged.url, &[])),
        firing(&simulate(&rules, &prometheus.url, &[]))
    );
}
