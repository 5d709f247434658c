//! Arguments shared by `simulate` and `record`: the server, how to reach
//! it, and the time window.

use std::path::PathBuf;

use crate::config::Config;
use crate::history::fetch::server::redact_url;
use crate::history::fetch::{Auth, FetchOptions, RetryPolicy, Secret, Server, Tls};
use crate::history::Source;
use crate::replay::plan::{Globals, Inlining};
use crate::rules::Duration;

/// The error when a replay has neither a recording nor a server.
/// Where history comes from: the server when one is given (`server` is
/// `None` when `--data` names a recording), else the recording.
pub fn source(
    server: Option<Server>,
    options: FetchOptions,
    data: Option<&str>,
    window: &WindowArgs,
) -> Result<Source, String> {
    match (server, data) {
        (Some(server), _) => Ok(Source::Server {
            server: Box::new(server),
            options,
            window: window.fetch_window()?,
        }),
        (None, Some(data)) => Ok(Source::Recording(data.into())),
        (None, None) => Err(NO_HISTORY.into()),
    }
}

/// How the rules are evaluated: what Prometheus's global config says, when
/// the rules do not.
#[derive(Debug, Clone, clap::Args)]
pub struct EvaluationArgs {
    /// The global evaluation interval, for groups without `interval` (default:
    /// `[prometheus] evaluation-interval`, else 30s for PrometheusRule manifests,
    /// the Prometheus Operator's default, and 1m for plain files, Prometheus's).
    #[arg(long, value_name = "DURATION")]
    pub eval_interval: Option<String>,
    /// Shift evaluation times by this much past the aligned grid (a server's group offset).
    #[arg(long, default_value = "0s", value_name = "DURATION")]
    pub eval_offset: String,
    /// The global `rule_query_offset`, for groups without `query_offset` (default:
    /// `[prometheus] rule-query-offset`, else 0).
    #[arg(long, value_name = "DURATION")]
    pub rule_query_offset: Option<String>,
    /// Replay alerts through the recording rules they read: each recorded series
    /// is replaced by its rule's expression, so history comes from raw series
    /// (for a new or changed recording rule the server has no history of).
    #[arg(long)]
    pub inline_recording: bool,
}

impl EvaluationArgs {
    /// Which recording rules to replay through: all of them when asked.
    pub fn inlining(&self) -> Inlining {
        if self.inline_recording {
            Inlining::All
        } else {
            Inlining::None
        }
    }

    /// The server's globals (flags over the config file) and the evaluation offset in ms.
    pub fn globals(&self, config: &Config) -> Result<(Globals, i64), String> {
        let interval = match &self.eval_interval {
            Some(text) => Some(duration("eval-interval", text)?),
            None => config.prometheus.evaluation_interval,
        };
        if interval.is_some_and(|i| i.is_zero()) {
            return Err("--eval-interval must be more than 0".into());
        }
        let rule_query_offset = match &self.rule_query_offset {
            Some(text) => Some(duration("rule-query-offset", text)?),
            None => config.prometheus.rule_query_offset,
        };
        let offset = duration("eval-offset", &self.eval_offset)?;
        Ok((
            Globals {
                evaluation_interval: interval,
                rule_query_offset,
            },
            offset.millis as i64,
        ))
    }
}

pub const NO_HISTORY: &str = "give a recording (--data FILE) or a server (--prometheus URL, PROMETHEUS_URL, or [prometheus] url in .firedrill.toml)";

