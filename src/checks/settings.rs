//! What the configurable checks are told: the team's policy (required labels
//! and annotations) and facts about its Prometheus (scrape and evaluation
//! intervals). `.firedrill.toml` fills it in. A policy left unset is not a
//! default of ours: the checks then judge by the house style
//! ([`super::House`]), as pint keeps such policies off until configured.

use std::collections::BTreeMap;
use std::fmt;

use crate::rules::duration::Duration;

#[derive(Debug, Clone)]
pub struct Settings {
    /// How often targets are scraped (`global.scrape_interval`), when the team said.
    pub scrape_interval: Option<Duration>,
    /// How often a group without `interval:` is evaluated, when the team said.
    pub evaluation_interval: Option<Duration>,
    /// Labels every alert must carry; unset: the labels of the house style.
    pub required_labels: Option<Vec<String>>,
    /// For a label, the values it may take (templated values are not judged).
    pub allowed_label_values: BTreeMap<String, Vec<String>>,
    /// Annotations every alert must carry; unset: the annotations of the house style.
    pub required_annotations: Option<Vec<String>>,
    /// For an annotation, a regular expression its value must match.
    pub annotation_patterns: Vec<(String, regex::Regex)>,
    /// A `for`/`keep_firing_for` longer than this is reported.
    pub max_for: Duration,
    /// A group `interval` longer than this is reported.
    pub max_group_interval: Duration,
}

/// An interval the checks judge by, and where it comes from (a finding says
/// what it assumed).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Interval {
    pub value: Duration,
    pub source: IntervalSource,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum IntervalSource {
    /// `.firedrill.toml`.
    Configured,
    /// The Prometheus Operator's default for PrometheusRule manifests.
    OperatorDefault,
    /// Nobody said, and the file does not tell: the interval of the
    /// configuration Prometheus ships as its example (`prometheus.yml`),
    /// the shortest in common use. A finding made against it holds for any
    /// usual setting.
    ExampleConfiguration,
}

impl fmt::Display for Interval {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let v = self.value;
        match self.source {
            IntervalSource::Configured => write!(f, "{v}"),
            IntervalSource::OperatorDefault => {
                write!(f, "{v}, the Prometheus Operator's default")
            }
            IntervalSource::ExampleConfiguration => write!(
                f,
                "{v} at the least: Prometheus's example configuration, the shortest in common use"
            ),
        }
    }
}

impl Settings {
    /// The evaluation interval of a group without `interval:`: the team's, else
    /// the Operator's 30s for manifests (`evaluationInterval` of the Prometheus
    /// resource), else 15s. Prometheus's built-in default is 1m, but the
    /// example `prometheus.yml` it ships (and most installs) set 15s: a plain
    /// file says nothing of its server, so only what is wrong at 15s is sure.
    pub fn evaluation_interval(&self, manifest: bool) -> Interval {
        match (self.evaluation_interval, manifest) {
            (Some(value), _) => Interval {
                value,
                source: IntervalSource::Configured,
            },
            (None, true) => Interval {
                value: Duration::from_secs(30),
                source: IntervalSource::OperatorDefault,
            },
            (None, false) => Interval {
                value: Duration::from_secs(15),
                source: IntervalSource::ExampleConfiguration,
            },
        }
    }

    /// The scrape interval: the team's, else the Operator's 30s for manifests
    /// (`scrapeInterval`), else 15s, as for the evaluation interval: a check
    /// that assumed Prometheus's built-in 1m would call every `[1m]` window of
    /// an install scraping every 15-30s broken.
    pub fn scrape_interval(&self, manifest: bool) -> Interval {
        match (self.scrape_interval, manifest) {
            (Some(value), _) => Interval {
                value,
                source: IntervalSource::Configured,
            },
            (None, true) => Interval {
                value: Duration::from_secs(30),
                source: IntervalSource::OperatorDefault,
            },
            (None, false) => Interval {
                value: Duration::from_secs(15),
                source: IntervalSource::ExampleConfiguration,
            },
        }
    }
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            scrape_interval: None,
            evaluation_interval: None,
            required_labels: None,
            allowed_label_values: BTreeMap::new(),
            required_annotations: None,
            annotation_patterns: Vec::new(),
            max_for: Duration::from_secs(24 * 3600),
            // Prometheus's lookback delta: a series not written for 5m is gone
            // from instant queries, so a slower recording rule has gaps.
            max_group_interval: Duration::from_secs(5 * 60),
        }
    }
}
