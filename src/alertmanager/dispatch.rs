//! The notifications Alertmanager sends for a list of pushes, as its
//! dispatcher and notification pipeline decide them (dispatch/dispatch.go,
//! notify/, inhibit/), replayed on a simulated clock:
//!
//! - Each push updates the alert and goes into one aggregation group per
//!   matching route. A new group flushes `group_wait` after it was made,
//!   at once if the alert started more than `group_wait` ago, then every
//!   `group_interval`.
//! - A flush passes the group's alerts through the receiver's pipeline:
//!   inhibited alerts are dropped (a firing source alert matching the
//!   rule's source matchers, with the same `equal` labels, that is not
//!   itself a target); the whole flush is dropped outside the route's
//!   `active_time_intervals` or inside its `mute_time_intervals`; then
//!   each integration sends only if its notification log says so: a
//!   firing alert it has not been told of, all alerts resolved after some
//!   fired, a newly resolved alert when it `send_resolved`, or
//!   `repeat_interval` passed since its last notification.
//! - After a flush, its resolved alerts leave the group; an empty group is
//!   gone, and the next alert with its labels makes a new one.
//!
//! At the same millisecond, pushes are handled before flushes.

use std::cmp::Reverse;
use std::collections::{BTreeMap, BTreeSet, BinaryHeap, HashMap};

use super::config::{Config, Receiver};
use super::route::{LabelSet, Matcher, Route};
use super::sends::Push;
use super::time_interval::TimeInterval;

/// A notification one receiver got.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notification {
    pub at_ms: i64,
    pub receiver: String,
    pub group_key: String,
    /// The integrations that sent it (`pagerduty`, `slack`, ...).
    pub integrations: Vec<String>,
    /// Indices of the alerts, firing and resolved, as sent.
    pub firing: Vec<usize>,
    pub resolved: Vec<usize>,
}

impl Notification {
    /// `firing` when any alert is, as the webhook's `status` says.
    pub fn status(&self) -> &'static str {
        if self.firing.is_empty() {
            "resolved"
        } else {
            "firing"
        }
    }
}

/// Why a notification that would have gone out did not.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Suppression {
    /// Every alert of the flush was inhibited.
    Inhibited,
    /// The route's mute or active time intervals held it back.
    Muted,
}

/// A notification held back, counted as if sent (so a group muted all
/// night counts each time it would have notified, not each flush).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Suppressed {
    pub at_ms: i64,
    pub receiver: String,
    pub group_key: String,
    pub why: Suppression,
    pub firing: Vec<usize>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Outcome {
    pub notifications: Vec<Notification>,
    pub suppressed: Vec<Suppressed>,
}

/// A configuration made ready to dispatch.
pub struct Alertmanager<'c> {
    config: &'c Config,
    tree: Route,
}

impl<'c> Alertmanager<'c> {
    pub fn new(config: &'c Config) -> Self {
        Alertmanager {
            config,
            tree: Route::new(&config.route),
        }
    }

    /// The receivers an alert with `labels` is routed to.
    pub fn receivers_of(&self, labels: &LabelSet) -> Vec<&str> {
        self.tree
            .matching(labels)
            .iter()
            .map(|r| r.opts.receiver.as_str())
            .collect()
    }

    pub fn tree(&self) -> &Route {
        &self.tree
    }

    /// Replays `pushes` (in time order) of the alerts labelled `alerts`,
    /// flushing until `until_ms`.
    pub fn dispatch(&self, alerts: &[LabelSet], pushes: &[Push], until_ms: i64) -> Outcome {
        Run::new(self, alerts).play(pushes, until_ms)
    }
}

/// The notification log entry of one group and integration.
#[derive(Debug, Clone)]
struct Entry {
    firing: BTreeSet<usize>,
    resolved: BTreeSet<usize>,
    at_ms: i64,
}

/// `DedupStage.needsUpdate`: whether an integration notifies.
fn needs_update(
    entry: Option<&Entry>,
    firing: &BTreeSet<usize>,
    resolved: &BTreeSet<usize>,
    send_resolved: bool,
    repeat_ms: i64,
    now: i64,
) -> bool {
    let Some(entry) = entry else {
        return !firing.is_empty();
    };
    if !firing.is_subset(&entry.firing) {
        return true;
    }
    if firing.is_empty() {
        return !entry.firing.is_empty();
    }
    if send_resolved && !resolved.is_subset(&entry.resolved) {
        return true;
    }
    entry.at_ms < now - repeat_ms
}

/// What Alertmanager knows of an alert.
#[derive(Debug, Clone, Copy)]
struct Known {
    starts_at: i64,
    ends_at: Option<i64>,
}

