//! Alerts on chains of recording rules, replayed from raw series alone and
//! checked against Prometheus evaluating the chain itself.
//!
//! Real SLO rule sets written by others (vendored under
//! `tests/corpus/recording-chains/`, sources and licenses in
//! tests/corpus/SOURCES.md): Sloth's output, Pyrra's, the SLO rules of
//! kube-prometheus's Kubernetes mixin (`apiserver_request:burnrate*`, each
//! name written by two rules) and its Grafana mixin (a matcher on a label the
//! recording rule computes), and slo-exporter's multi-window multi-burn-rate
//! set (chains four recording rules deep, names written by many rules,
//! matchers on computed labels, scalar rules).
//!
//! For each set, raw series are generated (traffic with error bursts of
//! several lengths) and:
//! - `promtool test rules` (Debian package `prometheus`) evaluates the
//!   recording and alerting rules together over them, as Prometheus does;
//! - firedrill replays the alerts with `--inline-recording` against a real
//!   Prometheus holding only the raw series (backfilled), every recorded
//!   series replaced by its rule's expression;
//! - firedrill's firing alerts at every evaluation are written as the
//!   expectations of the promtool test, which must pass: the same label sets
//!   fire at the same evaluations.
//!
//! promtool evaluates every group at each `evaluation_interval`, whatever its
//! `interval`, in the order of `group_eval_order` (cmd/promtool/unittest.go),
//! so the rule file both sides get is the set with every group's interval
//! set to that evaluation interval and its groups ordered so that a
//! recording is written before what reads it; annotations are left out
//! (promtool compares them, and they do not decide firing).

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::Command;

use common::prometheus::{Prometheus, Series};
use common::rng::Rng;
use serde_json::{json, Value};

/// 2026-11-01T00:00:00Z, a multiple of every interval used.
const T0: i64 = 1_793_491_200;
const STEP: i64 = 60;
/// One day of evaluations.
const STEPS: i64 = 1_440;

/// A rule set: its files (under tests/corpus), the groups kept (all when
/// empty) and the raw series its chains read.
struct RuleSet {
    name: &'static str,
    files: &'static [&'static str],
    groups: &'static [&'static str],
    series: fn() -> Vec<Series>,
}

fn sets() -> Vec<RuleSet> {
    vec![
        RuleSet {
            name: "sloth",
            files: &["recording-chains/sloth-getting-started.yml"],
            groups: &[],
            series: sloth_series,
        },
        RuleSet {
            name: "pyrra",
            files: &["recording-chains/pyrra-http-ratio-configmap-rules.yaml"],
            groups: &[],
            series: pyrra_series,
        },
        RuleSet {
            name: "kubernetes-mixin apiserver SLOs",
            files: &["kube-prometheus/kubernetesControlPlane-prometheusRule.yaml"],
            groups: &["kube-apiserver-burnrate.rules", "kube-apiserver-slos"],
            series: apiserver_series,
        },
        RuleSet {
            name: "grafana-mixin",
            files: &["kube-prometheus/grafana-prometheusRule.yaml"],
            groups: &[],
            series: grafana_series,
        },
        RuleSet {
            name: "matchers on computed labels (synthetic)",
            files: &["recording-chains/synthetic/matchers.yaml"],
            groups: &[],
            series: synthetic_series,
        },
        RuleSet {
            name: "slo-exporter",
            files: &[
                "recording-chains/seznam-slo-exporter/recording_rules/events-over-time.yaml",
                "recording-chains/seznam-slo-exporter/recording_rules/burn-rate.yaml",
                "recording-chains/seznam-slo-exporter/recording_rules/error-budget.yaml",
                "recording-chains/seznam-slo-exporter/recording_rules/example-domain.yaml",
                "recording-chains/seznam-slo-exporter/recording_rules/rate-coefficient.yaml",
                "recording-chains/seznam-slo-exporter/alerts/error-budget.yaml",
                "recording-chains/seznam-slo-exporter/alerts/missing_data.yaml",
                "recording-chains/seznam-slo-exporter/alerts/slo_burn_rate.yaml",
            ],
            groups: &[],
            series: slo_exporter_series,
        },
    ]
}

// ---------------------------------------------------------------- history

/// Error bursts: (first minute, minutes, share of requests failing).
type Bursts = &'static [(i64, i64, f64)];

