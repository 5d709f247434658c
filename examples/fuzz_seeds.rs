//! Writes small seed inputs for the `recording` and `query_range` fuzz
//! targets (scripts/fuzz.sh runs it): a libFuzzer corpus starts best from
//! small valid inputs, and the shipped recording is 370 KB.
//!
//!     cargo run --example fuzz_seeds -- OUT_DIR

use std::path::PathBuf;

use firedrill::history::recording;
use firedrill::history::{QueryResult, RawSeries, Recording};

fn main() {
    let out = PathBuf::from(std::env::args().nth(1).expect("usage: fuzz_seeds OUT_DIR"));
    let recordings = out.join("recording");
    let bodies = out.join("query_range");
    std::fs::create_dir_all(&recordings).unwrap();
    std::fs::create_dir_all(&bodies).unwrap();

    let series = |job: &str, values: &[f64]| RawSeries {
        labels: vec![
            ("job".into(), job.into()),
            ("instance".into(), "a:9100".into()),
        ],
        samples: values
            .iter()
            .enumerate()
            .map(|(i, v)| (i as i64 * 60_000, *v))
            .collect(),
    };
    let small = Recording {
        source: "http://127.0.0.1:9090".into(),
        results: vec![
            QueryResult {
                query: "rate(errors_total[5m])".into(),
                step_ms: 60_000,
                start_ms: 0,
                end_ms: 240_000,
                series: vec![
                    series("api", &[0.1, 0.5, f64::NAN, f64::INFINITY, 2.0]),
                    series("db", &[1.0, 1.0, 1.0]),
                ],
            },
            QueryResult {
                query: "absent(up)".into(),
                step_ms: 60_000,
                start_ms: 0,
                end_ms: 240_000,
                series: vec![],
            },
        ],
    };
    recording::write(&recordings.join("small.parquet"), &small).unwrap();
    let one = Recording {
        source: "generated".into(),
        results: vec![QueryResult {
            query: "up".into(),
            step_ms: 15_000,
            start_ms: 0,
            end_ms: 15_000,
            series: vec![series("x", &[1.0])],
        }],
    };
    recording::write(&recordings.join("one.parquet"), &one).unwrap();

    let bodies_text = [
        r#"{"status":"success","data":{"resultType":"matrix","result":[{"metric":{"job":"api","instance":"a:9100"},"values":[[0,"1"],[60,"0.5"],[120,"NaN"],[180,"+Inf"],[240,"-Inf"]]}]}}"#,
        r#"{"status":"success","data":{"resultType":"matrix","result":[]},"warnings":["w"],"infos":["i"]}"#,
        r#"{"status":"error","errorType":"bad_data","error":"invalid parameter \"query\""}"#,
        r#"{"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":[0,"1"]}]}}"#,
        r#"{"status":"success","isPartial":true,"data":{"resultType":"matrix","result":[{"metric":{"__name__":"up"},"values":[[0.000,"1e308"],[3600,"-0"]]},{"metric":{"__name__":"up"},"histograms":[[60,{"count":"1","sum":"2","buckets":[[0,"0","1","1"]]}]]}]}}"#,
    ];
    for (i, body) in bodies_text.iter().enumerate() {
        std::fs::write(bodies.join(format!("body-{i}.json")), body).unwrap();
    }
}
