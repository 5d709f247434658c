//! `firedrill tune`: after a false positive, find the threshold, `for` (and
//! `keep_firing_for`) that would have stayed quiet then and still fired for
//! every marked incident.
//!
//! One alert's history (already on its evaluation grid) is replayed for every
//! candidate of a sweep, in one pass that also tells when each candidate fired
//! in each marked span. Among the candidates that meet every mark, the fewest pages
//! outside the marked incidents win (pages during an incident are the alert
//! doing its job, one per instance in trouble), then the shortest detection
//! delay, then the fewest pages; a `for` shorter than today's only when no
//! other candidate meets the marks. Thresholds that tie form a range, and the
//! middle of it is recommended, so the choice keeps a margin on both sides
//! instead of hugging the false positive or the weakest incident.
//!
//! Pure: no files, no HTTP, no printing.

pub mod marks;
pub mod snippet;

use crate::promql::split::Op;
use crate::replay::{self, Candidate, Grid, Mode, Outcome, Series, SpanOutcome, Timeline};
use crate::simulate::{self, Plan, PlanMode};

pub use marks::{FalsePositive, Incident, Marks};

/// A page counts as coming from an episode that fired this close to it:
/// Alertmanager's `group_wait` and delivery put minutes between the two, and
/// people remember the time of a page roughly.
pub const PAGE_TOLERANCE_MS: i64 = 15 * 60_000;

/// The `for` values tried when none are given.
const FOR_LADDER_S: [u64; 10] = [0, 60, 120, 180, 300, 600, 900, 1200, 1800, 3600];

/// What to sweep; `None` picks from the signal and the rule.
#[derive(Debug, Clone, Default)]
pub struct TuneOptions {
    pub thresholds: Option<Vec<f64>>,
    pub fors_ms: Option<Vec<u64>>,
    pub keep_firing_fors_ms: Option<Vec<u64>>,
}

/// A false positive, placed on the replay: the span a candidate must stay
/// quiet in.
#[derive(Debug, Clone, PartialEq)]
pub struct PlacedFalsePositive {
    pub mark: FalsePositive,
    /// `[start, end)`: today's episode that paged (from its pending start),
    /// the span given, or `at ± 15m` when today's rule did not fire near it.
    pub window: (i64, i64),
    /// Whether today's rule fired in that span (the page is in the replay).
    pub today_fired: bool,
}

/// A candidate and what it did at each mark.
#[derive(Debug, Clone, PartialEq)]
pub struct Scored {
    pub outcome: Outcome,
    /// Per incident: the time from its start to the first firing within it,
    /// or `None` when the candidate never fired during it.
    pub delays_ms: Vec<Option<u64>>,
    /// Per false positive: whether the candidate stayed quiet.
    pub quiet: Vec<bool>,
    /// Firing episodes that overlap no marked incident: the pages that
    /// cost sleep without a reason (all pages when no incident is marked).
    pub noise_pages: u64,
}

impl Scored {
    pub fn meets_every_mark(&self) -> bool {
        self.delays_ms.iter().all(Option::is_some) && self.quiet.iter().all(|q| *q)
    }

    pub fn marks_met(&self) -> usize {
        self.delays_ms.iter().filter(|d| d.is_some()).count()
            + self.quiet.iter().filter(|q| **q).count()
    }

    pub fn total_delay_ms(&self) -> u64 {
        self.delays_ms.iter().flatten().sum()
    }

    pub fn candidate(&self) -> Candidate {
        self.outcome.candidate
    }
}

/// A false positive and an incident no candidate satisfies together.
#[derive(Debug, Clone, PartialEq)]
pub enum Conflict {
    /// No candidate fires during this incident at all.
    NeverCaught { incident: usize },
    /// No candidate is quiet at this false positive.
    NeverQuiet { false_positive: usize },
    /// Each is satisfiable, but not together.
    Pair {
        false_positive: usize,
        incident: usize,
    },
}

