//! Replaying history through Prometheus's alert state machine, for today's
//! rule and for candidate thresholds, `for` and `keep_firing_for` values.
//!
//! Pure: no files, no HTTP. The input is what a range query returned,
//! aligned to the evaluation grid; the output is counts per candidate and
//! per-instance timelines.

pub mod critical;
pub mod machine;

use rayon::prelude::*;

pub use machine::{simulate, State, Timing};

/// Label pairs sorted by name; an alert instance's identity.
pub type Labels = Vec<(String, String)>;

/// The evaluation timestamps: `start + k·step` for `k < len`, in ms.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Grid {
    pub start_ms: i64,
    pub step_ms: i64,
    pub len: usize,
}

impl Grid {
    pub fn at(&self, k: usize) -> i64 {
        self.start_ms + k as i64 * self.step_ms
    }
}

/// One series of the signal, one value per evaluation (NaN where absent).
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    pub labels: Labels,
    pub values: Vec<f64>,
}

/// The comparison of a split expression `signal OP threshold`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Comparison {
    Gt,
    Ge,
    Lt,
    Le,
    Eq,
    Ne,
}

impl Comparison {
    pub fn symbol(&self) -> &'static str {
        match self {
            Comparison::Gt => ">",
            Comparison::Ge => ">=",
            Comparison::Lt => "<",
            Comparison::Le => "<=",
            Comparison::Eq => "==",
            Comparison::Ne => "!=",
        }
    }

    /// Whether a sample passes, as PromQL's filter does (NaN never passes,
    /// except `!=`).
    pub fn passes(&self, value: f64, threshold: f64) -> bool {
        match self {
            Comparison::Gt => value > threshold,
            Comparison::Ge => value >= threshold,
            Comparison::Lt => value < threshold,
            Comparison::Le => value <= threshold,
            Comparison::Eq => value == threshold,
            Comparison::Ne => value != threshold,
        }
    }
}

/// How the history is read: as the whole expression's result (a series is
/// present when it has a sample) or as a signal compared to a threshold.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Mode {
    Whole,
    Split(Comparison),
}

/// One candidate rule: a threshold (split mode) and timings.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Candidate {
    pub threshold: Option<f64>,
    pub for_ms: u64,
    pub keep_firing_for_ms: u64,
}

/// What a candidate would have done over the window.
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    pub candidate: Candidate,
    /// Firing episodes (each is one notification to a person).
    pub pages: u64,
    /// Evaluations at which an instance was firing, times the step.
    pub firing_ms: u64,
    /// Distinct alert instances (label sets) that fired at least once.
    pub label_sets_fired: u64,
    /// Pending periods that ended without firing.
    pub pending_never_fired: u64,
    /// The longest firing episode.
    pub longest_ms: u64,
}

/// An alert instance's history under one candidate.
#[derive(Debug, Clone, PartialEq)]
pub struct Timeline {
    pub labels: Labels,
    /// `[start, end)` in ms at evaluation timestamps; `end` is the first
    /// evaluation at which the state no longer holds, or the last + step.
    pub pending: Vec<(i64, i64)>,
    pub firing: Vec<(i64, i64)>,
}

/// Presence of a series at each evaluation under a candidate.
fn presence(values: &[f64], mode: Mode, threshold: Option<f64>) -> Vec<bool> {
    match (mode, threshold) {
        (Mode::Split(op), Some(t)) => values.iter().map(|v| op.passes(*v, t)).collect(),
        _ => values.iter().map(|v| !v.is_nan()).collect(),
    }
}

