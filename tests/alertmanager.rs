//! firedrill's Alertmanager model against a real Alertmanager (Debian
//! `prometheus-alertmanager`, 0.25): the same alert timelines are sent to
//! both, the real one through its API at the same relative times as
//! Prometheus would send them (firing alerts re-sent with `endsAt` four
//! intervals ahead, resolved ones re-sent for as long as the scenario
//! runs), and its notifications are caught by a webhook on loopback. The
//! lists must be equal: receiver, group key, status and alerts of every
//! notification, at times within a second of each other.
//!
//! Timings are in seconds, with flushes never at the same millisecond as
//! an evaluation (group_wait 2.5s, group_interval 6.3s, evaluations every
//! second), where which comes first is a race in the real thing. Where 0.25
//! differs from the Alertmanager firedrill follows (main), the scenarios
//! stay out of the difference, and say so:
//! - 0.25 keeps an emptied aggregation group until its 30s maintenance
//!   tick (a later alert joins it on its old flush schedule); main drops it
//!   at once (a later alert makes a new group that waits `group_wait`).
//!   No group here gets an alert within 30s of emptying.
//! - 0.25 flushes at once for any alert older than `group_wait` that
//!   arrives before the group's first flush; main only for the alert that
//!   makes the group. Alerts that share a group here arrive together.

mod common;

use std::collections::BTreeMap;
use std::time::Duration;

use common::alertmanager::{now_ms, Alertmanager, Webhook};
use firedrill::alertmanager::config::load;
use firedrill::alertmanager::dispatch::{Alertmanager as Model, Notification};
use firedrill::alertmanager::route::LabelSet;
use firedrill::alertmanager::sends::{pushes, AlertHistory, Episode};

const STEP: i64 = 1000;

/// An alert: its labels and `(active, fired, resolved)` seconds from the
/// scenario's start (`resolved` past the end: still firing).
struct Alert {
    labels: &'static [(&'static str, &'static str)],
    episodes: &'static [(i64, i64, i64)],
}

/// One notification as compared: time, receiver, group, status, alerts.
#[derive(Debug, Clone, PartialEq)]
struct Seen {
    at_ms: i64,
    receiver: String,
    group_key: String,
    status: String,
    alerts: Vec<String>,
}

fn labels_text(labels: &LabelSet) -> String {
    let inner: Vec<String> = labels.iter().map(|(k, v)| format!("{k}={v}")).collect();
    format!("{{{}}}", inner.join(","))
}

