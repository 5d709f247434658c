//! `firedrill tune`: after a false positive, find the threshold, `for` (and
//! `keep_firing_for`) that would have stayed quiet then and still fired for
//! every marked incident.
//!
//! One alert's history (already on its evaluation grid) is replayed for every
//! candidate of a sweep, in one pass that also tells when each candidate fired
//! in each marked span. What is recommended depends on what the marks say
//! must still fire ([`Objective`]):
//!
//! - **Incidents marked.** Among the candidates that meet every mark, the
//!   fewest pages outside the marked incidents win (pages during an incident
//!   are the alert doing its job, one per instance in trouble), then the
//!   shortest detection delay, then the fewest pages; a `for` shorter than
//!   today's only when no other candidate meets the marks. Thresholds that
//!   tie form a range, and its middle is recommended, so the choice keeps a
//!   margin on both sides instead of hugging the false positive or the
//!   weakest incident.
//! - **Only false positives marked.** Today's other pages are presumed real:
//!   "fewest pages" would reward silence. The recommendation is the smallest
//!   tightening of today's rule (a threshold on the quiet side, a longer
//!   `for`) that is quiet at every false positive and keeps the most of the
//!   other pages, as early as possible; then the nearest threshold, then the
//!   shortest `for`.
//! - **No marks.** Nothing says which pages were wrong: the sweep is shown
//!   and nothing is recommended.
//!
//! A candidate that never fires in the window is never recommended, and the
//! automatic threshold grid stays inside the signal's observed range.
//!
//! Pure: no files, no HTTP, no printing.

pub mod marks;
pub mod snippet;

use crate::promql::Comparison;
use crate::replay::plan::{Plan, PlanMode};
use crate::replay::{
    self, Candidate, Grid, Labels, Mode, Outcome, Series, SeriesSpan, SpanOutcome, Timeline,
};
use crate::rules::Duration;

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
    pub fors: Option<Vec<Duration>>,
    pub keep_firing_fors: Option<Vec<Duration>>,
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
    /// Of today's pages presumed real ([`Tuning::presumed_real`]), those
    /// during which this candidate fired on the same instance.
    pub kept_pages: u64,
    /// Summed over the kept pages: how much later than today's rule it fired.
    pub kept_delay_ms: u64,
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

/// What the marks ask of a candidate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Objective {
    /// No marks: the sweep is shown, nothing is recommended.
    Survey,
    /// Only false positives: quiet at each, keeping today's other pages.
    KeepOtherPages,
    /// Incidents (and maybe false positives): fire for each incident, quiet
    /// at each false positive, fewest pages outside the incidents.
    CatchIncidents,
}

impl Objective {
    pub fn of(marks: &Marks) -> Objective {
        if !marks.incidents.is_empty() {
            Objective::CatchIncidents
        } else if !marks.false_positives.is_empty() {
            Objective::KeepOtherPages
        } else {
            Objective::Survey
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Objective::Survey => "survey",
            Objective::KeepOtherPages => "keep_other_pages",
            Objective::CatchIncidents => "catch_incidents",
        }
    }
}

/// One of today's pages: an instance's firing episode under today's rule.
#[derive(Debug, Clone, PartialEq)]
pub struct Page {
    pub labels: Labels,
    /// `[start, end)` of the firing.
    pub firing: (i64, i64),
    /// Whether it overlaps a marked false positive's span.
    pub false_positive: bool,
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
    /// Only false positives marked: every tightening of today's rule quiet
    /// at them never fires at all in the window.
    QuietOnlyWhenSilent,
    /// Every pair of marks can be met, but not all of them at once.
    NotAllAtOnce,
}

#[derive(Debug, Clone)]
pub struct Tuning {
    pub plan: Plan,
    pub grid: Grid,
    pub series: usize,
    pub objective: Objective,
    /// Every firing episode of today's rule, in time order.
    pub today_pages: Vec<Page>,
    pub incidents: Vec<Incident>,
    pub false_positives: Vec<PlacedFalsePositive>,
    /// Every candidate of the sweep; today's rule first.
    pub candidates: Vec<Scored>,
    /// Index into `candidates` of the recommendation, when one meets every mark.
    pub recommended: Option<usize>,
    /// The thresholds that do exactly as well as the recommended one with
    /// its timing (lowest, highest).
    pub equivalent: Option<(f64, f64)>,
    /// How the recommended threshold was chosen within `equivalent`.
    pub pick: Option<ThresholdPick>,
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

/// Where in a range of equally good thresholds the recommended one lies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ThresholdPick {
    /// The range's middle, checked to do the same as its ends.
    Middle,
    /// The tried threshold nearest the middle (the middle itself does not
    /// do the same: the range is not one piece on this history).
    NearestMiddle,
    /// The end nearest today's threshold (the smallest change).
    NearestToday,
}

