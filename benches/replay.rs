//! Replay speed. Run: `cargo bench --bench replay`.
//!
//! One alert rule over 1,000 series × 43,200 evaluations (30 days at 1m):
//! - `replay/single`: today's rule only (one threshold, one `for`);
//! - `replay/single_threshold_3for`: one threshold (0.8) × 3 `for` values;
//! - `replay/lowest_threshold_3for`: the sweep's lowest, busiest threshold
//!   (0.5) × 3 `for` values;
//! - `replay/sweep_100x3`: 100 thresholds × 3 `for` values (300 candidates).
//!
//! Samples per second = 43.2 M evaluations / time.

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use firedrill::replay::{sweep, Comparison, Grid, Mode};
use firedrill::rules::Duration;

mod common;

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

const SERIES: usize = 1_000;
const STEPS: usize = 43_200;

fn bench(c: &mut Criterion) {
    let series = common::gauges(SERIES, STEPS, |_, _| None);
    let grid = Grid {
        start_ms: 0,
        step_ms: 60_000,
        len: STEPS,
    };
    let mode = Mode::Split(Comparison::Gt);
    let mut group = c.benchmark_group("replay");
    group.sample_size(10);
    group.throughput(Throughput::Elements((SERIES * STEPS) as u64));
    group.bench_function("single", |b| {
        b.iter(|| {
            black_box(sweep(
                grid,
                black_box(&series),
                mode,
                &[0.8],
                &[Duration::from_secs(120)],
                &[Duration::ZERO],
            ))
        });
    });
    // The sweep's baselines: one threshold with the same three `for` values,
    // at a typical threshold and at the sweep's lowest (busiest) one.
    group.bench_function("single_threshold_3for", |b| {
        b.iter(|| {
            black_box(sweep(
                grid,
                black_box(&series),
                mode,
                &[0.8],
                &[0, 120, 600].map(Duration::from_secs),
                &[Duration::ZERO],
            ))
        });
    });
    group.bench_function("lowest_threshold_3for", |b| {
        b.iter(|| {
            black_box(sweep(
                grid,
                black_box(&series),
                mode,
                &[0.5],
                &[0, 120, 600].map(Duration::from_secs),
                &[Duration::ZERO],
            ))
        });
    });
    let thresholds: Vec<f64> = (0..100).map(|i| 0.5 + i as f64 * 0.006).collect();
    group.bench_function("sweep_100x3", |b| {
        b.iter(|| {
            black_box(sweep(
                grid,
                black_box(&series),
                mode,
                &thresholds,
                &[0, 120, 600].map(Duration::from_secs),
                &[Duration::ZERO],
            ))
        });
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
