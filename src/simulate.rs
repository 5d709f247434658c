//! `firedrill simulate`: rules + history → replay → results.
//!
//! Plans what each alert needs (its signal query, or the whole expression
//! when it does not split), aligns recorded samples to the rule group's
//! evaluation grid, and runs the sweep.

use rayon::prelude::*;

use crate::history::fetch::{self, FetchError, FetchOptions, FetchReport, Observer, Server};
use crate::history::{QueryResult, Recording, Source};
use crate::promql::Comparison;
use crate::replay::align::{align, AlignError, Aligner, Placement, Window};
use crate::replay::plan::{jobs, Globals, Inlining, Plan, PlanError, PlanMode};
use crate::replay::{self, Grid, Mode, Outcome, Series, Timeline};
use crate::rules::Duration;

/// What to try besides today's rule.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum Thresholds {
    /// Only the rule's own threshold.
    #[default]
    Current,
    List(Vec<f64>),
    /// A grid from the signal's distribution (quantiles), plus today's.
    Auto,
}

#[derive(Debug, Clone, Default)]
pub struct SimulateOptions {
    /// Only these alerts (all when empty).
    pub alerts: Vec<String>,
    pub thresholds: Thresholds,
    /// `for` candidates; the rule's own when empty.
    pub fors: Vec<Duration>,
    pub keep_firing_fors: Vec<Duration>,
    /// The server's global settings, for groups that do not set their own.
    pub globals: Globals,
    /// Which recording rules alerts are replayed through.
    pub inlining: Inlining,
    /// Added to the aligned evaluation times (a live server's group offset).
    pub eval_offset_ms: i64,
    /// Narrow the window inside the recording.
    pub start_ms: Option<i64>,
    pub end_ms: Option<i64>,
    /// Keep per-instance timelines of every candidate (for JSON output).
    pub timelines: bool,
    /// Keep today's rule's timelines (for a replay through Alertmanager).
    pub today_timelines: bool,
}

impl SimulateOptions {
    /// Where the window lies on the evaluation grid.
    pub fn placement(&self) -> Placement {
        Placement {
            eval_offset_ms: self.eval_offset_ms,
            start_ms: self.start_ms,
            end_ms: self.end_ms,
        }
    }
}

/// The replay of one alert.
#[derive(Debug, Clone)]
pub struct AlertReplay {
    pub plan: Plan,
    pub grid: Grid,
    pub series: usize,
    /// Today's rule first, then the other candidates.
    pub outcomes: Vec<Outcome>,
    /// Per candidate (same order as `outcomes`), when asked for.
    pub timelines: Vec<Vec<Timeline>>,
    /// Today's rule's timelines, when asked for and not already the
    /// first of `timelines` (read both through [`AlertReplay::today`]).
    today_timelines: Vec<Timeline>,
    /// Today's rule holds for every instance at every evaluation of the
    /// window: a heartbeat such as `vector(1)`, or a condition that never
    /// cleared. Its one episode per instance is not a page anyone got in
    /// the window.
    pub always_firing: bool,
    /// When today's rule failed because of the group's `limit` (ms).
    pub failed_evaluations: Vec<i64>,
}