impl Known {
    fn resolved_at(&self, now: i64) -> bool {
        self.ends_at.is_some_and(|e| e <= now)
    }
}

/// One inhibit rule, with each target alert's possible sources worked out
/// once (the labels of the alerts do not change).
struct Inhibition {
    /// For each alert: the alerts that would inhibit it while firing.
    sources_of: Vec<Vec<usize>>,
}

impl Inhibition {
    fn new(rule: &super::config::InhibitRule, alerts: &[LabelSet]) -> Self {
        let all = |ms: &[Matcher], l: &LabelSet| ms.iter().all(|m| m.matches(l));
        let key = |l: &LabelSet| -> Vec<String> {
            rule.equal
                .iter()
                .map(|n| l.get(n).cloned().unwrap_or_default())
                .collect()
        };
        let mut by_equal: HashMap<Vec<String>, Vec<usize>> = HashMap::new();
        for (i, l) in alerts.iter().enumerate() {
            if all(&rule.source, l) {
                by_equal.entry(key(l)).or_default().push(i);
            }
        }
        let sources_of = alerts
            .iter()
            .map(|l| {
                if !all(&rule.target, l) {
                    return Vec::new();
                }
                let two_sided = all(&rule.source, l);
                by_equal
                    .get(&key(l))
                    .map(|sources| {
                        sources
                            .iter()
                            .copied()
                            .filter(|&s| !(two_sided && all(&rule.target, &alerts[s])))
                            .collect()
                    })
                    .unwrap_or_default()
            })
            .collect();
        Inhibition { sources_of }
    }
}

struct Group {
    route: usize,
    key: String,
    /// Alert index → its version when last inserted.
    members: BTreeMap<usize, u64>,
    /// Bumped when the group goes, so its queued flush is dropped.
    alive: bool,
}

struct Run<'a> {
    routes: Vec<&'a Route>,
    receivers: HashMap<&'a str, &'a Receiver>,
    intervals: &'a BTreeMap<String, Vec<TimeInterval>>,
    inhibitions: Vec<Inhibition>,
    /// Per alert: (route index, group key) of each group it joins.
    placements: Vec<Vec<(usize, String)>>,
    known: Vec<Option<(Known, u64)>>,
    groups: Vec<Group>,
    open: HashMap<(usize, String), usize>,
    timers: BinaryHeap<Reverse<(i64, usize)>>,
    log: HashMap<(String, String, usize), Entry>,
    /// The log as if held-back notifications had been sent.
    shadow: HashMap<(String, String, usize), Entry>,
    out: Outcome,
}

impl<'a> Run<'a> {
    fn new(am: &'a Alertmanager<'_>, alerts: &[LabelSet]) -> Self {
        let routes = am.tree.all();
        let placements = alerts
            .iter()
            .map(|l| {
                am.tree
                    .matching(l)
                    .into_iter()
                    .map(|r| (r.index, r.group_key(l)))
                    .collect()
            })
            .collect();
        Run {
            routes,
            receivers: am
                .config
                .receivers
                .iter()
                .map(|r| (r.name.as_str(), r))
                .collect(),
            intervals: &am.config.time_intervals,
            inhibitions: am
                .config
                .inhibit_rules
                .iter()
                .map(|r| Inhibition::new(r, alerts))
                .collect(),
            placements,
            known: vec![None; alerts.len()],
            groups: Vec::new(),
            open: HashMap::new(),
            timers: BinaryHeap::new(),
            log: HashMap::new(),
            shadow: HashMap::new(),
            out: Outcome::default(),
        }
    }

    fn play(mut self, pushes: &[Push], until_ms: i64) -> Outcome {
        let mut next = 0;
        loop {
            let push_at = pushes.get(next).map(|p| p.at);
            let flush_at = self.timers.peek().map(|Reverse((t, _))| *t);
            match (push_at, flush_at) {
                (Some(p), f) if p < until_ms && f.is_none_or(|f| p <= f) => {
                    self.receive(&pushes[next]);
                    next += 1;
                }
                (_, Some(f)) if f < until_ms => {
                    let Some(Reverse((at, g))) = self.timers.pop() else {
                        break;
                    };
                    if self.groups[g].alive {
                        self.flush(g, at);
                    }
                }
                _ => break,
            }
        }
        self.out
    }

