//! Routing speed. Run: `cargo bench --bench alertmanager`.
//!
//! A month (30 days at 1m evaluations) of 1,000 alert instances (100 alert
//! rules × 10 instances, over 20 namespaces and 5 teams, three severities;
//! each instance fires ~30 times, 2m to 2h each, after a 5m `for`) through
//! an Alertmanager configuration of 50 routes (per team and severity,
//! regex matchers, `continue`, nested routes, `group_by: ['...']` on
//! some), two inhibit rules and a night-time mute:
//! - `alertmanager/route_month`: what `simulate --alertmanager` adds to a
//!   replay: the pushes Prometheus would send, the dispatcher's groups,
//!   flushes, inhibitions and notification log, and the counts.

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use firedrill::alertmanager::config;
use firedrill::alertmanager::pages::{self, PageOptions, RuleTimelines};
use firedrill::replay::{Grid, Timeline};

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

const RULES: usize = 100;
const PER_RULE: usize = 10;
const STEPS: usize = 43_200;
const STEP_MS: i64 = 60_000;

/// xorshift64*: the same timelines every run.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) % n
    }
}

const TEAMS: [&str; 5] = ["db", "web", "platform", "payments", "search"];
const SEVERITIES: [&str; 3] = ["critical", "warning", "info"];

fn timelines() -> Vec<Vec<Timeline>> {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let end = STEPS as i64 * STEP_MS;
    (0..RULES)
        .map(|r| {
            (0..PER_RULE)
                .map(|i| {
                    let labels = vec![
                        ("alertname".to_string(), format!("Alert{r}")),
                        ("instance".to_string(), format!("host-{i}")),
                        ("namespace".to_string(), format!("ns-{}", (r + i) % 20)),
                        ("severity".to_string(), SEVERITIES[r % 3].to_string()),
                        ("team".to_string(), TEAMS[r % 5].to_string()),
                    ];
                    let mut pending = Vec::new();
                    let mut firing = Vec::new();
                    let mut t = rng.below(STEPS as u64 / 30) as i64 * STEP_MS;
                    while t < end {
                        let fired = t + 5 * STEP_MS;
                        let resolved = (fired + (2 + rng.below(118)) as i64 * STEP_MS).min(end);
                        if fired >= end {
                            break;
                        }
                        pending.push((t, fired));
                        firing.push((fired, resolved));
                        t = resolved + (10 + rng.below(STEPS as u64 / 15)) as i64 * STEP_MS;
                    }
                    Timeline {
                        labels,
                        pending,
                        firing,
                    }
                })
                .collect()
        })
        .collect()
}

/// 1 root + 5 teams × (a team route, 3 severity routes under it, a nested
/// namespace regex route under each) + 14 routes by namespace and alert
/// name = 50 routes.
fn configuration() -> String {
    let mut routes = String::new();
    for team in TEAMS {
        routes.push_str(&format!(
            "    - matchers: ['team=\"{team}\"']\n      receiver: {team}-chat\n      continue: true\n      routes:\n"
        ));
        for severity in SEVERITIES {
            routes.push_str(&format!(
                "        - matchers: ['severity=\"{severity}\"']\n          receiver: {}\n          routes:\n            - matchers: ['namespace=~\"ns-(1|3|5|7)\"']\n              group_by: ['...']\n",
                if severity == "critical" { "pager".to_string() } else { format!("{team}-chat") }
            ));
        }
    }
    for k in 0..14 {
        routes.push_str(&format!(
            "    - matchers: ['namespace=\"ns-{}\"', 'alertname=~\"Alert{k}.*\"']\n      receiver: platform-chat\n",
            k % 20
        ));
    }
    let mut receivers = String::from(
        "  - name: pager\n    pagerduty_configs: [{routing_key: x}]\n  - name: default\n",
    );
    for team in TEAMS {
        receivers.push_str(&format!(
            "  - name: {team}-chat\n    slack_configs: [{{api_url: 'http://127.0.0.1/', channel: '#{team}'}}]\n"
        ));
    }
    let fixed = [
        "inhibit_rules:",
        "  - source_matchers: ['severity=\"critical\"']",
        "    target_matchers: ['severity=\"warning\"']",
        "    equal: [namespace]",
        "  - source_matchers: ['severity=\"warning\"']",
        "    target_matchers: ['severity=\"info\"']",
        "    equal: [namespace, team]",
        "time_intervals:",
        "  - name: nights",
        "    time_intervals:",
        "      - times: [{start_time: '22:00', end_time: '24:00'}]",
    ]
    .join("\n");
    format!(
        "route:\n  receiver: default\n  group_by: [alertname, namespace]\n  routes:\n{routes}{fixed}\nreceivers:\n{receivers}"
    )
}

fn bench(c: &mut Criterion) {
    let text = configuration();
    let config = config::load(&text).expect("the bench configuration loads");
    assert_eq!(
        firedrill::alertmanager::route::Route::new(&config.route)
            .all()
            .len(),
        50
    );
    let timelines = timelines();
    let grid = Grid {
        start_ms: 0,
        step_ms: STEP_MS,
        len: STEPS,
    };
    let names: Vec<String> = (0..RULES).map(|r| format!("Alert{r}")).collect();
    let rules: Vec<RuleTimelines> = timelines
        .iter()
        .zip(&names)
        .map(|(t, name)| RuleTimelines {
            alertname: name,
            grid,
            timelines: t,
        })
        .collect();
    let options = PageOptions::default();
    let once = pages::replay(&config, &rules, &options);
    let episodes: usize = timelines.iter().flatten().map(|t| t.firing.len()).sum();
    eprintln!(
        "{episodes} firing episodes -> {} notifications, {} held back",
        once.notifications.len(),
        once.suppressed.len()
    );
    let mut group = c.benchmark_group("alertmanager");
    group.sample_size(10);
    group.throughput(Throughput::Elements((RULES * PER_RULE) as u64));
    group.bench_function("route_month", |b| {
        b.iter(|| black_box(pages::replay(&config, black_box(&rules), &options)))
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
