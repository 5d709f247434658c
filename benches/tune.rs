//! `tune` speed. Run: `cargo bench --bench tune`.
//!
//! The alert `saturation > 0.8 for 2m` over 1,000 series × 43,200 evaluations
//! (30 days at 1m), with two marked incidents and one false positive, and
//! `tune`'s own choice of candidates: about forty thresholds from the
//! signal's median to its highest value × the nine `for` values up to 30m.
//! This is `firedrill tune` after the history is read: the threshold grid,
//! the sweep, each candidate's firing intervals and its score at the marks.

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use firedrill::promql::Comparison;
use firedrill::replay::plan::{IntervalFrom, Plan, PlanMode};
use firedrill::replay::{Grid, Series};
use firedrill::rules::duration::Duration;
use firedrill::tune::marks::{FalsePositive, Incident, Marks};
use firedrill::tune::{tune, TuneOptions};

mod common;

use common::DAY;

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

const SERIES: usize = 1_000;
const STEPS: usize = 43_200;
const STEP_MS: i64 = 60_000;

/// The replay bench's gauges, plus two incidents, when a tenth of the
/// series sit at 0.95 for an hour, and one false positive: a single series
/// at 0.97 for 5 minutes.
fn data() -> Vec<Series> {
    common::gauges(SERIES, STEPS, |i, k| {
        let in_incident = INCIDENTS
            .iter()
            .any(|&(from, to)| (from..to).contains(&k) && i % 10 == 0);
        let (fp_from, fp_to) = FALSE_POSITIVE;
        if in_incident {
            Some(0.95)
        } else if i == 7 && (fp_from..fp_to).contains(&k) {
            Some(0.97)
        } else {
            None
        }
    })
}

/// Evaluation indexes `[from, to)`.
const INCIDENTS: [(usize, usize); 2] = [
    (9 * DAY + 120, 9 * DAY + 180),
    (21 * DAY + 600, 21 * DAY + 660),
];
const FALSE_POSITIVE: (usize, usize) = (15 * DAY + 200, 15 * DAY + 205);

fn at(k: usize) -> i64 {
    k as i64 * STEP_MS
}

fn bench(c: &mut Criterion) {
    let series = data();
    let grid = Grid {
        start_ms: 0,
        step_ms: STEP_MS,
        len: STEPS,
    };
    let plan = Plan {
        file: "bench.yaml".into(),
        line: 1,
        group: "bench".into(),
        alertname: "HighSaturation".into(),
        query: "saturation".into(),
        written: "saturation".into(),
        expr: "saturation > 0.8".into(),
        mode: PlanMode::Split {
            op: Comparison::Gt,
            threshold: 0.8,
        },
        interval: Duration { millis: 60_000 },
        interval_from: IntervalFrom::Group,
        query_offset: Duration::ZERO,
        group_labels: Vec::new(),
        limit: 0,
        inlined: Vec::new(),
        not_inlined: Vec::new(),
        reads_recorded: Vec::new(),
        for_: Duration { millis: 120_000 },
        keep_firing_for: Duration { millis: 0 },
        static_labels: Vec::new(),
    };
    let marks = Marks {
        incidents: INCIDENTS
            .iter()
            .map(|&(from, to)| Incident {
                start_ms: at(from),
                end_ms: at(to),
                note: None,
            })
            .collect(),
        false_positives: vec![FalsePositive {
            at_ms: at(FALSE_POSITIVE.0 + 2),
            end_ms: None,
            note: None,
        }],
    };
    let options = TuneOptions::default();
    let tuning =
        tune(&plan, grid, &series, &marks, &options).expect("the bench's marks lie in the window");
    eprintln!(
        "tune: {} candidates, recommended {:?}",
        tuning.candidates.len(),
        tuning.recommendation().map(|s| s.candidate())
    );
    let mut group = c.benchmark_group("tune");
    group.sample_size(10);
    group.throughput(Throughput::Elements((SERIES * STEPS) as u64));
    group.bench_function("month_1000_series", |b| {
        b.iter(|| black_box(tune(&plan, grid, black_box(&series), &marks, &options)))
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