    fn receive(&mut self, push: &Push) {
        let version = self.known[push.alert].map_or(0, |(_, v)| v + 1);
        self.known[push.alert] = Some((
            Known {
                starts_at: push.starts_at,
                ends_at: push.ends_at,
            },
            version,
        ));
        for (route, key) in self.placements[push.alert].clone() {
            if let Some(&g) = self.open.get(&(route, key.clone())) {
                self.groups[g].members.insert(push.alert, version);
                continue;
            }
            let opts = &self.routes[route].opts;
            let g = self.groups.len();
            self.groups.push(Group {
                route,
                key: key.clone(),
                members: BTreeMap::from([(push.alert, version)]),
                alive: true,
            });
            self.open.insert((route, key), g);
            let wait = opts.group_wait.millis as i64;
            let first = if push.starts_at + wait < push.at {
                push.at
            } else {
                push.at + wait
            };
            self.timers.push(Reverse((first, g)));
        }
    }

    fn flush(&mut self, g: usize, now: i64) {
        let route = self.routes[self.groups[g].route];
        self.timers
            .push(Reverse((now + route.opts.group_interval.millis as i64, g)));
        let members: Vec<(usize, u64)> = self.groups[g]
            .members
            .iter()
            .map(|(a, v)| (*a, *v))
            .collect();
        if members.is_empty() {
            return;
        }
        let resolved_now: Vec<(usize, u64)> = members
            .iter()
            .copied()
            .filter(|(a, _)| self.known[*a].is_some_and(|(k, _)| k.resolved_at(now)))
            .collect();
        let ids: Vec<usize> = members.iter().map(|(a, _)| *a).collect();
        self.notify(g, route, &ids, now);
        // Sent (or deliberately not): resolved alerts leave the group.
        let group = &mut self.groups[g];
        for (a, v) in resolved_now {
            if group.members.get(&a) == Some(&v) {
                group.members.remove(&a);
            }
        }
        if group.members.is_empty() {
            group.alive = false;
            let key = (group.route, group.key.clone());
            self.open.remove(&key);
        }
    }

    fn firing_source(&self, a: usize, now: i64) -> bool {
        self.inhibitions.iter().any(|inh| {
            inh.sources_of[a].iter().any(|&s| {
                self.known[s].is_some_and(|(k, _)| k.starts_at <= now && !k.resolved_at(now))
            })
        })
    }

    fn split(&self, alerts: &[usize], now: i64) -> (BTreeSet<usize>, BTreeSet<usize>) {
        alerts
            .iter()
            .partition(|&&a| !self.known[a].is_some_and(|(k, _)| k.resolved_at(now)))
    }

    fn in_any(&self, names: &[String], now: i64) -> bool {
        names.iter().any(|n| {
            self.intervals
                .get(n)
                .is_some_and(|set| set.iter().any(|i| i.contains(now)))
        })
    }