/// Runs every candidate (the cross product of thresholds, `for` and
/// `keep_firing_for` values) over the series. For `>`, `>=`, `<`, `<=` the
/// cost grows with the log of the number of thresholds (critical
/// thresholds, see [`critical`]); `==`/`!=` and whole-expression mode replay
/// each candidate.
pub fn sweep(
    grid: Grid,
    series: &[Series],
    mode: Mode,
    thresholds: &[f64],
    fors_ms: &[u64],
    keeps_ms: &[u64],
) -> Vec<Outcome> {
    let timings: Vec<(u64, u64)> = fors_ms
        .iter()
        .flat_map(|&f| keeps_ms.iter().map(move |&k| (f, k)))
        .collect();
    let step = grid.step_ms.max(1) as u64;
    let mut out = Vec::new();
    match mode {
        Mode::Split(op @ (Comparison::Gt | Comparison::Ge | Comparison::Lt | Comparison::Le)) => {
            // Work in a space where the filter is `x > t` (or `x >= t`).
            let flip = matches!(op, Comparison::Lt | Comparison::Le);
            let strict = matches!(op, Comparison::Gt | Comparison::Lt);
            let key = |x: f64| if flip { -x } else { x };
            let mut order: Vec<usize> = (0..thresholds.len()).collect();
            order.sort_by(|&i, &j| key(thresholds[i]).total_cmp(&key(thresholds[j])));
            let sorted: Vec<f64> = order.iter().map(|&i| key(thresholds[i])).collect();
            for &(for_ms, keep_ms) in &timings {
                let timing = Timing::new(for_ms, keep_ms, step);
                let acc = series
                    .par_iter()
                    .fold(
                        || Accumulator::new(sorted.len()),
                        |mut acc, s| {
                            let values: Vec<f64> = s.values.iter().map(|v| key(*v)).collect();
                            acc.add(&values, timing, &sorted, strict);
                            acc
                        },
                    )
                    .reduce(|| Accumulator::new(sorted.len()), Accumulator::merge);
                let mut by_threshold = vec![None; thresholds.len()];
                for (rank, &original) in order.iter().enumerate() {
                    by_threshold[original] = Some(acc.outcome(rank, step));
                }
                for (i, o) in by_threshold.into_iter().enumerate() {
                    let mut o = o.expect("every threshold ranked");
                    o.candidate = Candidate {
                        threshold: Some(thresholds[i]),
                        for_ms,
                        keep_firing_for_ms: keep_ms,
                    };
                    out.push(o);
                }
            }
        }
        _ => {
            let candidates: Vec<Option<f64>> = if mode == Mode::Whole || thresholds.is_empty() {
                vec![None]
            } else {
                thresholds.iter().map(|t| Some(*t)).collect()
            };
            for &(for_ms, keep_ms) in &timings {
                let timing = Timing::new(for_ms, keep_ms, step);
                for &threshold in &candidates {
                    let acc = series
                        .par_iter()
                        .fold(
                            || Accumulator::new(1),
                            |mut acc, s| {
                                let values: Vec<f64> = presence(&s.values, mode, threshold)
                                    .into_iter()
                                    .map(|p| if p { f64::INFINITY } else { f64::NEG_INFINITY })
                                    .collect();
                                acc.add(&values, timing, &[0.0], true);
                                acc
                            },
                        )
                        .reduce(|| Accumulator::new(1), Accumulator::merge);
                    let mut o = acc.outcome(0, step);
                    o.candidate = Candidate {
                        threshold,
                        for_ms,
                        keep_firing_for_ms: keep_ms,
                    };
                    out.push(o);
                }
            }
        }
    }
    out
}

/// Per-threshold counts, summed over series. Index `j` is the `j`-th
/// smallest (transformed) threshold.
#[derive(Debug, Clone)]
struct Accumulator {
    /// `firing_hist[i]`: evaluations firing for exactly the thresholds `< i`.
    firing_hist: Vec<u64>,
    fired_hist: Vec<u64>,
    pages_diff: Vec<i64>,
    pending_diff: Vec<i64>,
    longest: Vec<u64>,
}

impl Accumulator {
    fn new(m: usize) -> Self {
        Accumulator {
            firing_hist: vec![0; m + 1],
            fired_hist: vec![0; m + 1],
            pages_diff: vec![0; m + 1],
            pending_diff: vec![0; m + 1],
            longest: vec![0; m + 1],
        }
    }

    fn merge(mut self, other: Self) -> Self {
        for (a, b) in self.firing_hist.iter_mut().zip(other.firing_hist) {
            *a += b;
        }
        for (a, b) in self.fired_hist.iter_mut().zip(other.fired_hist) {
            *a += b;
        }
        for (a, b) in self.pages_diff.iter_mut().zip(other.pages_diff) {
            *a += b;
        }
        for (a, b) in self.pending_diff.iter_mut().zip(other.pending_diff) {
            *a += b;
        }
        for (a, b) in self.longest.iter_mut().zip(other.longest) {
            *a = (*a).max(b);
        }
        self
    }

