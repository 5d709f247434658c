//! From replayed alert timelines to what reached people: the timelines of
//! every alert go through one simulated Alertmanager together (grouping and
//! inhibition cross alerts), and the notifications are counted per receiver
//! and per alert, with those sent at night (22:00 to 07:00) or on a
//! weekend (Saturday, Sunday) in the receivers' time zone.

use chrono::{Datelike, TimeZone, Timelike};
use chrono_tz::Tz;

use super::config::Config;
use super::dispatch::{Alertmanager, Notification, Suppressed, Suppression};
use super::route::LabelSet;
use super::sends::{self, AlertHistory};
use crate::replay::{Grid, Timeline};

/// How the alerts reach Alertmanager and how its notifications are read.
#[derive(Debug, Clone)]
pub struct PageOptions {
    /// Prometheus's `external_labels`, added to alerts that lack them.
    pub external_labels: Vec<(String, String)>,
    pub resend_delay_ms: i64,
    /// Where nights and weekends are.
    pub timezone: Tz,
    /// The receivers that wake someone; empty: those with an incident
    /// management integration ([`super::config::Receiver::pages`]).
    pub page_receivers: Vec<String>,
}

impl Default for PageOptions {
    fn default() -> Self {
        PageOptions {
            external_labels: Vec::new(),
            resend_delay_ms: sends::DEFAULT_RESEND_DELAY_MS,
            timezone: Tz::UTC,
            page_receivers: Vec::new(),
        }
    }
}

impl PageOptions {
    /// Whether receiver `name` wakes someone: named with `page_receivers`,
    /// else one with an incident management integration.
    pub fn pages(&self, config: &Config, name: &str) -> bool {
        if self.page_receivers.is_empty() {
            config.receivers.iter().any(|r| r.name == name && r.pages())
        } else {
            self.page_receivers.iter().any(|p| p == name)
        }
    }
}

/// One alert rule's replayed instances, on its evaluation grid.
pub struct RuleTimelines<'a> {
    pub alertname: &'a str,
    pub grid: Grid,
    pub timelines: &'a [Timeline],
}

/// Counts for one receiver (or one alert at one receiver).
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct Counts {
    pub firing: u64,
    pub resolved: u64,
    /// Of all notifications, those sent at night / on a weekend.
    pub night: u64,
    pub weekend: u64,
    pub inhibited: u64,
    pub muted: u64,
}

impl Counts {
    pub fn sent(&self) -> u64 {
        self.firing + self.resolved
    }
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ReceiverPages {
    pub receiver: String,
    /// Whether it wakes someone (a paging receiver).
    pub pages: bool,
    pub integrations: Vec<String>,
    #[serde(flatten)]
    pub counts: Counts,
}

/// How often an alert was in a notification (firing) to a receiver.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct AlertPages {
    pub alertname: String,
    pub receiver: String,
    pub pages: bool,
    #[serde(flatten)]
    pub counts: Counts,
}

/// The replay through Alertmanager.
#[derive(Debug, Clone)]
pub struct Pages {
    /// Every alert instance, by index (notifications refer to them).
    pub alerts: Vec<LabelSet>,
    pub notifications: Vec<Notification>,
    pub suppressed: Vec<Suppressed>,
    pub receivers: Vec<ReceiverPages>,
    pub by_alert: Vec<AlertPages>,
    pub timezone: Tz,
}

impl Pages {
    /// The paging receivers' names.
    pub fn paging_receivers(&self) -> Vec<&str> {
        self.receivers
            .iter()
            .filter(|r| r.pages)
            .map(|r| r.receiver.as_str())
            .collect()
    }

    /// Notifications (firing) to the paging receivers.
    pub fn pages_sent(&self) -> u64 {
        self.receivers
            .iter()
            .filter(|r| r.pages)
            .map(|r| r.counts.firing)
            .sum()
    }

    /// Firing notifications to paging receivers with `alertname` in them.
    pub fn pages_of(&self, alertname: &str) -> u64 {
        self.by_alert
            .iter()
            .filter(|a| a.pages && a.alertname == alertname)
            .map(|a| a.counts.firing)
            .sum()
    }
}

