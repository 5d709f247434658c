//! `firedrill simulate`: rules + history → replay → results.
//!
//! Plans what each alert needs (its signal query, or the whole expression
//! when it does not split), aligns recorded samples to the rule group's
//! evaluation grid, and runs the sweep.

use std::collections::BTreeMap;

use rayon::prelude::*;

use crate::history::fetch::{self, FetchError, FetchOptions, FetchReport, Job, Observer, Server};
use crate::history::{QueryResult, RawSeries, Recording};
use crate::promql::split;
use crate::replay::{self, Comparison, Grid, Labels, Mode, Outcome, Series, Timeline};
use crate::rules::{Duration, Group, Rule, RuleSet};

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
    /// The global evaluation interval, for groups without `interval` (1m).
    pub default_interval: Option<Duration>,
    /// Added to the aligned evaluation times (a live server's group offset).
    pub eval_offset_ms: i64,
    /// Narrow the window inside the recording.
    pub start_ms: Option<i64>,
    pub end_ms: Option<i64>,
    /// Keep per-instance timelines of every candidate (for JSON output).
    pub timelines: bool,
}

/// An alert and what its replay needs from history.
#[derive(Debug, Clone)]
pub struct Plan {
    pub file: String,
    pub line: usize,
    pub group: String,
    pub alertname: String,
    /// The PromQL to fetch: the signal, or the whole expression.
    pub query: String,
    /// The expression as written in the file.
    pub expr: String,
    pub mode: PlanMode,
    pub interval: Duration,
    pub for_: Duration,
    pub keep_firing_for: Duration,
    pub static_labels: Labels,
}

