//! `firedrill tune`: one alert, its history and what people know about it
//! (incidents, false positives) → ranked candidates, a recommendation,
//! plots and a report.

use std::io::{self, Write};
use std::path::{Path, PathBuf};

use clap::ValueEnum;

use super::alertmanager_args::{self, AlertmanagerArgs, Loaded};
use super::history_args::{self, EvaluationArgs, ServerArgs, WindowArgs};
use super::progress::Progress;
use super::simulate::{plan, Planned};
use super::{error_style, exit, fail};
use crate::config::Config;
use crate::plot::{self, PlotOptions};
use crate::report::{self, tune::Context};
use crate::simulate::{self, SimulateOptions};
use crate::tune::{self, marks, Marks, TuneOptions};

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum TuneFormat {
    Human,
    /// For a post-incident note or a PR comment.
    Markdown,
    Json,
}

#[derive(Debug, clap::Args)]
pub struct TuneArgs {
    /// Rule files or folders holding the alert.
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<String>,
    /// The alert to tune (needed when the paths hold more than one).
    #[arg(long, value_name = "NAME")]
    pub alert: Option<String>,
    /// A recording (Parquet) to replay. Without it, history comes from the
    /// server (--prometheus, PROMETHEUS_URL or the config file's [prometheus] url).
    #[arg(long, value_name = "FILE", conflicts_with = "prometheus")]
    pub data: Option<String>,
    /// A span in which the alert should have fired: START/LENGTH or START/END,
    /// e.g. 2026-11-17T14:00Z/40m (repeatable).
    #[arg(long, value_name = "START/LENGTH")]
    pub incident: Vec<String>,
    /// When a page that should not have happened came: TIME, or TIME/LENGTH
    /// for an exact span (repeatable).
    #[arg(long, value_name = "TIME")]
    pub false_positive: Vec<String>,
    /// Incidents and false positives from a TOML or YAML file (entries with
    /// another `alert` are skipped).
    #[arg(long, value_name = "FILE")]
    pub marks: Vec<PathBuf>,
    /// Thresholds to try instead of the automatic grid (comma-separated).
    #[arg(long, value_delimiter = ',', value_name = "LIST")]
    pub threshold: Vec<f64>,
    /// `for` values to try instead of 0s..30m (comma-separated).
    #[arg(long = "for", value_delimiter = ',', value_name = "DURATIONS")]
    pub for_: Vec<String>,
    /// `keep_firing_for` values to try (comma-separated).
    #[arg(long, value_delimiter = ',', value_name = "DURATIONS")]
    pub keep_firing_for: Vec<String>,
    #[command(flatten)]
    pub evaluation: EvaluationArgs,
    #[command(flatten)]
    pub window: WindowArgs,
    /// Draw the timeline to this .png or .svg file, and the sweep curve
    /// beside it (NAME-sweep.png).
    #[arg(long, value_name = "FILE")]
    pub plot: Option<PathBuf>,
    /// Plot the series with these labels (`pool=www,instance=a`; repeatable)
    /// instead of the most relevant ones.
    #[arg(long, value_name = "LABELS")]
    pub plot_series: Vec<String>,
    /// How many series the timeline shows when --plot-series is not given.
    #[arg(long, default_value_t = 4, value_name = "N")]
    pub plot_top: usize,
    /// Output: a table for the terminal, Markdown for a post-incident note
    /// or a pull-request comment, or JSON.
    #[arg(long, value_enum, default_value_t = TuneFormat::Human)]
    pub format: TuneFormat,
    /// Also write every candidate as a Parquet table.
    #[arg(long, value_name = "FILE")]
    pub out: Option<String>,
    #[command(flatten)]
    pub server: ServerArgs,
    #[command(flatten)]
    pub alertmanager: AlertmanagerArgs,
}

pub fn run(args: TuneArgs, config: &Config, out: &mut dyn Write) -> u8 {
    let alertmanager = match args.alertmanager.load(config) {
        Ok(loaded) => loaded,
        Err(e) => return alertmanager_args::report(e),
    };
    match tune_command(args, alertmanager, config, out) {
        Ok(status) => status,
        Err(e) => fail(e),
    }
}

