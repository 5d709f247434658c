//! What the checks are told: facts about the team's Prometheus (scrape and
//! evaluation intervals) and each configurable check's options (its policy:
//! required labels and annotations, limits). `.firedrill.toml` fills it in. A policy left unset is not a
//! default of ours: the checks then judge by the house style
//! ([`super::House`]), as pint keeps such policies off until configured.

use std::any::Any;
use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fmt;

use super::Options;
use crate::rules::duration::Duration;

#[derive(Debug, Clone, Default)]
pub struct Settings {
    /// How often targets are scraped (`global.scrape_interval`), when the team said.
    pub scrape_interval: Option<Duration>,
    /// How often a group without `interval:` is evaluated, when the team said.
    pub evaluation_interval: Option<Duration>,
    /// Each configurable check's options, as it read them from `[checks."<id>"]`.
    pub options: CheckOptions,
}

/// Options by check id. Each check reads its own table into its own type
/// ([`super::Check::configure`]), so adding one is a change to that check alone.
#[derive(Clone, Default)]
pub struct CheckOptions(BTreeMap<&'static str, Options>);

impl fmt::Debug for CheckOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.0.keys()).finish()
    }
}

impl Settings {
    /// Sets the options of check `id`, as its `configure` returned them.
    pub fn set_options(&mut self, id: &'static str, options: Options) {
        self.options.0.insert(id, options);
    }

    /// The options of check `id`: what `.firedrill.toml` set, else the check's defaults.
    pub fn options<T: Any + Clone + Default>(&self, id: &str) -> Cow<'_, T> {
        match self.options.0.get(id).and_then(|o| o.downcast_ref::<T>()) {
            Some(set) => Cow::Borrowed(set),
            None => Cow::Owned(T::default()),
        }
    }
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
