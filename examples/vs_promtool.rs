//! Writes one scenario in two forms, for `benches/vs_promtool.sh`: a
//! `promtool test rules` file and a firedrill recording of the same samples.
//!
//!     cargo run --release --example vs_promtool -- DIR [SERIES] [MINUTES]

use std::fmt::Write as _;
use std::path::PathBuf;

use firedrill::history::{recording, QueryResult, RawSeries, Recording};

fn main() {
    let mut args = std::env::args().skip(1);
    let dir = PathBuf::from(args.next().expect("output directory"));
    let series: usize = args.next().map_or(100, |s| s.parse().expect("series"));
    let minutes: usize = args.next().map_or(1440, |s| s.parse().expect("minutes"));
    std::fs::create_dir_all(&dir).unwrap();
    let mut state = 0x853C_49E6_748F_EA9Bu64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state % 100
    };
    let values: Vec<Vec<u64>> = (0..series)
        .map(|_| (0..=minutes).map(|_| next()).collect())
        .collect();

    std::fs::write(
        dir.join("rules.yml"),
        "groups:\n- name: g\n  rules:\n  - alert: High\n    expr: m > 90\n    for: 2m\n",
    )
    .unwrap();
    let mut test = String::from("rule_files: [rules.yml]\nevaluation_interval: 1m\ntests:\n- interval: 1m\n  input_series:\n");
    for (i, v) in values.iter().enumerate() {
        let text: Vec<String> = v.iter().map(u64::to_string).collect();
        writeln!(
            test,
            "  - series: 'm{{i=\"{i}\"}}'\n    values: '{}'",
            text.join(" ")
        )
        .unwrap();
    }
    // One check at the end makes promtool evaluate every step before it.
    writeln!(test, "  alert_rule_test:\n  - eval_time: {minutes}m\n    alertname: NoSuchAlert\n    exp_alerts: []").unwrap();
    std::fs::write(dir.join("test.yml"), test).unwrap();

    let raw = values
        .iter()
        .enumerate()
        .map(|(i, v)| RawSeries {
            labels: vec![("__name__".into(), "m".into()), ("i".into(), i.to_string())],
            samples: v
                .iter()
                .enumerate()
                .map(|(k, x)| (k as i64 * 60_000, *x as f64))
                .collect(),
        })
        .collect();
    let result = QueryResult {
        query: "m".into(),
        step_ms: 60_000,
        start_ms: 0,
        end_ms: minutes as i64 * 60_000,
        series: raw,
    };
    recording::write(
        &dir.join("recording.parquet"),
        &Recording {
            source: "vs_promtool".into(),
            results: vec![result],
        },
    )
    .unwrap();
}
