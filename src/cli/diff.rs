//! `firedrill diff`: the alerts a change adds or modifies, replayed before
//! and after on the same history.

use std::io::{self, Write};

use clap::ValueEnum;

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
}

pub fn run(args: DiffArgs, config: &Config, out: &mut dyn Write) -> u8 {
    match diff(args, config, out) {
        Ok(status) => status,
        Err(e) => fail(e),
    }
}

fn diff(args: DiffArgs, config: &Config, out: &mut dyn Write) -> Result<u8, String> {
    let (globals, eval_offset_ms) = args.evaluation.globals(config)?;
    let (start_ms, end_ms) = args.window.bounds()?;
    let options = SimulateOptions {
        globals,
        inlining: args.evaluation.inlining(),
        eval_offset_ms,
        start_ms,
        end_ms,
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
    let written = match args.format {
        DiffFormat::Markdown => report::diff::write_markdown(&result, out),
        DiffFormat::Json => report::diff::write_json(&result, out),
    };
    match written.and_then(|()| out.flush()) {
        Err(e) if e.kind() != io::ErrorKind::BrokenPipe => Err(format!("writing the diff: {e}")),
        _ => Ok(exit::CLEAN),
    }
}