fn rfc3339(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .unwrap()
        .to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// What Prometheus would send at each evaluation (rules/alerting.go
/// `needsSending`, resend delay one interval): firing alerts when they
/// start and whenever the last send is more than a second old, with
/// `endsAt` four intervals ahead; resolved ones when they resolve and
/// again likewise, with `endsAt` the resolution.
fn prometheus_sends(
    histories: &[AlertHistory],
    start: i64,
    end: i64,
) -> Vec<(i64, serde_json::Value)> {
    let mut batches = Vec::new();
    let mut last_sent: Vec<Option<(usize, i64)>> = vec![None; histories.len()];
    let mut ts = start;
    while ts < end {
        let mut batch = Vec::new();
        for (a, h) in histories.iter().enumerate() {
            // The episode this alert is in (firing) or last resolved from.
            let current = h
                .episodes
                .iter()
                .enumerate()
                .rev()
                .find(|(_, e)| e.active_at <= ts);
            let Some((i, e)) = current else { continue };
            if ts < e.fired_at {
                continue; // pending: not sent
            }
            let resolved = e.resolved_at.filter(|r| *r <= ts);
            let since = last_sent[a].filter(|(ep, _)| *ep == i).map(|(_, t)| t);
            let send = match (resolved, since) {
                (_, None) => true,
                (Some(r), Some(t)) if r > t => true,
                (_, Some(t)) => t + STEP < ts,
            };
            if !send {
                continue;
            }
            last_sent[a] = Some((i, ts));
            let ends_at = resolved.unwrap_or(ts + 4 * STEP);
            batch.push(serde_json::json!({
                "labels": h.labels,
                "annotations": {},
                "startsAt": rfc3339(e.active_at),
                "endsAt": rfc3339(ends_at),
                "generatorURL": "http://127.0.0.1/graph",
            }));
        }
        if !batch.is_empty() {
            batches.push((ts, serde_json::Value::Array(batch)));
        }
        ts += STEP;
    }
    batches
}

fn model_seen(n: &Notification, histories: &[AlertHistory]) -> Seen {
    let mut alerts: Vec<String> = n
        .firing
        .iter()
        .map(|a| format!("firing {}", labels_text(&histories[*a].labels)))
        .chain(
            n.resolved
                .iter()
                .map(|a| format!("resolved {}", labels_text(&histories[*a].labels))),
        )
        .collect();
    alerts.sort();
    Seen {
        at_ms: n.at_ms,
        receiver: n.receiver.clone(),
        group_key: n.group_key.clone(),
        status: n.status().to_string(),
        alerts,
    }
}

fn real_seen(at_ms: i64, body: &serde_json::Value) -> Seen {
    let mut alerts: Vec<String> = body["alerts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            let labels: LabelSet = serde_json::from_value(a["labels"].clone()).unwrap();
            format!("{} {}", a["status"].as_str().unwrap(), labels_text(&labels))
        })
        .collect();
    alerts.sort();
    Seen {
        at_ms,
        receiver: body["receiver"].as_str().unwrap().to_string(),
        group_key: body["groupKey"].as_str().unwrap().to_string(),
        status: body["status"].as_str().unwrap().to_string(),
        alerts,
    }
}

/// Held by each test that times a real Alertmanager against the model,
/// from before it picks its start time: on two cores, several running with
/// the harness's threads delay each other's timers by seconds.
static REAL_ALERTMANAGER: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn one_real_alertmanager_at_a_time() -> std::sync::MutexGuard<'static, ()> {
    REAL_ALERTMANAGER
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Whether the real and the modelled notifications are the same, group by
/// group (both sorted by receiver, group key and time): the same contents,
/// the first of each group within a second, and each later one a group
/// interval after the one before it, within two seconds (a missed or extra
/// tick is a whole group interval, 6.3 s here). Alertmanager re-arms
/// its group timer at each tick, so on a loaded machine its ticks drift a
/// little further from the model's at each one; the gaps stay the model's.
/// A last notification within 3 s of the end may fall on either side of it
/// in real time: it is compared only when both have it.
fn same_notifications(real: &[Seen], simulated: &[Seen], end: i64) -> bool {
    let key = |s: &Seen| (s.receiver.clone(), s.group_key.clone());
    let mut keys: Vec<(String, String)> = real.iter().chain(simulated).map(key).collect();
    keys.sort();
    keys.dedup();
    keys.iter().all(|k| {
        let r: Vec<&Seen> = real.iter().filter(|s| key(s) == *k).collect();
        let m: Vec<&Seen> = simulated.iter().filter(|s| key(s) == *k).collect();
        let n = r.len().min(m.len());
        let extra_at_end = r[n..].iter().chain(&m[n..]).all(|s| s.at_ms > end - 3000);
        extra_at_end
            && (0..n).all(|i| {
                let (a, b) = (r[i], m[i]);
                let timing = if i == 0 {
                    (a.at_ms - b.at_ms).abs() <= 1000
                } else {
                    ((a.at_ms - r[i - 1].at_ms) - (b.at_ms - m[i - 1].at_ms)).abs() <= 2000
                };
                a.status == b.status && a.alerts == b.alerts && timing
            })
    })
}