/// Two counters, successes and errors, for `total` requests a second whose
/// `base` share fails outside the bursts; a little noise per minute.
fn traffic(seed: u64, total: f64, base: f64, bursts: Bursts) -> (Vec<f64>, Vec<f64>) {
    let mut rng = Rng(seed);
    let (mut ok, mut bad) = (0.0, 0.0);
    let (mut oks, mut bads) = (Vec::new(), Vec::new());
    for k in 0..=STEPS {
        let share = bursts
            .iter()
            .find(|(start, len, _)| (*start..start + len).contains(&k))
            .map_or(base, |b| b.2);
        let noise = 0.9 + rng.below(21) as f64 / 100.0;
        let requests = (total * noise * STEP as f64).round();
        let failed = (requests * share).round();
        ok += requests - failed;
        bad += failed;
        oks.push(ok);
        bads.push(bad);
    }
    (oks, bads)
}

fn series(metric: &str, labels: &[(&str, &str)], values: Vec<f64>) -> Series {
    Series {
        metric: metric.into(),
        labels: labels
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        samples: values
            .into_iter()
            .enumerate()
            .map(|(k, v)| (T0 + k as i64 * STEP, v))
            .collect(),
    }
}

fn sloth_series() -> Vec<Series> {
    // A 99.9% SLO: a sharp burst pages, a long mild one opens a ticket.
    let (ok, bad) = traffic(
        1,
        50.0,
        0.0002,
        &[(200, 45, 0.06), (520, 9, 0.2), (800, 480, 0.004)],
    );
    let (_, limited) = traffic(2, 5.0, 0.0, &[(210, 20, 0.5)]);
    let m = "http_request_duration_seconds_count";
    vec![
        series(m, &[("job", "myservice"), ("code", "200")], ok),
        series(m, &[("job", "myservice"), ("code", "500")], bad),
        series(m, &[("job", "myservice"), ("code", "429")], limited),
        // Another service: the selectors must leave it out.
        series(
            m,
            &[("job", "other"), ("code", "500")],
            traffic(3, 9.0, 0.5, &[]).1,
        ),
    ]
}

fn pyrra_series() -> Vec<Series> {
    // A 99.5% SLO over 4w.
    let (ok, bad) = traffic(
        4,
        30.0,
        0.001,
        &[(180, 40, 0.2), (600, 300, 0.03), (1000, 400, 0.008)],
    );
    let m = "http_requests_total";
    vec![
        series(m, &[("job", "app"), ("status", "200")], ok),
        series(m, &[("job", "app"), ("status", "503")], bad),
    ]
}

fn apiserver_series() -> Vec<Series> {
    let mut out = Vec::new();
    let base = [("job", "apiserver"), ("cluster", "prod")];
    let verbs: [(&str, u64, Bursts); 3] = [
        ("GET", 5, &[(100, 50, 0.3), (700, 600, 0.025)]),
        ("LIST", 6, &[(400, 30, 0.2)]),
        ("POST", 7, &[(900, 200, 0.09)]),
    ];
    for (verb, seed, bursts) in verbs {
        let (ok, bad) = traffic(seed, 40.0, 0.001, bursts);
        let labels = |extra: &[(&'static str, &'static str)]| {
            let mut l = base.to_vec();
            l.push(("verb", verb));
            l.extend_from_slice(extra);
            l
        };
        out.push(series(
            "apiserver_request_total",
            &labels(&[("code", "200")]),
            ok,
        ));
        out.push(series(
            "apiserver_request_total",
            &labels(&[("code", "500")]),
            bad,
        ));
        // Latency: scope `resource` and `cluster`; slow requests in a burst
        // of their own are counted below 30s but not below 1s.
        let (fast, slow) = traffic(seed + 10, 40.0, 0.0, &[(1200, 60, 0.4)]);
        let count: Vec<f64> = fast.iter().zip(&slow).map(|(a, b)| a + b).collect();
        for scope in ["resource", "cluster"] {
            let sli = |extra: &[(&'static str, &'static str)]| {
                let mut l = labels(&[("scope", scope), ("subresource", "")]);
                l.extend_from_slice(extra);
                l
            };
            out.push(series(
                "apiserver_request_sli_duration_seconds_count",
                &sli(&[]),
                count.clone(),
            ));
            for (le, v) in [("1", &fast), ("5", &fast), ("30", &count)] {
                out.push(series(
                    "apiserver_request_sli_duration_seconds_bucket",
                    &sli(&[("le", le)]),
                    v.clone(),
                ));
            }
        }
    }
    out
}