/// Where history comes from when it is fetched live. `Debug` (by hand)
/// hides the URL's `user:password@` and header values, so that no panic or
/// log line can print them.
#[derive(Clone, clap::Args)]
pub struct ServerArgs {
    /// A server speaking Prometheus's HTTP API (Prometheus, Thanos Query, Mimir,
    /// VictoriaMetrics), e.g. http://127.0.0.1:9090 or https://host/prometheus.
    #[arg(long, env = "PROMETHEUS_URL", value_name = "URL")]
    pub prometheus: Option<String>,
    /// Send `Authorization: Bearer` with the token in this file (else from
    /// PROMETHEUS_BEARER_TOKEN when set). Never printed.
    #[arg(long, value_name = "FILE")]
    pub bearer_token_file: Option<PathBuf>,
    /// Basic auth user; the password comes from --basic-auth-password-file or
    /// PROMETHEUS_PASSWORD (`user:password@` in the URL works too).
    #[arg(long, value_name = "USER")]
    pub basic_auth_user: Option<String>,
    /// The basic auth password, read from this file (whitespace around it trimmed).
    /// Never printed.
    #[arg(long, value_name = "FILE")]
    pub basic_auth_password_file: Option<PathBuf>,
    /// An extra request header, e.g. 'X-Scope-OrgID: team-a' for Mimir or
    /// Cortex (repeatable). Values are never printed.
    #[arg(long = "header", value_name = "NAME: VALUE")]
    pub headers: Vec<String>,
    /// PEM file of CA certificates to trust besides the system's.
    #[arg(long, value_name = "FILE")]
    pub ca_file: Option<PathBuf>,
    /// PEM client certificate for mutual TLS (with --key-file).
    #[arg(long, value_name = "FILE")]
    pub cert_file: Option<PathBuf>,
    /// PEM private key of the client certificate (with --cert-file).
    #[arg(long, value_name = "FILE")]
    pub key_file: Option<PathBuf>,
    /// Do not verify the server's certificate (testing only).
    #[arg(long)]
    pub insecure_skip_verify: bool,
    /// Points per series in one request; Prometheus refuses more than 11000.
    #[arg(long, default_value_t = 11_000, value_name = "N")]
    pub max_points: u64,
    /// Samples (points × series) one response should hold at most; memory in
    /// flight is about concurrency × this × 16 bytes. Each query's first
    /// request is a one-day probe that counts its series; no request is cut
    /// below 120 points.
    #[arg(long, default_value_t = 250_000, value_name = "N")]
    pub max_samples_per_request: u64,
    /// The longest range one request may span (e.g. 1d where Thanos or Mimir
    /// limit query length); longer windows are split.
    #[arg(long, value_name = "DURATION")]
    pub max_range: Option<String>,
    /// Requests in flight at once.
    #[arg(long, default_value_t = 4, value_name = "N")]
    pub concurrency: usize,
    /// Time limit of one request.
    #[arg(long, default_value = "2m", value_name = "DURATION")]
    pub timeout: String,
    /// Time limit of the whole fetch.
    #[arg(long, default_value = "30m", value_name = "DURATION")]
    pub deadline: String,
    /// Retries of a request after a connection error, a timeout, 429 or 5xx.
    #[arg(long, default_value_t = 4, value_name = "N")]
    pub retries: u32,
    /// No progress bar or retry notes on stderr.
    #[arg(long, short)]
    pub quiet: bool,
}

/// The time window of a replay or recording.
#[derive(Debug, Clone, clap::Args)]
pub struct WindowArgs {
    /// A window ending now, as a Prometheus duration (e.g. 7d, 4w).
    #[arg(long, value_name = "DURATION", conflicts_with = "start")]
    pub range: Option<String>,
    /// Start of the window (RFC 3339 or unix seconds).
    #[arg(long, value_name = "TIME")]
    pub start: Option<String>,
    /// End of the window (RFC 3339 or unix seconds); default now.
    #[arg(long, value_name = "TIME")]
    pub end: Option<String>,
}

impl WindowArgs {
    /// `(start, end)` as given, for narrowing a recording.
    pub fn bounds(&self) -> Result<(Option<i64>, Option<i64>), String> {
        let time = |flag: &str, t: &Option<String>| {
            t.as_deref()
                .map(|text| crate::time::parse_time(text).map_err(|e| format!("--{flag}: {e}")))
                .transpose()
        };
        let (mut start, end) = (time("start", &self.start)?, time("end", &self.end)?);
        if let Some(range) = &self.range {
            let range = duration("range", range)?;
            let to = end.unwrap_or_else(now_ms);
            start = Some(to - range.millis as i64);
        }
        if let (Some(s), Some(e)) = (start, end) {
            if e <= s {
                return Err(format!(
                    "the window ends ({}) before it starts ({}): --end must be after --start",
                    crate::time::format_utc(e),
                    crate::time::format_utc(s)
                ));
            }
        }
        Ok((start, end))
    }

    /// The window to fetch: it needs a start (or a range); the end defaults to now.
    pub fn fetch_window(&self) -> Result<(i64, i64), String> {
        let (start, end) = self.bounds()?;
        let start = start.ok_or("give the window to fetch: --range 7d, or --start (and --end)")?;
        let end = end.unwrap_or_else(now_ms);
        if end <= start {
            return Err(format!(
                "the window ends ({}) before it starts ({})",
                crate::time::format_utc(end),
                crate::time::format_utc(start)
            ));
        }
        Ok((start, end))
    }
}

use crate::time::now_ms;

pub(crate) fn duration(flag: &str, text: &str) -> Result<Duration, String> {
    Duration::parse(text.trim()).map_err(|e| format!("--{flag} {text:?}: {e}"))
}

fn read_secret(path: &PathBuf, what: &str) -> Result<Secret, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("reading the {what} from {}: {e}", path.display()))?;
    let value = text.trim();
    if value.is_empty() {
        return Err(format!("the {what} file {} is empty", path.display()));
    }
    Ok(Secret::new(value))
}