impl Tuning {
    pub fn today(&self) -> &Scored {
        &self.candidates[0]
    }

    /// Today's pages outside every marked false positive: the ones a
    /// candidate should keep when no incident is marked.
    pub fn presumed_real(&self) -> impl Iterator<Item = &Page> {
        self.today_pages.iter().filter(|p| !p.false_positive)
    }

    pub fn recommendation(&self) -> Option<&Scored> {
        self.recommended.map(|i| &self.candidates[i])
    }

    pub fn op(&self) -> Option<Comparison> {
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

    let objective = Objective::of(marks);
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
        PlanMode::Split { op, threshold } => (Mode::Split(op), Some(threshold)),
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
        plan.for_,
        options.fors.clone().unwrap_or_else(|| for_ladder(plan)),
        grid.step_ms,
    );
    let keeps = timings(
        plan.keep_firing_for,
        options.keep_firing_fors.clone().unwrap_or_else(|| {
            let k = plan.keep_firing_for.millis;
            if k > 0 {
                [0, k / 2, k, 2 * k]
                    .map(|millis| Duration { millis })
                    .to_vec()
            } else {
                Vec::new()
            }
        }),
        grid.step_ms,
    );
    // The sweep lists today's values first.
    let today_candidate = Candidate {
        threshold: thresholds.first().copied(),
        for_: fors[0],
        keep_firing_for: keeps[0],
    };
    let limit = plan.limit;
    let today_timelines = replay::limited::timelines(grid, series, mode, today_candidate, limit).0;
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
    let today_pages = pages(&today_timelines, &false_positives);
    // Every candidate's verdicts at the marks come out of the sweep's one
    // pass; a replay per candidate cost a minute on a month of 1,000 series.
    let spans = replay::Spans {
        incidents: marks
            .incidents
            .iter()
            .map(|i| (i.start_ms, i.end_ms))
            .collect(),
        quiet: false_positives.iter().map(|fp| fp.window).collect(),
        on_series: if objective == Objective::KeepOtherPages {
            series_spans(series, &today_pages)
        } else {
            Vec::new()
        },
    };
    let mut candidates: Vec<Scored> = replay::limited::sweep_spans(
        grid,
        series,
        mode,
        &thresholds,
        &fors,
        &keeps,
        limit,
        &spans,
    )
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
    let op = match mode {
        Mode::Split(op) => Some(op),
        Mode::Whole => None,
    };
    let (recommended, equivalent, pick) = match objective {
        Objective::Survey => (None, None, None),
        Objective::KeepOtherPages => {
            let (r, range) = recommend_keeping_pages(&candidates, op);
            (
                r,
                range,
                r.filter(|&i| i != 0)
                    .and(range)
                    .map(|_| ThresholdPick::NearestToday),
            )
        }
        Objective::CatchIncidents => match recommend_for_incidents(&candidates) {
            Some((r, tied)) => {
                let range = threshold_range(&candidates, &tied);
                if r == 0 {
                    (Some(0), range, None)
                } else {
                    let middle = |c: Candidate| {
                        let mut one = replay::limited::sweep_spans(
                            grid,
                            series,
                            mode,
                            &c.threshold.into_iter().collect::<Vec<_>>(),
                            &[c.for_],
                            &[c.keep_firing_for],
                            limit,
                            &spans,
                        );
                        let (outcome, in_spans) = one.swap_remove(0);
                        score(outcome, in_spans, &marks.incidents)
                    };
                    let (r, pick) = middle_of_tie(&mut candidates, &tied, range, middle);
                    (Some(r), range, pick)
                }
            }
            None => (None, None, None),
        },
    };
    let shortlist = match objective {
        Objective::Survey => survey(&candidates, op),
        _ => shortlist(&candidates, recommended, objective),
    };
    let conflicts = match (recommended, objective) {
        (Some(_), _) | (None, Objective::Survey) => Vec::new(),
        (None, Objective::CatchIncidents) => {
            let mut found = conflicts(&candidates);
            if found.is_empty() {
                found.push(Conflict::NotAllAtOnce);
            }
            found
        }
        (None, Objective::KeepOtherPages) => {
            let tightenings: Vec<Scored> = candidates
                .iter()
                .filter(|s| tightens(s.candidate(), today_candidate, op))
                .cloned()
                .collect();
            let mut found = conflicts(&tightenings);
            if found.is_empty() {
                found.push(Conflict::QuietOnlyWhenSilent);
            }
            found
        }
    };
    let recommended_timelines = match recommended {
        Some(i) if i != 0 => {
            replay::limited::timelines(grid, series, mode, candidates[i].candidate(), limit).0
        }
        Some(_) => today_timelines.clone(),
        None => Vec::new(),
    };
    Ok(Tuning {
        plan: plan.clone(),
        grid,
        series: series.len(),
        objective,
        today_pages,
        incidents: marks.incidents.clone(),
        false_positives,
        candidates,
        recommended,
        equivalent,
        pick,
        shortlist,
        conflicts,
        notes,
        today_timelines,
        recommended_timelines,
    })
}