fn grafana_series() -> Vec<Series> {
    let mut out = Vec::new();
    let m = "grafana_http_request_duration_seconds_count";
    let handlers: [(&str, u64, Bursts); 3] = [
        (
            "/api/dashboards/uid/:uid",
            8,
            &[(300, 25, 0.7), (900, 4, 0.9)],
        ),
        // Left out by the alert's `handler!~`: its errors never page.
        ("/api/ds/query", 9, &[(300, 300, 0.9)]),
        ("/login", 10, &[(1100, 60, 0.55)]),
    ];
    for (handler, seed, bursts) in handlers {
        let (ok, bad) = traffic(seed, 4.0, 0.01, bursts);
        for (code, values) in [("200", ok), ("500", bad)] {
            out.push(series(
                m,
                &[
                    ("namespace", "monitoring"),
                    ("job", "grafana"),
                    ("handler", handler),
                    ("status_code", code),
                ],
                values,
            ));
        }
    }
    out
}

fn synthetic_series() -> Vec<Series> {
    let mut out = Vec::new();
    // Jobs a, b, c fill up one after another; a series without `job`.
    for (job, start) in [("a", 200i64), ("b", 500), ("c", 900), ("", 1200)] {
        let labels: Vec<(&str, &str)> = if job.is_empty() {
            vec![("instance", "x")]
        } else {
            vec![("job", job), ("instance", "x")]
        };
        let free: Vec<f64> = (0..=STEPS)
            .map(|k| {
                if (start..start + 120).contains(&k) {
                    5.0
                } else {
                    50.0
                }
            })
            .collect();
        out.push(series("free_bytes", &labels, free));
        out.push(series(
            "size_bytes",
            &labels,
            vec![100.0; STEPS as usize + 1],
        ));
    }
    let errors: [(&str, &str, u64, Bursts); 4] = [
        ("errors", "a", 21, &[(100, 30, 0.5)]),
        ("errors", "c", 22, &[(700, 45, 0.5)]),
        ("errors", "b", 23, &[(300, 20, 0.5)]),
        ("errors_legacy", "a", 24, &[(1000, 60, 0.5)]),
    ];
    for (metric, job, seed, bursts) in errors {
        let (_, bad) = traffic(seed, 0.5, 0.0, bursts);
        // A gauge: the errors of each minute, from the counter's steps.
        let per_minute: Vec<f64> = bad
            .iter()
            .zip(std::iter::once(&0.0).chain(bad.iter()))
            .map(|(now, before)| now - before)
            .collect();
        out.push(series(
            metric,
            &[("job", job), ("instance", "x")],
            per_minute,
        ));
    }
    out
}

fn slo_exporter_series() -> Vec<Series> {
    let mut out = Vec::new();
    let m = "slo_domain_slo_class:slo_events_total";
    let types: [(&str, u64, Bursts); 2] = [
        ("availability", 11, &[(150, 70, 0.6), (600, 500, 0.15)]),
        ("latency90", 12, &[(400, 60, 0.9)]),
    ];
    for (slo_type, seed, bursts) in types {
        let (ok, bad) = traffic(seed, 20.0, 0.005, bursts);
        for (result, values) in [("success", ok), ("fail", bad)] {
            out.push(series(
                m,
                &[
                    ("namespace", "test"),
                    ("slo_domain", "example-domain"),
                    ("slo_class", "critical"),
                    ("slo_version", "1"),
                    ("slo_type", slo_type),
                    ("result", result),
                ],
                values,
            ));
        }
    }
    out
}

// ------------------------------------------------------------- rule files

