//! The command line: arguments, and the glue from them to the library.

use std::io::{self, IsTerminal, Write};
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};

pub mod time;

use crate::checks;
use crate::diagnostic::Severity;
use crate::input;
use crate::lint::{self, LintOptions, Selection};
use crate::promql::ParseOptions;
use crate::report::{self, Format, Style};
use crate::rules::LoadOptions;

/// Exit statuses, as documented in the README.
pub mod exit {
    pub const CLEAN: u8 = 0;
    pub const FINDINGS: u8 = 1;
    pub const USAGE: u8 = 2;
}

#[derive(Debug, Parser)]
#[command(name = "firedrill", version, about = "Lint Prometheus rules against promtool's rules and your runbook; replay their history", long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check rule files and PrometheusRule manifests.
    Lint(LintArgs),
    /// Replay history through Prometheus's alert state machine: how often each
    /// alert fired, at today's threshold and at candidate ones.
    Simulate(SimulateArgs),
    /// List every check with its id, default severity and summary.
    Checks {
        /// Print the list as the Markdown table the README carries.
        #[arg(long)]
        markdown: bool,
    },
    /// Print a check's documentation.
    Explain {
        /// A check id, e.g. promql/syntax.
        id: String,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FormatArg {
    Human,
    Json,
    Github,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SeverityArg {
    Info,
    Warning,
    Error,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorArg {
    Auto,
    Always,
    Never,
}

#[derive(Debug, clap::Args)]
pub struct LintArgs {
    /// Rule files, folders (every *.yaml/*.yml below) or - for standard input.
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = FormatArg::Human)]
    pub format: FormatArg,
    /// Exit with status 1 when a finding is at least this severe.
    #[arg(long, value_enum, default_value_t = SeverityArg::Error)]
    pub fail_on: SeverityArg,
    /// Run only these checks: comma-separated ids or prefixes (`structure,promql/syntax`).
    #[arg(long, value_delimiter = ',', value_name = "IDS")]
    pub select: Vec<String>,
    /// Add these checks to the default set (e.g. runbook/url-missing, off by default).
    #[arg(long, value_delimiter = ',', value_name = "IDS")]
    pub extend_select: Vec<String>,
    /// Skip these checks: comma-separated ids or prefixes.
    #[arg(long, value_delimiter = ',', value_name = "IDS")]
    pub ignore: Vec<String>,
    /// Accept keys the rule format does not define (promtool's flag of the same name).
    #[arg(long)]
    pub ignore_unknown_fields: bool,
    /// Prometheus feature flags that change what parses: promql-experimental-functions.
    #[arg(long, value_delimiter = ',', value_name = "FEATURES")]
    pub enable_feature: Vec<String>,
    /// The runbook: a Markdown page or a folder of pages (repeatable).
    #[arg(long, value_name = "PATH")]
    pub runbook: Vec<String>,
    /// Resolve runbook URLs under a prefix to a local file or folder (repeatable),
    /// e.g. https://runbooks.example.com/runbooks/=docs/runbooks/
    #[arg(long, value_name = "URL_PREFIX=PATH")]
    pub runbook_map: Vec<String>,
    /// Only some of the team's rule files are given (as under pre-commit): turns off
    /// checks that need them all (runbook/stale).
    #[arg(long)]
    pub partial: bool,
    /// When to use colors in human output (NO_COLOR is honoured).
    #[arg(long, value_enum, default_value_t = ColorArg::Auto)]
    pub color: ColorArg,
}

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
    #[arg(long, value_name = "FILE")]
    pub data: String,
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
    /// The global evaluation interval, for groups without `interval`.
    #[arg(long, default_value = "1m", value_name = "DURATION")]
    pub eval_interval: String,
    /// Shift evaluation times by this much past the aligned grid (a server's group offset).
    #[arg(long, default_value = "0s", value_name = "DURATION")]
    pub eval_offset: String,
    /// Start of the window inside the recording (RFC 3339 or unix seconds).
    #[arg(long)]
    pub start: Option<String>,
    /// End of the window inside the recording (RFC 3339 or unix seconds).
    #[arg(long)]
    pub end: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = SimulateFormat::Human)]
    pub format: SimulateFormat,
    /// Also write the results table as Parquet.
    #[arg(long, value_name = "FILE")]
    pub out: Option<String>,
}

