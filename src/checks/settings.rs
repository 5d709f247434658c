//! What the configurable checks are told: the team's policy (required labels
//! and annotations) and facts about its Prometheus (scrape and evaluation
//! intervals). `.firedrill.toml` fills it in; the defaults are what a
//! kube-prometheus-stack install runs with.

use std::collections::BTreeMap;

use crate::rules::duration::Duration;

#[derive(Debug, Clone)]
pub struct Settings {
    /// How often targets are scraped (`global.scrape_interval`).
    pub scrape_interval: Duration,
    /// How often a group without `interval:` is evaluated (`global.evaluation_interval`).
    pub evaluation_interval: Duration,
    /// Labels every alert must carry.
    pub required_labels: Vec<String>,
    /// For a label, the values it may take (templated values are not judged).
    pub allowed_label_values: BTreeMap<String, Vec<String>>,
    /// Annotations every alert must carry.
    pub required_annotations: Vec<String>,
    /// For an annotation, a regular expression its value must match.
    pub annotation_patterns: Vec<(String, regex::Regex)>,
    /// A `for`/`keep_firing_for` longer than this is reported.
    pub max_for: Duration,
    /// A group `interval` longer than this is reported.
    pub max_group_interval: Duration,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            scrape_interval: Duration::from_secs(60),
            evaluation_interval: Duration::from_secs(60),
            required_labels: vec!["severity".into()],
            allowed_label_values: BTreeMap::from([(
                "severity".to_string(),
                vec!["critical".into(), "warning".into(), "info".into()],
            )]),
            required_annotations: vec!["summary".into(), "description".into()],
            annotation_patterns: Vec::new(),
            max_for: Duration::from_secs(24 * 3600),
            // Prometheus's lookback delta: a series not written for 5m is gone
            // from instant queries, so a slower recording rule has gaps.
            max_group_interval: Duration::from_secs(5 * 60),
        }
    }
}