/// Runs the alerts through the real Alertmanager and the model; returns
/// the model's notifications after checking they equal the real ones.
fn compare(config: &str, alerts: &[Alert], length_s: i64, start_at: Option<i64>) -> Vec<Seen> {
    let webhook = Webhook::start();
    let config = config.replace("WEBHOOK", &webhook.url);
    let am = Alertmanager::start(&config);
    let t0 = start_at.unwrap_or_else(|| now_ms() + 1500);
    let end = t0 + length_s * 1000;
    let histories: Vec<AlertHistory> = alerts
        .iter()
        .map(|a| AlertHistory {
            labels: a
                .labels
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            interval_ms: STEP,
            episodes: a
                .episodes
                .iter()
                .map(|&(active, fired, resolved)| Episode {
                    active_at: t0 + active * 1000,
                    fired_at: t0 + fired * 1000,
                    resolved_at: (resolved < length_s).then_some(t0 + resolved * 1000),
                })
                .collect(),
        })
        .collect();
    for (at, batch) in prometheus_sends(&histories, t0, end) {
        let wait = at - now_ms();
        if wait > 0 {
            std::thread::sleep(Duration::from_millis(wait as u64));
        }
        am.post(&batch);
    }
    std::thread::sleep(Duration::from_millis((end - now_ms()).max(0) as u64 + 1500));
    let mut real: Vec<Seen> = webhook
        .received()
        .iter()
        .filter(|r| r.at_ms < end + 500)
        .map(|r| real_seen(r.at_ms, &r.body))
        .collect();

    let parsed = load(&config).expect("the test config loads");
    let model = Model::new(&parsed);
    let labels: Vec<LabelSet> = histories.iter().map(|h| h.labels.clone()).collect();
    let outcome = model.dispatch(&labels, &pushes(&histories, STEP, end), end);
    let mut simulated: Vec<Seen> = outcome
        .notifications
        .iter()
        .map(|n| model_seen(n, &histories))
        .collect();

    let order = |s: &Seen| (s.receiver.clone(), s.group_key.clone(), s.at_ms);
    real.sort_by_key(order);
    simulated.sort_by_key(order);
    let show = |list: &[Seen]| {
        list.iter()
            .map(|s| {
                format!(
                    "  +{:>6}ms {} {} {} {:?}",
                    s.at_ms - t0,
                    s.receiver,
                    s.group_key,
                    s.status,
                    s.alerts
                )
            })
            .collect::<Vec<_>>()
            .join("\n")
    };
    let same = same_notifications(&real, &simulated, end);
    assert!(
        same,
        "real Alertmanager:\n{}\nfiredrill:\n{}",
        show(&real),
        show(&simulated)
    );
    simulated
}

const TIMINGS: &str = "  group_wait: 2500ms
  group_interval: 6300ms";

fn receiver(name: &str, send_resolved: bool) -> String {
    format!(
        "  - name: {name}
    webhook_configs:
      - url: WEBHOOK/{name}
        send_resolved: {send_resolved}
"
    )
}