/// The set as one plain rule file in JSON (which YAML readers take): its
/// groups with `interval` set to the evaluation interval, annotations left
/// out, and the order they must run in.
fn normalized(set: &RuleSet) -> (String, Vec<String>) {
    let mut groups: Vec<Value> = Vec::new();
    for file in set.files {
        let path = common::corpus().join(file);
        let text = std::fs::read_to_string(&path).unwrap();
        let source = std::sync::Arc::new(firedrill::source::SourceFile::new(*file, text));
        let loaded = firedrill::rules::load(source, Default::default());
        for group in loaded.documents.iter().flat_map(|d| &d.groups) {
            if !set.groups.is_empty() && !set.groups.contains(&group.name()) {
                continue;
            }
            let rules: Vec<Value> = group
                .rules
                .iter()
                .map(|r| {
                    let mut rule = serde_json::Map::new();
                    let kind = if r.is_alert() { "alert" } else { "record" };
                    rule.insert(kind.into(), json!(r.name()));
                    let expr = r.expr.as_ref().expect("an expression");
                    rule.insert("expr".into(), json!(expr.text.value));
                    if let Some(f) = &r.for_ {
                        rule.insert("for".into(), json!(format!("{}ms", f.value.millis)));
                    }
                    if let Some(k) = &r.keep_firing_for {
                        rule.insert(
                            "keep_firing_for".into(),
                            json!(format!("{}ms", k.value.millis)),
                        );
                    }
                    if !r.labels.is_empty() {
                        let labels: serde_json::Map<String, Value> = r
                            .labels
                            .iter()
                            .map(|e| (e.key.value.clone(), json!(e.value.value)))
                            .collect();
                        rule.insert("labels".into(), Value::Object(labels));
                    }
                    Value::Object(rule)
                })
                .collect();
            groups.push(json!({
                "name": group.name(),
                "interval": format!("{STEP}s"),
                "rules": rules,
            }));
        }
    }
    let order = evaluation_order(&groups);
    let ordered: Vec<Value> = order
        .iter()
        .map(|name| groups.iter().find(|g| g["name"] == **name).unwrap().clone())
        .collect();
    let text = serde_json::to_string_pretty(&json!({ "groups": ordered })).unwrap();
    (text, order)
}

/// The group names, each after the groups writing what it reads (within a
/// group, rules run in order and must read only earlier ones).
fn evaluation_order(groups: &[Value]) -> Vec<String> {
    let rules = |g: &Value| g["rules"].as_array().unwrap().clone();
    let records = |g: &Value| -> BTreeSet<String> {
        rules(g)
            .iter()
            .filter_map(|r| r["record"].as_str().map(str::to_string))
            .collect()
    };
    let reads = |expr: &str, name: &str| {
        expr.match_indices(name).any(|(at, _)| {
            let word = |c: char| c.is_ascii_alphanumeric() || c == '_' || c == ':';
            let before = expr[..at].chars().next_back().is_none_or(|c| !word(c));
            let after = expr[at + name.len()..]
                .chars()
                .next()
                .is_none_or(|c| !word(c));
            before && after
        })
    };
    let names: Vec<String> = groups
        .iter()
        .map(|g| g["name"].as_str().unwrap().to_string())
        .collect();
    let mut depends: BTreeMap<usize, BTreeSet<usize>> = BTreeMap::new();
    for (i, g) in groups.iter().enumerate() {
        let mine = rules(g);
        for (k, rule) in mine.iter().enumerate() {
            let expr = rule["expr"].as_str().unwrap();
            for (j, other) in groups.iter().enumerate() {
                for name in records(other) {
                    if !reads(expr, &name) {
                        continue;
                    }
                    if i == j {
                        let written_before = mine[..k].iter().any(|r| r["record"] == *name);
                        assert!(
                            written_before,
                            "group {}: a rule reads {name} before its group writes it",
                            names[i]
                        );
                    } else {
                        depends.entry(i).or_default().insert(j);
                    }
                }
            }
        }
    }
    let mut order = Vec::new();
    let mut done = BTreeSet::new();
    while order.len() < groups.len() {
        let next = (0..groups.len()).find(|i| {
            !done.contains(i)
                && depends
                    .get(i)
                    .is_none_or(|d| d.iter().all(|j| done.contains(j)))
        });
        let i = next.unwrap_or_else(|| panic!("the groups' recordings read each other in a cycle"));
        done.insert(i);
        order.push(names[i].clone());
    }
    order
}

// ------------------------------------------------------------- comparison

/// Label sets firing at each evaluation, by alert name, from firedrill's
/// replay (intervals are `[start, end)` in unix seconds).
type Firing = BTreeMap<String, Vec<BTreeSet<BTreeMap<String, String>>>>;

fn firing(json: &Value) -> Firing {
    let mut out: Firing = BTreeMap::new();
    for rule in json["rules"].as_array().unwrap() {
        let name = rule["alertname"].as_str().unwrap().to_string();
        let steps = out
            .entry(name)
            .or_insert_with(|| vec![BTreeSet::new(); STEPS as usize + 1]);
        for alert in rule["candidates"][0]["alerts"].as_array().unwrap() {
            let labels: BTreeMap<String, String> = alert["labels"]
                .as_object()
                .unwrap()
                .iter()
                .filter(|(k, _)| *k != "alertname")
                .map(|(k, v)| (k.clone(), v.as_str().unwrap().to_string()))
                .collect();
            for interval in alert["firing"].as_array().unwrap() {
                let (from, to) = (interval[0].as_i64().unwrap(), interval[1].as_i64().unwrap());
                let mut t = from;
                while t < to {
                    steps[((t - T0) / STEP) as usize].insert(labels.clone());
                    t += STEP;
                }
            }
        }
    }
    out
}