    /// Adds one series (values already in `x > t` space).
    fn add(&mut self, values: &[f64], timing: Timing, thresholds: &[f64], strict: bool) {
        let (c, a) = critical::critical(values, timing);
        // How many thresholds make a critical value `x` true.
        let rank = |x: f64| {
            if strict {
                thresholds.partition_point(|t| *t < x)
            } else {
                thresholds.partition_point(|t| *t <= x)
            }
        };
        let n = c.len();
        let ranks: Vec<usize> = c.iter().map(|x| rank(*x)).collect();
        let mut previous = 0usize;
        let mut best = 0usize;
        for k in 0..n {
            let r = ranks[k];
            self.firing_hist[r] += 1;
            best = best.max(r);
            if previous < r {
                self.pages_diff[previous] += 1;
                self.pages_diff[r] -= 1;
            }
            previous = r;
            // A pending period ending at k without firing at k+1.
            let active = rank(a[k]);
            let next_active = if k + 1 < n { rank(a[k + 1]) } else { 0 };
            let lo = r.max(next_active);
            if lo < active {
                self.pending_diff[lo] += 1;
                self.pending_diff[active] -= 1;
            }
        }
        self.fired_hist[best] += 1;
        // Longest run of {c > θ}: for each k, the widest window around it
        // where c stays ≥ c[k] (previous and next strictly smaller element).
        let mut left = vec![0usize; n];
        let mut stack: Vec<usize> = Vec::new();
        for k in 0..n {
            while stack.last().is_some_and(|&j| c[j] >= c[k]) {
                stack.pop();
            }
            left[k] = stack.last().map_or(0, |&j| j + 1);
            stack.push(k);
        }
        stack.clear();
        for k in (0..n).rev() {
            while stack.last().is_some_and(|&j| c[j] >= c[k]) {
                stack.pop();
            }
            let right = stack.last().map_or(n, |&j| j);
            stack.push(k);
            let r = ranks[k];
            if r > 0 {
                let len = (right - left[k]) as u64;
                self.longest[r - 1] = self.longest[r - 1].max(len);
            }
        }
    }

    /// The outcome for the threshold of rank `j`.
    fn outcome(&self, j: usize, step: u64) -> Outcome {
        let firing: u64 = self.firing_hist[j + 1..].iter().sum();
        let fired: u64 = self.fired_hist[j + 1..].iter().sum();
        let pages: i64 = self.pages_diff[..=j].iter().sum();
        let pending: i64 = self.pending_diff[..=j].iter().sum();
        let longest = self.longest[j..].iter().copied().max().unwrap_or(0);
        Outcome {
            candidate: Candidate {
                threshold: None,
                for_ms: 0,
                keep_firing_for_ms: 0,
            },
            pages: pages as u64,
            firing_ms: firing * step,
            label_sets_fired: fired,
            pending_never_fired: pending as u64,
            longest_ms: longest * step,
        }
    }
}

/// Every instance's pending and firing intervals under one candidate
/// (instances that were never active are left out).
pub fn timelines(grid: Grid, series: &[Series], mode: Mode, candidate: Candidate) -> Vec<Timeline> {
    let timing = Timing::new(
        candidate.for_ms,
        candidate.keep_firing_for_ms,
        grid.step_ms.max(1) as u64,
    );
    series
        .par_iter()
        .filter_map(|s| {
            let states = simulate(&presence(&s.values, mode, candidate.threshold), timing);
            let pending = intervals(&states, State::Pending, grid);
            let firing = intervals(&states, State::Firing, grid);
            (!pending.is_empty() || !firing.is_empty()).then(|| Timeline {
                labels: s.labels.clone(),
                pending,
                firing,
            })
        })
        .collect()
}

