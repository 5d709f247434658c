//! Generates the raw metrics behind the shipped `rules/` (the Wecare
//! alerts) for a week, as OpenMetrics text for `promtool tsdb
//! create-blocks-from openmetrics`. `fixtures/regenerate.sh` backfills them
//! into a real Prometheus and runs `firedrill record` against it, which is
//! how `fixtures/wecare-7d.parquet` is made:
//!
//!     bash fixtures/regenerate.sh
//!
//! Deterministic (fixed seed). The week, 2026-11-16T00:00Z to 2026-11-23T00:00Z, holds:
//! - a real incident on 2026-11-17 from 14:00 for 40 minutes: PHP-FPM pools saturate, the
//!   listen queue backs up, Traefik answers 5xx, an app-web pod crash-loops;
//! - a second, smaller one on 2026-11-20 from 09:30 for 15 minutes;
//! - a **false positive** on 2026-11-19 at 03:12: a nightly job pushes one FPM pool to
//!   84-87% busy for 4 minutes, and FPMPoolSaturation (> 0.8 for 2m) pages someone at night;
//! - a Redis replica restart on 2026-11-18 06:40, a node NotReady on 2026-11-21 11:00,
//!   a pod stuck terminating on 2026-11-19 10:00, a replication-lag bump during the
//!   2026-11-22 02:00 backup (below `for`), and one failed external probe.
//!
//! Each alert's *signal* is shaped first (below), then turned into the raw
//! series its expression reads (ratios into counts, ratios of rates into
//! counters), so the signal Prometheus computes back is the shaped one.

use std::path::PathBuf;

use std::fmt::Write as _;

use firedrill::history::RawSeries;
use firedrill::input::{self};
use firedrill::lint;

const START: i64 = 1_794_787_200_000; // 2026-11-16T00:00:00Z
const END: i64 = START + 7 * 86_400_000;
const MIN: i64 = 60_000;

fn at(day: i64, hour: i64, minute: i64) -> i64 {
    START + (day - 16) * 86_400_000 + hour * 3_600_000 + minute * MIN
}

struct Rng(u64);
impl Rng {
    fn unit(&mut self) -> f64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 >> 11) as f64 / (1u64 << 53) as f64
    }
    fn noise(&mut self, amplitude: f64) -> f64 {
        (self.unit() * 2.0 - 1.0) * amplitude
    }
}

fn within(t: i64, from: i64, minutes: i64) -> bool {
    t >= from && t < from + minutes * MIN
}

/// Busy share of the day: low at night, peak early afternoon (UTC).
fn daily(t: i64) -> f64 {
    let hour = (t.rem_euclid(86_400_000)) as f64 / 3_600_000.0;
    (((hour - 7.0) / 24.0) * std::f64::consts::TAU)
        .sin()
        .max(-0.4)
}

fn labels(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    let mut v: Vec<(String, String)> = pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    v.sort();
    v
}

/// A series from a value function; `None` means no sample (series absent).
fn series(step: i64, l: Vec<(String, String)>, mut f: impl FnMut(i64) -> Option<f64>) -> RawSeries {
    let mut samples = Vec::new();
    let mut t = START;
    while t <= END {
        if let Some(v) = f(t) {
            samples.push((t, (v * 10_000.0).round() / 10_000.0));
        }
        t += step;
    }
    RawSeries { labels: l, samples }
}