/// One receiver before and after a change.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ReceiverChange {
    pub receiver: String,
    pub pages: bool,
    pub firing_before: u64,
    pub firing_after: u64,
    pub notifications_before: u64,
    pub notifications_after: u64,
}

/// Receivers whose notifications differ between two replays.
pub fn compare(before: &Pages, after: &Pages) -> Vec<ReceiverChange> {
    after
        .receivers
        .iter()
        .map(|a| {
            let b = before
                .receivers
                .iter()
                .find(|b| b.receiver == a.receiver)
                .map(|b| b.counts.clone())
                .unwrap_or_default();
            ReceiverChange {
                receiver: a.receiver.clone(),
                pages: a.pages,
                firing_before: b.firing,
                firing_after: a.counts.firing,
                notifications_before: b.sent(),
                notifications_after: a.counts.sent(),
            }
        })
        .filter(|c| {
            c.notifications_before != c.notifications_after || c.firing_before != c.firing_after
        })
        .collect()
}

/// Whether `ms` is at night (22:00 to 07:00) and whether on a weekend, in `tz`.
pub fn night_and_weekend(ms: i64, tz: Tz) -> (bool, bool) {
    match tz.timestamp_millis_opt(ms).single() {
        Some(t) => {
            let hour = t.hour();
            let weekday = t.weekday().num_days_from_monday();
            (!(7..22).contains(&hour), weekday >= 5)
        }
        None => (false, false),
    }
}

