//! `firedrill simulate`: replay a recording or a live server's history.

use std::io::{self, Write};

use clap::ValueEnum;

use super::alertmanager_args::{self, AlertmanagerArgs};
use super::history_args::{self, duration, EvaluationArgs, ServerArgs, WindowArgs};
use super::progress::Progress;
use super::{exit, fail};
use crate::alertmanager::pages::{self, RuleTimelines};
use crate::config::Config;
use crate::input;
use crate::lint;
use crate::replay::plan::Plan;
use crate::report;
use crate::rules::LoadOptions;
use crate::simulate::{self, SimulateOptions, Thresholds};

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SimulateFormat {
    Human,
    Json,
    Csv,
}

#[derive(Debug, clap::Args)]
pub struct SimulateArgs {
    /// Rule files or folders.
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<String>,
    /// A recording (Parquet) to replay, as written by `firedrill record`.
    /// Without it, history comes from the server (--prometheus,
    /// PROMETHEUS_URL or the config file's [prometheus] url).
    #[arg(long, value_name = "FILE", conflicts_with = "prometheus")]
    pub data: Option<String>,
    /// Only this alert (repeatable).
    #[arg(long, value_name = "NAME")]
    pub alert: Vec<String>,
    /// Candidate thresholds: a comma-separated list, or `auto` (quantiles of the signal).
    #[arg(long, value_name = "LIST|auto")]
    pub threshold: Option<String>,
    /// Candidate `for` durations, comma-separated (e.g. 0s,5m,10m).
    #[arg(long = "for", value_delimiter = ',', value_name = "DURATIONS")]
    pub for_: Vec<String>,
    /// Candidate `keep_firing_for` durations, comma-separated.
    #[arg(long, value_delimiter = ',', value_name = "DURATIONS")]
    pub keep_firing_for: Vec<String>,
    #[command(flatten)]
    pub evaluation: EvaluationArgs,
    #[command(flatten)]
    pub window: WindowArgs,
    /// Output format.
    #[arg(long, value_enum, default_value_t = SimulateFormat::Human)]
    pub format: SimulateFormat,
    /// Only the N noisiest alerts: the ranking's first N rows and their
    /// blocks (in JSON, the ranking's first N).
    #[arg(long, value_name = "N")]
    pub top: Option<usize>,
    /// Also write the results table as Parquet.
    #[arg(long, value_name = "FILE")]
    pub out: Option<String>,
    #[command(flatten)]
    pub server: ServerArgs,
    #[command(flatten)]
    pub alertmanager: AlertmanagerArgs,
}

/// What `simulate` and `record` share: the rules' plans and the options.
pub(crate) struct Planned {
    pub plans: Vec<Plan>,
    pub options: SimulateOptions,
}

pub(crate) fn plan(
    paths: &[String],
    alerts: &[String],
    evaluation: &EvaluationArgs,
    config: &Config,
) -> Result<Planned, String> {
    let (globals, eval_offset_ms) = evaluation.globals(config)?;
    let options = SimulateOptions {
        alerts: alerts.to_vec(),
        globals,
        inlining: evaluation.inlining(),
        eval_offset_ms,
        ..SimulateOptions::default()
    };
    let inputs = input::expand(paths).map_err(|e| e.to_string())?;
    let rules = lint::load_inputs(&inputs, replay_load_options()).map_err(|e| e.to_string())?;
    let plans =
        crate::replay::plan::plan(&rules, &options.alerts, options.globals, &options.inlining)
            .map_err(|e| e.to_string())?;
    Ok(Planned { plans, options })
}

pub(crate) fn durations(
    flag: &str,
    list: &[String],
) -> Result<Vec<crate::rules::Duration>, String> {
    list.iter().map(|d| duration(flag, d)).collect()
}

pub fn run(args: SimulateArgs, config: &Config, out: &mut dyn Write) -> u8 {
    let alertmanager = match args.alertmanager.load(config) {
        Ok(loaded) => loaded,
        Err(e) => return alertmanager_args::report(e),
    };
    match simulate(args, alertmanager, config, out) {
        Ok(status) => status,
        Err(e) => fail(e),
    }
}