#[derive(Debug, Clone)]
pub struct Tuning {
    pub plan: Plan,
    pub grid: Grid,
    pub series: usize,
    pub incidents: Vec<Incident>,
    pub false_positives: Vec<PlacedFalsePositive>,
    /// Every candidate of the sweep; today's rule first.
    pub candidates: Vec<Scored>,
    /// Index into `candidates` of the recommendation, when one meets every mark.
    pub recommended: Option<usize>,
    /// The thresholds that do exactly as well as the recommended one with
    /// its timing (lowest, highest).
    pub equivalent: Option<(f64, f64)>,
    /// Rows worth printing, best first (today's rule not included).
    pub shortlist: Vec<usize>,
    pub conflicts: Vec<Conflict>,
    /// What the user should know about the data or the marks.
    pub notes: Vec<String>,
    /// Today's firing and pending intervals, and the recommended candidate's
    /// (for plots).
    pub today_timelines: Vec<Timeline>,
    pub recommended_timelines: Vec<Timeline>,
}

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum TuneError {
    #[error("{what} lies outside the replayed window {start} .. {end}; replay a window that contains it (--start/--end or --range)")]
    MarkOutsideWindow {
        what: String,
        start: String,
        end: String,
    },
    #[error("alert {alert:?}: the signal has no sample in the window ({query}); there is nothing to tune")]
    NoSamples { alert: String, query: String },
}

impl Tuning {
    pub fn today(&self) -> &Scored {
        &self.candidates[0]
    }

    pub fn recommendation(&self) -> Option<&Scored> {
        self.recommended.map(|i| &self.candidates[i])
    }

    pub fn op(&self) -> Option<Op> {
        match self.plan.mode {
            PlanMode::Split { op, .. } => Some(op),
            PlanMode::Whole { .. } => None,
        }
    }
}

/// Sweeps the candidates of one alert over its history and ranks them
/// against the marks.
pub fn tune(
    plan: &Plan,
    grid: Grid,
    series: &[Series],
    marks: &Marks,
    options: &TuneOptions,
) -> Result<Tuning, TuneError> {
    let window = (grid.start_ms, grid.at(grid.len));
    check_inside(marks, window, grid.at(grid.len.saturating_sub(1)))?;
    let mut notes = Vec::new();
    let samples = || {
        series
            .iter()
            .flat_map(|s| s.values.iter().copied())
            .filter(|v| !v.is_nan())
    };
    let Some(first_sample) = samples().next() else {
        return Err(TuneError::NoSamples {
            alert: plan.alertname.clone(),
            query: plan.query.clone(),
        });
    };
    let flat = samples().all(|v| v == first_sample);
    let (mode, today_threshold) = match plan.mode {
        PlanMode::Split { op, threshold } => {
            (Mode::Split(simulate::comparison(op)), Some(threshold))
        }
        PlanMode::Whole { ref reason } => {
            notes.push(format!(
                "the expression is replayed whole ({reason}): only `for` and `keep_firing_for` are tuned"
            ));
            (Mode::Whole, None)
        }
    };
    let thresholds = match (today_threshold, &plan.mode) {
        (Some(today), PlanMode::Split { op, .. }) => {
            let mut list = vec![today];
            match &options.thresholds {
                Some(given) => list.extend(given),
                None => {
                    // The only copy of the samples (a month of 1,000 series is
                    // 346 MB of them), sized up front: a collect through a
                    // filter would double its way to as much as twice that.
                    let mut copy = Vec::with_capacity(series.iter().map(|s| s.values.len()).sum());
                    copy.extend(samples());
                    list.extend(threshold_grid(copy, *op, today, &mut notes))
                }
            }
            dedup_f64(&mut list);
            list
        }
        _ => Vec::new(),
    };
    let fors = timings(
        plan.for_.millis,
        options.fors_ms.clone().unwrap_or_else(|| for_ladder(plan)),
        grid.step_ms,
    );
    let keeps = timings(
        plan.keep_firing_for.millis,
        options.keep_firing_fors_ms.clone().unwrap_or_else(|| {
            let k = plan.keep_firing_for.millis;
            if k > 0 {
                vec![0, k / 2, k, 2 * k]
            } else {
                Vec::new()
            }
        }),
        grid.step_ms,
    );
    // The sweep lists today's values first.
    let today_candidate = Candidate {
        threshold: thresholds.first().copied(),
        for_ms: fors[0],
        keep_firing_for_ms: keeps[0],
    };
    let today_timelines = replay::timelines(grid, series, mode, today_candidate);
    let false_positives: Vec<PlacedFalsePositive> = marks
        .false_positives
        .iter()
        .map(|fp| place(fp, &today_timelines))
        .collect();
    for fp in false_positives.iter().filter(|fp| !fp.today_fired) {
        notes.push(format!(
            "today's rule did not fire within 15m of the {}: is the time in UTC? Candidates are checked for quiet from {} to {}",
            fp.mark.describe(),
            marks::short_utc(fp.window.0),
            marks::short_utc(fp.window.1)
        ));
    }
    for (i, fp) in false_positives.iter().enumerate() {
        for inc in &marks.incidents {
            if fp.window.0 < inc.end_ms && inc.start_ms < fp.window.1 {
                notes.push(format!(
                    "the false positive #{} overlaps the {}: no candidate can both fire for it and stay quiet",
                    i + 1,
                    inc.describe()
                ));
            }
        }
    }
    for (i, a) in marks.incidents.iter().enumerate() {
        for (j, b) in marks.incidents.iter().enumerate().skip(i + 1) {
            if a.start_ms < b.end_ms && b.start_ms < a.end_ms {
                notes.push(format!(
                    "incidents #{} and #{} overlap; each is checked on its own",
                    i + 1,
                    j + 1
                ));
            }
        }
    }
    // Every candidate's verdicts at the marks come out of the sweep's one
    // pass; a replay per candidate cost a minute on a month of 1,000 series.
    let spans = replay::Spans {
        incidents: marks
            .incidents
            .iter()
            .map(|i| (i.start_ms, i.end_ms))
            .collect(),
        quiet: false_positives.iter().map(|fp| fp.window).collect(),
    };
    let candidates: Vec<Scored> =
        replay::sweep_spans(grid, series, mode, &thresholds, &fors, &keeps, &spans)
            .into_iter()
            .map(|(outcome, in_spans)| score(outcome, in_spans, &marks.incidents))
            .collect();
    debug_assert_eq!(candidates[0].candidate(), today_candidate);
    if candidates[0].outcome.pages == 0 {
        notes.push("today's rule never fired in the window".into());
    }
    if flat {
        notes.push(format!(
            "the signal is flat at {first_sample} over the window"
        ));
    }
    let (recommended, equivalent) = recommend(&candidates);
    let shortlist = shortlist(&candidates, recommended);
    let conflicts = if recommended.is_none() && !marks.is_empty() {
        conflicts(&candidates)
    } else {
        Vec::new()
    };
    let recommended_timelines = match recommended {
        Some(i) if i != 0 => replay::timelines(grid, series, mode, candidates[i].candidate()),
        Some(_) => today_timelines.clone(),
        None => Vec::new(),
    };
    Ok(Tuning {
        plan: plan.clone(),
        grid,
        series: series.len(),
        incidents: marks.incidents.clone(),
        false_positives,
        candidates,
        recommended,
        equivalent,
        shortlist,
        conflicts,
        notes,
        today_timelines,
        recommended_timelines,
    })
}