const KNOWN_FEATURES: &[&str] = &["promql-experimental-functions"];

/// Runs a parsed command line; returns the process exit status.
pub fn run(cli: Cli) -> ExitCode {
    let stdout = io::stdout();
    let mut out = stdout.lock();
    let status = match cli.command {
        Command::Lint(args) => run_lint(args, &mut out),
        Command::Simulate(args) => run_simulate(args, &mut out),
        Command::Checks { markdown } => list_checks(markdown, &mut out),
        Command::Explain { id } => explain(&id, &mut out),
    };
    ExitCode::from(status)
}

fn fail(message: impl std::fmt::Display) -> u8 {
    eprintln!("firedrill: error: {message}");
    exit::USAGE
}

fn run_lint(args: LintArgs, out: &mut dyn Write) -> u8 {
    for feature in &args.enable_feature {
        if !KNOWN_FEATURES.contains(&feature.as_str()) {
            return fail(format!(
                "unknown feature {feature:?}; known: {}",
                KNOWN_FEATURES.join(", ")
            ));
        }
    }
    let selection = Selection {
        select: args.select.clone(),
        extend_select: args.extend_select.clone(),
        ignore: args.ignore.clone(),
    };
    if let Err(e) = selection.validate() {
        return fail(e);
    }
    let options = LintOptions {
        load: LoadOptions {
            ignore_unknown_fields: args.ignore_unknown_fields,
            promql: ParseOptions {
                experimental_functions: args
                    .enable_feature
                    .iter()
                    .any(|f| f == "promql-experimental-functions"),
            },
        },
        selection,
        runbooks: args.runbook.clone(),
        runbook_maps: args.runbook_map.clone(),
        partial: args.partial,
    };
    let inputs = match input::expand(&args.paths) {
        Ok(inputs) => inputs,
        Err(e) => return fail(e),
    };
    let result = match lint::lint(&inputs, &options) {
        Ok(result) => result,
        Err(e) => return fail(e),
    };
    let no_rule_files = result.rules.files.iter().all(|f| f.not_rules.is_some());
    let format = match args.format {
        FormatArg::Human => Format::Human,
        FormatArg::Json => Format::Json,
        FormatArg::Github => Format::Github,
    };
    let style = human_style(args.color);
    if let Err(e) = report::write(&result, format, style, out) {
        return fail(format!("writing the report: {e}"));
    }
    if no_rule_files {
        let names: Vec<String> = result
            .rules
            .files
            .iter()
            .map(|f| {
                format!(
                    "{} ({})",
                    f.source.name,
                    f.not_rules.as_deref().unwrap_or("")
                )
            })
            .collect();
        return fail(format!(
            "no rule files among the inputs: {}",
            names.join(", ")
        ));
    }
    let threshold = match args.fail_on {
        SeverityArg::Info => Severity::Info,
        SeverityArg::Warning => Severity::Warning,
        SeverityArg::Error => Severity::Error,
    };
    if result.worst().is_some_and(|w| w >= threshold) {
        exit::FINDINGS
    } else {
        exit::CLEAN
    }
}

fn human_style(color: ColorArg) -> Style {
    let tty = io::stdout().is_terminal();
    let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    let color = match color {
        ColorArg::Always => true,
        ColorArg::Never => false,
        ColorArg::Auto => tty && !no_color,
    };
    let width = std::env::var("COLUMNS")
        .ok()
        .and_then(|c| c.parse().ok())
        .unwrap_or(100);
    Style {
        color,
        unicode: tty && !no_color,
        width,
    }
}

fn list_checks(markdown: bool, out: &mut dyn Write) -> u8 {
    let mut text = String::new();
    if markdown {
        text = checks::markdown_table();
    }
    for check in checks::registry().iter().filter(|_| !markdown) {
        let info = check.info();
        text.push_str(&format!(
            "{:<28} {:<8} {}\n",
            info.id,
            info.severity.as_str(),
            info.summary
        ));
    }
    match out.write_all(text.as_bytes()) {
        Err(e) if e.kind() != io::ErrorKind::BrokenPipe => fail(e),
        _ => exit::CLEAN,
    }
}

