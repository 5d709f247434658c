//! `firedrill diff`: the alerts a change adds or modifies, replayed before
//! and after on the same history.

use std::io::{self, Write};

use clap::ValueEnum;

use super::alertmanager_args::{self, AlertmanagerArgs, Loaded};
use super::history_args::{self, EvaluationArgs, ServerArgs, WindowArgs};
use super::progress::Progress;
use super::{exit, fail};
use crate::config::Config;
use crate::diff::DiffPlan;
use crate::simulate::{self, SimulateOptions, SimulateResult};
use crate::{changes, input, lint, report};

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DiffFormat {
    /// For a pull-request comment.
    Markdown,
    Json,
}

#[derive(Debug, clap::Args)]
pub struct DiffArgs {
    /// Rule files or folders, as they are now.
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<String>,
    /// The git ref to compare with, e.g. origin/main.
    #[arg(long, value_name = "REF")]
    pub base: String,
    /// A recording (Parquet) to replay both versions on. Without it, history
    /// comes from the server (--prometheus, PROMETHEUS_URL or the config file).
    #[arg(long, value_name = "FILE", conflicts_with = "prometheus")]
    pub data: Option<String>,
    #[command(flatten)]
    pub evaluation: EvaluationArgs,
    #[command(flatten)]
    pub window: WindowArgs,
    /// Output: Markdown for a pull-request comment, or JSON.
    #[arg(long, value_enum, default_value_t = DiffFormat::Markdown)]
    pub format: DiffFormat,
    #[command(flatten)]
    pub server: ServerArgs,
    #[command(flatten)]
    pub alertmanager: AlertmanagerArgs,
}

pub fn run(args: DiffArgs, config: &Config, out: &mut dyn Write) -> u8 {
    let alertmanager = match args.alertmanager.load(config) {
        Ok(loaded) => loaded,
        Err(e) => return alertmanager_args::report(e),
    };
    match diff(args, alertmanager, config, out) {
        Ok(status) => status,
        Err(e) => fail(e),
    }
}

fn diff(
    args: DiffArgs,
    alertmanager: Option<Loaded>,
    config: &Config,
    out: &mut dyn Write,
) -> Result<u8, String> {
    let (globals, eval_offset_ms) = args.evaluation.globals(config)?;
    let (start_ms, end_ms) = args.window.bounds()?;
    let options = SimulateOptions {
        globals,
        inlining: args.evaluation.inlining(),
        eval_offset_ms,
        start_ms,
        end_ms,
        today_timelines: alertmanager.is_some(),
        ..SimulateOptions::default()
    };
    let server = match &args.data {
        Some(_) => None,
        None => args.server.server(config)?,
    };
    let fetch_options = args.server.fetch_options()?;
    let inputs = input::expand(&args.paths).map_err(|e| e.to_string())?;
    let load = super::simulate::replay_load_options();
    let new = lint::load_inputs(&inputs, load).map_err(|e| e.to_string())?;
    let old = changes::rules_at(&args.base, &new, &args.paths, load).map_err(|e| e.to_string())?;
    let plan = DiffPlan::new(&old, &new, &options).map_err(|e| e.to_string())?;
    let plans = plan.plans();
    let result = if plans.is_empty() {
        // Nothing to replay: no query is sent, no recording read.
        SimulateResult {
            source: server
                .as_ref()
                .map(|s| s.display_url())
                .or(args.data.clone())
                .unwrap_or_default(),
            alerts: Vec::new(),
            warnings: Vec::new(),
        }
    } else {
        let source =
            history_args::source(server, fetch_options, args.data.as_deref(), &args.window)?;
        let progress = Progress::new(args.server.quiet);
        let result = simulate::run(&plans, &source, &options, &progress);
        progress.finish();
        result.map_err(|e| e.to_string())?
    };
    let result = plan.finish(&args.base, result);
    if args.format == DiffFormat::Json {
        super::progress::print_server_warnings(&result.warnings);
    }
    let pages = alertmanager.as_ref().map(|am| diff_pages(am, &result));
    let written = match args.format {
        DiffFormat::Markdown => report::diff::write_markdown(&result, pages.as_ref(), out),
        DiffFormat::Json => report::diff::write_json(&result, pages.as_ref(), out),
    };
    match written.and_then(|()| out.flush()) {
        Err(e) if e.kind() != io::ErrorKind::BrokenPipe => Err(format!("writing the diff: {e}")),
        _ => Ok(exit::CLEAN),
    }
}

/// The changed alerts through Alertmanager: their old versions, then
/// the added and changed ones as they are now.
fn diff_pages(am: &Loaded, result: &crate::diff::DiffResult) -> report::diff::DiffPages {
    use crate::alertmanager::pages::{self, RuleTimelines};
    fn timelines(a: &crate::simulate::AlertReplay) -> RuleTimelines<'_> {
        RuleTimelines {
            alertname: &a.plan.alertname,
            grid: a.grid,
            timelines: a.today(),
        }
    }
    let before: Vec<RuleTimelines> = result
        .alerts
        .iter()
        .filter_map(|a| a.before.as_ref())
        .map(timelines)
        .collect();
    let after: Vec<RuleTimelines> = result.alerts.iter().map(|a| timelines(&a.after)).collect();
    let before = pages::replay(&am.config, &before, &am.options);
    let after = pages::replay(&am.config, &after, &am.options);
    report::diff::DiffPages {
        config: am.path.clone(),
        receivers: pages::compare(&before, &after),
    }
}