fn check_inside(
    marks: &Marks,
    (start, end): (i64, i64),
    last_evaluation: i64,
) -> Result<(), TuneError> {
    let outside = |what: String| TuneError::MarkOutsideWindow {
        what,
        start: crate::time::format_utc(start),
        end: crate::time::format_utc(last_evaluation),
    };
    for inc in &marks.incidents {
        if inc.end_ms <= start || inc.start_ms >= end {
            return Err(outside(format!("the {}", inc.describe())));
        }
    }
    for fp in &marks.false_positives {
        if fp.at_ms < start || fp.at_ms >= end {
            return Err(outside(format!("the {}", fp.describe())));
        }
    }
    Ok(())
}

/// The span a candidate must be quiet in for a false positive.
fn place(mark: &FalsePositive, today: &[Timeline]) -> PlacedFalsePositive {
    if let Some(end) = mark.end_ms {
        let today_fired = today
            .iter()
            .flat_map(|t| &t.firing)
            .any(|&(a, b)| a < end && mark.at_ms < b);
        return PlacedFalsePositive {
            mark: mark.clone(),
            window: (mark.at_ms, end),
            today_fired,
        };
    }
    let (lo, hi) = (
        mark.at_ms - PAGE_TOLERANCE_MS,
        mark.at_ms + PAGE_TOLERANCE_MS,
    );
    let mut span: Option<(i64, i64)> = None;
    for t in today {
        for &(a, b) in t.firing.iter().filter(|&&(a, b)| a <= hi && b > lo) {
            // From the pending period that led to this firing.
            let from = t
                .pending
                .iter()
                .find(|&&(_, pe)| pe == a)
                .map_or(a, |&(ps, _)| ps);
            span = Some(span.map_or((from, b), |(s, e)| (s.min(from), e.max(b))));
        }
    }
    match span {
        Some(window) => PlacedFalsePositive {
            mark: mark.clone(),
            window,
            today_fired: true,
        },
        None => PlacedFalsePositive {
            mark: mark.clone(),
            window: (lo, hi),
            today_fired: false,
        },
    }
}

