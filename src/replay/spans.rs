//! What every candidate of a sweep did in given time spans, without a
//! replay per candidate: `tune` asks it of each marked incident (when did the
//! candidate first fire in it?) and false positive (did it fire at all?),
//! how many firing episodes touched an incident (the others are noise), and
//! which of today's pages a candidate keeps (did it fire on the same
//! instance during the page's episode, and how much later?).
//!
//! The sweep knows, at each evaluation `k`, the critical rank `c[k]`: the
//! candidate of threshold rank `j` is firing there exactly when `c[k] > j`.
//! Every answer here is read off `c` over the spans' evaluations alone.

use super::Grid;

/// Time spans `[start, end)` in ms, as marks give them.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Spans {
    /// Spans whose first firing is wanted; episodes touching any of them
    /// are counted too.
    pub incidents: Vec<(i64, i64)>,
    /// Spans where only "fired or not" is wanted.
    pub quiet: Vec<(i64, i64)>,
    /// Spans on one series each: whether the candidate fired on that series
    /// in the span, and when it first did.
    pub on_series: Vec<SeriesSpan>,
}

/// `[start, end)` in ms on the series at `series` in the sweep's input.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SeriesSpan {
    pub series: usize,
    pub start_ms: i64,
    pub end_ms: i64,
}

/// One candidate in the spans.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SpanOutcome {
    /// Per incident span: the start of the first firing evaluation that
    /// overlaps it (an episode already firing at its start gives that
    /// evaluation, at or before the span's start).
    pub first_firing_ms: Vec<Option<i64>>,
    /// Per quiet span: whether any firing overlapped it.
    pub fired_in_quiet: Vec<bool>,
    /// Firing episodes that overlap at least one incident span.
    pub pages_touching_incidents: u64,
    /// Series spans in which the candidate fired on their series.
    pub series_spans_fired: u64,
    /// Summed over those: from the span's start to the first firing
    /// evaluation in it (0 when already firing at the start).
    pub series_spans_delay_ms: u64,
}

/// Inclusive evaluation ranges `[lo, hi]` whose step-long holds
/// `[t_k, t_k + step)` overlap each span; `None` when none does.
#[derive(Debug, Clone)]
pub(crate) struct EvalSpans {
    incidents: Vec<Option<(usize, usize)>>,
    quiet: Vec<Option<(usize, usize)>>,
    /// The union of the incident ranges, sorted and disjoint.
    merged: Vec<(usize, usize)>,
    /// `(series, first evaluation, last evaluation, start ms)` of the series
    /// spans that meet the grid, sorted by series.
    on_series: Vec<(usize, usize, usize, i64)>,
}

impl EvalSpans {
    pub(crate) fn new(spans: &Spans, grid: Grid) -> Self {
        let range = |&(start, end): &(i64, i64)| evaluations(grid, start, end);
        let incidents: Vec<_> = spans.incidents.iter().map(range).collect();
        let mut sorted: Vec<(usize, usize)> = incidents.iter().flatten().copied().collect();
        sorted.sort_unstable();
        let mut merged: Vec<(usize, usize)> = Vec::new();
        for (lo, hi) in sorted {
            match merged.last_mut() {
                Some(last) if lo <= last.1 + 1 => last.1 = last.1.max(hi),
                _ => merged.push((lo, hi)),
            }
        }
        let mut on_series: Vec<(usize, usize, usize, i64)> = spans
            .on_series
            .iter()
            .filter_map(|s| {
                let (lo, hi) = evaluations(grid, s.start_ms, s.end_ms)?;
                Some((s.series, lo, hi, s.start_ms))
            })
            .collect();
        on_series.sort_unstable_by_key(|&(series, lo, _, _)| (series, lo));
        EvalSpans {
            incidents,
            quiet: spans.quiet.iter().map(range).collect(),
            merged,
            on_series,
        }
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.incidents.is_empty() && self.quiet.is_empty() && self.on_series.is_empty()
    }

    fn on_series(&self, series: usize) -> &[(usize, usize, usize, i64)] {
        let from = self.on_series.partition_point(|s| s.0 < series);
        let to = self.on_series.partition_point(|s| s.0 <= series);
        &self.on_series[from..to]
    }
}

/// The evaluations `k` with `t_k < end` and `t_k + step > start`.
fn evaluations(grid: Grid, start: i64, end: i64) -> Option<(usize, usize)> {
    let step = grid.step_ms.max(1) as i128;
    let (start, end, origin) = (start as i128, end as i128, grid.start_ms as i128);
    let lo = (start - origin).div_euclid(step).max(0);
    // The last k with origin + k·step < end: ceil((end - origin) / step) - 1.
    let hi = (end - origin + step - 1).div_euclid(step) - 1;
    let hi = hi.min(grid.len as i128 - 1);
    (lo <= hi).then_some((lo as usize, hi as usize))
}

/// Sums over series for one timing, per threshold rank `j < m`.
#[derive(Debug, Clone)]
pub(crate) struct SpanTally {
    /// Per incident, per rank: the first firing evaluation (`usize::MAX`: none).
    first: Vec<Vec<usize>>,
    /// Per quiet span: the highest critical rank in it.
    quiet_max: Vec<u16>,
    /// Episodes touching the incidents, as a difference array over ranks.
    touching_diff: Vec<i64>,
    /// Series spans fired in, and their summed delays (ms), as difference
    /// arrays over ranks: each span lives on one series, so one thread adds it.
    series_fired_diff: Vec<i64>,
    series_delay_diff: Vec<i64>,
}