/// The durations of a repeated flag; `None` when it is not given.
fn durations(flag: &str, list: &[String]) -> Result<Option<Vec<crate::rules::Duration>>, String> {
    if list.is_empty() {
        return Ok(None);
    }
    super::simulate::durations(flag, list).map(Some)
}

fn label_set(text: &str) -> Result<Vec<(String, String)>, String> {
    text.split(',')
        .map(|pair| {
            let (k, v) = pair.split_once('=').ok_or_else(|| {
                format!("--plot-series {text:?}: expected label=value pairs separated by commas")
            })?;
            Ok((k.trim().to_string(), v.trim().trim_matches('"').to_string()))
        })
        .collect()
}

/// Marks from the flags and the files, for `alert`.
fn read_marks(args: &TuneArgs, alert: &str) -> Result<Marks, MarksFailure> {
    let mut all = Marks::default();
    for path in &args.marks {
        let found = marks::read_file(path, alert).map_err(MarksFailure::File)?;
        all.incidents.extend(found.incidents);
        all.false_positives.extend(found.false_positives);
    }
    for text in &args.incident {
        all.incidents
            .push(marks::parse_incident(text).map_err(MarksFailure::Flag)?);
    }
    for text in &args.false_positive {
        all.false_positives
            .push(marks::parse_false_positive(text).map_err(MarksFailure::Flag)?);
    }
    Ok(all)
}

enum MarksFailure {
    File(marks::MarksError),
    Flag(String),
}

fn tune_command(
    args: TuneArgs,
    alertmanager: Option<Loaded>,
    config: &Config,
    out: &mut dyn Write,
) -> Result<u8, String> {
    let options = TuneOptions {
        thresholds: (!args.threshold.is_empty()).then(|| args.threshold.clone()),
        fors: durations("for", &args.for_)?,
        keep_firing_fors: durations("keep-firing-for", &args.keep_firing_for)?,
    };
    if let Some(path) = &args.plot {
        plot::ImageFormat::of(path)?;
    }
    let plot_options = PlotOptions {
        label_sets: args
            .plot_series
            .iter()
            .map(|s| label_set(s))
            .collect::<Result<_, _>>()?,
        top: args.plot_top,
    };
    let server = match &args.data {
        Some(_) => None,
        None => args.server.server(config)?,
    };
    let fetch_options = args.server.fetch_options()?;
    let alerts: Vec<String> = args.alert.iter().cloned().collect();
    let Planned {
        plans,
        options: sim,
    } = plan(&args.paths, &alerts, &args.evaluation, config)?;
    if plans.len() > 1 {
        let names: Vec<&str> = plans.iter().map(|p| p.alertname.as_str()).collect();
        return Err(format!(
            "tune one alert at a time: give --alert NAME (the paths hold {})",
            names.join(", ")
        ));
    }
    let plan = &plans[0];
    let marks = match read_marks(&args, &plan.alertname) {
        Ok(m) => m,
        Err(MarksFailure::Flag(e)) => return Err(e),
        Err(MarksFailure::File(e)) => {
            if let Some(d) = e.diagnostic() {
                let text = report::human::render(d, error_style());
                let _ = io::stderr().write_all(text.as_bytes());
                return Err("the marks file is invalid".into());
            }
            return Err(e.to_string());
        }
    };
    let (start_ms, end_ms) = args.window.bounds()?;
    let sim = SimulateOptions {
        start_ms,
        end_ms,
        ..sim
    };
    let source = history_args::source(server, fetch_options, args.data.as_deref(), &args.window)?;
    let progress = Progress::new(args.server.quiet);
    let fetched = simulate::histories(&plans, &source, &sim, &progress);
    progress.finish();
    let simulate::Histories {
        plans: replayed,
        per_plan: mut histories,
        source,
        warnings,
    } = fetched.map_err(|e| e.to_string())?;
    let (grid, series) = histories.swap_remove(0);
    let mut tuning =
        tune::tune(&replayed[0], grid, &series, &marks, &options).map_err(|e| e.to_string())?;
    let pages = alertmanager
        .as_ref()
        .map(|am| candidate_pages(am, &mut tuning, &series));
    let plots = match &args.plot {
        Some(path) => plot::write_plots(&tuning, &series, path, &plot_options)?,
        None => Vec::new(),
    };
    if args.format != TuneFormat::Human {
        super::progress::print_server_warnings(&warnings);
    }
    if let Some(path) = &args.out {
        report::tune::write_parquet(&tuning, Path::new(path))?;
    }
    let context = Context {
        source,
        plots,
        warnings,
        width: super::table_width(),
        pages,
    };
    let written = match args.format {
        TuneFormat::Human => report::tune::write_human(&tuning, &context, out),
        TuneFormat::Markdown => report::tune::write_markdown(&tuning, &context, out),
        TuneFormat::Json => report::tune::write_json(&tuning, &context, out),
    };
    match written.and_then(|()| out.flush()) {
        Err(e) if e.kind() != io::ErrorKind::BrokenPipe => {
            return Err(format!("writing the results: {e}"))
        }
        _ => {}
    }
    // Like a linter: 1 when nothing meets the marks, so scripts can tell;
    // without marks nothing was asked, and the sweep is the answer.
    Ok(if tuning.conflicts.is_empty() {
        exit::CLEAN
    } else {
        exit::FINDINGS
    })
}