fn score(outcome: Outcome, in_spans: SpanOutcome, incidents: &[Incident]) -> Scored {
    let delays_ms = incidents
        .iter()
        .zip(&in_spans.first_firing_ms)
        .map(|(inc, first)| first.map(|at| (at - inc.start_ms).max(0) as u64))
        .collect();
    let quiet = in_spans.fired_in_quiet.iter().map(|fired| !fired).collect();
    let noise_pages = outcome
        .pages
        .saturating_sub(in_spans.pages_touching_incidents);
    Scored {
        outcome,
        delays_ms,
        quiet,
        noise_pages,
    }
}

/// The best candidate that meets every mark, and the thresholds tied with it.
fn recommend(candidates: &[Scored]) -> (Option<usize>, Option<(f64, f64)>) {
    // Pages during a marked incident are the alert doing its job (one per
    // instance that was in trouble); the pages to save are the others.
    let key = |s: &Scored| (s.noise_pages, s.total_delay_ms(), s.outcome.pages);
    let today = candidates[0].candidate();
    // After a false positive, a shorter `for` than today's buys minutes of
    // delay with fragility the marks cannot show: it is recommended only
    // when nothing at today's `for` or longer meets every mark.
    let patient = |s: &Scored| s.candidate().for_ms >= today.for_ms;
    let eligible: Vec<usize> = {
        let feasible = |i: &usize| candidates[*i].meets_every_mark();
        let at_least: Vec<usize> = (0..candidates.len())
            .filter(feasible)
            .filter(|&i| patient(&candidates[i]))
            .collect();
        if at_least.is_empty() {
            (0..candidates.len()).filter(feasible).collect()
        } else {
            at_least
        }
    };
    let Some(best) = eligible.iter().map(|&i| key(&candidates[i])).min() else {
        return (None, None);
    };
    // Among the tied: the fewest changes to the rule (today's timing first),
    // then the shortest `for`.
    let timing = |c: Candidate| (c.for_ms, c.keep_firing_for_ms);
    let tied: Vec<usize> = eligible
        .into_iter()
        .filter(|&i| key(&candidates[i]) == best)
        .collect();
    let chosen_timing = tied
        .iter()
        .map(|&i| timing(candidates[i].candidate()))
        .min_by_key(|&(f, k)| {
            (
                (f != today.for_ms) as u8 + (k != today.keep_firing_for_ms) as u8,
                f,
                k,
            )
        })
        .expect("tied is not empty");
    let mut same: Vec<usize> = tied
        .into_iter()
        .filter(|&i| timing(candidates[i].candidate()) == chosen_timing)
        .collect();
    if same.contains(&0) {
        // Today's rule already does as well as anything: keep it.
        let range = threshold_range(candidates, &same);
        return (Some(0), range);
    }
    same.sort_by(|&a, &b| {
        let t = |i: usize| candidates[i].candidate().threshold.unwrap_or(0.0);
        t(a).total_cmp(&t(b))
    });
    let range = threshold_range(candidates, &same);
    let middle = same[same.len() / 2];
    (Some(middle), range)
}

fn threshold_range(candidates: &[Scored], indices: &[usize]) -> Option<(f64, f64)> {
    let ts: Vec<f64> = indices
        .iter()
        .filter_map(|&i| candidates[i].candidate().threshold)
        .collect();
    let lo = ts.iter().copied().min_by(f64::total_cmp)?;
    let hi = ts.iter().copied().max_by(f64::total_cmp)?;
    Some((lo, hi))
}

/// The recommendation, then the best candidate of each other timing: by
/// marks met, pages, delay. At most eight rows.
fn shortlist(candidates: &[Scored], recommended: Option<usize>) -> Vec<usize> {
    let mut order: Vec<usize> = (1..candidates.len()).collect();
    order.sort_by_key(|&i| {
        let s = &candidates[i];
        (
            std::cmp::Reverse(s.marks_met()),
            s.noise_pages,
            s.total_delay_ms(),
            s.outcome.pages,
        )
    });
    // With a recommendation, rows that page much more than it and today's
    // rule are not choices anyone makes after a false positive.
    let noise_cap =
        recommended.map(|r| candidates[r].noise_pages.max(candidates[0].noise_pages) + 2);
    order.retain(|&i| noise_cap.is_none_or(|cap| candidates[i].noise_pages <= cap));
    let mut rows: Vec<usize> = recommended.filter(|&i| i != 0).into_iter().collect();
    let timing = |i: usize| {
        let c = candidates[i].candidate();
        (c.for_ms, c.keep_firing_for_ms)
    };
    for i in order {
        if rows.len() >= 8 {
            break;
        }
        if rows.iter().any(|&r| timing(r) == timing(i)) {
            continue;
        }
        rows.push(i);
    }
    rows
}

