//! Prometheus is the authority on alert semantics. Random scenarios (gauges
//! with spikes, counter-shaped series with resets, series that appear and
//! vanish, aggregations, several `for` and `keep_firing_for` values) are
//! replayed by firedrill; the firing set it computes at every evaluation is
//! written as a `promtool test rules` file, and promtool (Debian package
//! `prometheus`) must agree at every step.

mod common;

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::process::Command;

use common::rng::Rng;
use firedrill::replay::machine::{simulate, State, Timing};
use firedrill::replay::{limited, timelines, Candidate, Comparison, Grid, Mode, Series};
use firedrill::rules::Duration;

const STEP_MS: i64 = 60_000;
const STEPS: usize = 40;

/// One raw input series: labels and a value per step (`None` = stale/absent).
struct Input {
    instance: String,
    job: String,
    values: Vec<Option<f64>>,
}

enum Shape {
    /// `m > t`, `m < t`, `m >= t` on the raw series.
    Raw(Comparison),
    /// `sum by (job) (m) > t`.
    SumByJob,
    /// `max by (job) (m) > t`.
    MaxByJob,
}

struct Scenario {
    id: usize,
    inputs: Vec<Input>,
    shape: Shape,
    threshold: f64,
    for_min: u64,
    keep_min: u64,
}

fn generate(id: usize, rng: &mut Rng) -> Scenario {
    let series = 1 + rng.below(4) as usize;
    let mut inputs = Vec::new();
    for s in 0..series {
        let kind = rng.below(3);
        let mut values = Vec::new();
        let mut level = rng.below(60) as f64;
        let appear = if rng.below(3) == 0 {
            rng.below(15) as usize
        } else {
            0
        };
        let vanish = if rng.below(3) == 0 {
            STEPS - rng.below(12) as usize
        } else {
            STEPS + 1
        };
        for k in 0..=STEPS {
            let v = match kind {
                // Gauge with spikes.
                0 => {
                    if rng.below(5) == 0 {
                        40.0 + rng.below(60) as f64
                    } else {
                        rng.below(50) as f64
                    }
                }
                // Counter shape with resets.
                1 => {
                    level = if rng.below(12) == 0 {
                        0.0
                    } else {
                        level + rng.below(6) as f64
                    };
                    level
                }
                // Flapping around a level.
                _ => level + rng.below(20) as f64 - 10.0,
            };
            let gone = k < appear || k >= vanish || rng.below(9) == 0;
            values.push(if gone { None } else { Some(v) });
        }
        inputs.push(Input {
            instance: format!("i{s}"),
            job: format!("j{}", s % 2),
            values,
        });
    }
    let shape = match rng.below(5) {
        0 => Shape::SumByJob,
        1 => Shape::MaxByJob,
        2 => Shape::Raw(Comparison::Lt),
        3 => Shape::Raw(Comparison::Ge),
        _ => Shape::Raw(Comparison::Gt),
    };
    Scenario {
        id,
        inputs,
        shape,
        threshold: 20.0 + rng.below(40) as f64,
        for_min: [0, 1, 2, 3, 5][rng.below(5) as usize],
        keep_min: [0, 0, 1, 2, 4][rng.below(5) as usize],
    }
}

impl Scenario {
    fn metric(&self) -> String {
        format!("m{}", self.id)
    }

    fn alert(&self) -> String {
        format!("Oracle{}", self.id)
    }

    fn expr(&self) -> String {
        let m = self.metric();
        match &self.shape {
            Shape::Raw(op) => format!("{m} {} {}", op.symbol(), self.threshold),
            Shape::SumByJob => format!("sum by (job) ({m}) > {}", self.threshold),
            Shape::MaxByJob => format!("max by (job) ({m}) > {}", self.threshold),
        }
    }

