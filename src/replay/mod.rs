//! Replaying history through Prometheus's alert state machine, for today's
//! rule and for candidate thresholds, `for` and `keep_firing_for` values.
//!
//! Pure: no files, no HTTP. The input is what a range query returned,
//! aligned to the evaluation grid; the output is counts per candidate and
//! per-instance timelines.

pub mod align;
pub mod critical;
pub mod inline;
pub mod limited;
pub mod machine;
pub mod plan;
pub mod spans;

use rayon::prelude::*;

pub use crate::promql::Comparison;
use crate::rules::Duration;

pub use machine::{simulate, State, Timing};
pub use spans::{SeriesSpan, SpanOutcome, Spans};

use spans::{EvalSpans, SpanTally};

/// Label pairs sorted by name; an alert instance's identity.
pub use crate::history::Labels;

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
    pub for_: Duration,
    pub keep_firing_for: Duration,
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
    /// Evaluations Prometheus failed because the rule had more alerts than
    /// its group's `limit` (each one forgot every alert of the rule).
    pub evaluations_failed: u64,
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
pub(crate) fn presence(values: &[f64], mode: Mode, threshold: Option<f64>) -> Vec<bool> {
    match (mode, threshold) {
        (Mode::Split(op), Some(t)) => values.iter().map(|v| op.passes(*v, t)).collect(),
        _ => values.iter().map(|v| !v.is_nan()).collect(),
    }
}

/// Runs every candidate (the cross product of thresholds, `for` and
/// `keep_firing_for` values) over the series, in the order
/// `for × keep_firing_for × thresholds`.
///
/// For `>`, `>=`, `<`, `<=` each sample is ranked once among the sorted
/// thresholds; the state machine then runs in rank space (see
/// [`critical`]), so the cost per timing does not depend on the number of
/// thresholds. `==`/`!=` and whole-expression mode replay each threshold.
pub fn sweep(
    grid: Grid,
    series: &[Series],
    mode: Mode,
    thresholds: &[f64],
    fors: &[Duration],
    keeps: &[Duration],
) -> Vec<Outcome> {
    sweep_spans(
        grid,
        series,
        mode,
        thresholds,
        fors,
        keeps,
        &Spans::default(),
    )
    .into_iter()
    .map(|(outcome, _)| outcome)
    .collect()
}

/// [`sweep`], and what each candidate did in `spans` (`tune`'s marks), in
/// the same pass over the data.
pub fn sweep_spans(
    grid: Grid,
    series: &[Series],
    mode: Mode,
    thresholds: &[f64],
    fors: &[Duration],
    keeps: &[Duration],
    spans: &Spans,
) -> Vec<(Outcome, SpanOutcome)> {
    let spans = EvalSpans::new(spans, grid);
    let step = grid.step_ms.max(1) as u64;
    let timings: Vec<(Duration, Duration, Timing)> = fors
        .iter()
        .flat_map(|&f| {
            keeps
                .iter()
                .map(move |&k| (f, k, Timing::new(f.millis, k.millis, step)))
        })
        .collect();
    let timing_list: Vec<Timing> = timings.iter().map(|t| t.2).collect();
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
            let ranker = Ranker::new(&sorted, strict);
            let accs = accumulate(
                grid,
                series,
                &timing_list,
                sorted.len(),
                &spans,
                |values, ranks| {
                    ranks.clear();
                    ranks.extend(values.iter().map(|v| ranker.rank(key(*v))));
                },
            );
            for (acc, &(for_, keep, _)) in accs.iter().zip(&timings) {
                let mut by_threshold = vec![None; thresholds.len()];
                for (rank, &original) in order.iter().enumerate() {
                    by_threshold[original] = Some(acc.outcome(rank, grid));
                }
                for (i, o) in by_threshold.into_iter().enumerate() {
                    let (mut o, in_spans) = o.expect("every threshold ranked");
                    o.candidate = Candidate {
                        threshold: Some(thresholds[i]),
                        for_,
                        keep_firing_for: keep,
                    };
                    out.push((o, in_spans));
                }
            }
        }
        _ => {
            let candidates: Vec<Option<f64>> = if mode == Mode::Whole || thresholds.is_empty() {
                vec![None]
            } else {
                thresholds.iter().map(|t| Some(*t)).collect()
            };
            let mut per_threshold = Vec::new();
            for &threshold in &candidates {
                per_threshold.push(accumulate(
                    grid,
                    series,
                    &timing_list,
                    1,
                    &spans,
                    |values, ranks| {
                        ranks.clear();
                        ranks.extend(presence(values, mode, threshold).into_iter().map(u16::from));
                    },
                ));
            }
            for (t, &(for_, keep, _)) in timings.iter().enumerate() {
                for (accs, &threshold) in per_threshold.iter().zip(&candidates) {
                    let (mut o, in_spans) = accs[t].outcome(0, grid);
                    o.candidate = Candidate {
                        threshold,
                        for_,
                        keep_firing_for: keep,
                    };
                    out.push((o, in_spans));
                }
            }
        }
    }
    out
}