    fn notify(&mut self, g: usize, route: &Route, alerts: &[usize], now: i64) {
        let receiver_name = route.opts.receiver.as_str();
        let Some(receiver) = self.receivers.get(receiver_name).copied() else {
            return;
        };
        let group_key = self.groups[g].key.clone();
        let repeat = route.opts.repeat_interval.millis as i64;
        let kept: Vec<usize> = alerts
            .iter()
            .copied()
            .filter(|&a| !self.firing_source(a, now))
            .collect();
        let held = if kept.is_empty() {
            Some((Suppression::Inhibited, alerts.to_vec()))
        } else {
            let active = route.opts.active_time_intervals.is_empty()
                || self.in_any(&route.opts.active_time_intervals, now);
            let muted = self.in_any(&route.opts.mute_time_intervals, now);
            (!active || muted).then(|| (Suppression::Muted, kept.clone()))
        };
        if let Some((why, alerts)) = held {
            let (firing, resolved) = self.split(&alerts, now);
            let mut would = false;
            for (i, integration) in receiver.integrations.iter().enumerate() {
                let key = (group_key.clone(), receiver_name.to_string(), i);
                if needs_update(
                    self.shadow.get(&key),
                    &firing,
                    &resolved,
                    integration.send_resolved,
                    repeat,
                    now,
                ) {
                    would |= !firing.is_empty() || integration.send_resolved;
                    self.shadow.insert(
                        key,
                        Entry {
                            firing: firing.clone(),
                            resolved: resolved.clone(),
                            at_ms: now,
                        },
                    );
                }
            }
            if would {
                self.out.suppressed.push(Suppressed {
                    at_ms: now,
                    receiver: receiver_name.to_string(),
                    group_key,
                    why,
                    firing: firing.into_iter().collect(),
                });
            }
            return;
        }
        let (firing, resolved) = self.split(&kept, now);
        let mut sent_by = Vec::new();
        let mut sent_resolved = false;
        for (i, integration) in receiver.integrations.iter().enumerate() {
            let key = (group_key.clone(), receiver_name.to_string(), i);
            if !needs_update(
                self.log.get(&key),
                &firing,
                &resolved,
                integration.send_resolved,
                repeat,
                now,
            ) {
                continue;
            }
            if !firing.is_empty() || integration.send_resolved {
                sent_by.push(integration.kind.clone());
                sent_resolved |= integration.send_resolved;
            }
            let entry = Entry {
                firing: firing.clone(),
                resolved: resolved.clone(),
                at_ms: now,
            };
            self.shadow.insert(key.clone(), entry.clone());
            self.log.insert(key, entry);
        }
        if !sent_by.is_empty() {
            self.out.notifications.push(Notification {
                at_ms: now,
                receiver: receiver_name.to_string(),
                group_key,
                integrations: sent_by,
                firing: firing.into_iter().collect(),
                resolved: if sent_resolved {
                    resolved.into_iter().collect()
                } else {
                    Vec::new()
                },
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::config::load;
    use super::super::sends::{pushes, AlertHistory, Episode};
    use super::*;

    const CONFIG: &str = "route:
  receiver: pager
  group_by: [alertname]
  group_wait: 30s
  group_interval: 5m
  repeat_interval: 4h
  routes:
    - matchers: ['severity=\"warning\"']
      receiver: channel
receivers:
  - name: pager
    pagerduty_configs: [{routing_key: x}]
  - name: channel
    slack_configs: [{api_url: 'http://127.0.0.1/', channel: '#x'}]
inhibit_rules:
  - source_matchers: ['severity=\"critical\"']
    target_matchers: ['severity=\"warning\"']
    equal: [namespace]
";

    fn labels(pairs: &[(&str, &str)]) -> LabelSet {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    fn history(l: LabelSet, episodes: &[(i64, i64, Option<i64>)]) -> AlertHistory {
        AlertHistory {
            labels: l,
            interval_ms: 60_000,
            episodes: episodes
                .iter()
                .map(|&(a, f, r)| Episode {
                    active_at: a,
                    fired_at: f,
                    resolved_at: r,
                })
                .collect(),
        }
    }

    fn run(histories: &[AlertHistory], until: i64) -> Outcome {
        let config = load(CONFIG).unwrap();
        let am = Alertmanager::new(&config);
        let alerts: Vec<LabelSet> = histories.iter().map(|h| h.labels.clone()).collect();
        am.dispatch(&alerts, &pushes(histories, 60_000, until), until)
    }

    const MIN: i64 = 60_000;

    #[test]
    fn thirty_pods_crash_looping_are_one_page() {
        let histories: Vec<AlertHistory> = (0..30)
            .map(|i| {
                history(
                    labels(&[("alertname", "CrashLoop"), ("pod", &format!("p{i}"))]),
                    &[(0, 0, Some(20 * MIN))],
                )
            })
            .collect();
        let out = run(&histories, 120 * MIN);
        let firing: Vec<_> = out
            .notifications
            .iter()
            .filter(|n| n.status() == "firing")
            .collect();
        assert_eq!(firing.len(), 1);
        assert_eq!(firing[0].firing.len(), 30);
        // group_wait after the group was made.
        assert_eq!(firing[0].at_ms, 30_000);
        // PagerDuty sends resolved: one more, at the first flush after.
        let resolved: Vec<_> = out
            .notifications
            .iter()
            .filter(|n| n.status() == "resolved")
            .collect();
        assert_eq!(resolved.len(), 1);
        assert_eq!(resolved[0].at_ms, 30_000 + 4 * 5 * MIN);
    }

    #[test]
    fn an_alert_older_than_group_wait_flushes_at_once_and_repeats() {
        // `for: 10m`: started ten minutes before it is sent.
        let h = history(labels(&[("alertname", "Slow")]), &[(0, 10 * MIN, None)]);
        let out = run(&[h], 10 * MIN + 9 * 3_600_000);
        let at: Vec<i64> = out.notifications.iter().map(|n| n.at_ms).collect();
        // At once, then every repeat_interval (at the first flush after it).
        assert_eq!(
            at,
            [
                10 * MIN,
                10 * MIN + 4 * 60 * MIN + 5 * MIN,
                10 * MIN + 8 * 60 * MIN + 10 * MIN
            ]
        );
    }

    #[test]
    fn a_warning_is_inhibited_by_its_critical_in_the_same_namespace() {
        let crit = history(
            labels(&[
                ("alertname", "DiskFull"),
                ("severity", "critical"),
                ("namespace", "db"),
            ]),
            &[(0, 0, Some(30 * MIN))],
        );
        let warn_same = history(
            labels(&[
                ("alertname", "DiskLow"),
                ("severity", "warning"),
                ("namespace", "db"),
            ]),
            &[(MIN, MIN, Some(30 * MIN))],
        );
        let warn_other = history(
            labels(&[
                ("alertname", "DiskLow2"),
                ("severity", "warning"),
                ("namespace", "web"),
            ]),
            &[(MIN, MIN, Some(30 * MIN))],
        );
        let out = run(&[crit, warn_same, warn_other], 120 * MIN);
        let to = |r: &str| out.notifications.iter().filter(|n| n.receiver == r).count();
        // The critical pages and resolves; the other namespace's warning
        // reaches the channel once (Slack does not send resolved).
        assert_eq!(to("pager"), 2);
        assert_eq!(to("channel"), 1);
        assert_eq!(out.suppressed.len(), 1);
        assert_eq!(out.suppressed[0].why, Suppression::Inhibited);
    }

    #[test]
    fn a_flapping_alert_notifies_every_group_interval() {
        // Fires one minute in two: each group_interval finds it firing
        // again after a resolution the receiver was told of, or not.
        let episodes: Vec<(i64, i64, Option<i64>)> = (0..60)
            .map(|k| (2 * k * MIN, 2 * k * MIN, Some((2 * k + 1) * MIN)))
            .collect();
        let h = history(labels(&[("alertname", "Flap")]), &episodes);
        let out = run(&[h], 120 * MIN);
        let shown: Vec<(i64, &str)> = out
            .notifications
            .iter()
            .map(|n| (n.at_ms / 1000, n.status()))
            .collect();
        // A resolved flush empties the group, which goes; the next firing
        // makes a new group that waits only group_wait: firing at 30s,
        // resolved at 5m30s, firing again at 6m30s, and so on.
        assert_eq!(
            &shown[..4],
            &[
                (30, "firing"),
                (330, "resolved"),
                (390, "firing"),
                (690, "resolved")
            ]
        );
        assert_eq!(shown.len(), 40);
    }

    #[test]
    fn an_alert_on_both_sides_of_a_rule_is_not_inhibited_by_its_like() {
        // inhibit/inhibit_test.go's TestInhibitRuleMatches (Alertmanager
        // main): two rules, a firing source for each (the second's also
        // matching its own target side), and whether each target is
        // inhibited.
        let config = load(
            "route:
  receiver: r
  group_by: ['...']
receivers:
  - name: r
    webhook_configs: [{url: 'http://127.0.0.1/'}]
inhibit_rules:
  - source_match: {s1: '1'}
    target_match: {t1: '1'}
    equal: [e]
  - source_match: {s2: '1'}
    target_match: {t2: '1'}
    equal: [e]
",
        )
        .unwrap();
        let am = Alertmanager::new(&config);
        let source1 = labels(&[("s1", "1"), ("t1", "2"), ("e", "1")]);
        let source2 = labels(&[("s2", "1"), ("t2", "1"), ("e", "1")]);
        let cases: [(&[(&str, &str)], bool); 8] = [
            (&[("t1", "1"), ("e", "1")], true),
            (&[("t2", "1"), ("e", "1")], true),
            (&[("t1", "1"), ("t3", "1"), ("e", "1")], true),
            (&[("t1", "1"), ("t2", "1"), ("e", "1")], true),
            (&[("t1", "0"), ("e", "1")], false),
            // On both sides of rule 1; its source only on the source side.
            (&[("s1", "1"), ("t1", "1"), ("e", "1")], true),
            // On both sides of rule 2, as its source is.
            (&[("s2", "1"), ("t2", "1"), ("e", "1")], false),
            (&[("t1", "1"), ("e", "0")], false),
        ];
        for (target, inhibited) in cases {
            let histories = [
                history(source1.clone(), &[(0, 0, None)]),
                history(source2.clone(), &[(0, 0, None)]),
                history(labels(target), &[(MIN, MIN, None)]),
            ];
            let alerts: Vec<LabelSet> = histories.iter().map(|h| h.labels.clone()).collect();
            let out = am.dispatch(&alerts, &pushes(&histories, 60_000, 30 * MIN), 30 * MIN);
            let held = out
                .suppressed
                .iter()
                .any(|s| s.why == Suppression::Inhibited && s.firing.contains(&2));
            let notified = out.notifications.iter().any(|n| n.firing.contains(&2));
            assert_eq!((held, notified), (inhibited, !inhibited), "{target:?}");
        }
    }
}
