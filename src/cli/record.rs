//! `firedrill record`: fetch what the alerts' replays need and save it.

use std::path::PathBuf;

use super::history_args::{self, EvaluationArgs, ServerArgs, WindowArgs};
use super::progress::Progress;
use super::simulate::{plan, Planned};
use super::{exit, fail};
use crate::config::Config;
use crate::simulate;

#[derive(Debug, clap::Args)]
pub struct RecordArgs {
    /// Rule files or folders.
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<String>,
    /// The recording to write (Parquet); replaced atomically.
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,
    /// Only this alert (repeatable).
    #[arg(long, value_name = "NAME")]
    pub alert: Vec<String>,
    #[command(flatten)]
    pub evaluation: EvaluationArgs,
    /// Take the alerts' queries out of this recording instead of a server
    /// (keeps only what these rules need).
    #[arg(long, value_name = "FILE")]
    pub data: Option<String>,
    #[command(flatten)]
    pub window: WindowArgs,
    #[command(flatten)]
    pub server: ServerArgs,
}

pub fn run(args: RecordArgs, config: &Config) -> u8 {
    match record(args, config) {
        Ok(status) => status,
        Err(e) => fail(e),
    }
}

fn record(args: RecordArgs, config: &Config) -> Result<u8, String> {
    let server = match &args.data {
        Some(_) => None,
        None => Some(args.server.server(config)?.ok_or(
            "give the server: --prometheus URL, PROMETHEUS_URL, or [prometheus] url in .firedrill.toml",
        )?),
    };
    let fetch_options = args.server.fetch_options()?;
    let source = history_args::source(server, fetch_options, args.data.as_deref(), &args.window)?;
    let Planned { plans, options } = plan(&args.paths, &args.alert, &args.evaluation, config)?;
    let progress = Progress::new(args.server.quiet);
    let fetched = simulate::record(&plans, &source, &options, &progress);
    progress.finish();
    let (recording, report) = fetched.map_err(|e| e.to_string())?;
    super::progress::print_server_warnings(&report.warnings);
    crate::history::recording::write(&args.out, &recording).map_err(|e| e.to_string())?;
    if !args.server.quiet {
        let series: usize = recording.results.iter().map(|r| r.series.len()).sum();
        let samples: usize = recording
            .results
            .iter()
            .flat_map(|r| &r.series)
            .map(|s| s.samples.len())
            .sum();
        eprintln!(
            "firedrill: recorded {} queries ({series} series, {samples} samples, {} requests) from {} to {}",
            recording.results.len(),
            report.requests,
            recording.source,
            args.out.display()
        );
    }
    Ok(exit::CLEAN)
}