/// Each shown candidate's pages through Alertmanager (today's, the
/// shortlist's, the recommendation's); the shortlist is then ranked by
/// them, those meeting every mark first.
fn candidate_pages(
    am: &Loaded,
    tuning: &mut tune::Tuning,
    series: &[crate::replay::Series],
) -> report::tune::CandidatePages {
    use crate::alertmanager::pages::{self, RuleTimelines};
    use crate::replay::{self, plan::PlanMode, Mode};
    use rayon::prelude::*;
    let mode = match tuning.plan.mode {
        PlanMode::Split { op, .. } => Mode::Split(op),
        PlanMode::Whole { .. } => Mode::Whole,
    };
    let mut shown: Vec<usize> = std::iter::once(0)
        .chain(tuning.shortlist.iter().copied())
        .chain(tuning.recommended)
        .collect();
    shown.sort_unstable();
    shown.dedup();
    let t = &*tuning;
    let by_candidate: Vec<report::tune::CandidatePaged> = shown
        .par_iter()
        .map(|&i| {
            // Today's and the recommendation's timelines are in the tuning already.
            let computed;
            let timelines: &[crate::replay::Timeline] = if i == 0 {
                &t.today_timelines
            } else if Some(i) == t.recommended {
                &t.recommended_timelines
            } else {
                let candidate = t.candidates[i].candidate();
                computed =
                    replay::limited::timelines(t.grid, series, mode, candidate, t.plan.limit).0;
                &computed
            };
            let replayed = pages::replay(
                &am.config,
                &[RuleTimelines {
                    alertname: &t.plan.alertname,
                    grid: t.grid,
                    timelines,
                }],
                &am.options,
            );
            report::tune::CandidatePaged {
                candidate: i,
                pages: replayed.pages_of(&t.plan.alertname),
                notifications: replayed.notifications.len() as u64,
            }
        })
        .collect();
    let paged = |i: usize| {
        by_candidate
            .iter()
            .find(|c| c.candidate == i)
            .map_or(u64::MAX, |c| c.pages)
    };
    let meets = |i: usize| tuning.candidates[i].meets_every_mark();
    let mut shortlist = tuning.shortlist.clone();
    shortlist.sort_by_key(|&i| (!meets(i), paged(i)));
    tuning.shortlist = shortlist;
    let page_receivers = am
        .config
        .receivers
        .iter()
        .filter(|r| am.options.pages(&am.config, &r.name))
        .map(|r| r.name.clone())
        .collect();
    report::tune::CandidatePages {
        config: am.path.clone(),
        page_receivers,
        by_candidate,
    }
}