/// The alert histories Prometheus would send, from replayed timelines.
pub fn histories(rules: &[RuleTimelines<'_>], external: &[(String, String)]) -> Vec<AlertHistory> {
    let mut out = Vec::new();
    for rule in rules {
        let end = rule.grid.start_ms + rule.grid.step_ms * rule.grid.len as i64;
        for t in rule.timelines {
            if t.firing.is_empty() {
                continue;
            }
            let mut labels: LabelSet = t.labels.iter().cloned().collect();
            for (k, v) in external {
                labels.entry(k.clone()).or_insert_with(|| v.clone());
            }
            out.push(AlertHistory {
                labels,
                interval_ms: rule.grid.step_ms,
                episodes: sends::episodes(&t.pending, &t.firing, end),
            });
        }
    }
    out
}

/// Replays the rules' timelines through Alertmanager configured by `config`.
pub fn replay(config: &Config, rules: &[RuleTimelines<'_>], options: &PageOptions) -> Pages {
    let histories = histories(rules, &options.external_labels);
    let until = rules
        .iter()
        .map(|r| r.grid.start_ms + r.grid.step_ms * r.grid.len as i64)
        .max()
        .unwrap_or(0);
    let pushes = sends::pushes(&histories, options.resend_delay_ms, until);
    let alerts: Vec<LabelSet> = histories.into_iter().map(|h| h.labels).collect();
    let outcome = Alertmanager::new(config).dispatch(&alerts, &pushes, until);
    summarize(
        config,
        alerts,
        outcome.notifications,
        outcome.suppressed,
        options,
    )
}

fn summarize(
    config: &Config,
    alerts: Vec<LabelSet>,
    notifications: Vec<Notification>,
    suppressed: Vec<Suppressed>,
    options: &PageOptions,
) -> Pages {
    let pages = |name: &str| options.pages(config, name);
    let mut receivers: Vec<ReceiverPages> = config
        .receivers
        .iter()
        .map(|r| ReceiverPages {
            receiver: r.name.clone(),
            pages: pages(&r.name),
            integrations: r.integrations.iter().map(|i| i.kind.clone()).collect(),
            counts: Counts::default(),
        })
        .collect();
    let mut by_alert: Vec<AlertPages> = Vec::new();
    let alertname = |a: usize| alerts[a].get("alertname").cloned().unwrap_or_default();
    let mut indices = Vec::new();
    for n in &notifications {
        let (night, weekend) = night_and_weekend(n.at_ms, options.timezone);
        let add = |c: &mut Counts, firing: bool| {
            if firing {
                c.firing += 1;
            } else {
                c.resolved += 1;
            }
            c.night += u64::from(night);
            c.weekend += u64::from(weekend);
        };
        if let Some(r) = receivers.iter_mut().find(|r| r.receiver == n.receiver) {
            add(&mut r.counts, !n.firing.is_empty());
        }
        // Per alert: notifications with the alert firing in them, and
        // those telling of it resolved and none of it firing.
        let names = |list: &[usize]| {
            let mut names: Vec<String> = list.iter().map(|&a| alertname(a)).collect();
            names.sort();
            names.dedup();
            names
        };
        let firing = names(&n.firing);
        let resolved: Vec<String> = names(&n.resolved)
            .into_iter()
            .filter(|name| !firing.contains(name))
            .collect();
        indices.clear();
        let paging = pages(&n.receiver);
        for (name, is_firing) in firing
            .into_iter()
            .map(|name| (name, true))
            .chain(resolved.into_iter().map(|name| (name, false)))
        {
            indices.push((entry(&mut by_alert, name, &n.receiver, paging), is_firing));
        }
        for &(i, is_firing) in &indices {
            add(&mut by_alert[i].counts, is_firing);
        }
    }
    for s in &suppressed {
        let bump = |c: &mut Counts| match s.why {
            Suppression::Inhibited => c.inhibited += 1,
            Suppression::Muted => c.muted += 1,
        };
        if let Some(r) = receivers.iter_mut().find(|r| r.receiver == s.receiver) {
            bump(&mut r.counts);
        }
        let mut names: Vec<String> = s.firing.iter().map(|&a| alertname(a)).collect();
        names.sort();
        names.dedup();
        for name in names {
            let paging = pages(&s.receiver);
            let i = entry(&mut by_alert, name, &s.receiver, paging);
            bump(&mut by_alert[i].counts);
        }
    }
    // Pages first, then the most notified.
    by_alert.sort_by(|a, b| {
        b.pages
            .cmp(&a.pages)
            .then_with(|| b.counts.firing.cmp(&a.counts.firing))
            .then_with(|| a.alertname.cmp(&b.alertname))
            .then_with(|| a.receiver.cmp(&b.receiver))
    });
    Pages {
        alerts,
        notifications,
        suppressed,
        receivers,
        by_alert,
        timezone: options.timezone,
    }
}

/// The index of an alert's counts at a receiver, made on first use.
fn entry(by_alert: &mut Vec<AlertPages>, name: String, receiver: &str, pages: bool) -> usize {
    match by_alert
        .iter()
        .position(|a| a.alertname == name && a.receiver == receiver)
    {
        Some(i) => i,
        None => {
            by_alert.push(AlertPages {
                alertname: name,
                receiver: receiver.to_string(),
                pages,
                counts: Counts::default(),
            });
            by_alert.len() - 1
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nights_and_weekends_are_in_the_receivers_zone() {
        let at = |s: &str| {
            chrono::DateTime::parse_from_rfc3339(s)
                .unwrap()
                .timestamp_millis()
        };
        // Friday 2026-12-04 21:30 UTC is 22:30 in Berlin: night there.
        let berlin: Tz = "Europe/Berlin".parse().unwrap();
        assert_eq!(
            night_and_weekend(at("2026-12-04T21:30:00Z"), Tz::UTC),
            (false, false)
        );
        assert_eq!(
            night_and_weekend(at("2026-12-04T21:30:00Z"), berlin),
            (true, false)
        );
        // Saturday noon; Monday 06:59 is still night, 07:00 is not.
        assert_eq!(
            night_and_weekend(at("2026-12-05T12:00:00Z"), Tz::UTC),
            (false, true)
        );
        assert_eq!(
            night_and_weekend(at("2026-12-07T06:59:00Z"), Tz::UTC),
            (true, false)
        );
        assert_eq!(
            night_and_weekend(at("2026-12-07T07:00:00Z"), Tz::UTC),
            (false, false)
        );
    }
}