/// Today's firing episodes, in time order, each marked when it overlaps a
/// false positive's span.
fn pages(today: &[Timeline], false_positives: &[PlacedFalsePositive]) -> Vec<Page> {
    let mut out: Vec<Page> = today
        .iter()
        .flat_map(|t| {
            t.firing.iter().map(|&(a, b)| Page {
                labels: t.labels.clone(),
                firing: (a, b),
                false_positive: false_positives
                    .iter()
                    .any(|fp| a < fp.window.1 && fp.window.0 < b),
            })
        })
        .collect();
    out.sort_by(|x, y| {
        x.firing
            .cmp(&y.firing)
            .then_with(|| x.labels.cmp(&y.labels))
    });
    out
}

/// The presumed-real pages as spans on their own series, for the sweep.
fn series_spans(series: &[Series], pages: &[Page]) -> Vec<SeriesSpan> {
    let index: std::collections::HashMap<&Labels, usize> = series
        .iter()
        .enumerate()
        .map(|(i, s)| (&s.labels, i))
        .collect();
    pages
        .iter()
        .filter(|p| !p.false_positive)
        .filter_map(|p| {
            Some(SeriesSpan {
                series: *index.get(&p.labels)?,
                start_ms: p.firing.0,
                end_ms: p.firing.1,
            })
        })
        .collect()
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
        kept_pages: in_spans.series_spans_fired,
        kept_delay_ms: in_spans.series_spans_delay_ms,
    }
}