fn explain(id: &str, out: &mut dyn Write) -> u8 {
    let Some(check) = checks::find(id) else {
        let ids: Vec<&str> = checks::registry().iter().map(|c| c.info().id).collect();
        let hint = checks::closest(id, &ids)
            .map(|s| format!(" (did you mean {s:?}?)"))
            .unwrap_or_default();
        return fail(format!(
            "no check named {id:?}{hint}; `firedrill checks` lists them"
        ));
    };
    let info = check.info();
    let text = format!(
        "# {}\n\nDefault severity: {}. {}\n\n{}\n",
        info.id,
        info.severity.as_str(),
        info.summary,
        info.docs
    );
    match out.write_all(text.as_bytes()) {
        Err(e) if e.kind() != io::ErrorKind::BrokenPipe => fail(e),
        _ => exit::CLEAN,
    }
}

fn durations(list: &[String]) -> Result<Vec<crate::rules::Duration>, String> {
    list.iter()
        .map(|d| crate::rules::Duration::parse(d.trim()).map_err(|e| format!("{d:?}: {e}")))
        .collect()
}

fn run_simulate(args: SimulateArgs, out: &mut dyn Write) -> u8 {
    use crate::simulate::{self, SimulateOptions, Thresholds};
    let thresholds = match args.threshold.as_deref() {
        None => Thresholds::Current,
        Some("auto") => Thresholds::Auto,
        Some(list) => match list
            .split(',')
            .map(|t| t.trim().parse::<f64>())
            .collect::<Result<Vec<_>, _>>()
        {
            Ok(v) => Thresholds::List(v),
            Err(_) => {
                return fail(format!(
                    "--threshold {list:?}: expected numbers separated by commas, or `auto`"
                ))
            }
        },
    };
    let parse_one = |name: &str, text: &str| {
        crate::rules::Duration::parse(text).map_err(|e| format!("--{name} {text:?}: {e}"))
    };
    let (fors, keeps, interval, offset) = match (
        durations(&args.for_),
        durations(&args.keep_firing_for),
        parse_one("eval-interval", &args.eval_interval),
        parse_one("eval-offset", &args.eval_offset),
    ) {
        (Ok(a), Ok(b), Ok(c), Ok(d)) => (a, b, c, d),
        (Err(e), ..) | (_, Err(e), ..) | (_, _, Err(e), _) | (.., Err(e)) => return fail(e),
    };
    if interval.is_zero() {
        return fail("--eval-interval must be more than 0");
    }
    let time = |t: &Option<String>| t.as_deref().map(time::parse_time).transpose();
    let (start_ms, end_ms) = match (time(&args.start), time(&args.end)) {
        (Ok(a), Ok(b)) => (a, b),
        (Err(e), _) | (_, Err(e)) => return fail(e),
    };
    let options = SimulateOptions {
        alerts: args.alert.clone(),
        thresholds,
        fors,
        keep_firing_fors: keeps,
        default_interval: Some(interval),
        eval_offset_ms: offset.millis as i64,
        start_ms,
        end_ms,
        timelines: args.format == SimulateFormat::Json,
    };
    let inputs = match input::expand(&args.paths) {
        Ok(i) => i,
        Err(e) => return fail(e),
    };
    let rules = match lint::load_inputs(&inputs, LoadOptions::default()) {
        Ok(r) => r,
        Err(e) => return fail(e),
    };
    let plans = match simulate::plan(&rules, &options) {
        Ok(p) => p,
        Err(e) => return fail(e),
    };
    let recording = match crate::history::recording::read(std::path::Path::new(&args.data)) {
        Ok(r) => r,
        Err(e) => return fail(e),
    };
    let result = match simulate::run(&plans, &recording, &options) {
        Ok(r) => r,
        Err(e) => return fail(e),
    };
    if let Some(path) = &args.out {
        if let Err(e) = report::simulate::write_parquet(&result, std::path::Path::new(path)) {
            return fail(e);
        }
    }
    let written = match args.format {
        SimulateFormat::Human => report::simulate::write_human(&result, out),
        SimulateFormat::Json => report::simulate::write_json(&result, out),
        SimulateFormat::Csv => report::simulate::write_csv(&result, out),
    };
    match written.and_then(|()| out.flush()) {
        Err(e) if e.kind() != io::ErrorKind::BrokenPipe => {
            fail(format!("writing the results: {e}"))
        }
        _ => exit::CLEAN,
    }
}
