//! What each alert's replay needs from history: the query to fetch (its
//! signal, or the whole expression when it does not split), its group's
//! evaluation interval, timings and labels; and the range queries that
//! fetch it, on that grid.

use super::Labels;
use crate::history::fetch::Job;
use crate::promql::{split, Comparison};
use crate::rules::{Duration, Group, Rule, RuleSet};

/// An alert and what its replay needs from history.
#[derive(Debug, Clone)]
pub struct Plan {
    pub file: String,
    pub line: usize,
    pub group: String,
    pub alertname: String,
    /// The PromQL to fetch, as written in the rule: the signal, or the
    /// whole expression.
    pub query: String,
    /// The expression as written in the file.
    pub expr: String,
    pub mode: PlanMode,
    pub interval: Duration,
    pub for_: Duration,
    pub keep_firing_for: Duration,
    pub static_labels: Labels,
}

#[derive(Debug, Clone, PartialEq)]
pub enum PlanMode {
    Split {
        op: Comparison,
        threshold: f64,
    },
    /// Replayed as a whole (no sweep), with the reason it does not split.
    Whole {
        reason: String,
    },
}

#[derive(Debug, thiserror::Error)]
pub enum PlanError {
    #[error("no alerting rule named {wanted:?} among the loaded rules{}", match suggestion { Some(s) => format!(" (did you mean {s:?}?)"), None => String::new() })]
    UnknownAlert {
        wanted: String,
        suggestion: Option<String>,
    },
    #[error("no alerting rules to simulate")]
    NoAlerts,
    #[error("{file}:{line}: alert {alert:?} has no valid expression; run `firedrill lint` first")]
    Unparsable {
        file: String,
        line: usize,
        alert: String,
    },
    #[error("the window is empty: from {} to {} (--start/--end within the data's own span) there is no evaluation", crate::time::format_utc(*start_ms), crate::time::format_utc(*end_ms))]
    EmptyWindow { start_ms: i64, end_ms: i64 },
}

const DEFAULT_INTERVAL: Duration = Duration { millis: 60_000 };

/// Plans every alerting rule (or those named in `alerts`); groups without
/// `interval` are evaluated every `default_interval` (Prometheus's 1m when `None`).
pub fn plan(
    rules: &RuleSet,
    alerts: &[String],
    default_interval: Option<Duration>,
) -> Result<Vec<Plan>, PlanError> {
    let mut plans = Vec::new();
    for file in &rules.files {
        for group in file.documents.iter().flat_map(|d| &d.groups) {
            for rule in group.rules.iter().filter(|r| r.is_alert()) {
                if !alerts.is_empty() && !alerts.iter().any(|a| a == rule.name()) {
                    continue;
                }
                let line = file.source.line_col(rule.anchor().start).line;
                match plan_rule(&file.source.name, line, group, rule, default_interval) {
                    Some(p) => plans.push(p),
                    None => {
                        return Err(PlanError::Unparsable {
                            file: file.source.name.clone(),
                            line,
                            alert: rule.name().to_string(),
                        })
                    }
                }
            }
        }
    }
    for wanted in alerts {
        if !plans.iter().any(|p| &p.alertname == wanted) {
            let names: Vec<&str> = rules
                .files
                .iter()
                .flat_map(|f| f.documents.iter().flat_map(|d| &d.groups))
                .flat_map(|g| g.rules.iter().filter(|r| r.is_alert()))
                .map(|r| r.name())
                .collect();
            return Err(PlanError::UnknownAlert {
                wanted: wanted.clone(),
                suggestion: crate::suggest::closest(wanted, &names).map(str::to_string),
            });
        }
    }
    if plans.is_empty() {
        return Err(PlanError::NoAlerts);
    }
    Ok(plans)
}

/// Plans the alerting rule of `rules` in `file` whose span starts at `start`.
pub fn plan_at(
    rules: &RuleSet,
    file: &str,
    start: usize,
    default_interval: Option<Duration>,
) -> Result<Plan, PlanError> {
    for f in rules.files.iter().filter(|f| f.source.name == file) {
        for group in f.documents.iter().flat_map(|d| &d.groups) {
            let found = group
                .rules
                .iter()
                .find(|r| r.is_alert() && r.span.start == start);
            if let Some(rule) = found {
                let line = f.source.line_col(rule.anchor().start).line;
                return plan_rule(file, line, group, rule, default_interval).ok_or_else(|| {
                    PlanError::Unparsable {
                        file: file.to_string(),
                        line,
                        alert: rule.name().to_string(),
                    }
                });
            }
        }
    }
    Err(PlanError::NoAlerts)
}

