//! Critical thresholds: for `signal > θ`, the state machine is monotone in
//! θ — a lower threshold makes the series present at more evaluations, and
//! more presence never ends a pending period or a firing earlier. So each
//! evaluation `k` has a critical threshold `c[k]`: it fires exactly when
//! `θ < c[k]`. The same holds for "active" (pending or firing), `a[k]`.
//!
//! With `hold = ceil(for/E)` and `keep = ceil(keep_firing_for/E)`, writing
//! `v[k]` for the signal (−∞ where absent):
//!
//! ```text
//! c[k] = max( min(v[k-hold ..= k]),            a pending run long enough
//!             min(c[k-1], max(v[k-keep ..= k])) )  firing at k-1, and present at
//!                                                 k or absent for ≤ keep evals
//! a[k] = max(v[k], c[k])
//! ```
//!
//! Both take O(n) per series (monotone-deque window min/max), whatever the
//! number of thresholds; a sweep then only places each `c[k]` among the
//! sorted thresholds.

use std::collections::VecDeque;

use super::machine::Timing;

/// `c` (fires when θ < c) and `a` (active when θ < a) for every evaluation.
pub fn critical(values: &[f64], timing: Timing) -> (Vec<f64>, Vec<f64>) {
    let n = values.len();
    let v = |k: usize| {
        if values[k].is_nan() {
            f64::NEG_INFINITY
        } else {
            values[k]
        }
    };
    let mut c = Vec::with_capacity(n);
    let mut a = Vec::with_capacity(n);
    let mut mins: VecDeque<usize> = VecDeque::new();
    let mut maxs: VecDeque<usize> = VecDeque::new();
    let mut previous = f64::NEG_INFINITY;
    for k in 0..n {
        let x = v(k);
        while mins.back().is_some_and(|&j| v(j) >= x) {
            mins.pop_back();
        }
        mins.push_back(k);
        while mins.front().is_some_and(|&j| j + timing.hold < k) {
            mins.pop_front();
        }
        while maxs.back().is_some_and(|&j| v(j) <= x) {
            maxs.pop_back();
        }
        maxs.push_back(k);
        while maxs.front().is_some_and(|&j| j + timing.keep < k) {
            maxs.pop_front();
        }
        let window_min = if k >= timing.hold {
            v(*mins.front().expect("k is in the window"))
        } else {
            f64::NEG_INFINITY
        };
        let window_max = v(*maxs.front().expect("k is in the window"));
        let ck = window_min.max(previous.min(window_max));
        c.push(ck);
        a.push(x.max(ck));
        previous = ck;
    }
    (c, a)
}

/// The same recurrence in *rank space*, one evaluation at a time:
/// `ranks[k]` is how many of the sorted thresholds the sample passes (0 when
/// absent). Ranking is monotone, so it commutes with `min` and `max`, and
/// `c` comes out as ranks too, with no per-threshold work.
#[derive(Debug, Default)]
pub struct RankRecurrence {
    timing: Timing,
    /// Monotone deques as vectors with a moving head.
    mins: Vec<usize>,
    maxs: Vec<usize>,
    min_head: usize,
    max_head: usize,
    previous: u16,
}

impl RankRecurrence {
    /// Starts a series (keeps the buffers).
    pub fn reset(&mut self, timing: Timing) {
        self.timing = timing;
        self.mins.clear();
        self.maxs.clear();
        self.min_head = 0;
        self.max_head = 0;
        self.previous = 0;
    }

    /// Resumes after a run of absent (rank 0) evaluations longer than
    /// `keep` that ended at `last`, entered with a critical rank of 0: every
    /// rank in the run was 0, so both windows hold just `last` and the
    /// run's critical ranks were all 0.
    pub fn skip_zeros(&mut self, last: usize) {
        self.mins.clear();
        self.maxs.clear();
        self.mins.push(last);
        self.maxs.push(last);
        self.min_head = 0;
        self.max_head = 0;
        self.previous = 0;
    }