#[derive(Debug, Clone)]
pub struct SimulateResult {
    /// The recording's source, or the server's URL (without credentials).
    pub source: String,
    pub alerts: Vec<AlertReplay>,
    /// What the server warned about while answering (live runs).
    pub warnings: Vec<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum SimulateError {
    #[error(transparent)]
    Plan(#[from] PlanError),
    #[error(transparent)]
    Align(#[from] AlignError),
    #[error("the recording has no data for alert {alert:?} (query {query:?}); record it again with these rules")]
    NoData { alert: String, query: String },
    #[error(transparent)]
    Recording(#[from] crate::history::recording::RecordingError),
    #[error(transparent)]
    Fetch(#[from] FetchError),
}

/// Each plan's history on its evaluation grid.
pub type History = (Grid, Vec<Series>);

/// Each plan's history, in the order of the plans, and where it came from.
#[derive(Debug)]
pub struct Histories {
    /// The plans as replayed: a recording's step replaces a default interval.
    pub plans: Vec<Plan>,
    pub per_plan: Vec<History>,
    /// The recording's path and origin, or the server's URL (without credentials).
    pub source: String,
    /// What the server warned about while answering.
    pub warnings: Vec<String>,
}

/// Each plan's history from `source`, on the plan's evaluation grid.
pub fn histories(
    plans: &[Plan],
    source: &Source,
    options: &SimulateOptions,
    observer: &dyn Observer,
) -> Result<Histories, SimulateError> {
    match source {
        Source::Recording(path) => {
            let recording = crate::history::recording::read(path)?;
            let finder = Finder::new(&recording);
            let plans = on_recorded_grid(plans, &finder);
            Ok(Histories {
                per_plan: from_recording(&plans, &finder, options)?,
                plans,
                source: format!("{}, recorded from {}", path.display(), recording.source),
                warnings: Vec::new(),
            })
        }
        Source::Server {
            server,
            options: fetch_options,
            window,
        } => {
            let (per_plan, warnings) =
                from_server(plans, server, fetch_options, *window, options, observer)?;
            Ok(Histories {
                plans: plans.to_vec(),
                per_plan,
                source: server.display_url(),
                warnings,
            })
        }
    }
}

/// Replays every planned alert on the history of `source`.
pub fn run(
    plans: &[Plan],
    source: &Source,
    options: &SimulateOptions,
    observer: &dyn Observer,
) -> Result<SimulateResult, SimulateError> {
    let histories = histories(plans, source, options, observer)?;
    // Alerts in parallel; each alert's sweep is parallel over its series too.
    let alerts = histories
        .plans
        .par_iter()
        .zip(histories.per_plan)
        .map(|(plan, (grid, series))| replay_alert(plan, grid, series, options))
        .collect();
    Ok(SimulateResult {
        source: histories.source,
        alerts,
        warnings: histories.warnings,
    })
}

/// The plans, each on the grid its recording was made on when nothing but
/// a default says how often its group runs: a recording made at 1m
/// (Prometheus's default) replays at 1m, though a manifest's default is
/// the Operator's 30s.
fn on_recorded_grid(plans: &[Plan], finder: &Finder<'_>) -> Vec<Plan> {
    plans
        .iter()
        .map(|plan| {
            let mut plan = plan.clone();
            if let Ok(result) = finder.find(&plan) {
                let step = result.step_ms.max(1) as u64;
                if plan.interval_from.is_default() && step != plan.interval.millis {
                    plan.interval = Duration { millis: step };
                    plan.interval_from = crate::replay::plan::IntervalFrom::Recording;
                }
            }
            plan
        })
        .collect()
}

/// Each plan's history from a recording.
fn from_recording(
    plans: &[Plan],
    finder: &Finder<'_>,
    options: &SimulateOptions,
) -> Result<Vec<History>, SimulateError> {
    plans
        .par_iter()
        .map(|plan| {
            let result = finder.find(plan)?;
            Ok(align(plan, result, options.placement())?)
        })
        .collect()
}

/// Finds a plan's query in a recording: as written, else as the same
/// PromQL written another way (recordings made before queries were sent as
/// written hold the parser's canonical form).
struct Finder<'r> {
    recording: &'r Recording,
    canonical: Vec<Option<String>>,
}

impl<'r> Finder<'r> {
    fn new(recording: &'r Recording) -> Self {
        Finder {
            recording,
            canonical: recording
                .results
                .iter()
                .map(|r| canonical(&r.query))
                .collect(),
        }
    }

    fn find(&self, plan: &Plan) -> Result<&'r QueryResult, SimulateError> {
        self.recording
            .find(&plan.query)
            .or_else(|| {
                let wanted = canonical(&plan.query)?;
                let i = self
                    .canonical
                    .iter()
                    .position(|c| c.as_ref() == Some(&wanted))?;
                Some(&self.recording.results[i])
            })
            .ok_or_else(|| SimulateError::NoData {
                alert: plan.alertname.clone(),
                query: plan.query.clone(),
            })
    }
}

fn canonical(query: &str) -> Option<String> {
    crate::promql::parse(query, crate::promql::ParseOptions::every_feature())
        .ok()
        .map(|e| e.to_string())
}

/// Each plan's history from a live server over `[from, to]`, with the
/// server's warnings. Chunks go straight onto the evaluation grid as they
/// arrive, so memory holds one value per evaluation per alert instance, not
/// the raw samples.
fn from_server(
    plans: &[Plan],
    server: &Server,
    fetch_options: &FetchOptions,
    (from_ms, to_ms): (i64, i64),
    options: &SimulateOptions,
    observer: &dyn Observer,
) -> Result<(Vec<History>, Vec<String>), SimulateError> {
    let (jobs, of_plan) = jobs(plans, from_ms, to_ms, options.eval_offset_ms)?;
    let aligners = plans
        .iter()
        .zip(&of_plan)
        .map(|(plan, &j)| {
            let job = &jobs[j];
            Aligner::new(
                plan,
                Window {
                    start_ms: job.start_ms,
                    end_ms: job.end_ms,
                    step_ms: job.step_ms,
                },
                options.placement(),
            )
            .map(std::sync::Mutex::new)
        })
        .collect::<Result<Vec<_>, _>>()?;
    let report = fetch::fetch(server, &jobs, fetch_options, observer, |j, _, series| {
        for (aligner, _) in aligners.iter().zip(&of_plan).filter(|(_, &pj)| pj == j) {
            let mut aligner = aligner.lock().unwrap_or_else(|p| p.into_inner());
            for s in &series {
                aligner.add(s).map_err(|e| e.to_string())?;
            }
        }
        Ok(())
    })?;
    let histories = aligners
        .into_iter()
        .map(|a| a.into_inner().unwrap_or_else(|p| p.into_inner()).finish())
        .collect();
    Ok((histories, report.warnings))
}

/// What the plans need from `source`, as a recording: fetched from a
/// server over its window, or the plans' queries taken out of a recording
/// (to keep only what a rule set needs).
pub fn record(
    plans: &[Plan],
    source: &Source,
    options: &SimulateOptions,
    observer: &dyn Observer,
) -> Result<(Recording, FetchReport), SimulateError> {
    match source {
        Source::Server {
            server,
            options: fetch_options,
            window: (from_ms, to_ms),
        } => {
            let (jobs, _) = jobs(plans, *from_ms, *to_ms, options.eval_offset_ms)?;
            let (results, report) = fetch::fetch_results(server, &jobs, fetch_options, observer)?;
            Ok((
                Recording {
                    source: server.display_url(),
                    results,
                },
                report,
            ))
        }
        Source::Recording(path) => {
            let recording = crate::history::recording::read(path)?;
            let finder = Finder::new(&recording);
            let mut results: Vec<QueryResult> = Vec::new();
            for plan in plans {
                let found = finder.find(plan)?;
                if !results.iter().any(|r| r.query == found.query) {
                    results.push(found.clone());
                }
            }
            Ok((
                Recording {
                    source: recording.source,
                    results,
                },
                FetchReport::default(),
            ))
        }
    }
}

/// Today's rules ordered for a whole repository: the alerts that fired,
/// noisiest first (pages per week, then firing time), and apart the ones
/// that never fired, that had no series at all, and that fired throughout.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Ranking {
    /// Indices into [`SimulateResult::alerts`].
    pub fired: Vec<usize>,
    pub never_fired: Vec<usize>,
    /// No series over the whole window: often a typo in a metric name.
    pub no_data: Vec<usize>,
    /// No series over the whole window, and the query reads series of the
    /// rule set's recording rules from the server (not inlined): the
    /// server has no history of them, which the replay says, with why it
    /// read them as series.
    pub no_data_recorded: Vec<usize>,
    pub always_firing: Vec<usize>,
}

impl AlertReplay {
    /// Today's rule's instance timelines, when they were kept
    /// (`timelines` or `today_timelines` in the options); else empty.
    pub fn today(&self) -> &[Timeline] {
        match self.timelines.first() {
            Some(t) => t,
            None => &self.today_timelines,
        }
    }
}

impl SimulateResult {
    pub fn ranking(&self) -> Ranking {
        self.ranking_by(None)
    }

    /// The ranking, led by `paged` when given: each alert's (by index)
    /// firing notifications to the paging receivers through Alertmanager,
    /// per week; then pages (firing episodes) per week and firing time.
    pub fn ranking_by(&self, paged: Option<&[u64]>) -> Ranking {
        let mut ranking = Ranking::default();
        for (i, a) in self.alerts.iter().enumerate() {
            let today = a.outcomes.first();
            if a.always_firing {
                ranking.always_firing.push(i);
            } else if a.series == 0 && !a.plan.reads_recorded.is_empty() {
                ranking.no_data_recorded.push(i);
            } else if a.series == 0 {
                ranking.no_data.push(i);
            } else if today.is_some_and(|o| o.pages > 0) {
                ranking.fired.push(i);
            } else {
                ranking.never_fired.push(i);
            }
        }
        let per_window = |i: usize, count: u64| {
            let grid = &self.alerts[i].grid;
            count as f64 / (grid.step_ms * grid.len as i64).max(1) as f64
        };
        let rate = |i: usize| per_window(i, self.alerts[i].outcomes.first().map_or(0, |o| o.pages));
        let paged_rate =
            |i: usize| per_window(i, paged.and_then(|p| p.get(i).copied()).unwrap_or(0));
        let firing = |i: usize| self.alerts[i].outcomes.first().map_or(0, |o| o.firing_ms);
        ranking.fired.sort_by(|&a, &b| {
            paged_rate(b)
                .total_cmp(&paged_rate(a))
                .then_with(|| rate(b).total_cmp(&rate(a)))
                .then_with(|| firing(b).cmp(&firing(a)))
                .then_with(|| {
                    self.alerts[a]
                        .plan
                        .alertname
                        .cmp(&self.alerts[b].plan.alertname)
                })
        });
        ranking
    }
}

/// Runs today's rule and the candidates for one alert.
pub fn replay_alert(
    plan: &Plan,
    grid: Grid,
    series: Vec<Series>,
    options: &SimulateOptions,
) -> AlertReplay {
    let (mode, current_threshold) = match plan.mode {
        PlanMode::Split { op, threshold } => (Mode::Split(op), Some(threshold)),
        PlanMode::Whole { .. } => (Mode::Whole, None),
    };
    let mut thresholds: Vec<f64> = current_threshold.into_iter().collect();
    if let (Some(_), PlanMode::Split { op, .. }) = (current_threshold, &plan.mode) {
        match &options.thresholds {
            Thresholds::Current => {}
            Thresholds::List(list) => thresholds.extend(list),
            Thresholds::Auto => thresholds.extend(auto_thresholds(&series, *op)),
        }
    }
    dedup(&mut thresholds);
    let mut fors: Vec<Duration> = vec![plan.for_];
    fors.extend(options.fors.iter().copied());
    fors.dedup();
    let mut keeps: Vec<Duration> = vec![plan.keep_firing_for];
    keeps.extend(options.keep_firing_fors.iter().copied());
    keeps.dedup();
    let unique = |v: &mut Vec<Duration>| {
        let first = v[0];
        let mut rest: Vec<Duration> = v[1..].iter().copied().filter(|x| *x != first).collect();
        rest.sort_unstable();
        rest.dedup();
        v.truncate(1);
        v.extend(rest);
    };
    unique(&mut fors);
    unique(&mut keeps);
    // With more instances than the group's `limit`, instances are not
    // independent: Prometheus drops them all when they exceed it.
    // The group's `limit` makes instances depend on each other when they
    // can exceed it; otherwise this is the fast sweep.
    let outcomes =
        replay::limited::sweep(grid, &series, mode, &thresholds, &fors, &keeps, plan.limit);
    // The sweep orders by (for, keep, threshold); today's rule is the first of each list, so it comes first.
    let timelines_of =
        |candidate| replay::limited::timelines(grid, &series, mode, candidate, plan.limit);
    let timelines = if options.timelines {
        outcomes
            .iter()
            .map(|o| timelines_of(o.candidate).0)
            .collect()
    } else {
        Vec::new()
    };
    let today_timelines = match (timelines.first(), outcomes.first()) {
        (None, Some(today)) if options.today_timelines => timelines_of(today.candidate).0,
        _ => Vec::new(),
    };
    let failed_evaluations = match outcomes.first() {
        Some(today) if today.evaluations_failed > 0 => timelines_of(today.candidate).1,
        _ => Vec::new(),
    };
    let holds = |v: f64| match (mode, current_threshold) {
        (Mode::Split(op), Some(t)) => op.passes(v, t),
        _ => !v.is_nan(),
    };
    let always_firing = grid.len > 0
        && !series.is_empty()
        && series
            .iter()
            .all(|s| s.values.len() == grid.len && s.values.iter().all(|&v| holds(v)));
    AlertReplay {
        plan: plan.clone(),
        grid,
        series: series.len(),
        outcomes,
        timelines,
        today_timelines,
        always_firing,
        failed_evaluations,
    }
}

fn dedup(values: &mut Vec<f64>) {
    let mut seen: Vec<f64> = Vec::new();
    values.retain(|v| {
        if seen.iter().any(|s| s.to_bits() == v.to_bits()) {
            false
        } else {
            seen.push(*v);
            true
        }
    });
}

/// Thresholds from the signal's distribution: quantiles on the side where
/// the alert fires, rounded to 3 significant digits.
pub fn auto_thresholds(series: &[Series], op: Comparison) -> Vec<f64> {
    let mut values: Vec<f64> = series
        .iter()
        .flat_map(|s| s.values.iter().copied())
        .filter(|v| v.is_finite())
        .collect();
    if values.is_empty() {
        return Vec::new();
    }
    values.sort_by(f64::total_cmp);
    let upper = [
        0.5, 0.75, 0.9, 0.95, 0.97, 0.98, 0.99, 0.995, 0.998, 0.999, 0.9995, 0.9999,
    ];
    let quantiles: Vec<f64> = match op {
        Comparison::Lt | Comparison::Le => upper.iter().map(|q| 1.0 - q).collect(),
        _ => upper.to_vec(),
    };
    let mut out: Vec<f64> = quantiles
        .iter()
        .map(|q| {
            let i = ((values.len() - 1) as f64 * q).round() as usize;
            round3(values[i])
        })
        .collect();
    out.sort_by(f64::total_cmp);
    out.dedup();
    out
}

fn round3(v: f64) -> f64 {
    if v == 0.0 || !v.is_finite() {
        return v;
    }
    let digits = 3 - 1 - v.abs().log10().floor() as i32;
    let scale = 10f64.powi(digits);
    (v * scale).round() / scale
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auto_thresholds_follow_the_distribution() {
        let series = vec![Series {
            labels: vec![],
            values: (0..1000).map(|i| i as f64 / 1000.0).collect(),
        }];
        let t = auto_thresholds(&series, Comparison::Gt);
        assert!(
            t.first().unwrap() >= &0.49 && t.last().unwrap() <= &1.0,
            "{t:?}"
        );
        assert!(t.windows(2).all(|w| w[0] < w[1]));
    }
}