    /// The signal firedrill replays: what a range query of the left-hand
    /// side returns at each step (computed here for these simple shapes).
    fn signal(&self) -> (Vec<Series>, Comparison) {
        match &self.shape {
            Shape::Raw(op) => {
                let series = self
                    .inputs
                    .iter()
                    .map(|i| Series {
                        labels: vec![
                            ("instance".into(), i.instance.clone()),
                            ("job".into(), i.job.clone()),
                        ],
                        values: i.values.iter().map(|v| v.unwrap_or(f64::NAN)).collect(),
                    })
                    .collect();
                (series, *op)
            }
            Shape::SumByJob | Shape::MaxByJob => {
                let mut jobs: BTreeMap<&str, Vec<f64>> = BTreeMap::new();
                for input in &self.inputs {
                    let acc = jobs
                        .entry(&input.job)
                        .or_insert_with(|| vec![f64::NAN; STEPS + 1]);
                    for (k, v) in input.values.iter().enumerate() {
                        if let Some(v) = v {
                            acc[k] = if acc[k].is_nan() {
                                *v
                            } else if matches!(self.shape, Shape::SumByJob) {
                                acc[k] + v
                            } else {
                                acc[k].max(*v)
                            };
                        }
                    }
                }
                let series = jobs
                    .into_iter()
                    .map(|(job, values)| Series {
                        labels: vec![("job".into(), job.to_string())],
                        values,
                    })
                    .collect();
                (series, Comparison::Gt)
            }
        }
    }
}

fn promtool() -> &'static str {
    "promtool"
}

#[test]
fn replay_matches_promtool_on_random_scenarios() {
    common::tools::require(promtool(), "prometheus");
    let mut rng = Rng(0xD1B54A32D192ED03);
    let scenarios: Vec<Scenario> = (0..60).map(|i| generate(i, &mut rng)).collect();
    let failed = promtool_agrees(&scenarios, |_| 0);
    assert_eq!(failed, 0);
}

/// The group's `limit` (rules/alerting.go: more alerts than it fail the
/// evaluation and drop them all). Scenarios of several raw series against
/// a limit below their number; promtool 2.42 applies the group's limit in
/// `promtool test rules` as the server does, and reports the first
/// evaluation that exceeds it ("exceeded limit of L with N alerts"), where
/// it stops that test: before it the firing sets must agree, and the
/// failure must come at the same evaluation with the same count. (What
/// follows a failure, every alert dropped and started over, is pinned by
/// `machine::tests` from alerting.go's code, which promtool cannot show.)
#[test]
fn the_group_limit_matches_promtool() {
    common::tools::require(promtool(), "prometheus");
    let mut rng = Rng(0x9E3779B97F4A7C15);
    let mut scenarios = Vec::new();
    while scenarios.len() < 40 {
        let s = generate(scenarios.len(), &mut rng);
        if s.inputs.len() >= 2 && matches!(s.shape, Shape::Raw(_)) {
            scenarios.push(s);
        }
    }
    let failed = promtool_agrees(&scenarios, |s| 1 + s.id % (s.inputs.len() - 1).max(1));
    // The limit must bite in some scenarios, not only stand by.
    assert!(failed > 10, "only {failed} rules exceeded the limit");
}