/// Ranks samples among sorted thresholds: how many thresholds `t` make
/// `x > t` (or `x >= t`) true; NaN (absent) passes none. A bucket table over
/// the thresholds' range gives the answer in a step or two, instead of a
/// binary search per sample.
struct Ranker<'a> {
    sorted: &'a [f64],
    strict: bool,
    low: f64,
    scale: f64,
    table: Vec<u16>,
}

const BUCKETS: usize = 4096;

impl<'a> Ranker<'a> {
    fn new(sorted: &'a [f64], strict: bool) -> Self {
        let finite: Vec<f64> = sorted.iter().copied().filter(|t| t.is_finite()).collect();
        let (low, high) = match (finite.first(), finite.last()) {
            (Some(&l), Some(&h)) if h > l => (l, h),
            _ => (0.0, 0.0),
        };
        let scale = if high > low {
            BUCKETS as f64 / (high - low)
        } else {
            0.0
        };
        let mut ranker = Ranker {
            sorted,
            strict,
            low,
            scale,
            table: Vec::new(),
        };
        if scale > 0.0 {
            // table[b]: the rank of the bucket's lower edge, a lower bound for every x in it.
            ranker.table = (0..=BUCKETS)
                .map(|b| ranker.search(low + b as f64 / scale) as u16)
                .collect();
        }
        ranker
    }

    fn passes(&self, t: f64, x: f64) -> bool {
        if self.strict {
            t < x
        } else {
            t <= x
        }
    }

    fn search(&self, x: f64) -> usize {
        self.sorted.partition_point(|t| self.passes(*t, x))
    }

    fn rank(&self, x: f64) -> u16 {
        if x.is_nan() {
            return 0;
        }
        if self.table.is_empty() || !x.is_finite() {
            return self.search(x) as u16;
        }
        let bucket = ((x - self.low) * self.scale).floor();
        if bucket < 0.0 || bucket >= BUCKETS as f64 {
            return self.search(x) as u16;
        }
        let mut r = self.table[bucket as usize] as usize;
        while r < self.sorted.len() && self.passes(self.sorted[r], x) {
            r += 1;
        }
        r as u16
    }
}

/// Buffers reused across series on one thread.
#[derive(Default)]
struct Scratch {
    ranks: Vec<u16>,
    recurrence: critical::RankRecurrence,
    runs: Vec<(usize, u16)>,
    /// The critical rank at each evaluation, kept only when spans are scored.
    critical: Vec<u16>,
}

/// Ranks each series once (`rank`), then accumulates every timing.
fn accumulate(
    grid: Grid,
    series: &[Series],
    timings: &[Timing],
    m: usize,
    spans: &EvalSpans,
    rank: impl Fn(&[f64], &mut Vec<u16>) + Sync,
) -> Vec<Accumulator> {
    let fresh = || {
        (
            timings
                .iter()
                .map(|_| Accumulator::new(m, spans))
                .collect::<Vec<_>>(),
            Scratch::default(),
        )
    };
    let (accs, _) = series
        .par_iter()
        .enumerate()
        .fold(fresh, |(mut accs, mut scratch), (index, s)| {
            let mut ranks = std::mem::take(&mut scratch.ranks);
            rank(&s.values, &mut ranks);
            for (acc, timing) in accs.iter_mut().zip(timings) {
                acc.add(&ranks, *timing, spans, &mut scratch, index, grid);
            }
            scratch.ranks = ranks;
            (accs, scratch)
        })
        .reduce(fresh, |(a, s), (b, _)| {
            (a.into_iter().zip(b).map(|(x, y)| x.merge(y)).collect(), s)
        });
    accs
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
    /// What happened in the spans; `None` when there are none.
    spans: Option<SpanTally>,
}