#[derive(Debug, Clone, PartialEq)]
pub enum PlanMode {
    Split {
        op: Comparison,
        threshold: f64,
    },
    /// Replayed as a whole (no sweep), with the reason it does not split.
    Whole {
        reason: String,
    },
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
    /// Today's rule holds for every instance at every evaluation of the
    /// window: a heartbeat such as `vector(1)`, or a condition that never
    /// cleared. Its one episode per instance is not a page anyone got in
    /// the window.
    pub always_firing: bool,
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
    #[error("no alerting rule named {wanted:?} among the loaded rules{}", match suggestion { Some(s) => format!(" (did you mean {s:?}?)"), None => String::new() })]
    UnknownAlert {
        wanted: String,
        suggestion: Option<String>,
    },
    #[error("no alerting rules to simulate")]
    NoAlerts,
    #[error("{file}:{line}: alert {alert:?} has no valid expression; run `firedrill lint` first")]
    Unparsable {
        file: String,
        line: usize,
        alert: String,
    },
    #[error("the recording has no data for alert {alert:?} (query {query:?}); record it again with these rules")]
    NoData { alert: String, query: String },
    #[error("alert {alert:?}: the recording's step {step}s does not divide the evaluation interval {interval}")]
    Step {
        alert: String,
        step: f64,
        interval: Duration,
    },
    #[error("alert {alert:?}: sample at {timestamp_ms} ms is not on the evaluation grid (start {start_ms} ms, every {interval}); use --eval-offset to match the recording")]
    Misaligned {
        alert: String,
        timestamp_ms: i64,
        start_ms: i64,
        interval: Duration,
    },
    #[error("alert {alert:?}: series {labels} has two samples at {timestamp_ms} ms")]
    Duplicate {
        alert: String,
        labels: String,
        timestamp_ms: i64,
    },
    #[error("alert {alert:?}: series {first} and {second} become the same alert once __name__ is dropped and the rule's labels are added; Prometheus fails such an evaluation")]
    Collision {
        alert: String,
        first: String,
        second: String,
    },
    #[error("alert {alert:?}: label {label:?} is a template that depends on more than $labels; replay cannot know the alert's identity")]
    TemplatedLabel { alert: String, label: String },
    #[error("the window is empty: from {} to {} (--start/--end within the data's own span) there is no evaluation", crate::time::format_utc(*start_ms), crate::time::format_utc(*end_ms))]
    EmptyWindow { start_ms: i64, end_ms: i64 },
    #[error(transparent)]
    Fetch(#[from] FetchError),
}

const DEFAULT_INTERVAL: Duration = Duration { millis: 60_000 };

/// Plans every alerting rule (or those named in `options.alerts`).
pub fn plan(rules: &RuleSet, options: &SimulateOptions) -> Result<Vec<Plan>, SimulateError> {
    let mut plans = Vec::new();
    for file in &rules.files {
        for group in file.documents.iter().flat_map(|d| &d.groups) {
            for rule in group.rules.iter().filter(|r| r.is_alert()) {
                if !options.alerts.is_empty() && !options.alerts.iter().any(|a| a == rule.name()) {
                    continue;
                }
                let line = file.source.line_col(rule.anchor().start).line;
                match plan_rule(&file.source.name, line, group, rule, options) {
                    Some(p) => plans.push(p),
                    None => {
                        return Err(SimulateError::Unparsable {
                            file: file.source.name.clone(),
                            line,
                            alert: rule.name().to_string(),
                        })
                    }
                }
            }
        }
    }
    for wanted in &options.alerts {
        if !plans.iter().any(|p| &p.alertname == wanted) {
            let names: Vec<&str> = rules
                .files
                .iter()
                .flat_map(|f| f.documents.iter().flat_map(|d| &d.groups))
                .flat_map(|g| g.rules.iter().filter(|r| r.is_alert()))
                .map(|r| r.name())
                .collect();
            return Err(SimulateError::UnknownAlert {
                wanted: wanted.clone(),
                suggestion: crate::suggest::closest(wanted, &names).map(str::to_string),
            });
        }
    }
    if plans.is_empty() {
        return Err(SimulateError::NoAlerts);
    }
    Ok(plans)
}

/// Plans the alerting rule of `rules` in `file` whose span starts at `start`.
pub fn plan_at(
    rules: &RuleSet,
    file: &str,
    start: usize,
    options: &SimulateOptions,
) -> Result<Plan, SimulateError> {
    for f in rules.files.iter().filter(|f| f.source.name == file) {
        for group in f.documents.iter().flat_map(|d| &d.groups) {
            let found = group
                .rules
                .iter()
                .find(|r| r.is_alert() && r.span.start == start);
            if let Some(rule) = found {
                let line = f.source.line_col(rule.anchor().start).line;
                return plan_rule(file, line, group, rule, options).ok_or_else(|| {
                    SimulateError::Unparsable {
                        file: file.to_string(),
                        line,
                        alert: rule.name().to_string(),
                    }
                });
            }
        }
    }
    Err(SimulateError::NoAlerts)
}

fn plan_rule(
    file: &str,
    line: usize,
    group: &Group,
    rule: &Rule,
    options: &SimulateOptions,
) -> Option<Plan> {
    let expr = rule.expr.as_ref()?;
    let parsed = expr.parsed.as_ref().ok()?;
    let (query, mode) = match split::split(parsed) {
        Ok(s) => (
            s.signal,
            PlanMode::Split {
                op: s.op,
                threshold: s.threshold,
            },
        ),
        Err(reason) => (
            parsed.to_string(),
            PlanMode::Whole {
                reason: reason.to_string(),
            },
        ),
    };
    Some(Plan {
        file: file.to_string(),
        line,
        group: group.name().to_string(),
        alertname: rule.name().to_string(),
        query,
        expr: expr.text.value.clone(),
        mode,
        interval: group
            .interval
            .as_ref()
            .map(|i| i.value)
            .or(options.default_interval)
            .unwrap_or(DEFAULT_INTERVAL),
        for_: rule.for_.as_ref().map_or(Duration::ZERO, |f| f.value),
        keep_firing_for: rule
            .keep_firing_for
            .as_ref()
            .map_or(Duration::ZERO, |f| f.value),
        static_labels: rule
            .labels
            .iter()
            .map(|e| (e.key.value.clone(), e.value.value.clone()))
            .collect(),
    })
}

/// Each plan's history on its evaluation grid.
pub type History = (Grid, Vec<Series>);

/// Each plan's history from a recording, on the plan's evaluation grid.
pub fn history_from_recording(
    plans: &[Plan],
    recording: &Recording,
    options: &SimulateOptions,
) -> Result<Vec<History>, SimulateError> {
    plans
        .par_iter()
        .map(|plan| {
            let result = recording
                .find(&plan.query)
                .ok_or_else(|| SimulateError::NoData {
                    alert: plan.alertname.clone(),
                    query: plan.query.clone(),
                })?;
            align(plan, result, options)
        })
        .collect()
}

/// Replays every planned alert against the recording.
pub fn run(
    plans: &[Plan],
    recording: &Recording,
    options: &SimulateOptions,
) -> Result<SimulateResult, SimulateError> {
    let histories = history_from_recording(plans, recording, options)?;
    // Alerts in parallel; each alert's sweep is parallel over its series too.
    let alerts = plans
        .par_iter()
        .zip(histories)
        .map(|(plan, (grid, series))| replay_alert(plan, grid, series, options))
        .collect();
    Ok(SimulateResult {
        source: recording.source.clone(),
        alerts,
        warnings: Vec::new(),
    })
}

/// The range queries a live run needs over `[from, to]`: one per distinct
/// query and evaluation interval, on the group's evaluation grid; and, per
/// plan, the index of its job.
pub fn jobs(
    plans: &[Plan],
    from_ms: i64,
    to_ms: i64,
    options: &SimulateOptions,
) -> Result<(Vec<Job>, Vec<usize>), SimulateError> {
    let mut jobs: Vec<Job> = Vec::new();
    let mut of_plan = Vec::with_capacity(plans.len());
    for plan in plans {
        let e = plan.interval.millis.max(1) as i64;
        let offset = options.eval_offset_ms.rem_euclid(e);
        let start = (from_ms - offset).div_euclid(e) * e + offset;
        let start = if start < from_ms { start + e } else { start };
        let end = (to_ms - offset).div_euclid(e) * e + offset;
        if end < start {
            return Err(SimulateError::EmptyWindow {
                start_ms: from_ms,
                end_ms: to_ms,
            });
        }
        let job = Job {
            query: plan.query.clone(),
            start_ms: start,
            end_ms: end,
            step_ms: e,
        };
        let index = match jobs.iter().position(|j| *j == job) {
            Some(i) => i,
            None => {
                jobs.push(job);
                jobs.len() - 1
            }
        };
        of_plan.push(index);
    }
    Ok((jobs, of_plan))
}

/// Each plan's history from a live server over `[from, to]`, with the
/// server's warnings. Chunks go straight onto the evaluation grid as they
/// arrive, so memory holds one value per evaluation per alert instance, not
/// the raw samples.
pub fn history_live(
    plans: &[Plan],
    server: &Server,
    fetch_options: &FetchOptions,
    (from_ms, to_ms): (i64, i64),
    options: &SimulateOptions,
    observer: &dyn Observer,
) -> Result<(Vec<History>, Vec<String>), SimulateError> {
    let (jobs, of_plan) = jobs(plans, from_ms, to_ms, options)?;
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
                options,
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

/// Replays every planned alert against a live server over `[from, to]`.
pub fn run_live(
    plans: &[Plan],
    server: &Server,
    fetch_options: &FetchOptions,
    window: (i64, i64),
    options: &SimulateOptions,
    observer: &dyn Observer,
) -> Result<SimulateResult, SimulateError> {
    let (histories, warnings) =
        history_live(plans, server, fetch_options, window, options, observer)?;
    let alerts = plans
        .par_iter()
        .zip(histories)
        .map(|(plan, (grid, series))| replay_alert(plan, grid, series, options))
        .collect();
    Ok(SimulateResult {
        source: server.display_url(),
        alerts,
        warnings,
    })
}

/// Fetches what the plans need over `[from, to]` as a recording.
pub fn record(
    plans: &[Plan],
    server: &Server,
    fetch_options: &FetchOptions,
    (from_ms, to_ms): (i64, i64),
    options: &SimulateOptions,
    observer: &dyn Observer,
) -> Result<(Recording, FetchReport), SimulateError> {
    let (jobs, _) = jobs(plans, from_ms, to_ms, options)?;
    let (results, report) = fetch::fetch_results(server, &jobs, fetch_options, observer)?;
    Ok((
        Recording {
            source: server.display_url(),
            results,
        },
        report,
    ))
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
    let outcomes = replay::sweep(grid, &series, mode, &thresholds, &fors, &keeps);
    // The sweep orders by (for, keep, threshold); today's rule is the first of each list, so it comes first.
    let timelines = if options.timelines {
        outcomes
            .iter()
            .map(|o| replay::timelines(grid, &series, mode, o.candidate))
            .collect()
    } else {
        Vec::new()
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
        always_firing,
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

pub(crate) fn labels_text(labels: &[(String, String)]) -> String {
    let inner: Vec<String> = labels.iter().map(|(k, v)| format!("{k}={v:?}")).collect();
    format!("{{{}}}", inner.join(", "))
}

/// Turns recorded samples into one value per evaluation of the alert's group.
pub fn align(
    plan: &Plan,
    result: &QueryResult,
    options: &SimulateOptions,
) -> Result<(Grid, Vec<Series>), SimulateError> {
    let mut aligner = Aligner::new(
        plan,
        Window {
            start_ms: result.start_ms,
            end_ms: result.end_ms,
            step_ms: result.step_ms,
        },
        options,
    )?;
    for raw in &result.series {
        aligner.add(raw)?;
    }
    Ok(aligner.finish())
}

/// What a range query covered: timestamps `start + k·step` up to `end`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    pub start_ms: i64,
    pub end_ms: i64,
    pub step_ms: i64,
}

/// Places samples on an alert's evaluation grid as they arrive, in any
/// order and in pieces (a live fetch delivers chunk by chunk), holding one
/// value per evaluation per alert instance and nothing of the raw samples.
#[derive(Debug)]
pub struct Aligner<'a> {
    plan: &'a Plan,
    grid: Grid,
    source: Window,
    to: i64,
    whole: bool,
    by_identity: BTreeMap<Labels, Aligned>,
}

#[derive(Debug)]
struct Aligned {
    /// The series' own labels, to tell a continuation from a collision.
    raw: Labels,
    values: Vec<f64>,
    /// One bit per evaluation: a sample was placed there.
    seen: Vec<u64>,
}

impl<'a> Aligner<'a> {
    pub fn new(
        plan: &'a Plan,
        source: Window,
        options: &SimulateOptions,
    ) -> Result<Self, SimulateError> {
        let e = plan.interval.millis.max(1) as i64;
        let step = source.step_ms.max(1);
        if e % step != 0 {
            return Err(SimulateError::Step {
                alert: plan.alertname.clone(),
                step: step as f64 / 1000.0,
                interval: plan.interval,
            });
        }
        let offset = options.eval_offset_ms.rem_euclid(e);
        let from = options
            .start_ms
            .unwrap_or(source.start_ms)
            .max(source.start_ms);
        let to = options.end_ms.unwrap_or(source.end_ms).min(source.end_ms);
        // Evaluations at start + k·E, start aligned to a multiple of E (plus the offset), not before the data.
        let mut start = (from - offset).div_euclid(e) * e + offset;
        if start < from {
            start += e;
        }
        // The window is half-open, [from, to): each evaluation holds until
        // the next, so N evaluations cover N·E and the firing time of an
        // alert never exceeds the window.
        if to <= start {
            return Err(SimulateError::EmptyWindow {
                start_ms: from,
                end_ms: to,
            });
        }
        let len = ((to - start + e - 1) / e) as usize;
        Ok(Aligner {
            plan,
            grid: Grid {
                start_ms: start,
                step_ms: e,
                len,
            },
            source: Window {
                step_ms: step,
                ..source
            },
            to,
            whole: matches!(plan.mode, PlanMode::Whole { .. }),
            by_identity: BTreeMap::new(),
        })
    }

    /// Adds one series' samples (all of them, or one chunk's).
    pub fn add(&mut self, raw: &RawSeries) -> Result<(), SimulateError> {
        let plan = self.plan;
        let (start, e, step, len) = (
            self.grid.start_ms,
            self.grid.step_ms,
            self.source.step_ms,
            self.grid.len,
        );
        let mut labels: BTreeMap<String, String> = raw
            .labels
            .iter()
            .filter(|(k, _)| k != "__name__")
            .cloned()
            .collect();
        for (k, v) in &plan.static_labels {
            let value = render_label(v, &labels).ok_or_else(|| SimulateError::TemplatedLabel {
                alert: plan.alertname.clone(),
                label: k.clone(),
            })?;
            labels.insert(k.clone(), value);
        }
        labels.insert("alertname".into(), plan.alertname.clone());
        let identity: Labels = labels.into_iter().collect();
        let entry = self.by_identity.entry(identity).or_insert_with(|| Aligned {
            raw: raw.labels.clone(),
            values: vec![f64::NAN; len],
            seen: vec![0; len.div_ceil(64)],
        });
        if entry.raw != raw.labels {
            return Err(SimulateError::Collision {
                alert: plan.alertname.clone(),
                first: labels_text(&entry.raw),
                second: labels_text(&raw.labels),
            });
        }
        for &(t, v) in &raw.samples {
            if t < start || t >= self.to {
                continue;
            }
            let misaligned = || SimulateError::Misaligned {
                alert: plan.alertname.clone(),
                timestamp_ms: t,
                start_ms: start,
                interval: plan.interval,
            };
            if (t - self.source.start_ms).rem_euclid(step) != 0 {
                return Err(misaligned());
            }
            if (t - start) % e != 0 {
                if (start - self.source.start_ms).rem_euclid(step) != 0 {
                    return Err(misaligned());
                }
                continue; // recorded finer than the rule evaluates: not an evaluation time
            }
            let k = ((t - start) / e) as usize;
            let (word, bit) = (k / 64, 1u64 << (k % 64));
            if entry.seen[word] & bit != 0 {
                return Err(SimulateError::Duplicate {
                    alert: plan.alertname.clone(),
                    labels: labels_text(&raw.labels),
                    timestamp_ms: t,
                });
            }
            entry.seen[word] |= bit;
            // Whole-expression mode: any sample means "in the result", even NaN.
            entry.values[k] = if self.whole { 1.0 } else { v };
        }
        Ok(())
    }

    /// The grid and one series per alert instance, sorted by labels.
    pub fn finish(self) -> (Grid, Vec<Series>) {
        let series = self
            .by_identity
            .into_iter()
            .map(|(labels, a)| Series {
                labels,
                values: a.values,
            })
            .collect();
        (self.grid, series)
    }
}

/// A rule label's value for one series: literal text, or `{{ $labels.x }}`
/// substitutions. `None` when the template needs more than labels.
fn render_label(value: &str, labels: &BTreeMap<String, String>) -> Option<String> {
    if !value.contains("{{") {
        return Some(value.to_string());
    }
    let mut out = String::new();
    let mut rest = value;
    while let Some(open) = rest.find("{{") {
        out.push_str(&rest[..open]);
        let close = rest[open..].find("}}")? + open;
        let action = rest[open + 2..close]
            .trim()
            .trim_start_matches('-')
            .trim_end_matches('-')
            .trim();
        let name = action
            .strip_prefix("$labels.")
            .or_else(|| action.strip_prefix(".Labels."))?;
        if !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            return None;
        }
        out.push_str(labels.get(name).map_or("", String::as_str));
        rest = &rest[close + 2..];
    }
    out.push_str(rest);
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan(interval_s: u64, mode: PlanMode) -> Plan {
        Plan {
            file: "f".into(),
            line: 1,
            group: "g".into(),
            alertname: "A".into(),
            query: "q".into(),
            expr: "q > 1".into(),
            mode,
            interval: Duration::from_secs(interval_s),
            for_: Duration::ZERO,
            keep_firing_for: Duration::ZERO,
            static_labels: vec![
                ("severity".into(), "page".into()),
                ("pod".into(), "{{ $labels.instance }}".into()),
            ],
        }
    }

    fn result(step_s: i64, samples: Vec<(i64, f64)>) -> QueryResult {
        QueryResult {
            query: "q".into(),
            step_ms: step_s * 1000,
            start_ms: 0,
            end_ms: 600_000,
            series: vec![RawSeries {
                labels: vec![
                    ("__name__".into(), "m".into()),
                    ("instance".into(), "a".into()),
                ],
                samples,
            }],
        }
    }

    #[test]
    fn aligns_to_the_grid_and_builds_alert_identity() {
        let p = plan(
            60,
            PlanMode::Split {
                op: Comparison::Gt,
                threshold: 1.0,
            },
        );
        let (grid, series) = align(
            &p,
            &result(30, vec![(0, 1.0), (30_000, 9.0), (60_000, 2.0)]),
            &SimulateOptions::default(),
        )
        .unwrap();
        // The window [0, 10m) is half-open: ten evaluations, 0 to 9m.
        assert_eq!((grid.start_ms, grid.step_ms, grid.len), (0, 60_000, 10));
        assert_eq!(series[0].values[..2], [1.0, 2.0]);
        let names: Vec<&str> = series[0].labels.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(names, ["alertname", "instance", "pod", "severity"]);
        assert!(series[0]
            .labels
            .contains(&("pod".to_string(), "a".to_string())));
    }

    #[test]
    fn bad_history_is_an_error_not_a_wrong_count() {
        let p = plan(
            60,
            PlanMode::Split {
                op: Comparison::Gt,
                threshold: 1.0,
            },
        );
        let o = SimulateOptions::default();
        assert!(matches!(
            align(&p, &result(90, vec![]), &o),
            Err(SimulateError::Step { .. })
        ));
        assert!(matches!(
            align(&p, &result(60, vec![(61_000, 1.0)]), &o),
            Err(SimulateError::Misaligned { .. })
        ));
        assert!(matches!(
            align(&p, &result(60, vec![(60_000, 1.0), (60_000, 2.0)]), &o),
            Err(SimulateError::Duplicate { .. })
        ));
    }

    #[test]
    fn whole_mode_counts_nan_samples_as_present() {
        let p = plan(60, PlanMode::Whole { reason: "x".into() });
        let (_, series) = align(
            &p,
            &result(60, vec![(0, f64::NAN)]),
            &SimulateOptions::default(),
        )
        .unwrap();
        assert_eq!(series[0].values[0], 1.0);
        assert!(series[0].values[1].is_nan());
    }

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