#[test]
fn routing_and_grouping_match_a_real_alertmanager() {
    let _one_at_a_time = one_real_alertmanager_at_a_time();
    let config = format!(
        "route:
  receiver: default
  group_by: [alertname]
{TIMINGS}
  repeat_interval: 1h
  routes:
    - matchers: ['severity=\"critical\"']
      receiver: pager
      continue: true
    - match_re:
        team: 'db|web'
      receiver: team
      group_by: ['...']
      routes:
        - match:
            team: web
          receiver: web
receivers:
{}{}{}{}",
        receiver("default", true),
        receiver("pager", true),
        receiver("team", false),
        receiver("web", true),
    );
    let crash = |pod: &'static str, resolved: i64| Alert {
        labels: match pod {
            "p1" => &[
                ("alertname", "CrashLoop"),
                ("severity", "critical"),
                ("team", "db"),
                ("pod", "p1"),
            ],
            "p2" => &[
                ("alertname", "CrashLoop"),
                ("severity", "critical"),
                ("team", "db"),
                ("pod", "p2"),
            ],
            "p3" => &[
                ("alertname", "CrashLoop"),
                ("severity", "critical"),
                ("team", "db"),
                ("pod", "p3"),
            ],
            _ => &[
                ("alertname", "CrashLoop"),
                ("severity", "critical"),
                ("team", "db"),
                ("pod", "p4"),
            ],
        },
        episodes: if resolved == 12 {
            &[(1, 1, 12)]
        } else {
            &[(1, 1, 20)]
        },
    };
    let alerts = [
        crash("p1", 12),
        crash("p2", 12),
        crash("p3", 20),
        crash("p4", 20),
        // `for: 5s`: older than group_wait when it fires, so at once.
        Alert {
            labels: &[
                ("alertname", "SlowDisk"),
                ("severity", "warning"),
                ("team", "web"),
            ],
            episodes: &[(2, 7, 30)],
        },
        Alert {
            labels: &[("alertname", "Orphan")],
            episodes: &[(5, 5, 99)],
        },
    ];
    let seen = compare(&config, &alerts, 40, None);
    let to = |r: &str| seen.iter().filter(|s| s.receiver == r).count();
    // Four crash-looping pods page once, then twice more as they resolve;
    // the team channel hears of each pod alone and never of resolutions.
    assert_eq!(to("pager"), 3);
    assert_eq!(to("team"), 4);
    assert_eq!(to("web"), 2);
    assert_eq!(to("default"), 1);
}

#[test]
fn inhibition_matches_a_real_alertmanager() {
    let _one_at_a_time = one_real_alertmanager_at_a_time();
    let config = format!(
        "route:
  receiver: default
  group_by: [alertname, namespace]
{TIMINGS}
  repeat_interval: 1h
inhibit_rules:
  - source_matchers: ['severity=\"critical\"']
    target_matchers: ['severity=\"warning\"']
    equal: [namespace]
receivers:
{}",
        receiver("default", true),
    );
    let alerts = [
        Alert {
            labels: &[
                ("alertname", "DiskLow"),
                ("severity", "warning"),
                ("namespace", "db"),
            ],
            episodes: &[(1, 1, 30)],
        },
        Alert {
            labels: &[
                ("alertname", "DiskLow"),
                ("severity", "warning"),
                ("namespace", "web"),
            ],
            episodes: &[(1, 1, 30)],
        },
        Alert {
            labels: &[
                ("alertname", "DiskFull"),
                ("severity", "critical"),
                ("namespace", "db"),
            ],
            episodes: &[(10, 10, 20)],
        },
        // Fires while its critical does: held back until that resolves.
        Alert {
            labels: &[
                ("alertname", "InodesLow"),
                ("severity", "warning"),
                ("namespace", "db"),
            ],
            episodes: &[(13, 13, 36)],
        },
    ];
    let seen = compare(&config, &alerts, 42, None);
    let inodes: Vec<&Seen> = seen
        .iter()
        .filter(|s| s.group_key.contains("InodesLow"))
        .collect();
    assert_eq!(inodes[0].status, "firing");
    assert!(inodes[0].at_ms - seen.iter().map(|s| s.at_ms).min().unwrap() > 18_000);
}