impl Accumulator {
    fn new(m: usize, spans: &EvalSpans) -> Self {
        Accumulator {
            firing_hist: vec![0; m + 1],
            fired_hist: vec![0; m + 1],
            pages_diff: vec![0; m + 1],
            pending_diff: vec![0; m + 1],
            longest: vec![0; m + 1],
            spans: (!spans.is_empty()).then(|| SpanTally::new(spans, m)),
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
        self.spans = match (self.spans, other.spans) {
            (Some(a), Some(b)) => Some(a.merge(b)),
            (a, b) => a.or(b),
        };
        self
    }

    /// Adds one series, given as the rank of each sample (0 = absent), in one
    /// pass: the critical-threshold recurrence, the counts, and the longest
    /// run per level (a "largest rectangle" stack).
    fn add(
        &mut self,
        ranks: &[u16],
        timing: Timing,
        spans: &EvalSpans,
        scratch: &mut Scratch,
        index: usize,
        grid: Grid,
    ) {
        let n = ranks.len();
        let keep_critical = self.spans.is_some();
        let critical = &mut scratch.critical;
        critical.clear();
        let runs = &mut scratch.runs;
        runs.clear();
        let recurrence = &mut scratch.recurrence;
        recurrence.reset(timing);
        let mut previous = 0u16;
        let mut best = 0usize;
        // (critical rank, active rank) of the previous evaluation.
        let mut last: Option<(usize, usize)> = None;
        let mut k = 0;
        while k < n {
            let x = ranks[k];
            // Quiet stretches (below every threshold, or absent) are most of
            // a real signal: once the previous evaluation was quiet too, every
            // evaluation of the run is quiet, so count the run at once.
            if x == 0 && last == Some((0, 0)) {
                let end = ranks[k..].iter().position(|&r| r != 0).map_or(n, |p| k + p);
                if end - k > timing.keep {
                    self.firing_hist[0] += (end - k) as u64;
                    if keep_critical {
                        critical.resize(end, 0);
                    }
                    recurrence.skip_zeros(end - 1);
                    k = end;
                    continue;
                }
            }
            let ck = recurrence.step(ranks, k);
            if keep_critical {
                critical.push(ck);
            }

            let r = ck as usize;
            self.firing_hist[r] += 1;
            best = best.max(r);
            let p = previous as usize;
            if p < r {
                self.pages_diff[p] += 1;
                self.pages_diff[r] -= 1;
            }
            let active = r.max(x as usize);
            // A pending period that ended at k-1 without firing at k.
            if let Some((pc, pa)) = last {
                let lo = pc.max(active);
                if lo < pa {
                    self.pending_diff[lo] += 1;
                    self.pending_diff[pa] -= 1;
                }
            }
            last = Some((r, active));
            // Runs of c ≥ level: close the levels above ck.
            let mut start = k;
            while let Some(&(s, level)) = runs.last() {
                if level <= ck {
                    break;
                }
                runs.pop();
                let slot = &mut self.longest[level as usize - 1];
                *slot = (*slot).max((k - s) as u64);
                start = s;
            }
            if ck > 0 && runs.last().is_none_or(|&(_, level)| level < ck) {
                runs.push((start, ck));
            }
            previous = ck;
            k += 1;
        }
        if let Some((pc, pa)) = last {
            if pc < pa {
                self.pending_diff[pc] += 1;
                self.pending_diff[pa] -= 1;
            }
        }
        for &(s, level) in runs.iter() {
            let slot = &mut self.longest[level as usize - 1];
            *slot = (*slot).max((n - s) as u64);
        }
        self.fired_hist[best] += 1;
        if let Some(tally) = &mut self.spans {
            tally.add(spans, critical, index, grid);
        }
    }

    /// The outcome for the threshold of rank `j`, in the spans too (empty
    /// when there are none).
    fn outcome(&self, j: usize, grid: Grid) -> (Outcome, SpanOutcome) {
        let step = grid.step_ms.max(1) as u64;
        let firing: u64 = self.firing_hist[j + 1..].iter().sum();
        let fired: u64 = self.fired_hist[j + 1..].iter().sum();
        let pages: i64 = self.pages_diff[..=j].iter().sum();
        let pending: i64 = self.pending_diff[..=j].iter().sum();
        let longest = self.longest[j..].iter().copied().max().unwrap_or(0);
        let outcome = Outcome {
            candidate: Candidate {
                threshold: None,
                for_: Duration { millis: 0 },
                keep_firing_for: Duration { millis: 0 },
            },
            pages: pages as u64,
            firing_ms: firing * step,
            label_sets_fired: fired,
            pending_never_fired: pending as u64,
            longest_ms: longest * step,
            evaluations_failed: 0,
        };
        let in_spans = match &self.spans {
            Some(tally) => tally.outcome(j, grid),
            None => SpanOutcome {
                first_firing_ms: Vec::new(),
                fired_in_quiet: Vec::new(),
                pages_touching_incidents: 0,
                series_spans_fired: 0,
                series_spans_delay_ms: 0,
            },
        };
        (outcome, in_spans)
    }
}

/// Every instance's pending and firing intervals under one candidate
/// (instances that were never active are left out).
pub fn timelines(grid: Grid, series: &[Series], mode: Mode, candidate: Candidate) -> Vec<Timeline> {
    let timing = Timing::new(
        candidate.for_.millis,
        candidate.keep_firing_for.millis,
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

pub(crate) fn intervals(states: &[State], wanted: State, grid: Grid) -> Vec<(i64, i64)> {
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

/// A xorshift generator for the property tests here and in `tune`: the
/// same seed draws the same cases on every machine.
#[cfg(test)]
pub(crate) fn xorshift(mut seed: u64) -> impl FnMut() -> u64 {
    move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    }
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
        let mut next = xorshift(0x2545F4914F6CDD1D);
        for round in 0..60 {
            let len = 50 + (next() % 100) as usize;
            let series: Vec<Series> = (0..4)
                .map(|i| Series {
                    labels: vec![("i".into(), i.to_string())],
                    // Every third round, series that end before the grid
                    // does (the library's callers may not align them).
                    values: (0..len
                        - if round % 3 == 2 {
                            (next() % 12) as usize
                        } else {
                            0
                        })
                        .map(|k| {
                            // Odd rounds have long quiet stretches (absent, or
                            // below every threshold), which the sweep skips.
                            let quiet = round % 2 == 1 && (k / 9) % 3 != 0;
                            if quiet {
                                if next().is_multiple_of(2) {
                                    f64::NAN
                                } else {
                                    -5.0 + (next() % 2) as f64 * 30.0
                                }
                            } else if next().is_multiple_of(7) {
                                f64::NAN
                            } else {
                                (next() % 20) as f64
                            }
                        })
                        .collect(),
                })
                .collect();
            let thresholds = [-1.0, 3.0, 7.5, 10.0, 15.0, 19.0, 25.0];
            let fors = [0, 60, 150].map(Duration::from_secs);
            let keeps = [0, 60, 120].map(Duration::from_secs);
            // Spans anywhere around the window, off the grid's minutes too,
            // overlapping each other or not.
            let end = len as i64 * 60_000;
            let (incidents, quiet) = (next() % 4, next() % 3);
            let span = |next: &mut dyn FnMut() -> u64| {
                let a = (next() % (end as u64 + 600_000)) as i64 - 300_000;
                let length = (next() % 1_500_000) as i64;
                (a, a + length)
            };
            let incidents = (0..incidents).map(|_| span(&mut next)).collect();
            let quiet = (0..quiet).map(|_| span(&mut next)).collect();
            let on_series = (0..next() % 6)
                .map(|_| {
                    let (start_ms, end_ms) = span(&mut next);
                    SeriesSpan {
                        series: (next() % 4) as usize,
                        start_ms,
                        end_ms,
                    }
                })
                .collect();
            let spans = Spans {
                incidents,
                quiet,
                on_series,
            };
            for op in [
                Comparison::Gt,
                Comparison::Ge,
                Comparison::Lt,
                Comparison::Le,
                Comparison::Eq,
                Comparison::Ne,
            ] {
                let outcomes = sweep_spans(
                    grid(len),
                    &series,
                    Mode::Split(op),
                    &thresholds,
                    &fors,
                    &keeps,
                    &spans,
                );
                assert_eq!(outcomes.len(), thresholds.len() * fors.len() * keeps.len());
                for (o, in_spans) in outcomes {
                    let expected = reference(grid(len), &series, Mode::Split(op), o.candidate);
                    assert_eq!(o, expected, "round {round} {op:?}");
                    let lines = timelines(grid(len), &series, Mode::Split(op), o.candidate);
                    assert_eq!(
                        in_spans,
                        reference_spans(&lines, &series, &spans),
                        "round {round} {op:?} {:?} {spans:?}",
                        o.candidate
                    );
                }
            }
        }
    }

    /// What the firing intervals of the timelines did in the spans.
    fn reference_spans(lines: &[Timeline], series: &[Series], spans: &Spans) -> SpanOutcome {
        let firing = || lines.iter().flat_map(|t| t.firing.iter().copied());
        let overlaps = |(a, b): (i64, i64), (s, e): (i64, i64)| a < e && s < b;
        // The first step-long hold of a firing interval in the span.
        let first_in = |intervals: &mut dyn Iterator<Item = (i64, i64)>, span: (i64, i64)| {
            intervals
                .filter(|&i| overlaps(i, span))
                .map(|(a, _)| {
                    if a >= span.0 {
                        a
                    } else {
                        a + (span.0 - a) / 60_000 * 60_000
                    }
                })
                .min()
        };
        let on_series: Vec<Option<i64>> = spans
            .on_series
            .iter()
            .map(|s| {
                let mut own = lines
                    .iter()
                    .filter(|t| t.labels == series[s.series].labels)
                    .flat_map(|t| t.firing.iter().copied());
                first_in(&mut own, (s.start_ms, s.end_ms)).map(|at| (at - s.start_ms).max(0))
            })
            .collect();
        SpanOutcome {
            first_firing_ms: spans
                .incidents
                .iter()
                .map(|&span| first_in(&mut firing(), span))
                .collect(),
            fired_in_quiet: spans
                .quiet
                .iter()
                .map(|&span| firing().any(|i| overlaps(i, span)))
                .collect(),
            pages_touching_incidents: firing()
                .filter(|&i| spans.incidents.iter().any(|&span| overlaps(i, span)))
                .count() as u64,
            series_spans_fired: on_series.iter().flatten().count() as u64,
            series_spans_delay_ms: on_series.iter().flatten().sum::<i64>() as u64,
        }
    }

    /// Counts from the per-candidate timelines.
    fn reference(grid: Grid, series: &[Series], mode: Mode, candidate: Candidate) -> Outcome {
        let timing = Timing::new(
            candidate.for_.millis,
            candidate.keep_firing_for.millis,
            grid.step_ms as u64,
        );
        let mut o = Outcome {
            candidate,
            pages: 0,
            firing_ms: 0,
            label_sets_fired: 0,
            pending_never_fired: 0,
            longest_ms: 0,
            evaluations_failed: 0,
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
    fn ranker_agrees_with_binary_search() {
        let sorted = [-3.0, 0.0, 0.1, 0.1, 0.25, 7.0, 1e6];
        for strict in [true, false] {
            let ranker = Ranker::new(&sorted, strict);
            for x in [
                -1e9,
                -3.0,
                -2.9,
                0.0,
                0.05,
                0.1,
                0.2,
                0.25,
                6.99,
                7.0,
                1e6,
                2e6,
                f64::INFINITY,
                f64::NEG_INFINITY,
                f64::NAN,
            ] {
                let expected = if x.is_nan() {
                    0
                } else {
                    sorted
                        .iter()
                        .filter(|t| if strict { **t < x } else { **t <= x })
                        .count()
                };
                assert_eq!(ranker.rank(x) as usize, expected, "x={x} strict={strict}");
            }
        }
    }

    #[test]
    fn timelines_give_half_open_intervals_at_evaluation_times() {
        let series = [Series {
            labels: vec![],
            values: vec![75.0, 85.0, 70.0, 70.0, 10.0, 10.0],
        }];
        let candidate = Candidate {
            threshold: Some(50.0),
            for_: Duration { millis: 60_000 },
            keep_firing_for: Duration { millis: 60_000 },
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
            for_: Duration { millis: 0 },
            keep_firing_for: Duration { millis: 0 },
        };
        let t = timelines(grid(3), &series, Mode::Whole, candidate);
        assert_eq!(t[0].firing, [(0, 180_000)]);
    }
}