fn plan_rule(
    file: &str,
    line: usize,
    group: &Group,
    rule: &Rule,
    default_interval: Option<Duration>,
) -> Option<Plan> {
    let expr = rule.expr.as_ref()?;
    let parsed = expr.parsed.as_ref().ok()?;
    // What is sent to a server is the rule's own text (its signal, or all
    // of it): the parsed tree may lack what promql-parser does not read.
    let written = expr.text.value.trim();
    let (query, mode) = match split::split(parsed) {
        Ok(s) => (
            split::signal_as_written(written, &s).map_or(s.signal.clone(), str::to_string),
            PlanMode::Split {
                op: s.op,
                threshold: s.threshold,
            },
        ),
        Err(reason) => (
            written.to_string(),
            PlanMode::Whole {
                reason: reason.to_string(),
            },
        ),
    };
    Some(Plan {
        file: file.to_string(),
        line,
        group: group.name().to_string(),
        alertname: rule.name().to_string(),
        query,
        expr: expr.text.value.clone(),
        mode,
        interval: group
            .interval
            .as_ref()
            .map(|i| i.value)
            .or(default_interval)
            .unwrap_or(DEFAULT_INTERVAL),
        for_: rule.for_.as_ref().map_or(Duration::ZERO, |f| f.value),
        keep_firing_for: rule
            .keep_firing_for
            .as_ref()
            .map_or(Duration::ZERO, |f| f.value),
        static_labels: rule
            .labels
            .iter()
            .map(|e| (e.key.value.clone(), e.value.value.clone()))
            .collect(),
    })
}

/// The range queries a live run needs over `[from, to]`: one per distinct
/// query and evaluation interval, on the group's evaluation grid; and, per
/// plan, the index of its job.
pub fn jobs(
    plans: &[Plan],
    from_ms: i64,
    to_ms: i64,
    eval_offset_ms: i64,
) -> Result<(Vec<Job>, Vec<usize>), PlanError> {
    let mut jobs: Vec<Job> = Vec::new();
    let mut of_plan = Vec::with_capacity(plans.len());
    for plan in plans {
        let e = plan.interval.millis.max(1) as i64;
        let offset = eval_offset_ms.rem_euclid(e);
        let start = (from_ms - offset).div_euclid(e) * e + offset;
        let start = if start < from_ms { start + e } else { start };
        let end = (to_ms - offset).div_euclid(e) * e + offset;
        if end < start {
            return Err(PlanError::EmptyWindow {
                start_ms: from_ms,
                end_ms: to_ms,
            });
        }
        let job = Job {
            query: plan.query.clone(),
            start_ms: start,
            end_ms: end,
            step_ms: e,
        };
        let index = match jobs.iter().position(|j| *j == job) {
            Some(i) => i,
            None => {
                jobs.push(job);
                jobs.len() - 1
            }
        };
        of_plan.push(index);
    }
    Ok((jobs, of_plan))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::promql::ParseOptions;
    use crate::rules::LoadOptions;
    use crate::source::SourceFile;

    fn rules(text: &str) -> RuleSet {
        let options = LoadOptions {
            promql: ParseOptions::every_feature(),
            ..LoadOptions::default()
        };
        let source = std::sync::Arc::new(SourceFile::new("r.yaml", text.to_string()));
        RuleSet {
            files: vec![crate::rules::load(source, options)],
        }
    }

    #[test]
    fn the_query_is_the_rule_as_written() {
        // promql-parser reads neither `anchored` nor `[5m * 2]`: the tree
        // has `x[5m]` and `x[10m]`; the server must get the rule's text.
        let set = rules("groups:\n- name: g\n  rules:\n  - alert: A\n    expr: sum(increase(x[1h] anchored)) > 3\n  - alert: B\n    expr: |\n      absent(rate(y[5m * 2]))\n");
        let plans = plan(&set, &[], None).unwrap();
        assert_eq!(plans[0].query, "sum(increase(x[1h] anchored))");
        assert_eq!(plans[1].query, "absent(rate(y[5m * 2]))");
    }
}
