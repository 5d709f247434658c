//! `--alertmanager` and the flags that go with it, for `simulate`, `tune`,
//! `diff` and `lint`; `[alertmanager]` in `.firedrill.toml` gives their
//! defaults.

use std::sync::Arc;

use super::history_args::duration;
use crate::alertmanager::config::{self as am, ConfigError};
use crate::alertmanager::pages::PageOptions;
use crate::config::Config;
use crate::diagnostic::{Diagnostic, Severity};
use crate::source::{Source, SourceFile};

/// The check id a broken Alertmanager configuration is reported under.
pub const CONFIG_CHECK: &str = "alertmanager/config";

#[derive(Debug, Clone, Default, clap::Args)]
pub struct AlertmanagerArgs {
    /// An alertmanager.yml, or a Kubernetes Secret holding one under
    /// `alertmanager.yaml`: replay the alerts through its routes, grouping,
    /// inhibitions and time intervals, and count the notifications each
    /// receiver gets (default: `[alertmanager] config`).
    #[arg(long, value_name = "FILE")]
    pub alertmanager: Option<String>,
    /// A Prometheus external label, added to every alert that lacks it
    /// (repeatable: `--external-label cluster=prod`).
    #[arg(long = "external-label", value_name = "NAME=VALUE")]
    pub external_labels: Vec<String>,
    /// The time zone of the receivers' nights (22:00-07:00) and weekends: an
    /// IANA name such as Europe/Berlin (default: UTC).
    #[arg(long, value_name = "ZONE")]
    pub timezone: Option<String>,
    /// A receiver that wakes someone (repeatable; default: every receiver
    /// with a PagerDuty, Opsgenie, VictorOps or incident.io integration).
    #[arg(long = "page-receiver", value_name = "NAME")]
    pub page_receivers: Vec<String>,
    /// Prometheus's `--rules.alert.resend-delay`.
    #[arg(long, default_value = "1m", value_name = "DURATION")]
    pub resend_delay: String,
}

/// A loaded Alertmanager configuration and how to read its notifications.
pub struct Loaded {
    pub path: String,
    pub source: Source,
    pub config: am::Config,
    pub options: PageOptions,
}

/// Why there is no configuration to use.
pub enum Unusable {
    /// A message for a flag or a file that cannot be read.
    Message(String),
    /// A mistake in the configuration, at its place.
    Invalid(Box<Diagnostic>),
}

impl From<String> for Unusable {
    fn from(m: String) -> Self {
        Unusable::Message(m)
    }
}

/// The configuration file, as a source for diagnostics.
fn read(path: &str) -> Result<Source, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read {path}: {e}"))?;
    Ok(Arc::new(SourceFile::new(path, text)))
}

/// The diagnostic of a configuration mistake.
pub fn diagnostic(source: &Source, e: &ConfigError) -> Diagnostic {
    Diagnostic::new(
        CONFIG_CHECK,
        Severity::Error,
        source,
        e.span,
        format!(
            "Alertmanager would refuse this configuration: {}",
            e.message
        ),
    )
}

impl AlertmanagerArgs {
    /// The configuration named by the flag or the config file, if any.
    pub fn load(&self, config: &Config) -> Result<Option<Loaded>, Unusable> {
        let Some(path) = self
            .alertmanager
            .clone()
            .or_else(|| config.alertmanager.config.clone())
        else {
            if !self.page_receivers.is_empty() || self.timezone.is_some() {
                return Err(Unusable::Message(
                    "--page-receiver and --timezone need an Alertmanager configuration (--alertmanager FILE)".into(),
                ));
            }
            return Ok(None);
        };
        let source = read(&path)?;
        let parsed = am::load(&source.text)
            .map_err(|e| Unusable::Invalid(Box::new(diagnostic(&source, &e))))?;
        let options = self.options(config, &parsed)?;
        Ok(Some(Loaded {
            path,
            source,
            config: parsed,
            options,
        }))
    }

    fn options(&self, config: &Config, parsed: &am::Config) -> Result<PageOptions, String> {
        let section = &config.alertmanager;
        let zone = self.timezone.clone().or_else(|| section.timezone.clone());
        let timezone = match zone.as_deref() {
            None | Some("UTC") => chrono_tz::Tz::UTC,
            Some(name) => name.parse().map_err(|_| {
                format!("unknown time zone {name:?} (an IANA name, such as Europe/Berlin)")
            })?,
        };
        let external_labels = external_labels(&self.external_labels, config)?;
        let page_receivers = if self.page_receivers.is_empty() {
            section.page_receivers.clone()
        } else {
            self.page_receivers.clone()
        };
        for name in &page_receivers {
            if !parsed.receivers.iter().any(|r| &r.name == name) {
                let known: Vec<&str> = parsed.receivers.iter().map(|r| r.name.as_str()).collect();
                return Err(format!(
                    "--page-receiver {name:?}: no such receiver (known: {})",
                    known.join(", ")
                ));
            }
        }
        let resend = duration("resend-delay", &self.resend_delay)?;
        Ok(PageOptions {
            external_labels,
            resend_delay_ms: resend.millis as i64,
            timezone,
            page_receivers,
        })
    }
}

/// Prints why the configuration is unusable; the exit status.
pub fn report(unusable: Unusable) -> u8 {
    match unusable {
        Unusable::Message(m) => super::fail(m),
        Unusable::Invalid(d) => {
            let text = crate::report::human::render(&d, super::error_style());
            eprint!("{text}");
            super::fail("the Alertmanager configuration is invalid")
        }
    }
}

/// `NAME=VALUE` flags over the config file's `external-labels`.
fn external_labels(flags: &[String], config: &Config) -> Result<Vec<(String, String)>, String> {
    let mut out: Vec<(String, String)> = config
        .alertmanager
        .external_labels
        .iter()
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    for item in flags {
        let (k, v) = item
            .split_once('=')
            .filter(|(k, _)| !k.is_empty())
            .ok_or_else(|| format!("--external-label {item:?}: expected NAME=VALUE"))?;
        out.retain(|(name, _)| name != k);
        out.push((k.to_string(), v.to_string()));
    }
    Ok(out)
}

/// The configuration `lint` checks and checks the rules against; a
/// configuration Alertmanager refuses is kept, to be reported as a finding.
pub fn lint_input(
    path: Option<&str>,
    external: &[String],
    config: &Config,
) -> Result<Option<crate::alertmanager::LintInput>, String> {
    let Some(path) = path
        .map(str::to_string)
        .or_else(|| config.alertmanager.config.clone())
    else {
        return Ok(None);
    };
    let source = read(&path)?;
    let parsed = am::load(&source.text);
    Ok(Some(crate::alertmanager::LintInput {
        source,
        config: parsed,
        external_labels: external_labels(external, config)?,
    }))
}
