use std::sync::Arc;

use serde::Deserialize;

use std::collections::{BTreeMap, HashMap};

use promql_parser::parser::Expr;

use super::{
    duration_option, groups, read_options, report, Check, CheckInfo, Context, OptionDoc, Options,
    OptionsError, RawOptions,
};
use crate::diagnostic::{Diagnostic, Severity};
use crate::rules::duration::Duration;
use crate::rules::{Group, RuleFile};

pub struct GroupInterval;

static INFO: CheckInfo = CheckInfo {
    id: "group/interval",
    severity: Severity::Warning,
    default_enabled: true,
    options: &[OptionDoc {
        name: "max",
        default: "\"5m\"",
        doc: "A group `interval` longer than this is reported.",
    }],
    summary: "A recording group slower than 5m whose series a rule reads without a range covering the interval: it sees them vanish between evaluations",
    docs: r#"## What it does
Reports a group whose `interval` is longer than `[checks."group/interval"] max` (default 5m,
Prometheus's lookback delta) and whose recorded series another rule of the set reads as they are
(`job:cost:sum > 100`) or through a range shorter than the interval. A slow group read through a
range that covers it (`last_over_time(job:cost:sum[30m])`, the way expensive aggregations are
meant to be read) is left alone, and so is a slow group of alerts: reacting later is the
choice its interval makes.

## Why is this bad?
An instant query only looks back 5 minutes for a sample. A recording rule evaluated every 10m
writes a series that is *absent* half of the time: an alert on it resolves and fires again with
every gap (and `absent()` fires), and a `for` on it never completes.

## Example
```yaml
- name: slow evaluation
  interval: 10m                        # recorded series vanish between evaluations
  rules:
  - record: job:cost:sum
    expr: sum by (job) (cost)
- name: alerts
  rules:
  - alert: CostHigh
    expr: job:cost:sum > 100           # absent 5 minutes of every 10
```
Evaluate every 5m or less, or read it through a range that covers the interval.

## Fixed
```yaml
  - alert: CostHigh
    expr: last_over_time(job:cost:sum[15m]) > 100
```"#,
};

/// `[checks."group/interval"]`.
#[derive(Debug, Clone)]
struct IntervalOptions {
    max: Duration,
}

impl Default for IntervalOptions {
    fn default() -> Self {
        // Prometheus's lookback delta: a series not written for 5m is gone
        // from instant queries, so a slower recording rule has gaps.
        IntervalOptions {
            max: Duration::from_secs(5 * 60),
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawInterval {
    max: Option<toml::Spanned<String>>,
}

/// A slow group and the reads of its series that see gaps: (reader,
/// series).
type SlowGroup<'a> = (&'a RuleFile, &'a Group, Duration, Vec<(String, String)>);

impl Check for GroupInterval {
    fn info(&self) -> &'static CheckInfo {
        &INFO
    }

    fn configure(&self, raw: RawOptions<'_>) -> Result<Options, OptionsError> {
        let raw: RawInterval = read_options(raw)?;
        let mut options = IntervalOptions::default();
        if let Some(max) = &raw.max {
            options.max = duration_option(max)?;
        }
        Ok(Arc::new(options))
    }

    fn check_set(&self, ctx: &Context<'_>, out: &mut Vec<Diagnostic>) {
        let max = ctx.settings.options::<IntervalOptions>(INFO.id).max;
        // The slow groups' recorded names, with their group.
        let mut slow: HashMap<&str, (&RuleFile, &Group, Duration)> = HashMap::new();
        for file in &ctx.rules.files {
            for group in groups(file) {
                let Some(interval) = group.interval.as_ref().filter(|i| i.value > max) else {
                    continue;
                };
                for rule in group.rules.iter().filter(|r| !r.is_alert()) {
                    slow.insert(rule.name(), (file, group, interval.value));
                }
            }
        }
        if slow.is_empty() {
            return;
        }
        // Per slow group (by its place), the rules reading its series with
        // gaps, and what they read.
        let mut readers: BTreeMap<(String, usize), SlowGroup<'_>> = BTreeMap::new();
        for file in &ctx.rules.files {
            for group in groups(file) {
                for rule in &group.rules {
                    let Some(Ok(expr)) = rule.expr.as_ref().map(|e| e.parsed.as_ref()) else {
                        continue;
                    };
                    crate::promql::walk(expr, &mut |e| {
                        let (name, range) = match e {
                            Expr::VectorSelector(vs) => (vs.name.as_deref(), None),
                            Expr::MatrixSelector(m) => (m.vs.name.as_deref(), Some(m.range)),
                            _ => return,
                        };
                        let Some(&(slow_file, slow_group, interval)) =
                            name.and_then(|n| slow.get(n))
                        else {
                            return;
                        };
                        if range.is_some_and(|r| r.as_millis() as u64 >= interval.millis) {
                            return;
                        }
                        let place = (slow_file.source.name.clone(), slow_group.span.start);
                        readers
                            .entry(place)
                            .or_insert((slow_file, slow_group, interval, Vec::new()))
                            .3
                            .push((
                                rule.name().to_string(),
                                name.unwrap_or_default().to_string(),
                            ));
                    });
                }
            }
        }
        for (file, group, interval, reads) in readers.into_values() {
            let Some(at) = group.interval.as_ref() else {
                continue;
            };
            let (reader, series) = &reads[0];
            let more = match reads.len() {
                1 => String::new(),
                n => format!(" (and {} more reads)", n - 1),
            };
            out.push(
                report(
                    &INFO,
                    file,
                    at.span,
                    format!(
                        "group interval {interval} is longer than {max}, and `{reader}` reads its series `{series}` without a range covering it{more}: the series is gone between evaluations"
                    ),
                )
                .group(group.name())
                .label("too slow for its readers")
                .help(format!(
                    "evaluate every {max} or less, or read it through a range of {interval} or more (`last_over_time({series}[{interval}])`)"
                )),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::{configured, places, run_with};
    use super::*;

    const TEXT: &str = "groups:\n- name: slow\n  interval: 10m\n  rules:\n  - record: job:up:sum\n    expr: sum by (job) (up)\n- name: fast\n  interval: 30s\n  rules:\n  - alert: Down\n    expr: job:up:sum == 0\n";

    #[test]
    fn reports_a_slow_group_read_without_a_range() {
        assert_eq!(places(&GroupInterval, TEXT), ["3:13"]);
        let found = run_with(&GroupInterval, TEXT, &Default::default());
        assert!(
            found[0].1.contains("`Down` reads its series `job:up:sum`"),
            "{found:?}"
        );
    }

    #[test]
    fn a_covering_range_an_unread_group_and_slow_alerts_pass() {
        for ok in [
            TEXT.replace("job:up:sum == 0", "last_over_time(job:up:sum[15m]) == 0"),
            TEXT.replace("job:up:sum == 0", "up == 0"),
            "groups:\n- name: slow\n  interval: 10m\n  rules:\n  - alert: A\n    expr: up == 0\n"
                .to_string(),
        ] {
            assert!(places(&GroupInterval, &ok).is_empty(), "{ok}");
        }
        // A range shorter than the interval still sees gaps.
        let short = TEXT.replace("job:up:sum == 0", "max_over_time(job:up:sum[5m]) == 0");
        assert_eq!(places(&GroupInterval, &short), ["3:13"]);
    }

    #[test]
    fn the_limit_is_configurable() {
        let settings = configured(&GroupInterval, "max = \"15m\"");
        assert!(run_with(&GroupInterval, TEXT, &settings).is_empty());
    }
}
