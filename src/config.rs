//! `.firedrill.toml`: settings a team keeps beside its rules, found by
//! walking up from the working directory (as ruff finds `ruff.toml`) or
//! named with `--config`. Command-line flags and environment variables win
//! over it. Unknown keys are errors, with their place, so a typo is not
//! silently a default.
//!
//! ```toml
//! [prometheus]
//! url = "https://thanos-query.monitoring.svc:9090"
//! ```

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::Deserialize;
use toml::Spanned;

use crate::checks::{self, Settings};
use crate::diagnostic::{Diagnostic, Severity};
use crate::promql::{self, ParseOptions, PrometheusVersion};
use crate::rules::duration::Duration;
use crate::source::{SourceFile, Span};

pub const FILE_NAME: &str = ".firedrill.toml";

/// The check id config errors carry.
pub const CHECK: &str = "config";

#[derive(Debug, Clone, Default)]
pub struct Config {
    /// Where it was read from; `None` when there is no config file.
    pub path: Option<PathBuf>,
    pub prometheus: PrometheusConfig,
    pub lint: LintConfig,
    pub alertmanager: AlertmanagerConfig,
}

/// `[alertmanager]`: the configuration `simulate`, `tune`, `diff` and
/// `lint` replay alerts through, and how its notifications are read.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct AlertmanagerConfig {
    /// An `alertmanager.yml` (or a Secret holding one), relative to this file.
    pub config: Option<String>,
    /// Receivers that wake someone.
    #[serde(default)]
    pub page_receivers: Vec<String>,
    /// The time zone of nights and weekends.
    pub timezone: Option<String>,
    /// Prometheus's `external_labels`.
    #[serde(default)]
    pub external_labels: BTreeMap<String, String>,
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct PrometheusConfig {
    /// The server `simulate` and `record` query when neither `--prometheus`
    /// nor `PROMETHEUS_URL` names one.
    pub url: Option<String>,
    /// Whose parser judges the rules, and its `--enable-feature` flags;
    /// validated from `version` and `enable-feature`.
    #[serde(skip)]
    pub promql: ParseOptions,
    /// `evaluation_interval` of the server's global config, for groups
    /// without `interval`; validated from `evaluation-interval`.
    #[serde(skip)]
    pub evaluation_interval: Option<Duration>,
    /// `rule_query_offset` of the server's global config.
    #[serde(skip)]
    pub rule_query_offset: Option<Duration>,
    #[serde(default, rename = "evaluation-interval")]
    evaluation_interval_text: Option<Spanned<String>>,
    #[serde(default, rename = "rule-query-offset")]
    rule_query_offset_text: Option<Spanned<String>>,
    #[serde(default)]
    version: Option<Spanned<String>>,
    #[serde(default)]
    enable_feature: Vec<Spanned<String>>,
}

/// `[prometheus] version` and `enable-feature`, as promtool would take them.
fn promql_options(prometheus: &PrometheusConfig) -> Result<ParseOptions, Invalid> {
    let mut options = ParseOptions::default();
    if let Some(v) = &prometheus.version {
        options.version = prometheus_version(v.get_ref()).map_err(|m| (span_of(v), m))?;
    }
    for feature in &prometheus.enable_feature {
        options
            .enable([feature.get_ref().as_str()])
            .map_err(|name| (span_of(feature), unknown_feature(&name)))?;
    }
    Ok(options)
}

/// `2`, `2.53`, `3`, `3.13`, `3.16`: see `promql::versions`.
pub fn prometheus_version(text: &str) -> Result<PrometheusVersion, String> {
    promql::versions::parse_version(text)
}

/// The message for a feature name promtool does not take.
pub fn unknown_feature(name: &str) -> String {
    let hint = checks::closest(name, promql::FEATURES)
        .map(|s| format!(" (did you mean {s:?}?)"))
        .unwrap_or_default();
    format!(
        "unknown feature {name:?}{hint}; known: {}",
        promql::FEATURES.join(", ")
    )
}