/// Writes the scenarios as rules (with the group limit `limit(s)`, 0 for
/// none) and firedrill's firing set at every evaluation as a promtool test,
/// and has promtool check it; up to the first evaluation over the limit,
/// which promtool must report as firedrill does. Returns how many rules
/// exceeded their limit.
fn promtool_agrees(scenarios: &[Scenario], limit: impl Fn(&Scenario) -> usize) -> usize {
    let grid = Grid {
        start_ms: 0,
        step_ms: STEP_MS,
        len: STEPS + 1,
    };

    let mut rules = String::from("groups:\n");
    let mut tests = String::from("rule_files: [rules.yml]\nevaluation_interval: 1m\ntests:\n");
    let mut checked_steps = 0;
    let mut firing_steps = 0;
    let mut expected_errors: Vec<String> = Vec::new();
    for s in scenarios {
        let limit = limit(s);
        writeln!(
            rules,
            "- name: g{id}\n  limit: {limit}\n  rules:\n  - alert: {alert}\n    expr: {expr}\n    for: {f}m\n    keep_firing_for: {k}m\n    labels:\n      severity: page",
            id = s.id,
            alert = s.alert(),
            expr = s.expr(),
            f = s.for_min,
            k = s.keep_min
        )
        .unwrap();
        writeln!(tests, "- interval: 1m\n  input_series:").unwrap();
        for input in &s.inputs {
            let values: Vec<String> = input
                .values
                .iter()
                .map(|v| v.map_or("stale".to_string(), |v| v.to_string()))
                .collect();
            writeln!(
                tests,
                "  - series: '{}{{instance=\"{}\",job=\"{}\"}}'\n    values: '{}'",
                s.metric(),
                input.instance,
                input.job,
                values.join(" ")
            )
            .unwrap();
        }
        writeln!(tests, "  alert_rule_test:").unwrap();
        let (series, op) = s.signal();
        let candidate = Candidate {
            threshold: Some(s.threshold),
            for_: Duration::from_secs(s.for_min * 60),
            keep_firing_for: Duration::from_secs(s.keep_min * 60),
        };
        let (timelines, first_failure) = if limit > 0 {
            let (t, failed) = limited::timelines(grid, &series, Mode::Split(op), candidate, limit);
            (t, failed.first().map(|&ms| (ms / STEP_MS) as usize))
        } else {
            (timelines(grid, &series, Mode::Split(op), candidate), None)
        };
        if let Some(k) = first_failure {
            // Before any failure the instances ran as if alone.
            let timing = Timing::new(
                candidate.for_.millis,
                candidate.keep_firing_for.millis,
                STEP_MS as u64,
            );
            let active = series
                .iter()
                .filter(|x| {
                    let present: Vec<bool> = x
                        .values
                        .iter()
                        .map(|v| op.passes(*v, s.threshold))
                        .collect();
                    simulate(&present, timing)[k] != State::Inactive
                })
                .count();
            let time = if k == 0 {
                "0s".to_string()
            } else {
                format!("{k}m0s")
            };
            expected_errors.push(format!(
                "rule: {}, time: {time}, err: exceeded limit of {limit} with {active} alerts",
                s.alert()
            ));
        }
        for k in 0..=first_failure.unwrap_or(STEPS) {
            let t = k as i64 * STEP_MS;
            writeln!(
                tests,
                "  - eval_time: {k}m\n    alertname: {}\n    exp_alerts:",
                s.alert()
            )
            .unwrap();
            let mut any = false;
            for tl in &timelines {
                if tl.firing.iter().any(|(a, b)| *a <= t && t < *b) {
                    let labels: Vec<String> =
                        tl.labels.iter().map(|(n, v)| format!("{n}: {v}")).collect();
                    writeln!(
                        tests,
                        "    - exp_labels: {{{}, severity: page}}",
                        labels.join(", ")
                    )
                    .unwrap();
                    any = true;
                }
            }
            if !any {
                // An empty list: nothing may be firing.
                tests.truncate(tests.trim_end().len());
                tests.push_str(" []\n");
            } else {
                firing_steps += 1;
            }
            checked_steps += 1;
        }
    }
    // The scenarios must exercise firing, not only silence.
    assert!(
        firing_steps > checked_steps / 10,
        "only {firing_steps} of {checked_steps} steps fire"
    );

    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("rules.yml"), &rules).unwrap();
    std::fs::write(dir.path().join("test.yml"), &tests).unwrap();
    let out = Command::new(promtool())
        .args(["test", "rules", "test.yml"])
        .current_dir(dir.path())
        .output()
        .unwrap();
    let text =
        String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    // promtool's failures: only the limit errors firedrill predicts, each once.
    let reported: Vec<String> = text
        .lines()
        .map(str::trim)
        .filter(|l| l.starts_with("rule: ") || l.starts_with("alertname: ") || l.contains("exp:"))
        .map(str::to_string)
        .collect();
    assert_eq!(
        out.status.success(),
        expected_errors.is_empty(),
        "{}",
        &text[..text.len().min(6000)]
    );
    assert_eq!(
        reported,
        expected_errors,
        "{}",
        &text[..text.len().min(6000)]
    );
    expected_errors.len()
}