fn signals(alert: &str, step: i64, rng: &mut Rng) -> Vec<RawSeries> {
    let ns_app = "ecommercen-clients-wecare";
    let ns_infra = "ecommercen-clients-wecare-infrastructure";
    let incident_a = at(17, 14, 0);
    let incident_b = at(20, 9, 30);
    let false_positive = at(19, 3, 12);
    match alert {
        "FPMPoolSaturation" => [
            "app-web-7c9f4-2xk8d",
            "app-web-7c9f4-9qpl2",
            "app-web-7c9f4-tz4mw",
        ]
        .iter()
        .enumerate()
        .map(|(i, pod)| {
            series(step, labels(&[("namespace", ns_app), ("pod", pod)]), |t| {
                let mut v = 0.38 + 0.2 * daily(t) + rng.noise(0.05);
                // Nightly jobs at 03:00 land on the third pod: usually 70-78% busy.
                if i == 2
                    && within(
                        t,
                        t - t.rem_euclid(86_400_000) + 3 * 3_600_000 + 10 * MIN,
                        6,
                    )
                {
                    v = 0.72 + rng.noise(0.05);
                }
                if i == 2 && within(t, false_positive, 4) {
                    v = 0.855 + rng.noise(0.015);
                }
                if within(t, incident_a, 40) {
                    v = 0.95 + rng.noise(0.04);
                }
                if i < 2 && within(t, incident_b, 15) {
                    v = 0.935 + rng.noise(0.03);
                }
                if i == 0 && within(t, at(21, 20, 5), 1) {
                    v = 0.82;
                }
                Some(v.clamp(0.0, 1.0))
            })
        })
        .collect(),
        "FPMListenQueueBacklog" => [
            "app-web-7c9f4-2xk8d",
            "app-web-7c9f4-9qpl2",
            "app-web-7c9f4-tz4mw",
        ]
        .iter()
        .enumerate()
        .map(|(i, pod)| {
            series(step, labels(&[("namespace", ns_app), ("pod", pod)]), |t| {
                let mut v: f64 = if rng.unit() < 0.01 { 1.0 } else { 0.0 };
                if i == 2 && within(t, false_positive, 4) {
                    v = 3.0;
                }
                if within(t, incident_a + 3 * MIN, 34) {
                    v = 20.0 + (rng.unit() * 40.0).floor();
                }
                if i < 2 && within(t, incident_b + 2 * MIN, 12) {
                    v = 8.0 + (rng.unit() * 7.0).floor();
                }
                Some(v)
            })
        })
        .collect(),
        "TraefikWecareHigh5xxRate" => vec![series(
            step,
            labels(&[("service", "ecommercen-clients-wecare-app-web-80@kubernetes")]),
            |t| {
                let mut v = 0.002 + rng.noise(0.0015);
                if within(t, incident_a + 5 * MIN, 33) {
                    v = 0.12 + rng.noise(0.03);
                }
                if within(t, incident_b + 3 * MIN, 9) {
                    v = 0.07 + rng.noise(0.01);
                }
                Some(v.max(0.0))
            },
        )],
        "RedisDown" => ["redis-cache-0", "redis-cache-1"]
            .iter()
            .map(|pod| {
                let l = labels(&[
                    ("__name__", "redis_up"),
                    ("namespace", ns_infra),
                    ("pod", pod),
                    ("job", "redis-exporter"),
                ]);
                series(step, l, |t| {
                    Some(if *pod == "redis-cache-1" && within(t, at(18, 6, 40), 4) {
                        0.0
                    } else {
                        1.0
                    })
                })
            })
            .collect(),
        "RedisEndpointEmpty" => vec![series(
            step,
            labels(&[("namespace", ns_infra), ("endpoint", "redis-cache-master")]),
            |t| {
                Some(if within(t, at(18, 6, 41), 1) {
                    0.0
                } else {
                    1.0
                })
            },
        )],
        "RedisReplicationBroken" => vec![series(
            step,
            labels(&[("namespace", ns_infra), ("service", "redis-cache")]),
            |t| {
                Some(if within(t, at(18, 6, 40), 6) {
                    0.0
                } else {
                    1.0
                })
            },
        )],
        "RedisSentinelPodsDown" => vec![series(step, labels(&[("namespace", ns_infra)]), |t| {
            Some(if within(t, at(18, 6, 40), 2) {
                2.0
            } else {
                3.0
            })
        })],
        "MariaDBDown" => ["mariadb-0", "mariadb-1"]
            .iter()
            .map(|pod| {
                series(
                    step,
                    labels(&[
                        ("__name__", "mysql_up"),
                        ("namespace", ns_infra),
                        ("pod", pod),
                    ]),
                    |_| Some(1.0),
                )
            })
            .collect(),
        "MariaDBReplicationLagCritical" => vec![series(
            step,
            labels(&[("namespace", ns_infra), ("pod", "mariadb-1")]),
            |t| {
                let mut v = (rng.unit() * 4.0).floor();
                if within(t, at(22, 2, 0), 8) {
                    v = 310.0 + rng.unit() * 110.0;
                }
                Some(v)
            },
        )],
        "ExternalEndpointDown" => vec![series(
            step,
            labels(&[
                ("__name__", "probe_success"),
                ("job", "blackbox-external"),
                ("instance", "https://www.wecare.gr/"),
            ]),
            |t| Some(if t == at(17, 14, 20) { 0.0 } else { 1.0 }),
        )],
        "WecareNodeNotReady" => ["wecare-cache-1", "wecare-db-1", "wecare-app-1"]
            .iter()
            .map(|node| {
                let l = labels(&[
                    ("__name__", "kube_node_status_condition"),
                    ("condition", "Ready"),
                    ("status", "true"),
                    ("node", node),
                ]);
                series(step, l, |_| Some(1.0))
            })
            .collect(),
        "KubeNodeNotReady" => ["master-1", "worker-2", "worker-3"]
            .iter()
            .map(|node| {
                let l = labels(&[
                    ("__name__", "kube_node_status_condition"),
                    ("condition", "Ready"),
                    ("status", "true"),
                    ("node", node),
                ]);
                series(step, l, |t| {
                    Some(if *node == "worker-3" && within(t, at(21, 11, 0), 20) {
                        0.0
                    } else {
                        1.0
                    })
                })
            })
            .collect(),
        "KubePodCrashLooping" => vec![series(
            step,
            labels(&[
                ("namespace", ns_app),
                ("pod", "app-web-7c9f4-tz4mw"),
                ("container", "php-fpm"),
                ("reason", "CrashLoopBackOff"),
            ]),
            |t| {
                Some(if within(t, incident_a + 10 * MIN, 40) {
                    1.0
                } else {
                    0.0
                })
            },
        )],
        "PodStuckTerminating" => vec![series(
            step,
            labels(&[("namespace", ns_app), ("pod", "app-worker-5d8b7-qq2rn")]),
            |t| {
                let since = at(19, 10, 0);
                within(t, since, 25).then(|| ((t - since) / 1000) as f64)
            },
        )],
        "Watchdog" => vec![series(step, labels(&[]), |_| Some(1.0))],
        other => {
            panic!("no synthetic signal for alert {other}; add one to examples/wecare_fixture.rs")
        }
    }
}