#[test]
fn time_intervals_match_a_real_alertmanager() {
    let _one_at_a_time = one_real_alertmanager_at_a_time();
    use chrono::{Datelike, Timelike};
    // The mute interval is a whole minute (the finest time intervals
    // have): the one starting at the first minute boundary 8s or more away.
    let t0 = now_ms() + 2500;
    let boundary = (t0 + 8000 + 59_999) / 60_000 * 60_000;
    let at = |ms: i64| chrono::DateTime::from_timestamp_millis(ms).unwrap();
    let hhmm = |ms: i64| {
        let t = at(ms);
        format!("{:02}:{:02}", t.hour(), t.minute())
    };
    let end_of = if at(boundary).hour() == 23 && at(boundary).minute() == 59 {
        "24:00".to_string()
    } else {
        hhmm(boundary + 60_000)
    };
    let length_s = (boundary + 80_000 - t0) / 1000;
    let weekday = |ms: i64| at(ms).weekday().num_days_from_sunday();
    let names = [
        "sunday",
        "monday",
        "tuesday",
        "wednesday",
        "thursday",
        "friday",
        "saturday",
    ];
    let today: Vec<&str> = [weekday(t0), weekday(t0 + length_s * 1000)]
        .iter()
        .map(|d| names[*d as usize])
        .collect();
    let other = (0..7)
        .map(|d| names[d])
        .find(|n| !today.contains(n))
        .unwrap();
    let config = format!(
        "route:
  receiver: default
  group_by: [alertname]
{TIMINGS}
  repeat_interval: 10s
  routes:
    - match: {{route: muted}}
      receiver: muted
      mute_time_intervals: [that-minute]
    - match: {{route: active}}
      receiver: active
      active_time_intervals: [today]
    - match: {{route: never}}
      receiver: never
      active_time_intervals: [another-day]
time_intervals:
  - name: that-minute
    time_intervals:
      - times: [{{start_time: '{}', end_time: '{}'}}]
        location: UTC
  - name: today
    time_intervals:
      - weekdays: [{}]
  - name: another-day
    time_intervals:
      - weekdays: [{other}]
receivers:
{}{}{}{}",
        hhmm(boundary),
        end_of,
        today.join(", "),
        receiver("default", true),
        receiver("muted", true),
        receiver("active", true),
        receiver("never", true),
    );
    let alerts = [
        Alert {
            labels: &[("alertname", "Muted"), ("route", "muted")],
            episodes: &[(1, 1, 999)],
        },
        Alert {
            labels: &[("alertname", "Active"), ("route", "active")],
            episodes: &[(1, 1, 999)],
        },
        Alert {
            labels: &[("alertname", "Never"), ("route", "never")],
            episodes: &[(1, 1, 999)],
        },
    ];
    let seen = compare(&config, &alerts, length_s, Some(t0));
    let muted: Vec<i64> = seen
        .iter()
        .filter(|s| s.receiver == "muted")
        .map(|s| s.at_ms)
        .collect();
    assert!(!muted.is_empty());
    assert!(muted
        .iter()
        .all(|t| *t < boundary || *t >= boundary + 60_000));
    assert!(muted.iter().any(|t| *t >= boundary + 60_000));
    assert!(seen.iter().any(|s| s.receiver == "active"));
    assert!(seen.iter().all(|s| s.receiver != "never"));
}

