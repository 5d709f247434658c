//! The replay and tune benches' history: one shape of data, so their
//! figures compare.

use firedrill::replay::Series;

/// Evaluations per day at a 1m step.
pub const DAY: usize = 1_440;

/// `series` gauges in [0, 1) over `steps` 1m evaluations, with daily swings,
/// rare spikes and gaps (deterministic). Where `override_at(series, k)`
/// gives a value, it is taken instead, without drawing a random number, so
/// an override leaves every other sample as it was.
pub fn gauges(
    series: usize,
    steps: usize,
    override_at: impl Fn(usize, usize) -> Option<f64>,
) -> Vec<Series> {
    let mut state = 0x9E37_79B9_7F4A_7C15u64;
    let mut unit = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state >> 11) as f64 / (1u64 << 53) as f64
    };
    (0..series)
        .map(|i| Series {
            labels: vec![("pod".into(), format!("pod-{i}"))],
            values: (0..steps)
                .map(|k| {
                    if let Some(v) = override_at(i, k) {
                        return v;
                    }
                    let daily = ((k % DAY) as f64 / DAY as f64 * std::f64::consts::TAU).sin() * 0.2;
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