/// `[lint]` and `[checks."<id>"]`, validated: ids exist, durations and
/// patterns parse, paths are made relative to the config file's folder.
#[derive(Debug, Clone, Default)]
pub struct LintConfig {
    /// Checks (or families) turned on in addition to the defaults.
    pub enable: Vec<String>,
    /// Checks (or families) turned off.
    pub disable: Vec<String>,
    /// Severity overrides by check id or family, in file order.
    pub severity: Vec<(String, Severity)>,
    /// Runbook pages or folders.
    pub runbooks: Vec<String>,
    /// `URL_PREFIX=PATH` mappings.
    pub runbook_maps: Vec<String>,
    /// The baseline findings are held against (`--baseline`), relative to
    /// this file.
    pub baseline: Option<String>,
    /// Files and folders `lint` leaves out (generated ones), relative to
    /// this file.
    pub exclude: Vec<String>,
    pub settings: Settings,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct ConfigFile {
    #[serde(default)]
    prometheus: PrometheusConfig,
    #[serde(default)]
    lint: LintFile,
    #[serde(default)]
    alertmanager: AlertmanagerConfig,
    /// `[checks."<id>"]`: each check reads its own table (see [`check_options`]).
    #[serde(default, rename = "checks")]
    _checks: BTreeMap<String, serde::de::IgnoredAny>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct LintFile {
    #[serde(default)]
    enable: Vec<Spanned<String>>,
    #[serde(default)]
    disable: Vec<Spanned<String>>,
    #[serde(default)]
    severity: BTreeMap<Spanned<String>, SeverityName>,
    scrape_interval: Option<Spanned<String>>,
    evaluation_interval: Option<Spanned<String>>,
    #[serde(default)]
    runbook: Vec<String>,
    #[serde(default)]
    runbook_map: BTreeMap<String, String>,
    baseline: Option<String>,
    #[serde(default)]
    exclude: Vec<String>,
}

#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(rename_all = "lowercase")]
enum SeverityName {
    Info,
    Warning,
    Error,
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read {path}: {error}")]
    Read { path: String, error: std::io::Error },
    /// The file does not parse or has a key firedrill does not know.
    #[error("{}", .0.message)]
    Invalid(Box<Diagnostic>),
}

/// The nearest `.firedrill.toml` in `dir` or a folder above it.
pub fn discover(dir: &Path) -> Option<PathBuf> {
    dir.ancestors()
        .map(|d| d.join(FILE_NAME))
        .find(|candidate| candidate.is_file())
}

/// The config named by `explicit`, else the one found from `cwd`, else the defaults.
pub fn find_and_load(explicit: Option<&Path>, cwd: &Path) -> Result<Config, ConfigError> {
    match explicit.map(Path::to_path_buf).or_else(|| discover(cwd)) {
        Some(path) => load(&path),
        None => Ok(Config::default()),
    }
}

pub fn load(path: &Path) -> Result<Config, ConfigError> {
    let name = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|error| ConfigError::Read {
        path: name.clone(),
        error,
    })?;
    let mut config = parse(&name, text)?;
    // Paths in the file are relative to the file, as in ruff and pint.
    let base = path.parent().unwrap_or(Path::new(""));
    let relative = |p: &str| -> String {
        if Path::new(p).is_absolute() || base.as_os_str().is_empty() {
            p.to_string()
        } else {
            base.join(p).display().to_string()
        }
    };
    for runbook in &mut config.lint.runbooks {
        *runbook = relative(runbook);
    }
    for map in &mut config.lint.runbook_maps {
        if let Some((prefix, local)) = map.rsplit_once('=') {
            *map = format!("{prefix}={}", relative(local));
        }
    }
    if let Some(file) = &mut config.alertmanager.config {
        *file = relative(file);
    }
    if let Some(file) = &mut config.lint.baseline {
        *file = relative(file);
    }
    for path in &mut config.lint.exclude {
        *path = relative(path);
    }
    config.path = Some(path.to_path_buf());
    Ok(config)
}

/// Parses a config file's text; `name` is what messages call it.
pub fn parse(name: &str, text: String) -> Result<Config, ConfigError> {
    let source = Arc::new(SourceFile::new(name, text));
    let invalid = |span: Span, message: String| {
        ConfigError::Invalid(Box::new(
            Diagnostic::new(CHECK, Severity::Error, &source, span, message)
                .help("see docs/configuration.md for the keys"),
        ))
    };
    let file = match toml::from_str::<ConfigFile>(&source.text) {
        Ok(file) => file,
        Err(e) => {
            let span = e
                .span()
                .map_or(Span::empty(0), |r| Span::new(r.start, r.end));
            return Err(invalid(span, e.message().trim_end().to_string()));
        }
    };
    let mut lint = lint_config(file.lint).map_err(|(span, m)| invalid(span, m))?;
    check_options(&source.text, &mut lint.settings).map_err(|(span, m)| invalid(span, m))?;
    let mut prometheus = file.prometheus;
    prometheus.promql = promql_options(&prometheus).map_err(|(span, m)| invalid(span, m))?;
    if let Some(d) = &prometheus.evaluation_interval_text {
        let interval = duration(d).map_err(|(span, m)| invalid(span, m))?;
        if interval.is_zero() {
            return Err(invalid(
                span_of(d),
                "evaluation-interval must be more than 0".into(),
            ));
        }
        prometheus.evaluation_interval = Some(interval);
    }
    if let Some(d) = &prometheus.rule_query_offset_text {
        prometheus.rule_query_offset = Some(duration(d).map_err(|(span, m)| invalid(span, m))?);
    }
    Ok(Config {
        path: None,
        prometheus,
        lint,
        alertmanager: file.alertmanager,
    })
}

type Invalid = (Span, String);

fn span_of<T>(s: &Spanned<T>) -> Span {
    Span::new(s.span().start, s.span().end)
}

/// A check id or family that names at least one check.
fn check_id(s: &Spanned<String>) -> Result<String, Invalid> {
    let id = s.get_ref();
    let ids: Vec<&str> = checks::registry().iter().map(|c| c.info().id).collect();
    if ids.iter().any(|known| checks::id_matches(id, known)) {
        return Ok(id.clone());
    }
    let hint = checks::closest(id, &ids)
        .map(|s| format!(" (did you mean {s:?}?)"))
        .unwrap_or_default();
    Err((
        span_of(s),
        format!("unknown check or check family {id:?}{hint}"),
    ))
}

fn duration(s: &Spanned<String>) -> Result<Duration, Invalid> {
    Duration::parse(s.get_ref()).map_err(|m| (span_of(s), m))
}

/// Hands each `[checks."<id>"]` table to its check, which reads and checks
/// its own options ([`checks::Check::configure`]).
fn check_options(text: &str, settings: &mut Settings) -> Result<(), Invalid> {
    let document = toml::de::DeTable::parse(text).map_err(|e| {
        let span = e
            .span()
            .map_or(Span::empty(0), |r| Span::new(r.start, r.end));
        (span, e.message().trim_end().to_string())
    })?;
    let Some(tables) = document.get_ref().get("checks") else {
        return Ok(());
    };
    let Some(tables) = tables.get_ref().as_table() else {
        return Err((
            Span::new(tables.span().start, tables.span().end),
            "`checks` must be a table of `[checks.\"<id>\"]` tables".to_string(),
        ));
    };
    for (key, raw) in tables.iter() {
        let key_span = Span::new(key.span().start, key.span().end);
        let id = key.get_ref().as_ref();
        let Some(check) = checks::find(id) else {
            let ids: Vec<&str> = checks::registry().iter().map(|c| c.info().id).collect();
            let hint = checks::closest(id, &ids)
                .map(|s| format!(" (did you mean {s:?}?)"))
                .unwrap_or_default();
            return Err((key_span, format!("unknown check {id:?}{hint}")));
        };
        let info = check.info();
        if info.options.is_empty() {
            return Err((key_span, format!("check {id:?} has no options")));
        }
        let options = check.configure(raw.clone()).map_err(|e| {
            let span = e.span.map_or(key_span, |r| Span::new(r.start, r.end));
            (span, e.message)
        })?;
        settings.set_options(info.id, options);
    }
    Ok(())
}

fn lint_config(lint: LintFile) -> Result<LintConfig, Invalid> {
    let mut settings = Settings::default();
    if let Some(d) = &lint.scrape_interval {
        settings.scrape_interval = Some(duration(d)?);
    }
    if let Some(d) = &lint.evaluation_interval {
        settings.evaluation_interval = Some(duration(d)?);
    }
    let severity = lint
        .severity
        .iter()
        .map(|(id, level)| {
            let level = match level {
                SeverityName::Info => Severity::Info,
                SeverityName::Warning => Severity::Warning,
                SeverityName::Error => Severity::Error,
            };
            Ok((check_id(id)?, level))
        })
        .collect::<Result<_, Invalid>>()?;
    Ok(LintConfig {
        enable: lint.enable.iter().map(check_id).collect::<Result<_, _>>()?,
        disable: lint
            .disable
            .iter()
            .map(check_id)
            .collect::<Result<_, _>>()?,
        severity,
        runbooks: lint.runbook,
        runbook_maps: lint
            .runbook_map
            .into_iter()
            .map(|(prefix, local)| format!("{prefix}={local}"))
            .collect(),
        baseline: lint.baseline,
        exclude: lint.exclude,
        settings,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_server_url() {
        let config = parse(
            "c.toml",
            "[prometheus]\nurl = \"http://127.0.0.1:9090\"\n".into(),
        )
        .unwrap();
        assert_eq!(
            config.prometheus.url.as_deref(),
            Some("http://127.0.0.1:9090")
        );
        let empty = parse("c.toml", String::new()).unwrap();
        assert_eq!(empty.prometheus, PrometheusConfig::default());
        assert!(empty.lint.enable.is_empty() && empty.lint.severity.is_empty());
    }

    #[test]
    fn reads_the_prometheus_version_and_features() {
        let text = "[prometheus]\nversion = \"2.53\"\nenable-feature = [\"promql-experimental-functions\", \"promql-duration-expr\"]\n";
        let config = parse("c.toml", text.into()).unwrap();
        assert_eq!(config.prometheus.promql.version, PrometheusVersion::V2);
        assert!(config.prometheus.promql.experimental_functions);
        assert!(!config.prometheus.promql.extended_range_selectors);

        let text = "[prometheus]\nenable-feature = [\"promql-extended-range-selector\"]\n";
        let Err(ConfigError::Invalid(d)) = parse("c.toml", text.into()) else {
            panic!("an unknown feature must be refused")
        };
        let at = d.source.line_col(d.span.start);
        assert_eq!((at.line, at.column), (2, 19), "{}", d.message);
        assert!(
            d.message
                .contains("did you mean \"promql-extended-range-selectors\"?"),
            "{}",
            d.message
        );
        let Err(ConfigError::Invalid(d)) =
            parse("c.toml", "[prometheus]\nversion = \"4\"\n".into())
        else {
            panic!("an unknown version must be refused")
        };
        assert_eq!(d.source.line_col(d.span.start).line, 2);
    }

    #[test]
    fn an_unknown_key_is_an_error_at_its_place() {
        let text = "[prometheus]\nurl = \"http://a\"\nurll = \"http://b\"\n";
        let Err(ConfigError::Invalid(d)) = parse("c.toml", text.into()) else {
            panic!("an unknown key must be refused")
        };
        let at = d.source.line_col(d.span.start);
        assert_eq!((at.line, at.column), (3, 1), "{}", d.message);
        assert!(d.message.contains("unknown field `urll`"), "{}", d.message);

        let Err(ConfigError::Invalid(d)) = parse("c.toml", "[server]\nurl = 1\n".into()) else {
            panic!("an unknown table must be refused")
        };
        assert_eq!(d.source.line_col(d.span.start).line, 1);

        let Err(ConfigError::Invalid(d)) = parse("c.toml", "[prometheus]\nurl = 9090\n".into())
        else {
            panic!("a number is not a URL")
        };
        assert_eq!(d.source.line_col(d.span.start).line, 2);
    }

    #[test]
    fn the_nearest_file_up_the_tree_wins() {
        let dir = tempfile::tempdir().unwrap();
        let inner = dir.path().join("a/b");
        std::fs::create_dir_all(&inner).unwrap();
        assert_eq!(discover(&inner), None);
        std::fs::write(dir.path().join(FILE_NAME), "").unwrap();
        assert_eq!(discover(&inner), Some(dir.path().join(FILE_NAME)));
        std::fs::write(dir.path().join("a").join(FILE_NAME), "").unwrap();
        assert_eq!(discover(&inner), Some(dir.path().join("a").join(FILE_NAME)));
    }
}