/// The raw series an alert's expression reads, from its shaped signal.
fn raw(alert: &str, signal: Vec<RawSeries>, step: i64) -> Vec<RawSeries> {
    let named = |s: &RawSeries, name: &str, extra: &[(&str, &str)], f: &dyn Fn(i64, f64) -> f64| {
        let mut l = s.labels.clone();
        l.retain(|(k, _)| k != "__name__");
        l.push(("__name__".into(), name.into()));
        l.extend(extra.iter().map(|(k, v)| (k.to_string(), v.to_string())));
        l.sort();
        RawSeries {
            labels: l,
            samples: s.samples.iter().map(|&(t, v)| (t, f(t, v))).collect(),
        }
    };
    let mut out = Vec::new();
    for s in &signal {
        match alert {
            // A pool of 200 children: busy share = active / total.
            "FPMPoolSaturation" => {
                out.push(named(s, "phpfpm_active_processes", &[], &|_, v| {
                    (v * 200.0).round()
                }));
                out.push(named(s, "phpfpm_total_processes", &[], &|_, _| 200.0));
            }
            "FPMListenQueueBacklog" => out.push(named(s, "phpfpm_listen_queue", &[], &|_, v| v)),
            // 10 requests/s; the 5xx share of each step is the signal.
            "TraefikWecareHigh5xxRate" => {
                let per_step = 10.0 * step as f64 / 1000.0;
                for (code, share) in [("200", false), ("502", true)] {
                    let mut total = 0.0;
                    out.push(named(
                        s,
                        "traefik_service_requests_total",
                        &[("code", code)],
                        &|_, _| 0.0,
                    ));
                    let last = out.last_mut().expect("just pushed");
                    for (sample, &(_, v)) in last.samples.iter_mut().zip(&s.samples) {
                        total += per_step * if share { v } else { 1.0 - v };
                        sample.1 = (total * 1000.0).round() / 1000.0;
                    }
                }
            }
            "RedisEndpointEmpty" => {
                out.push(named(s, "kube_endpoint_address_available", &[], &|_, v| v))
            }
            "RedisReplicationBroken" => {
                out.push(named(s, "redis_connected_slaves", &[], &|_, v| v))
            }
            // Three sentinels; the signal counts the ready ones.
            "RedisSentinelPodsDown" => {
                for i in 0..3 {
                    let pod = format!("redis-sentinel-{i}");
                    out.push(named(
                        s,
                        "kube_pod_status_ready",
                        &[("pod", &pod), ("condition", "true")],
                        &move |_, v| if (i as f64) < v { 1.0 } else { 0.0 },
                    ));
                }
            }
            "MariaDBReplicationLagCritical" => {
                out.push(named(
                    s,
                    "mysql_slave_status_seconds_behind_master",
                    &[],
                    &|_, v| v,
                ));
                out.push(named(s, "mysql_slave_status_sql_delay", &[], &|_, _| 0.0));
            }
            "KubePodCrashLooping" => out.push(named(
                s,
                "kube_pod_container_status_waiting_reason",
                &[],
                &|_, v| v,
            )),
            // time() − deletion timestamp = the signal.
            "PodStuckTerminating" => {
                out.push(named(s, "kube_pod_deletion_timestamp", &[], &|t, v| {
                    (t / 1000) as f64 - v
                }))
            }
            // `vector(1)` reads nothing.
            "Watchdog" => {}
            // The signal is a raw series already (`redis_up == 0`, ...).
            _ => out.push(s.clone()),
        }
    }
    out
}