fn simulate(
    args: SimulateArgs,
    alertmanager: Option<alertmanager_args::Loaded>,
    config: &Config,
    out: &mut dyn Write,
) -> Result<u8, String> {
    let thresholds = match args.threshold.as_deref() {
        None => Thresholds::Current,
        Some("auto") => Thresholds::Auto,
        Some(list) => Thresholds::List(
            list.split(',')
                .map(|t| t.trim().parse::<f64>())
                .collect::<Result<Vec<_>, _>>()
                .map_err(|_| {
                    format!("--threshold {list:?}: expected numbers separated by commas, or `auto`")
                })?,
        ),
    };
    let fors = durations("for", &args.for_)?;
    let keeps = durations("keep-firing-for", &args.keep_firing_for)?;
    // A recording given is what to replay, whatever server the config names.
    let server = match &args.data {
        Some(_) => None,
        None => args.server.server(config)?,
    };
    let fetch_options = args.server.fetch_options()?;
    let Planned { plans, options } = plan(&args.paths, &args.alert, &args.evaluation, config)?;
    let (start_ms, end_ms) = args.window.bounds()?;
    let options = SimulateOptions {
        thresholds,
        fors,
        keep_firing_fors: keeps,
        start_ms,
        end_ms,
        timelines: args.format == SimulateFormat::Json,
        today_timelines: alertmanager.is_some(),
        ..options
    };
    let source = history_args::source(server, fetch_options, args.data.as_deref(), &args.window)?;
    let progress = Progress::new(args.server.quiet);
    let result = simulate::run(&plans, &source, &options, &progress);
    progress.finish();
    let result = result.map_err(|e| e.to_string())?;
    if args.format != SimulateFormat::Human {
        super::progress::print_server_warnings(&result.warnings);
    }
    if let Some(path) = &args.out {
        report::simulate::write_parquet(&result, std::path::Path::new(path))?;
    }
    if alertmanager.is_some() && !args.alert.is_empty() {
        eprintln!("firedrill: note: only the --alert alerts go through Alertmanager: grouping with the other alerts, and their inhibitions, are not counted");
    }
    let pages = alertmanager.as_ref().map(|am| {
        let rules: Vec<RuleTimelines> = result
            .alerts
            .iter()
            .map(|a| RuleTimelines {
                alertname: &a.plan.alertname,
                grid: a.grid,
                timelines: a.today(),
            })
            .collect();
        (am, pages::replay(&am.config, &rules, &am.options))
    });
    // Each alert's pages through Alertmanager lead the ranking, when some
    // receiver pages at all.
    let paged = pages.as_ref().and_then(|(am, p)| {
        let receivers = p.paging_receivers();
        (!receivers.is_empty()).then(|| report::simulate::Paged {
            counts: result
                .alerts
                .iter()
                .map(|a| p.pages_of(&a.plan.alertname))
                .collect(),
            receivers,
            path: &am.path,
        })
    });
    let written = match args.format {
        SimulateFormat::Human => report::simulate::write_human(
            &result,
            args.top,
            paged.as_ref(),
            out,
            super::table_width(),
        )
        .and_then(|()| match &pages {
            Some((am, pages)) => {
                report::pages::write_human(pages, &am.path, out, super::table_width())
            }
            None => Ok(()),
        }),
        SimulateFormat::Json => report::simulate::write_json(
            &result,
            args.top,
            paged.as_ref(),
            pages
                .as_ref()
                .map(|(am, p)| report::pages::json(p, &am.path)),
            out,
        ),
        SimulateFormat::Csv => report::simulate::write_csv(&result, out),
    };
    match written.and_then(|()| out.flush()) {
        Err(e) if e.kind() != io::ErrorKind::BrokenPipe => Err(format!("writing the results: {e}")),
        _ => Ok(exit::CLEAN),
    }
}

/// Rules are loaded for a replay with every PromQL feature on: the server
/// that evaluates them is the judge of what it supports.
pub(crate) fn replay_load_options() -> LoadOptions {
    LoadOptions {
        promql: crate::promql::ParseOptions::every_feature(),
        ..LoadOptions::default()
    }
}
