//! Alertmanager's side of a page: what happens to replayed alerts after
//! Prometheus. `config` reads an `alertmanager.yml` as Alertmanager does,
//! `route` is its routing tree, `time_interval` its time intervals,
//! `sends` what Prometheus sends it for replayed alert timelines, and
//! `dispatch` the aggregation groups, inhibition, muting and
//! de-duplication that turn those into notifications.

pub mod config;
pub mod dispatch;
pub mod integrations;
pub mod pages;
pub mod route;
pub mod rule_labels;
pub mod sends;
pub mod time_interval;

/// An Alertmanager configuration for `lint`: its file, and what
/// Alertmanager makes of it.
#[derive(Debug, Clone)]
pub struct LintInput {
    pub source: crate::source::Source,
    pub config: Result<config::Config, config::ConfigError>,
    /// Prometheus's `external_labels`.
    pub external_labels: Vec<(String, String)>,
}