fn main() {
    let out = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "target/wecare-7d.om".into());
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let inputs = input::expand(&[root.join("rules").display().to_string()]).expect("rules/");
    let rules = lint::load_inputs(&inputs, Default::default()).expect("load rules/");
    let plans = firedrill::replay::plan::plan(&rules, &[], Default::default(), &Default::default())
        .expect("plan");
    let mut rng = Rng(0x5EED_F1DE_D811);
    let mut series: Vec<RawSeries> = Vec::new();
    for plan in &plans {
        let step = plan.interval.millis as i64;
        let signal = signals(&plan.alertname, step, &mut rng);
        for s in raw(&plan.alertname, signal, step) {
            // Two alerts reading one series (a node's Ready condition) keep one copy.
            if !series.iter().any(|x| x.labels == s.labels) {
                series.push(s);
            }
        }
    }
    // OpenMetrics wants each metric family's samples together.
    let name = |s: &RawSeries| {
        s.labels
            .iter()
            .find(|(k, _)| k == "__name__")
            .map(|(_, v)| v.clone())
            .expect("every raw series is named")
    };
    series.sort_by_key(|s| (name(s), s.labels.clone()));
    let mut text = String::new();
    let mut family = String::new();
    let mut samples = 0;
    for s in &series {
        let metric = name(s);
        if metric != family {
            let kind = if metric.ends_with("_total") {
                "counter"
            } else {
                "gauge"
            };
            let base = if kind == "counter" {
                metric.trim_end_matches("_total")
            } else {
                &metric
            };
            writeln!(text, "# TYPE {base} {kind}").unwrap();
            family = metric.clone();
        }
        let labels: Vec<String> = s
            .labels
            .iter()
            .filter(|(k, _)| k != "__name__")
            .map(|(k, v)| format!("{k}=\"{v}\""))
            .collect();
        for (t, v) in &s.samples {
            writeln!(text, "{metric}{{{}}} {v} {}", labels.join(","), t / 1000).unwrap();
            samples += 1;
        }
    }
    text.push_str("# EOF\n");
    std::fs::write(&out, text).expect("write OpenMetrics");
    eprintln!("wrote {out}: {} series, {samples} samples", series.len());
}