#[test]
fn the_model_reads_its_configs_like_amtool() {
    // amtool check-config's verdict on broken configurations.
    common::tools::require("amtool", "prometheus-alertmanager");
    let good = format!(
        "route:\n  receiver: default\n  group_by: [alertname]\nreceivers:\n{}",
        receiver("default", true)
    )
    .replace("WEBHOOK", "http://127.0.0.1:9");
    let integration =
        |entries: &str| format!("route:\n  receiver: r\nreceivers:\n  - name: r\n    {entries}\n");
    let cases: BTreeMap<&str, String> = BTreeMap::from([
        ("good", good.clone()),
        ("unknown-receiver", good.replace("receiver: default", "receiver: nobody")),
        ("unknown-field", good.replace("group_by:", "group_bye:")),
        ("bad-matcher", good.replace("  group_by: [alertname]", "  group_by: [alertname]\n  routes:\n    - matchers: ['a=~\"(\"']\n      receiver: default")),
        ("zero-interval", good.replace("  group_by: [alertname]", "  group_by: [alertname]\n  group_interval: 0s")),
        ("bad-weekday", good.clone() + "time_intervals:\n  - name: x\n    time_intervals:\n      - weekdays: [funday]\n"),
        ("unknown-interval", good.replace("  group_by: [alertname]", "  group_by: [alertname]\n  routes:\n    - receiver: default\n      mute_time_intervals: [nights]")),
        ("duplicate-receiver", good.clone() + &receiver("default", false).replace("WEBHOOK", "http://127.0.0.1:9")),
        ("inhibit-field", good.clone() + "inhibit_rules:\n  - source_matchers: ['a=\"b\"']\n    equals: [x]\n"),
        ("wildcard-and-more", good.replace("[alertname]", "['...', alertname]")),
        // What integrations require of their entries (unchanged since 0.25).
        ("webhook-no-url", integration("webhook_configs: [{send_resolved: true}]")),
        ("pagerduty-routing-key", integration("pagerduty_configs: [{routing_key: abc}]")),
        ("pagerduty-no-key", integration("pagerduty_configs: [{severity: critical}]")),
        ("pagerduty-misspelt-field", integration("pagerduty_configs: [{routing_key: abc, severty: critical}]")),
        ("email-no-to", integration("email_configs: [{from: a@b.c, smarthost: 'mail:25'}]")),
        ("email-no-smarthost", integration("email_configs: [{to: a@b.c, from: a@b.c}]")),
        ("victorops-no-routing-key", integration("victorops_configs: [{api_key: abc}]")),
        ("sns-two-targets", integration("sns_configs: [{topic_arn: a, phone_number: '1'}]")),
        ("sns-topic", integration("sns_configs: [{topic_arn: a}]")),
        ("telegram-no-chat", integration("telegram_configs: [{bot_token: abc}]")),
        ("opsgenie-responder-type", integration("opsgenie_configs: [{api_key: abc, responders: [{name: x, type: squad}]}]")),
        ("pushover-no-token", integration("pushover_configs: [{user_key: abc}]")),
        ("null-webhook", integration("webhook_configs: [null]")),
        ("global-misspelt", format!("global:\n  resolve_timout: 5m\n{good}")),
        // Values refused by their type.
        ("url-without-scheme", integration("slack_configs: [{api_url: hooks.example.com/T0, channel: '#x'}]")),
        ("url-ftp", integration("opsgenie_configs: [{api_key: k, api_url: 'ftp://example.com/'}]")),
        ("url-without-host", integration("pagerduty_configs: [{routing_key: k, url: 'https://'}]")),
        ("global-url-empty", format!("global:\n  slack_api_url: ''\n{good}")),
        ("global-url-fine", format!("global:\n  slack_api_url: 'https://hooks.example.com/T0'\n{good}")),
        ("pushover-url-is-text", integration("pushover_configs: [{user_key: u, token: t, url: 'see the runbook'}]")),
        ("smarthost-without-port", integration("email_configs: [{to: a@b.c, from: a@b.c, smarthost: mail.example.com}]")),
        ("smarthost-empty-port", integration("email_configs: [{to: a@b.c, from: a@b.c, smarthost: 'mail.example.com:'}]")),
        ("smarthost-fine", integration("email_configs: [{to: a@b.c, from: a@b.c, smarthost: 'mail.example.com:587'}]")),
        ("chat-id-quoted", integration("telegram_configs: [{bot_token: b, chat_id: '-1001'}]")),
        ("chat-id-name", integration("telegram_configs: [{bot_token: b, chat_id: '@alerts'}]")),
        ("chat-id-fine", integration("telegram_configs: [{bot_token: b, chat_id: -1001}]")),
    ]);
    let dir = tempfile::tempdir().unwrap();
    for (name, text) in &cases {
        let file = dir.path().join(format!("{name}.yml"));
        std::fs::write(&file, text).unwrap();
        let amtool = std::process::Command::new("amtool")
            .arg("check-config")
            .arg(&file)
            .output()
            .unwrap();
        let ours = load(text);
        assert_eq!(
            amtool.status.success(),
            ours.is_ok(),
            "{name}: amtool says {}, firedrill says {:?}",
            String::from_utf8_lossy(&amtool.stdout),
            ours.err()
        );
    }
}