fn env_secret(name: &str) -> Option<Secret> {
    std::env::var(name)
        .ok()
        .filter(|v| !v.trim().is_empty())
        .map(|v| Secret::new(v.trim()))
}

impl std::fmt::Debug for ServerArgs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let headers: Vec<String> = self
            .headers
            .iter()
            .map(|h| format!("{}: <redacted>", h.split(':').next().unwrap_or("")))
            .collect();
        f.debug_struct("ServerArgs")
            .field("prometheus", &self.prometheus.as_deref().map(redact_url))
            .field("bearer_token_file", &self.bearer_token_file)
            .field("basic_auth_user", &self.basic_auth_user)
            .field("basic_auth_password_file", &self.basic_auth_password_file)
            .field("headers", &headers)
            .field("ca_file", &self.ca_file)
            .field("cert_file", &self.cert_file)
            .field("key_file", &self.key_file)
            .field("insecure_skip_verify", &self.insecure_skip_verify)
            .field("max_points", &self.max_points)
            .field("max_samples_per_request", &self.max_samples_per_request)
            .field("max_range", &self.max_range)
            .field("concurrency", &self.concurrency)
            .field("timeout", &self.timeout)
            .field("deadline", &self.deadline)
            .field("retries", &self.retries)
            .field("quiet", &self.quiet)
            .finish()
    }
}

impl ServerArgs {
    /// The server to query, when one was given: `--prometheus`, else
    /// `PROMETHEUS_URL`, else `[prometheus] url` of the config file.
    pub fn server(&self, config: &Config) -> Result<Option<Server>, String> {
        let Some(url) = self.prometheus.as_ref().or(config.prometheus.url.as_ref()) else {
            return Ok(None);
        };
        let mut server = Server::parse(url).map_err(|e| e.to_string())?;
        if let Some(user) = &self.basic_auth_user {
            let password = match &self.basic_auth_password_file {
                Some(path) => read_secret(path, "basic auth password")?,
                None => env_secret("PROMETHEUS_PASSWORD").ok_or(
                    "--basic-auth-user needs --basic-auth-password-file or PROMETHEUS_PASSWORD",
                )?,
            };
            server.auth = Auth::Basic {
                user: user.clone(),
                password,
            };
        }
        let token = match &self.bearer_token_file {
            Some(path) => Some(read_secret(path, "bearer token")?),
            None => env_secret("PROMETHEUS_BEARER_TOKEN"),
        };
        if let Some(token) = token {
            if !matches!(server.auth, Auth::None) {
                return Err("give either basic auth or a bearer token, not both".into());
            }
            server.auth = Auth::Bearer(token);
        }
        for header in &self.headers {
            let (name, value) = header.split_once(':').ok_or_else(|| {
                format!(
                    "--header expects 'Name: value', got a line without ':' (header {:?})",
                    header.split(':').next().unwrap_or("")
                )
            })?;
            server
                .headers
                .push((name.trim().to_string(), Secret::new(value.trim())));
        }
        server.tls = Tls {
            ca_file: self.ca_file.clone(),
            cert_file: self.cert_file.clone(),
            key_file: self.key_file.clone(),
            insecure_skip_verify: self.insecure_skip_verify,
        };
        Ok(Some(server))
    }

    pub fn fetch_options(&self) -> Result<FetchOptions, String> {
        if self.max_points == 0 {
            return Err("--max-points must be at least 1".into());
        }
        if self.max_samples_per_request == 0 {
            return Err("--max-samples-per-request must be at least 1".into());
        }
        if self.concurrency == 0 {
            return Err("--concurrency must be at least 1".into());
        }
        let std_duration = |flag: &str, text: &str| -> Result<std::time::Duration, String> {
            let d = duration(flag, text)?;
            if d.is_zero() {
                return Err(format!("--{flag} must be more than 0"));
            }
            Ok(std::time::Duration::from_millis(d.millis))
        };
        let max_range_ms = match &self.max_range {
            Some(text) => {
                let d = duration("max-range", text)?;
                if d.is_zero() {
                    return Err("--max-range must be more than 0".into());
                }
                Some(d.millis as i64)
            }
            None => None,
        };
        Ok(FetchOptions {
            max_points: self.max_points,
            max_samples: self.max_samples_per_request,
            max_range_ms,
            concurrency: self.concurrency,
            timeout: std_duration("timeout", &self.timeout)?,
            deadline: std_duration("deadline", &self.deadline)?,
            retry: RetryPolicy {
                retries: self.retries,
                ..RetryPolicy::default()
            },
        })
    }
}