fn intervals(states: &[State], wanted: State, grid: Grid) -> Vec<(i64, i64)> {
    let mut out = Vec::new();
    let mut start = None;
    for (k, s) in states.iter().enumerate() {
        match (start, *s == wanted) {
            (None, true) => start = Some(k),
            (Some(b), false) => {
                out.push((grid.at(b), grid.at(k)));
                start = None;
            }
            _ => {}
        }
    }
    if let Some(b) = start {
        out.push((grid.at(b), grid.at(states.len())));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn grid(len: usize) -> Grid {
        Grid {
            start_ms: 0,
            step_ms: 60_000,
            len,
        }
    }

    /// The sweep's counts equal counting the step-by-step replay of every
    /// candidate separately.
    #[test]
    fn sweep_equals_replaying_each_candidate() {
        let mut seed = 0x2545F4914F6CDD1Du64;
        let mut next = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        for round in 0..60 {
            let len = 50 + (next() % 100) as usize;
            let series: Vec<Series> = (0..4)
                .map(|i| Series {
                    labels: vec![("i".into(), i.to_string())],
                    values: (0..len)
                        .map(|_| {
                            if next() % 7 == 0 {
                                f64::NAN
                            } else {
                                (next() % 20) as f64
                            }
                        })
                        .collect(),
                })
                .collect();
            let thresholds = [-1.0, 3.0, 7.5, 10.0, 15.0, 19.0, 25.0];
            let fors = [0, 60_000, 150_000];
            let keeps = [0, 60_000, 120_000];
            for op in [
                Comparison::Gt,
                Comparison::Ge,
                Comparison::Lt,
                Comparison::Le,
                Comparison::Eq,
                Comparison::Ne,
            ] {
                let outcomes = sweep(
                    grid(len),
                    &series,
                    Mode::Split(op),
                    &thresholds,
                    &fors,
                    &keeps,
                );
                assert_eq!(outcomes.len(), thresholds.len() * fors.len() * keeps.len());
                for o in outcomes {
                    let expected = reference(grid(len), &series, Mode::Split(op), o.candidate);
                    assert_eq!(o, expected, "round {round} {op:?}");
                }
            }
        }
    }

    /// Counts from the per-candidate timelines.
    fn reference(grid: Grid, series: &[Series], mode: Mode, candidate: Candidate) -> Outcome {
        let timing = Timing::new(
            candidate.for_ms,
            candidate.keep_firing_for_ms,
            grid.step_ms as u64,
        );
        let mut o = Outcome {
            candidate,
            pages: 0,
            firing_ms: 0,
            label_sets_fired: 0,
            pending_never_fired: 0,
            longest_ms: 0,
        };
        for s in series {
            let states = simulate(&presence(&s.values, mode, candidate.threshold), timing);
            let firing = intervals(&states, State::Firing, grid);
            o.pages += firing.len() as u64;
            o.firing_ms += firing.iter().map(|(a, b)| (b - a) as u64).sum::<u64>();
            o.longest_ms = o.longest_ms.max(
                firing
                    .iter()
                    .map(|(a, b)| (b - a) as u64)
                    .max()
                    .unwrap_or(0),
            );
            o.label_sets_fired += u64::from(!firing.is_empty());
            for (k, st) in states.iter().enumerate() {
                let next = states.get(k + 1).copied().unwrap_or(State::Inactive);
                if *st == State::Pending && next == State::Inactive {
                    o.pending_never_fired += 1;
                }
            }
        }
        o
    }

    #[test]
    fn timelines_give_half_open_intervals_at_evaluation_times() {
        let series = [Series {
            labels: vec![],
            values: vec![75.0, 85.0, 70.0, 70.0, 10.0, 10.0],
        }];
        let candidate = Candidate {
            threshold: Some(50.0),
            for_ms: 60_000,
            keep_firing_for_ms: 60_000,
        };
        let t = timelines(grid(6), &series, Mode::Split(Comparison::Gt), candidate);
        assert_eq!(t[0].pending, [(0, 60_000)]);
        assert_eq!(t[0].firing, [(60_000, 300_000)]);
    }

    #[test]
    fn still_firing_at_the_end_closes_one_step_after_the_last_evaluation() {
        let series = [Series {
            labels: vec![],
            values: vec![1.0, 1.0, 1.0],
        }];
        let candidate = Candidate {
            threshold: None,
            for_ms: 0,
            keep_firing_for_ms: 0,
        };
        let t = timelines(grid(3), &series, Mode::Whole, candidate);
        assert_eq!(t[0].firing, [(0, 180_000)]);
    }
}