    /// The critical rank of evaluation `k`; call with k = 0, 1, 2, ...
    /// (after `reset`). Inlined: it is the sweep's innermost loop.
    #[inline(always)]
    pub fn step(&mut self, ranks: &[u16], k: usize) -> u16 {
        let timing = self.timing;
        let x = ranks[k];
        while self.mins.len() > self.min_head && ranks[*self.mins.last().expect("non-empty")] >= x {
            self.mins.pop();
        }
        self.mins.push(k);
        while self.mins[self.min_head] + timing.hold < k {
            self.min_head += 1;
        }
        while self.maxs.len() > self.max_head && ranks[*self.maxs.last().expect("non-empty")] <= x {
            self.maxs.pop();
        }
        self.maxs.push(k);
        while self.maxs[self.max_head] + timing.keep < k {
            self.max_head += 1;
        }
        let window_min = if k >= timing.hold {
            ranks[self.mins[self.min_head]]
        } else {
            0
        };
        let ck = window_min.max(self.previous.min(ranks[self.maxs[self.max_head]]));
        self.previous = ck;
        ck
    }
}

#[cfg(test)]
mod tests {
    use super::super::machine::{simulate, State};
    use super::*;

    /// A small deterministic generator (xorshift) for property tests.
    struct Rng(u64);
    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }
        fn below(&mut self, n: u64) -> u64 {
            self.next() % n
        }
    }

    /// Rank space gives the ranks of the value-space critical thresholds.
    #[test]
    fn rank_space_matches_value_space() {
        let mut rng = Rng(0x1234_5678_9abc_def1);
        let thresholds = [0.0, 2.5, 5.0, 7.0, 9.0];
        for _ in 0..2000 {
            let n = 1 + rng.below(50) as usize;
            let values: Vec<f64> = (0..n)
                .map(|_| {
                    if rng.below(6) == 0 {
                        f64::NAN
                    } else {
                        rng.below(10) as f64
                    }
                })
                .collect();
            let timing = Timing {
                hold: rng.below(5) as usize,
                keep: rng.below(5) as usize,
            };
            let rank = |x: f64| {
                if x.is_nan() {
                    0
                } else {
                    thresholds.iter().filter(|t| **t < x).count() as u16
                }
            };
            let ranks: Vec<u16> = values.iter().map(|v| rank(*v)).collect();
            let (c, _) = critical(&values, timing);
            let mut recurrence = RankRecurrence::default();
            recurrence.reset(timing);
            let out: Vec<u16> = (0..n).map(|k| recurrence.step(&ranks, k)).collect();
            let expected: Vec<u16> = c.iter().map(|x| rank(*x)).collect();
            assert_eq!(out, expected, "{values:?} {timing:?}");
        }
    }

    /// For random signals, timings and thresholds, `θ < c[k]` is exactly
    /// "firing at k" and `θ < a[k]` "pending or firing at k" of the
    /// step-by-step state machine.
    #[test]
    fn critical_thresholds_agree_with_the_state_machine() {
        let mut rng = Rng(0x9e3779b97f4a7c15);
        for _ in 0..3000 {
            let n = 1 + rng.below(40) as usize;
            let values: Vec<f64> = (0..n)
                .map(|_| {
                    if rng.below(6) == 0 {
                        f64::NAN
                    } else {
                        rng.below(10) as f64
                    }
                })
                .collect();
            let timing = Timing {
                hold: rng.below(4) as usize,
                keep: rng.below(4) as usize,
            };
            let (c, a) = critical(&values, timing);
            for threshold in [-1.0, 0.0, 2.5, 3.0, 5.0, 8.0, 9.0, 10.0] {
                let present: Vec<bool> = values.iter().map(|v| *v > threshold).collect();
                let states = simulate(&present, timing);
                for k in 0..n {
                    assert_eq!(
                        threshold < c[k],
                        states[k] == State::Firing,
                        "firing k={k} {values:?} {timing:?} θ={threshold}"
                    );
                    assert_eq!(
                        threshold < a[k],
                        states[k] != State::Inactive,
                        "active k={k} {values:?} {timing:?} θ={threshold}"
                    );
                }
            }
        }
    }
}