/// With incidents marked: the best candidate that meets every mark, and the
/// candidates tied with it at its timing.
fn recommend_for_incidents(candidates: &[Scored]) -> Option<(usize, Vec<usize>)> {
    // Pages during a marked incident are the alert doing its job (one per
    // instance that was in trouble); the pages to save are the others.
    let key = |s: &Scored| (s.noise_pages, s.total_delay_ms(), s.outcome.pages);
    let today = candidates[0].candidate();
    // After a false positive, a shorter `for` than today's buys minutes of
    // delay with fragility the marks cannot show: it is recommended only
    // when nothing at today's `for` or longer meets every mark.
    let patient = |s: &Scored| s.candidate().for_.millis >= today.for_.millis;
    let eligible: Vec<usize> = {
        let feasible =
            |i: &usize| candidates[*i].meets_every_mark() && candidates[*i].outcome.pages > 0;
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
    let best = eligible.iter().map(|&i| key(&candidates[i])).min()?;
    // Among the tied: the fewest changes to the rule (today's timing first),
    // then the shortest `for`.
    let timing = |c: Candidate| (c.for_.millis, c.keep_firing_for.millis);
    let tied: Vec<usize> = eligible
        .into_iter()
        .filter(|&i| key(&candidates[i]) == best)
        .collect();
    let chosen_timing = tied
        .iter()
        .map(|&i| timing(candidates[i].candidate()))
        .min_by_key(|&(f, k)| {
            (
                (f != today.for_.millis) as u8 + (k != today.keep_firing_for.millis) as u8,
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
        return Some((0, same));
    }
    same.sort_by(|&a, &b| {
        let t = |i: usize| candidates[i].candidate().threshold.unwrap_or(0.0);
        t(a).total_cmp(&t(b))
    });
    Some((same[0], same))
}

/// The middle of a range of tied thresholds, replayed (`replay_one`) to
/// check that it does what the range's ends do; it joins the candidates
/// when it does. Otherwise the tried threshold nearest the middle.
fn middle_of_tie(
    candidates: &mut Vec<Scored>,
    tied: &[usize],
    range: Option<(f64, f64)>,
    replay_one: impl Fn(Candidate) -> Scored,
) -> (usize, Option<ThresholdPick>) {
    let first = tied[0];
    let Some((lo, hi)) = range.filter(|(lo, hi)| hi > lo) else {
        return (first, None);
    };
    let key = |s: &Scored| {
        (
            s.noise_pages,
            s.delays_ms.clone(),
            s.quiet.clone(),
            s.outcome.pages,
        )
    };
    let reference = candidates[first].clone();
    let middle = round_middle(lo, hi);
    let nearest = *tied
        .iter()
        .min_by(|&&a, &&b| {
            let d = |i: usize| (candidates[i].candidate().threshold.unwrap_or(lo) - middle).abs();
            d(a).total_cmp(&d(b))
        })
        .expect("tied is not empty");
    if let Some(found) = tied
        .iter()
        .find(|&&i| candidates[i].candidate().threshold == Some(middle))
    {
        return (*found, Some(ThresholdPick::Middle));
    }
    let mut candidate = reference.candidate();
    candidate.threshold = Some(middle);
    let scored = replay_one(candidate);
    if key(&scored) == key(&reference) && scored.meets_every_mark() && scored.outcome.pages > 0 {
        candidates.push(scored);
        (candidates.len() - 1, Some(ThresholdPick::Middle))
    } else {
        (nearest, Some(ThresholdPick::NearestMiddle))
    }
}

/// `(lo + hi) / 2`, with no more digits than the range needs: the middle of
/// 0.98 and 1 is 0.99, of 100 and 250 is 175.
fn round_middle(lo: f64, hi: f64) -> f64 {
    let middle = (lo + hi) / 2.0;
    let width = hi - lo;
    if !(width.is_finite() && width > 0.0) {
        return middle;
    }
    // Two significant digits of the range's width.
    let decimals = (1.0 - width.log10().floor()).clamp(0.0, 15.0) as i32;
    let scale = 10f64.powi(decimals);
    let rounded = (middle * scale).round() / scale;
    if rounded > lo && rounded < hi {
        rounded
    } else {
        middle
    }
}

/// Whether `c` can only fire where `today` does, on the same instance: a
/// threshold on the quiet side (or the same), a `for` at least as long and
/// the same `keep_firing_for`.
fn tightens(c: Candidate, today: Candidate, op: Option<Comparison>) -> bool {
    use Comparison::*;
    let threshold = match (op, c.threshold, today.threshold) {
        (Some(Gt | Ge), Some(t), Some(t0)) => t >= t0,
        (Some(Lt | Le), Some(t), Some(t0)) => t <= t0,
        (_, t, t0) => t.map(f64::to_bits) == t0.map(f64::to_bits),
    };
    threshold
        && c.for_.millis >= today.for_.millis
        && c.keep_firing_for.millis == today.keep_firing_for.millis
}

/// With only false positives marked: the tightening of today's rule that is
/// quiet at each, keeps the most of today's other pages, the earliest, and
/// changes the least (nearest threshold, then shortest `for`). Returns it
/// and the thresholds that do the same at its timing.
fn recommend_keeping_pages(
    candidates: &[Scored],
    op: Option<Comparison>,
) -> (Option<usize>, Option<(f64, f64)>) {
    let today = candidates[0].candidate();
    let distance = |s: &Scored| match (s.candidate().threshold, today.threshold) {
        (Some(t), Some(t0)) => (t - t0).abs(),
        _ => 0.0,
    };
    let eligible: Vec<usize> = (0..candidates.len())
        .filter(|&i| {
            let s = &candidates[i];
            s.quiet.iter().all(|q| *q) && s.outcome.pages > 0 && tightens(s.candidate(), today, op)
        })
        .collect();
    let key = |s: &Scored| (std::cmp::Reverse(s.kept_pages), s.kept_delay_ms);
    let Some(best) = eligible.iter().copied().min_by(|&a, &b| {
        let (x, y) = (&candidates[a], &candidates[b]);
        key(x)
            .cmp(&key(y))
            .then(distance(x).total_cmp(&distance(y)))
            .then(x.candidate().for_.millis.cmp(&y.candidate().for_.millis))
    }) else {
        return (None, None);
    };
    let timing = |s: &Scored| {
        (
            s.candidate().for_.millis,
            s.candidate().keep_firing_for.millis,
        )
    };
    let same: Vec<usize> = eligible
        .into_iter()
        .filter(|&i| {
            timing(&candidates[i]) == timing(&candidates[best])
                && key(&candidates[i]) == key(&candidates[best])
        })
        .collect();
    (Some(best), threshold_range(candidates, &same))
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
/// marks met, then (incidents marked) fewest pages outside them and delay,
/// or (only false positives) most of today's other pages kept, earliest.
/// Candidates that never fire are left out. At most eight rows.
fn shortlist(
    candidates: &[Scored],
    recommended: Option<usize>,
    objective: Objective,
) -> Vec<usize> {
    let mut order: Vec<usize> = (1..candidates.len())
        .filter(|&i| candidates[i].outcome.pages > 0)
        .collect();
    order.sort_by_key(|&i| {
        let s = &candidates[i];
        let (first, second) = match objective {
            Objective::KeepOtherPages => (u64::MAX - s.kept_pages, s.kept_delay_ms),
            _ => (s.noise_pages, s.total_delay_ms()),
        };
        (
            std::cmp::Reverse(s.marks_met()),
            first,
            second,
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
        (c.for_.millis, c.keep_firing_for.millis)
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

/// Without marks: the rows that show what a change would do. At today's
/// timing, the nearest threshold on the noisy side and thresholds spread
/// over the quiet side, one per distinct outcome (at most six), then
/// today's threshold with the other `for` values (at most three).
/// Candidates that never fire are left out: nobody should be offered them.
fn survey(candidates: &[Scored], op: Option<Comparison>) -> Vec<usize> {
    let today = candidates[0].candidate();
    let fires = |i: &usize| candidates[*i].outcome.pages > 0;
    let outcome = |i: usize| {
        let o = &candidates[i].outcome;
        (o.pages, o.firing_ms)
    };
    // Ordered from today's threshold outwards on each side.
    let at_today = |quiet: bool| {
        let mut list: Vec<usize> = (1..candidates.len())
            .filter(|&i| {
                let c = candidates[i].candidate();
                c.for_.millis == today.for_.millis
                    && c.keep_firing_for.millis == today.keep_firing_for.millis
                    && tightens(c, today, op) == quiet
            })
            .filter(fires)
            .collect();
        let distance = |i: usize| {
            (candidates[i].candidate().threshold.unwrap_or(0.0) - today.threshold.unwrap_or(0.0))
                .abs()
        };
        list.sort_by(|&a, &b| distance(a).total_cmp(&distance(b)));
        let mut seen = vec![outcome(0)];
        list.retain(|&i| {
            let new = !seen.contains(&outcome(i));
            seen.push(outcome(i));
            new
        });
        list
    };
    let quiet = at_today(true);
    let mut rows: Vec<usize> = at_today(false).into_iter().take(1).collect();
    if quiet.len() <= 5 {
        rows.extend(quiet);
    } else {
        rows.extend((0..5).map(|k| quiet[k * (quiet.len() - 1) / 4]));
    }
    rows.sort_by(|&a, &b| {
        let t = |i: usize| candidates[i].candidate().threshold.unwrap_or(0.0);
        t(a).total_cmp(&t(b))
    });
    rows.extend(
        (1..candidates.len())
            .filter(|&i| {
                let c = candidates[i].candidate();
                c.threshold.map(f64::to_bits) == today.threshold.map(f64::to_bits)
                    && c.keep_firing_for.millis == today.keep_firing_for.millis
                    && c.for_.millis != today.for_.millis
            })
            .filter(fires)
            .take(3),
    );
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
    op: Comparison,
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
        Comparison::Gt | Comparison::Ge => (median.min(today), max),
        Comparison::Lt | Comparison::Le => (min, median.max(today)),
        // Equality has no order to sweep along.
        Comparison::Eq | Comparison::Ne => return Vec::new(),
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
    // Inside the observed range, and short of its end on the side that
    // fires: a threshold no sample passes would never have fired.
    let fires = |t: f64| match op {
        Comparison::Gt => t >= min && t < max,
        Comparison::Ge => t >= min && t <= max,
        Comparison::Lt => t > min && t <= max,
        Comparison::Le => t >= min && t <= max,
        Comparison::Eq | Comparison::Ne => false,
    };
    (first..=last)
        .map(|k| round_to_step(k as f64 * step, step))
        .filter(|&t| fires(t))
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

fn for_ladder(plan: &Plan) -> Vec<Duration> {
    let today = plan.for_.millis;
    let cap = (2 * today).max(30 * 60_000);
    FOR_LADDER_S
        .iter()
        .map(|s| s * 1000)
        .filter(|&ms| ms <= cap)
        .map(|millis| Duration { millis })
        .collect()
}

/// Today's value first, then the others in order, one per number of
/// evaluations they amount to (2m and 90s are the same at a 1m interval).
fn timings(today: Duration, others: Vec<Duration>, step_ms: i64) -> Vec<Duration> {
    let steps = |d: Duration| d.millis.div_ceil(step_ms.max(1) as u64);
    let mut out = vec![today];
    let mut rest = others;
    rest.sort_unstable();
    for d in rest {
        if !out.iter().any(|&o| steps(o) == steps(d)) {
            out.push(d);
        }
    }
    out
}

#[cfg(test)]
mod tests;
