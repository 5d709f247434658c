//! What Prometheus sends Alertmanager for replayed alerts (rules/alerting.go
//! `sendAlerts`, notifier/): a firing alert when it starts firing, with
//! `startsAt` its `activeAt` (the start of pending); a resolved alert, with
//! `endsAt` the evaluation that found it gone, then again every
//! `resend_delay` for the 15 minutes Prometheus keeps resolved alerts
//! (`resolvedRetention`), until the same labels go active again.
//!
//! Firing alerts are re-sent too, every `resend_delay`, each time pushing
//! `endsAt` four evaluation intervals ahead; a replayed alert is evaluated
//! without gaps, so Alertmanager never sees one expire, and those re-sends
//! change nothing it decides (a firing alert is never dropped from its
//! aggregation group). They are left out. For the same reason
//! `resolve_timeout`, which applies only to alerts sent without `endsAt`,
//! never applies to Prometheus's alerts.

use super::route::LabelSet;

/// Prometheus's default `--rules.alert.resend-delay`.
pub const DEFAULT_RESEND_DELAY_MS: i64 = 60_000;
/// How long Prometheus keeps sending a resolved alert (`resolvedRetention`).
pub const RESOLVED_RETENTION_MS: i64 = 15 * 60_000;

/// One alert instance's replayed history.
#[derive(Debug, Clone, PartialEq)]
pub struct AlertHistory {
    /// The alert's labels as Alertmanager gets them: the rule's, the
    /// series', `alertname`, and the external labels the alert lacks.
    pub labels: LabelSet,
    /// Its group's evaluation interval and the first evaluation's time.
    pub interval_ms: i64,
    pub episodes: Vec<Episode>,
}

/// One firing episode, at evaluation timestamps (ms).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Episode {
    /// When it went pending (`activeAt`); the firing start without `for`.
    pub active_at: i64,
    pub fired_at: i64,
    /// The first evaluation that found it inactive; `None` if it was
    /// still firing at the end of the history.
    pub resolved_at: Option<i64>,
}

/// One alert as sent, at `at`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Push {
    pub at: i64,
    /// Index of the alert in the histories.
    pub alert: usize,
    pub starts_at: i64,
    /// `endsAt` of a resolved alert; `None` while firing.
    pub ends_at: Option<i64>,
}

/// Every push, in time order (pushes at the same time keep the alerts'
/// order). Nothing is sent at or after `until_ms`.
pub fn pushes(histories: &[AlertHistory], resend_delay_ms: i64, until_ms: i64) -> Vec<Push> {
    let mut out = Vec::new();
    for (alert, h) in histories.iter().enumerate() {
        let step = h.interval_ms.max(1);
        for (i, e) in h.episodes.iter().enumerate() {
            if e.fired_at >= until_ms {
                continue;
            }
            out.push(Push {
                at: e.fired_at,
                alert,
                starts_at: e.active_at,
                ends_at: None,
            });
            let Some(resolved) = e.resolved_at else {
                continue;
            };
            // Kept until the same labels go active again, or for 15 minutes.
            let next_active = h.episodes.get(i + 1).map_or(i64::MAX, |n| n.active_at);
            let mut last_sent = resolved;
            let mut ts = resolved;
            while ts < until_ms && ts < next_active && ts - resolved <= RESOLVED_RETENTION_MS {
                if ts == resolved || last_sent + resend_delay_ms < ts {
                    out.push(Push {
                        at: ts,
                        alert,
                        starts_at: e.active_at,
                        ends_at: Some(resolved),
                    });
                    last_sent = ts;
                }
                ts += step;
            }
        }
    }
    out.sort_by_key(|p| (p.at, p.alert));
    out
}

/// Episodes from pending and firing intervals (`[start, end)` at
/// evaluation times, as replay gives them); `end_ms` is the end of the
/// replayed window, where a still-firing alert has not resolved.
pub fn episodes(pending: &[(i64, i64)], firing: &[(i64, i64)], end_ms: i64) -> Vec<Episode> {
    firing
        .iter()
        .map(|&(start, end)| Episode {
            active_at: pending
                .iter()
                .find(|(_, e)| *e == start)
                .map_or(start, |(s, _)| *s),
            fired_at: start,
            resolved_at: (end < end_ms).then_some(end),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolved_alerts_are_resent_for_fifteen_minutes() {
        let h = AlertHistory {
            labels: LabelSet::new(),
            interval_ms: 30_000,
            episodes: episodes(&[(0, 120_000)], &[(120_000, 600_000)], 10_000_000),
        };
        assert_eq!(h.episodes[0].active_at, 0);
        let p = pushes(&[h], 60_000, 10_000_000);
        assert_eq!(p[0].at, 120_000);
        assert_eq!(p[0].starts_at, 0);
        assert_eq!(p[0].ends_at, None);
        let resolved: Vec<i64> = p[1..].iter().map(|p| p.at).collect();
        // Re-sent when the last send is more than a minute old: every 90s
        // at a 30s interval, up to 15 minutes after the resolution.
        assert_eq!(resolved[0], 600_000);
        assert_eq!(resolved[1], 690_000);
        assert_eq!(*resolved.last().unwrap(), 600_000 + 900_000);
        assert!(p[1..].iter().all(|p| p.ends_at == Some(600_000)));
    }

    #[test]
    fn a_new_episode_stops_the_old_ones_resends() {
        let h = AlertHistory {
            labels: LabelSet::new(),
            interval_ms: 60_000,
            episodes: episodes(&[], &[(0, 120_000), (300_000, 10_000_000)], 10_000_000),
        };
        assert_eq!(h.episodes[1].resolved_at, None);
        let p = pushes(&[h], 60_000, 10_000_000);
        let at: Vec<(i64, bool)> = p.iter().map(|p| (p.at, p.ends_at.is_some())).collect();
        assert_eq!(
            at,
            [
                (0, false),
                (120_000, true),
                (240_000, true),
                (300_000, false)
            ]
        );
    }
}