impl SpanTally {
    pub(crate) fn new(spans: &EvalSpans, m: usize) -> Self {
        SpanTally {
            first: vec![vec![usize::MAX; m]; spans.incidents.len()],
            quiet_max: vec![0; spans.quiet.len()],
            touching_diff: vec![0; m + 1],
            series_fired_diff: vec![0; m + 1],
            series_delay_diff: vec![0; m + 1],
        }
    }

    pub(crate) fn merge(mut self, other: Self) -> Self {
        for (a, b) in self.first.iter_mut().zip(other.first) {
            for (x, y) in a.iter_mut().zip(b) {
                *x = (*x).min(y);
            }
        }
        for (a, b) in self.quiet_max.iter_mut().zip(other.quiet_max) {
            *a = (*a).max(b);
        }
        for (a, b) in self.touching_diff.iter_mut().zip(other.touching_diff) {
            *a += b;
        }
        for (a, b) in self
            .series_fired_diff
            .iter_mut()
            .zip(other.series_fired_diff)
        {
            *a += b;
        }
        for (a, b) in self
            .series_delay_diff
            .iter_mut()
            .zip(other.series_delay_diff)
        {
            *a += b;
        }
        self
    }

    /// Adds one series (`index` in the sweep's input), given its critical
    /// rank at every evaluation. A series that ends before the grid does is
    /// absent (rank 0) after its end, as the state machine sees it.
    pub(crate) fn add(&mut self, spans: &EvalSpans, critical: &[u16], index: usize, grid: Grid) {
        let m = self.touching_diff.len() - 1;
        let n = critical.len();
        let clip = |range: &Option<(usize, usize)>| match *range {
            Some((lo, hi)) if lo < n => Some((lo, hi.min(n - 1))),
            _ => None,
        };
        for (first, range) in self.first.iter_mut().zip(&spans.incidents) {
            let Some((lo, hi)) = clip(range) else {
                continue;
            };
            // Ranks below the running maximum have fired already.
            let mut reached = 0usize;
            for (k, &c) in critical[lo..=hi].iter().enumerate() {
                let c = c as usize;
                if c > reached {
                    for slot in &mut first[reached..c] {
                        *slot = (*slot).min(lo + k);
                    }
                    reached = c;
                    if reached == m {
                        break;
                    }
                }
            }
        }
        for (max, range) in self.quiet_max.iter_mut().zip(&spans.quiet) {
            if let Some((lo, hi)) = clip(range) {
                let highest = critical[lo..=hi].iter().copied().max().unwrap_or(0);
                *max = (*max).max(highest);
            }
        }
        // Ranks below the running maximum have fired in the span already;
        // those that reach it at evaluation k fired (t_k - start) late.
        for &(_, lo, hi, start_ms) in spans.on_series(index) {
            if lo >= n {
                continue;
            }
            let mut reached = 0usize;
            for (k, &c) in critical[lo..=hi.min(n - 1)].iter().enumerate() {
                let c = c as usize;
                if c > reached {
                    let late = (grid.at(lo + k) - start_ms).max(0);
                    self.series_fired_diff[reached] += 1;
                    self.series_fired_diff[c] -= 1;
                    self.series_delay_diff[reached] += late;
                    self.series_delay_diff[c] -= late;
                    reached = c;
                    if reached == m {
                        break;
                    }
                }
            }
        }
        // An episode of rank j touches a range when it is firing at the
        // range's first evaluation or starts inside it; one that spans the
        // gap to the next range was counted for both, once too often.
        let diff = &mut self.touching_diff;
        let mut add = |from: usize, to: usize, by: i64| {
            if from < to {
                diff[from] += by;
                diff[to] -= by;
            }
        };
        for (i, range) in spans.merged.iter().enumerate() {
            let Some((lo, hi)) = clip(&Some(*range)) else {
                break;
            };
            add(0, critical[lo] as usize, 1);
            for pair in critical[lo..=hi].windows(2) {
                add(pair[0] as usize, pair[1] as usize, 1);
            }
            // An episode spans the gap only if the series reaches the next range.
            if let Some(&(next, _)) = spans.merged.get(i + 1).filter(|r| r.0 < n) {
                let through = critical[hi..=next].iter().copied().min().unwrap_or(0);
                add(0, through as usize, -1);
            }
        }
    }

    /// The outcome for the threshold of rank `j`.
    pub(crate) fn outcome(&self, j: usize, grid: Grid) -> SpanOutcome {
        SpanOutcome {
            first_firing_ms: self
                .first
                .iter()
                .map(|f| (f[j] != usize::MAX).then(|| grid.at(f[j])))
                .collect(),
            fired_in_quiet: self.quiet_max.iter().map(|&c| c as usize > j).collect(),
            pages_touching_incidents: self.touching_diff[..=j].iter().sum::<i64>() as u64,
            series_spans_fired: self.series_fired_diff[..=j].iter().sum::<i64>() as u64,
            series_spans_delay_ms: self.series_delay_diff[..=j].iter().sum::<i64>() as u64,
        }
    }
}