fn conflicts(candidates: &[Scored]) -> Vec<Conflict> {
    let Some(first) = candidates.first() else {
        return Vec::new();
    };
    let (n_inc, n_fp) = (first.delays_ms.len(), first.quiet.len());
    let mut out = Vec::new();
    for i in 0..n_inc {
        if !candidates.iter().any(|s| s.delays_ms[i].is_some()) {
            out.push(Conflict::NeverCaught { incident: i });
        }
    }
    for f in 0..n_fp {
        if !candidates.iter().any(|s| s.quiet[f]) {
            out.push(Conflict::NeverQuiet { false_positive: f });
        }
    }
    for f in 0..n_fp {
        for i in 0..n_inc {
            let alone = candidates.iter().any(|s| s.quiet[f])
                && candidates.iter().any(|s| s.delays_ms[i].is_some());
            if alone
                && !candidates
                    .iter()
                    .any(|s| s.quiet[f] && s.delays_ms[i].is_some())
            {
                out.push(Conflict::Pair {
                    false_positive: f,
                    incident: i,
                });
            }
        }
    }
    out
}

/// Round thresholds across the signal's range on the side that fires: from
/// its median (or today's threshold, if lower) to its highest value, about
/// forty steps of 1, 2 or 5 × 10ⁿ. Takes the samples to reorder them in
/// place (the median by selection), rather than copying them again.
pub fn threshold_grid(
    mut finite: Vec<f64>,
    op: Op,
    today: f64,
    notes: &mut Vec<String>,
) -> Vec<f64> {
    finite.retain(|v| v.is_finite());
    if finite.is_empty() {
        return Vec::new();
    }
    // The median by selection: sorting a month of 1,000 series took seconds.
    let middle = finite.len() / 2;
    let (_, &mut median, _) = finite.select_nth_unstable_by(middle, f64::total_cmp);
    let min = finite.iter().copied().fold(f64::INFINITY, f64::min);
    let max = finite.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let (lo, hi) = match op {
        Op::Gt | Op::Ge => (median.min(today), max),
        Op::Lt | Op::Le => (min, median.max(today)),
        // Equality has no order to sweep along.
        Op::Eq | Op::Ne => return Vec::new(),
    };
    if hi <= lo {
        notes.push(
            "the signal does not vary on the side that fires: only today's threshold is tried"
                .into(),
        );
        return Vec::new();
    }
    let step = nice_step((hi - lo) / 40.0);
    let first = (lo / step).floor() as i64;
    let last = (hi / step).ceil() as i64;
    (first..=last)
        .map(|k| round_to_step(k as f64 * step, step))
        .collect()
}

fn nice_step(raw: f64) -> f64 {
    let exp = raw.log10().floor();
    let base = 10f64.powf(exp);
    let m = raw / base;
    let nice = if m <= 1.0 {
        1.0
    } else if m <= 2.0 {
        2.0
    } else if m <= 5.0 {
        5.0
    } else {
        10.0
    };
    nice * base
}

/// Removes float noise (0.30000000000000004) by printing precision.
fn round_to_step(v: f64, step: f64) -> f64 {
    let decimals = (-step.log10().floor()).max(0.0) as i32 + 1;
    let scale = 10f64.powi(decimals);
    (v * scale).round() / scale
}

fn dedup_f64(values: &mut Vec<f64>) {
    let mut seen: Vec<u64> = Vec::new();
    values.retain(|v| {
        let bits = v.to_bits();
        let new = !seen.contains(&bits);
        seen.push(bits);
        new
    });
}

fn for_ladder(plan: &Plan) -> Vec<u64> {
    let today = plan.for_.millis;
    let cap = (2 * today).max(30 * 60_000);
    FOR_LADDER_S
        .iter()
        .map(|s| s * 1000)
        .filter(|&ms| ms <= cap)
        .collect()
}

/// Today's value first, then the others in order, one per number of
/// evaluations they amount to (2m and 90s are the same at a 1m interval).
fn timings(today: u64, others: Vec<u64>, step_ms: i64) -> Vec<u64> {
    let steps = |ms: u64| ms.div_ceil(step_ms.max(1) as u64);
    let mut out = vec![today];
    let mut rest = others;
    rest.sort_unstable();
    for ms in rest {
        if !out.iter().any(|&o| steps(o) == steps(ms)) {
            out.push(ms);
        }
    }
    out
}

#[cfg(test)]
mod tests;