/// A `promtool test rules` file: the raw series, and at every evaluation
/// the alerts firedrill says fire.
fn promtool_test(rules: &Path, order: &[String], raw: &[Series], expected: &Firing) -> String {
    let input: Vec<Value> = raw
        .iter()
        .map(|s| {
            let labels: Vec<String> = s
                .labels
                .iter()
                .map(|(k, v)| format!("{k}={}", json!(v)))
                .collect();
            let values: Vec<String> = s.samples.iter().map(|(_, v)| v.to_string()).collect();
            json!({
                "series": format!("{}{{{}}}", s.metric, labels.join(",")),
                "values": values.join(" "),
            })
        })
        .collect();
    let mut tests = Vec::new();
    for (alert, steps) in expected {
        for (k, firing) in steps.iter().enumerate().take(STEPS as usize) {
            let exp: Vec<Value> = firing.iter().map(|l| json!({ "exp_labels": l })).collect();
            tests.push(json!({
                "eval_time": format!("{}s", k as i64 * STEP),
                "alertname": alert,
                "exp_alerts": exp,
            }));
        }
    }
    serde_json::to_string(&json!({
        "rule_files": [rules.to_str().unwrap()],
        "evaluation_interval": format!("{STEP}s"),
        "group_eval_order": order,
        "tests": [{
            "interval": format!("{STEP}s"),
            "input_series": input,
            "alert_rule_test": tests,
        }],
    }))
    .unwrap()
}

/// Firing episodes: a label set's runs of consecutive firing evaluations.
fn episodes(steps: &[BTreeSet<BTreeMap<String, String>>]) -> usize {
    let mut count = 0;
    for k in 0..steps.len() {
        for labels in &steps[k] {
            if k == 0 || !steps[k - 1].contains(labels) {
                count += 1;
            }
        }
    }
    count
}

#[test]
fn inlined_replays_fire_as_prometheus_evaluating_the_chain() {
    common::prometheus::require("promtool");
    let mut summary = Vec::new();
    for set in sets() {
        let dir = tempfile::tempdir().unwrap();
        let (rules_text, order) = normalized(&set);
        let rules = dir.path().join("rules.json");
        std::fs::write(&rules, &rules_text).unwrap();
        let raw = (set.series)();
        let prometheus = Prometheus::start(&raw);
        let replay = prometheus.simulate(
            &rules,
            T0,
            T0 + STEPS * STEP,
            &["--inline-recording", "--eval-interval", "1m"],
        );
        // Every recorded series an alert reads was inlined; none was read
        // from the server (which holds only raw series).
        for rule in replay["rules"].as_array().unwrap() {
            assert_eq!(
                rule["recorded_series_read"],
                json!([]),
                "{}: {} read recorded series from the server",
                set.name,
                rule["alertname"]
            );
        }
        let expected = firing(&replay);
        let fired: usize = expected.values().map(|s| episodes(s)).sum();
        let firing_alerts = expected
            .values()
            .filter(|s| s.iter().any(|f| !f.is_empty()))
            .count();
        assert!(
            fired > 0,
            "{}: nothing fired; the history does not test the chains",
            set.name
        );
        let test = dir.path().join("test.json");
        std::fs::write(&test, promtool_test(&rules, &order, &raw, &expected)).unwrap();
        let out = Command::new("promtool")
            .args(["test", "rules"])
            .arg(&test)
            .output()
            .unwrap();
        let said = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "{}: promtool disagrees with the inlined replay:\n{}{}",
            set.name,
            said.chars().take(6000).collect::<String>(),
            String::from_utf8_lossy(&out.stderr)
        );
        let rules_replayed = replay["rules"].as_array().unwrap().len();
        let inlined: BTreeSet<&str> = replay["rules"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|r| r["recording_rules_inlined"].as_array().unwrap())
            .map(|i| i["name"].as_str().unwrap())
            .collect();
        summary.push(format!(
            "{}: {rules_replayed} alerting rules ({} names, {firing_alerts} fired) through {} recorded names; {fired} firing episodes, equal at all {} evaluations",
            set.name,
            expected.len(),
            inlined.len(),
            STEPS
        ));
    }
    eprintln!("{}", summary.join("\n"));
}
