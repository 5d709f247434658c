//! The command line: arguments, and the glue from them to the library.

use std::io::{self, IsTerminal, Write};
use std::path::Path;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};

use crate::checks;
use crate::config::{self, Config, ConfigError};
use crate::diagnostic::Severity;
use crate::input;
use crate::lint::{self, LintOptions, Selection};
use crate::report::{self, Format, Style};
use crate::rules::LoadOptions;

/// Exit statuses, as documented in docs/lint.md.
pub mod alertmanager_args;
mod diff;
pub mod history_args;
mod init;
mod progress;
mod record;
mod simulate;
mod tune;

pub use diff::{DiffArgs, DiffFormat};
pub use history_args::{ServerArgs, WindowArgs};
pub use record::RecordArgs;
pub use simulate::{SimulateArgs, SimulateFormat};
pub use tune::{TuneArgs, TuneFormat};

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
    /// Read settings from this file instead of the nearest .firedrill.toml
    /// in the working directory or above.
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<std::path::PathBuf>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check rule files and PrometheusRule manifests.
    Lint(LintArgs),
    /// Replay history through Prometheus's alert state machine: how often each
    /// alert fired, at today's threshold and at candidate ones.
    Simulate(SimulateArgs),
    /// Fetch what the alerts' replays need from a server and save it as a
    /// recording (Parquet), to replay offline with `simulate --data`.
    Record(RecordArgs),
    /// Replay the alerts a change adds or modifies, before and after, on the same
    /// history (a recording or a server): for a pull-request comment.
    Diff(DiffArgs),
    /// After a false positive: the threshold and `for` that would have stayed
    /// quiet then and still fired for every marked incident, with plots.
    Tune(TuneArgs),
    /// Read the rules and write a .firedrill.toml of the conventions they show
    /// (required labels and annotations per severity, the severity scheme, the
    /// runbook, generated files), each with its evidence, for the team to confirm.
    Init(init::InitArgs),
    /// List every check with its id, default severity and summary.
    Checks {
        /// Print the list as the Markdown table docs/checks.md carries.
        #[arg(long)]
        markdown: bool,
    },
    /// Print a check's documentation.
    Explain {
        /// A check id, e.g. promql/syntax.
        id: String,
    },
    /// Print a shell completion script, e.g. `firedrill completions bash >
    /// ~/.local/share/bash-completion/completions/firedrill`.
    Completions {
        /// The shell: bash, zsh, fish, elvish or powershell.
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff), e.g. `firedrill man | man -l -`; with a
    /// subcommand, that subcommand's page.
    Man {
        /// A subcommand, e.g. lint.
        subcommand: Option<String>,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FormatArg {
    Human,
    Json,
    Github,
    Sarif,
    Checkstyle,
    Junit,
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
    /// Rule files, folders (every *.yaml/*.yml below) or - for standard input; none
    /// with --alertmanager checks the Alertmanager configuration alone.
    #[arg(value_name = "PATH")]
    pub paths: Vec<String>,
    /// An alertmanager.yml (or a Secret holding one): check it as Alertmanager
    /// would, and the alerts against its routes and inhibit rules (default:
    /// `[alertmanager] config`).
    #[arg(long, value_name = "FILE")]
    pub alertmanager: Option<String>,
    /// A Prometheus external label the alerts get (repeatable: NAME=VALUE).
    #[arg(long = "external-label", value_name = "NAME=VALUE")]
    pub external_label: Vec<String>,
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
    /// Prometheus feature flags, as promtool takes them: promql-experimental-functions,
    /// promql-extended-range-selectors (always on since 3.16), promql-binop-fill-modifiers,
    /// promql-duration-expr (always on since 3.14), promql-delayed-name-removal (no parse
    /// change).
    #[arg(long, value_delimiter = ',', value_name = "FEATURES")]
    pub enable_feature: Vec<String>,
    /// Whose verdict on PromQL: 3.16 (the newest stable release, the default; `3` is the
    /// same), 3.15, 3.14, 3.13 (the long-term-support line) or 2 (2.x: no duration
    /// expressions, `holt_winters`, durations need a unit).
    #[arg(long, value_name = "VERSION")]
    pub prometheus_version: Option<String>,
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
    /// Also load the rule files under this folder (repeatable) so duplicate and
    /// runbook checks see the whole rule set, but report only on the PATHs given
    /// (how the pre-commit hook runs: `--context .` plus the staged files).
    #[arg(long, value_name = "DIR")]
    pub context: Vec<String>,
    /// Report only findings on rules added or changed since this git ref
    /// (e.g. origin/main); every rule is still loaded and checked.
    #[arg(long, value_name = "REF")]
    pub changed_since: Option<String>,
    /// Report only findings the baseline FILE does not hold (written by
    /// --write-baseline), and count those it holds and those fixed since
    /// (default: `[lint] baseline`).
    #[arg(long, value_name = "FILE", conflicts_with = "write_baseline")]
    pub baseline: Option<String>,
    /// Record today's findings in FILE, to adopt firedrill on a repository
    /// that has many, and exit 0; later runs with --baseline FILE report only
    /// new ones.
    #[arg(long, value_name = "FILE")]
    pub write_baseline: Option<String>,
    /// When to use colors in human output (NO_COLOR is honoured).
    #[arg(long, value_enum, default_value_t = ColorArg::Auto)]
    pub color: ColorArg,
}

/// Runs a parsed command line; returns the process exit status.
pub fn run(cli: Cli) -> ExitCode {
    let stdout = io::stdout();
    let mut out = stdout.lock();
    let needs_config = matches!(
        cli.command,
        Command::Lint(_)
            | Command::Simulate(_)
            | Command::Record(_)
            | Command::Diff(_)
            | Command::Tune(_)
    );
    let config = if needs_config {
        match load_config(cli.config.as_deref()) {
            Ok(config) => config,
            Err(status) => return ExitCode::from(status),
        }
    } else {
        Config::default()
    };
    let status = match cli.command {
        Command::Lint(args) => run_lint(args, &config, &mut out),
        Command::Simulate(args) => simulate::run(args, &config, &mut out),
        Command::Record(args) => record::run(args, &config),
        Command::Diff(args) => diff::run(args, &config, &mut out),
        Command::Tune(args) => tune::run(args, &config, &mut out),
        Command::Init(args) => init::run(args, &mut out),
        Command::Checks { markdown } => list_checks(markdown, &mut out),
        Command::Explain { id } => explain(&id, &mut out),
        Command::Completions { shell } => completions(shell, &mut out),
        Command::Man { subcommand } => man(subcommand.as_deref(), &mut out),
    };
    ExitCode::from(status)
}

/// The settings file, or the status to exit with when it is unusable.
fn load_config(explicit: Option<&std::path::Path>) -> Result<Config, u8> {
    let cwd = std::env::current_dir().unwrap_or_default();
    match config::find_and_load(explicit, &cwd) {
        Ok(config) => Ok(config),
        Err(ConfigError::Invalid(d)) => {
            let mut text = report::human::render(&d, error_style());
            text.push_str("firedrill: error: the config file is invalid\n");
            let _ = io::stderr().write_all(text.as_bytes());
            Err(exit::USAGE)
        }
        Err(e) => Err(fail(e)),
    }
}

pub(crate) fn fail(message: impl std::fmt::Display) -> u8 {
    eprintln!("firedrill: error: {message}");
    exit::USAGE
}

fn run_lint(args: LintArgs, config: &Config, out: &mut dyn Write) -> u8 {
    // Flags add to the config file's features; a version flag replaces its version.
    let mut promql = config.prometheus.promql;
    if let Some(version) = &args.prometheus_version {
        match config::prometheus_version(version) {
            Ok(v) => promql.version = v,
            Err(e) => return fail(e),
        }
    }
    if let Err(name) = promql.enable(args.enable_feature.iter().map(String::as_str)) {
        return fail(config::unknown_feature(&name));
    }
    let selection = selection(&args, config);
    if let Err(e) = selection.validate() {
        return fail(e);
    }
    let alertmanager = match alertmanager_args::lint_input(
        args.alertmanager.as_deref(),
        &args.external_label,
        config,
    ) {
        Ok(input) => input,
        Err(e) => return fail(e),
    };
    let options = LintOptions {
        alertmanager,
        load: LoadOptions {
            ignore_unknown_fields: args.ignore_unknown_fields,
            promql,
        },
        selection,
        // Flags replace the config file's runbooks rather than add to them.
        runbooks: if args.runbook.is_empty() && args.runbook_map.is_empty() {
            config.lint.runbooks.clone()
        } else {
            args.runbook.clone()
        },
        runbook_maps: if args.runbook.is_empty() && args.runbook_map.is_empty() {
            config.lint.runbook_maps.clone()
        } else {
            args.runbook_map.clone()
        },
        partial: args.partial,
        settings: config.lint.settings.clone(),
        severity: config.lint.severity.clone(),
    };
    // `lint --alertmanager alertmanager.yml` alone checks the configuration,
    // as `amtool check-config` does.
    let alertmanager_only = args.paths.is_empty();
    if alertmanager_only && options.alertmanager.is_none() {
        return fail("give the rule files or folders to lint, or --alertmanager FILE alone to check an Alertmanager configuration");
    }
    let mut inputs = match input::expand(&args.paths) {
        Ok(inputs) => inputs,
        Err(e) => return fail(e),
    };
    let context_only = match input::add_context(&mut inputs, &args.context) {
        Ok(names) => names,
        Err(e) => return fail(e),
    };
    input::exclude(&mut inputs, &config.lint.exclude);
    let mut result = match lint::lint(&inputs, &options) {
        Ok(result) => result,
        Err(e) => return fail(e),
    };
    if let Some(reference) = &args.changed_since {
        let changes = match crate::changes::Changes::since(reference, &result.rules, options.load) {
            Ok(c) => c,
            Err(e) => return fail(e),
        };
        let rules = &result.rules;
        let kept: Vec<_> = std::mem::take(&mut result.diagnostics)
            .into_iter()
            .filter(|d| changes.touches(d, rules))
            .collect();
        result.diagnostics = kept;
    }
    if !context_only.is_empty() {
        // Checked with the whole set; reported only where the user pointed.
        result
            .diagnostics
            .retain(|d| !context_only.contains(&d.source.name));
        result
            .rules
            .files
            .retain(|f| !context_only.contains(&f.source.name));
    }
    if let Some(path) = &args.write_baseline {
        if args.partial || args.changed_since.is_some() {
            return fail("a baseline holds the findings of whole rule sets: write it without --partial and --changed-since");
        }
        return match crate::baseline::write(Path::new(path), &result.diagnostics) {
            Ok(n) => {
                let _ = writeln!(
                    out,
                    "Wrote {path}: {n} finding{} baselined; `firedrill lint ... --baseline {path}` now reports only new ones.",
                    if n == 1 { "" } else { "s" }
                );
                exit::CLEAN
            }
            Err(e) => fail(e),
        };
    }
    let baseline = args
        .baseline
        .clone()
        .or_else(|| config.lint.baseline.clone());
    if let Some(path) = baseline {
        let held = match crate::baseline::read(Path::new(&path)) {
            Ok(b) => b,
            Err(e) => return fail(e),
        };
        let mut linted: std::collections::HashSet<String> = result
            .rules
            .files
            .iter()
            .map(|f| f.source.name.clone())
            .collect();
        linted.extend(result.runbooks.pages.iter().map(|p| p.source.name.clone()));
        linted.extend(result.alertmanager.iter().cloned());
        // Under --changed-since only the changed rules' findings are kept:
        // the others of a file are not fixed for being left out.
        let whole = args.changed_since.is_none();
        let linted: std::collections::HashSet<&str> =
            linted.iter().map(|f| f.trim_start_matches("./")).collect();
        let applied = crate::baseline::apply(&held, &mut result.diagnostics, &|file| {
            whole && linted.contains(file)
        });
        result.baseline = Some(crate::lint::BaselineSummary {
            path,
            baselined: applied.baselined,
            fixed: whole.then_some(applied.fixed),
        });
    }
    let no_rule_files =
        !alertmanager_only && result.rules.files.iter().all(|f| f.not_rules.is_some());
    let format = match args.format {
        FormatArg::Human => Format::Human,
        FormatArg::Json => Format::Json,
        FormatArg::Github => Format::Github,
        FormatArg::Sarif => Format::Sarif,
        FormatArg::Checkstyle => Format::Checkstyle,
        FormatArg::Junit => Format::Junit,
    };
    let style = human_style(args.color);
    // "All checks passed" over no rule file would read as a verdict; the
    // machine formats still get their (empty) document.
    let nothing_to_say =
        no_rule_files && result.diagnostics.is_empty() && matches!(format, Format::Human);
    if !nothing_to_say {
        if let Err(e) = report::write(&result, format, style, out) {
            return fail(format!("writing the report: {e}"));
        }
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

/// Which checks run: the config file's `enable`/`disable`, then the flags.
/// `--select` on the command line starts over (the config's lists are
/// dropped); `--extend-select` and `--ignore` add to them.
fn selection(args: &LintArgs, config: &Config) -> Selection {
    if !args.select.is_empty() {
        return Selection {
            select: args.select.clone(),
            extend_select: args.extend_select.clone(),
            ignore: args.ignore.clone(),
        };
    }
    let mut extend_select = config.lint.enable.clone();
    extend_select.extend(args.extend_select.iter().cloned());
    let mut ignore: Vec<String> = config
        .lint
        .disable
        .iter()
        // A check turned on by a flag is on even if the file turns it off.
        .filter(|id| !args.extend_select.iter().any(|e| e == *id))
        .cloned()
        .collect();
    ignore.extend(args.ignore.iter().cloned());
    Selection {
        select: Vec::new(),
        extend_select,
        ignore,
    }
}

/// How an error on stderr is drawn: colors only on a terminal.
pub(crate) fn error_style() -> Style {
    let tty = io::stderr().is_terminal();
    let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    Style {
        color: tty && !no_color,
        unicode: tty && !no_color,
        width: 100,
    }
}

/// The width `simulate` and `tune` fit their tables to: `$COLUMNS`, else
/// the terminal's when standard output is one; none when it is piped.
pub(crate) fn table_width() -> Option<usize> {
    if let Some(columns) = std::env::var("COLUMNS")
        .ok()
        .and_then(|c| c.parse::<usize>().ok())
        .filter(|&c| c > 0)
    {
        return Some(columns);
    }
    if !io::stdout().is_terminal() {
        return None;
    }
    terminal_size::terminal_size().map(|(w, _)| w.0 as usize)
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
    let mut off = 0;
    for check in checks::registry().iter().filter(|_| !markdown) {
        let info = check.info();
        off += usize::from(!info.default_enabled);
        text.push_str(&format!(
            "{:<28} {:<8} {:<4} {}\n",
            info.id,
            info.severity.as_str(),
            if info.default_enabled { "on" } else { "off" },
            info.summary
        ));
    }
    if !markdown && off > 0 {
        text.push_str(&format!(
            "\n{off} check{} marked `off` run only when asked for: --extend-select ID, or `enable` in .firedrill.toml.\n",
            if off == 1 { "" } else { "s" }
        ));
    }
    match out.write_all(text.as_bytes()) {
        Err(e) if e.kind() != io::ErrorKind::BrokenPipe => fail(e),
        _ => exit::CLEAN,
    }
}

fn completions(shell: clap_complete::Shell, out: &mut dyn Write) -> u8 {
    use clap::CommandFactory;
    let mut buffer = Vec::new();
    clap_complete::generate(shell, &mut Cli::command(), "firedrill", &mut buffer);
    match out.write_all(&buffer) {
        Err(e) if e.kind() != io::ErrorKind::BrokenPipe => fail(e),
        _ => exit::CLEAN,
    }
}

fn man(subcommand: Option<&str>, out: &mut dyn Write) -> u8 {
    use clap::CommandFactory;
    let top = Cli::command();
    let page = match subcommand {
        None => top,
        Some(name) => {
            let names: Vec<&str> = top.get_subcommands().map(|c| c.get_name()).collect();
            let Some(sub) = top.find_subcommand(name) else {
                let hint = crate::suggest::closest(name, &names)
                    .map(|s| format!(" (did you mean {s:?}?)"))
                    .unwrap_or_default();
                return fail(format!(
                    "no subcommand named {name:?}{hint}; they are {}",
                    names.join(", ")
                ));
            };
            // The page's title and usage read `firedrill-lint`, as man pages of subcommands do.
            sub.clone()
                .name(format!("firedrill-{name}"))
                .bin_name(format!("firedrill {name}"))
                .version(env!("CARGO_PKG_VERSION"))
        }
    };
    let mut buffer = Vec::new();
    if let Err(e) = clap_mangen::Man::new(page).render(&mut buffer) {
        return fail(e);
    }
    match out.write_all(&buffer) {
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
    let mut text = format!(
        "# {}\n\nDefault severity: {}. {}\n\n{}\n",
        info.id,
        info.severity.as_str(),
        info.summary,
        info.docs
    );
    if !info.options.is_empty() {
        text.push_str(&format!(
            "\n## Options (`[checks.\"{}\"]` in .firedrill.toml)\n{}",
            info.id,
            checks::options_markdown(info)
        ));
    }
    match out.write_all(text.as_bytes()) {
        Err(e) if e.kind() != io::ErrorKind::BrokenPipe => fail(e),
        _ => exit::CLEAN,
    }
}
