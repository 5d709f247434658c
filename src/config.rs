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

use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::Deserialize;

use crate::diagnostic::{Diagnostic, Severity};
use crate::source::{SourceFile, Span};

pub const FILE_NAME: &str = ".firedrill.toml";

/// The check id config errors carry.
pub const CHECK: &str = "config";

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Config {
    /// Where it was read from; `None` when there is no config file.
    pub path: Option<PathBuf>,
    pub prometheus: PrometheusConfig,
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PrometheusConfig {
    /// The server `simulate` and `record` query when neither `--prometheus`
    /// nor `PROMETHEUS_URL` names one.
    pub url: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct ConfigFile {
    #[serde(default)]
    prometheus: PrometheusConfig,
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
    config.path = Some(path.to_path_buf());
    Ok(config)
}

/// Parses a config file's text; `name` is what messages call it.
pub fn parse(name: &str, text: String) -> Result<Config, ConfigError> {
    match toml::from_str::<ConfigFile>(&text) {
        Ok(file) => Ok(Config {
            path: None,
            prometheus: file.prometheus,
        }),
        Err(e) => {
            let span = e
                .span()
                .map_or(Span::empty(0), |r| Span::new(r.start, r.end));
            let message = e.message().trim_end().to_string();
            let source = Arc::new(SourceFile::new(name, text));
            Err(ConfigError::Invalid(Box::new(
                Diagnostic::new(CHECK, Severity::Error, &source, span, message)
                    .help("see the README's Configuration section for the keys"),
            )))
        }
    }
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
        assert_eq!(parse("c.toml", String::new()).unwrap(), Config::default());
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
