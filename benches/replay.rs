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
use firedrill::replay::{sweep, Comparison, Grid, Mode, Series};

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

const SERIES: usize = 1_000;
const STEPS: usize = 43_200;

/// Gauges in [0, 1) with daily swings, spikes and gaps (deterministic).
fn data() -> Vec<Series> {
    let mut state = 0x9E37_79B9_7F4A_7C15u64;
    let mut unit = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state >> 11) as f64 / (1u64 << 53) as f64
    };
    (0..SERIES)
        .map(|i| Series {
            labels: vec![("pod".into(), format!("pod-{i}"))],
            values: (0..STEPS)
                .map(|k| {
                    let daily = ((k % 1440) as f64 / 1440.0 * std::f64::consts::TAU).sin() * 0.2;
                    let r = unit();
                    if r < 0.002 {
                        f64::NAN
                    } else if r < 0.004 {
                        0.9 + r * 10.0
                    } else {
                        0.45 + daily + (r - 0.5) * 0.2
                    }
                })
                .collect(),
        })
        .collect()
}

fn bench(c: &mut Criterion) {
    let series = data();
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
                &[120_000],
                &[0],
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
                &[0, 120_000, 600_000],
                &[0],
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
                &[0, 120_000, 600_000],
                &[0],
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
                &[0, 120_000, 600_000],
                &[0],
            ))
        });
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
