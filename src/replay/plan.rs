//! What each alert's replay needs from history: the query to fetch (its
//! signal, or the whole expression when it does not split), its group's
//! evaluation interval, timings and labels; and the range queries that
//! fetch it, on that grid.

use std::collections::BTreeMap;

use super::inline::{self, InlinedRule, NotInlined, Recordings};
use super::Labels;
use crate::history::fetch::Job;
use crate::promql::{split, Comparison};
use crate::rules::{Duration, Form, Group, Rule, RuleSet};

/// An alert and what its replay needs from history.
#[derive(Debug, Clone)]
pub struct Plan {
    pub file: String,
    pub line: usize,
    pub group: String,
    pub alertname: String,
    /// The PromQL to fetch: as written in the rule (the signal, or the
    /// whole expression), with the recording rules of `inlined` in place
    /// of their series.
    pub query: String,
    /// `query` before any recording rule was inlined.
    pub written: String,
    /// The expression as written in the file.
    pub expr: String,
    pub mode: PlanMode,
    pub interval: Duration,
    /// Where `interval` came from.
    pub interval_from: IntervalFrom,
    /// The group's `query_offset` (else the global `rule_query_offset`):
    /// an evaluation at `t` queries at `t - query_offset`, and the alert's
    /// times stay at `t` (rules/group.go, rules/alerting.go).
    pub query_offset: Duration,
    pub for_: Duration,
    pub keep_firing_for: Duration,
    /// The group's `labels` (Prometheus 3): on every rule of the group,
    /// under the rule's own labels of the same name.
    pub group_labels: Labels,
    /// The alert's labels: the group's, then the rule's, which win.
    pub static_labels: Labels,
    /// The group's `limit` (0: none): more alerts than this fail the
    /// evaluation and drop all of them.
    pub limit: usize,
    /// Recording rules whose expression replaces their series in `query`.
    pub inlined: Vec<InlinedRule>,
    /// Recording rules asked for but left as series, and why.
    pub not_inlined: Vec<NotInlined>,
    /// The series of the rule set's recording rules that `query` still
    /// reads (not inlined, asked for or not): their history is the
    /// server's.
    pub reads_recorded: Vec<NotInlined>,
}

/// Which recording rules an alert's query is replayed through.
#[derive(Debug, Clone, Default, PartialEq)]
pub enum Inlining {
    /// None: the recorded series are queried as Prometheus reads them.
    #[default]
    None,
    /// All of them (`--inline-recording`).
    All,
    /// These, each with why (new or changed in a pull request).
    Only(BTreeMap<String, String>),
}

impl Inlining {
    /// Why a recorded series is inlined, or why not.
    fn reason(&self, name: &str) -> Result<String, String> {
        match self {
            Inlining::None => Err(
                "not inlined: read from the server as recorded (--inline-recording replays it from its rule's raw series)"
                    .into(),
            ),
            Inlining::All => Ok("asked (--inline-recording)".into()),
            Inlining::Only(names) => names.get(name).cloned().ok_or_else(|| {
                "unchanged: read from the server as recorded".into()
            }),
        }
    }
}

/// Where an alert's evaluation interval came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IntervalFrom {
    /// The group's `interval`.
    Group,
    /// `--eval-interval` or `[prometheus] evaluation-interval`.
    Given,
    /// A PrometheusRule manifest: the Prometheus Operator's default
    /// `evaluationInterval` of 30s.
    Operator,
    /// A plain rule file: Prometheus's default `evaluation_interval` of 1m.
    Prometheus,
    /// The step of the recording replayed: nothing said how often the
    /// group runs, and the recording was made for this grid.
    Recording,
}

impl IntervalFrom {
    /// A default, not something the rules or the user said.
    pub fn is_default(self) -> bool {
        matches!(self, IntervalFrom::Operator | IntervalFrom::Prometheus)
    }

    pub fn describe(self) -> &'static str {
        match self {
            IntervalFrom::Group => "the group's interval",
            IntervalFrom::Given => "the evaluation interval given",
            IntervalFrom::Operator => "the Prometheus Operator's default for manifests",
            IntervalFrom::Prometheus => "Prometheus's default",
            IntervalFrom::Recording => "the recording's step",
        }
    }
}

/// The Prometheus server's global settings the rules run under, when known.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Globals {
    /// `evaluation_interval`, for groups without `interval`.
    pub evaluation_interval: Option<Duration>,
    /// `rule_query_offset` (2.53+), for groups without `query_offset`.
    pub rule_query_offset: Option<Duration>,
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

/// Prometheus's default `evaluation_interval`.
const PROMETHEUS_INTERVAL: Duration = Duration { millis: 60_000 };
/// The Prometheus Operator's default `evaluationInterval`.
const OPERATOR_INTERVAL: Duration = Duration { millis: 30_000 };

/// Plans every alerting rule (or those named in `alerts`) under the
/// server's `globals`.
pub fn plan(
    rules: &RuleSet,
    alerts: &[String],
    globals: Globals,
    inlining: &Inlining,
) -> Result<Vec<Plan>, PlanError> {
    let through = Through::new(rules, globals, inlining);
    let mut plans = Vec::new();
    for file in &rules.files {
        for document in &file.documents {
            let manifest = matches!(document.form, Form::Manifest { .. });
            for group in &document.groups {
                for rule in group.rules.iter().filter(|r| r.is_alert()) {
                    if !alerts.is_empty() && !alerts.iter().any(|a| a == rule.name()) {
                        continue;
                    }
                    let line = file.source.line_col(rule.anchor().start).line;
                    let at = Place {
                        file: &file.source.name,
                        line,
                        manifest,
                    };
                    match plan_rule(at, group, rule, globals, &through) {
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

/// Plans rules of one rule set one at a time (as `diff` does), reading its
/// recording rules once.
pub struct Planner<'a> {
    rules: &'a RuleSet,
    globals: Globals,
    through: Through<'a>,
}

impl<'a> Planner<'a> {
    pub fn new(rules: &'a RuleSet, globals: Globals, inlining: &'a Inlining) -> Self {
        Planner {
            rules,
            globals,
            through: Through::new(rules, globals, inlining),
        }
    }

    /// Plans the alerting rule in `file` whose span starts at `start`.
    pub fn at(&self, file: &str, start: usize) -> Result<Plan, PlanError> {
        plan_at(self.rules, file, start, self.globals, &self.through)
    }
}

fn plan_at(
    rules: &RuleSet,
    file: &str,
    start: usize,
    globals: Globals,
    through: &Through<'_>,
) -> Result<Plan, PlanError> {
    for f in rules.files.iter().filter(|f| f.source.name == file) {
        for document in &f.documents {
            let manifest = matches!(document.form, Form::Manifest { .. });
            let found = document.groups.iter().find_map(|g| {
                g.rules
                    .iter()
                    .find(|r| r.is_alert() && r.span.start == start)
                    .map(|r| (g, r))
            });
            if let Some((group, rule)) = found {
                let line = f.source.line_col(rule.anchor().start).line;
                let at = Place {
                    file,
                    line,
                    manifest,
                };
                return plan_rule(at, group, rule, globals, through).ok_or_else(|| {
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

/// Where a rule is, and whether its document is a PrometheusRule manifest.
#[derive(Debug, Clone, Copy)]
struct Place<'a> {
    file: &'a str,
    line: usize,
    manifest: bool,
}

/// The recording rules of the rule set, and which to inline.
struct Through<'a> {
    recordings: Recordings,
    inlining: &'a Inlining,
}

impl<'a> Through<'a> {
    fn new(rules: &RuleSet, globals: Globals, inlining: &'a Inlining) -> Self {
        // Read even when none is inlined: an alert that finds no data
        // says which recorded series it read from the server.
        let recordings = Recordings::of(rules, |group, manifest| {
            interval_of(group, manifest, globals).0
        });
        Through {
            recordings,
            inlining,
        }
    }
}

/// A group's evaluation interval and where it came from.
fn interval_of(group: &Group, manifest: bool, globals: Globals) -> (Duration, IntervalFrom) {
    match (&group.interval, globals.evaluation_interval) {
        (Some(i), _) => (i.value, IntervalFrom::Group),
        (None, Some(given)) => (given, IntervalFrom::Given),
        (None, None) if manifest => (OPERATOR_INTERVAL, IntervalFrom::Operator),
        (None, None) => (PROMETHEUS_INTERVAL, IntervalFrom::Prometheus),
    }
}

fn plan_rule(
    at: Place<'_>,
    group: &Group,
    rule: &Rule,
    globals: Globals,
    through: &Through<'_>,
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
    let (interval, interval_from) = interval_of(group, at.manifest, globals);
    let written = query.clone();
    let inline::Inlined {
        query,
        inlined,
        refused: not_inlined,
        reads_recorded,
    } = if through.recordings.is_empty() {
        inline::Inlined {
            query,
            ..Default::default()
        }
    } else {
        inline::inline(&query, &through.recordings, &|name| {
            through.inlining.reason(name)
        })
    };
    let entries = |entries: &[crate::rules::Entry]| -> Labels {
        entries
            .iter()
            .map(|e| (e.key.value.clone(), e.value.value.clone()))
            .collect()
    };
    let group_labels = entries(&group.labels);
    // `FromMaps(rg.Labels, r.Labels)` (rules/manager.go): the rule's win.
    let mut merged: std::collections::BTreeMap<String, String> =
        group_labels.iter().cloned().collect();
    merged.extend(entries(&rule.labels));
    Some(Plan {
        file: at.file.to_string(),
        line: at.line,
        group: group.name().to_string(),
        alertname: rule.name().to_string(),
        query,
        written,
        expr: expr.text.value.clone(),
        mode,
        interval,
        interval_from,
        query_offset: group
            .query_offset
            .as_ref()
            .map(|o| o.value)
            .or(globals.rule_query_offset)
            .unwrap_or(Duration::ZERO),
        for_: rule.for_.as_ref().map_or(Duration::ZERO, |f| f.value),
        keep_firing_for: rule
            .keep_firing_for
            .as_ref()
            .map_or(Duration::ZERO, |f| f.value),
        group_labels,
        static_labels: merged.into_iter().collect(),
        limit: group
            .limit
            .as_ref()
            .map_or(0, |l| usize::try_from(l.value).unwrap_or(0)),
        inlined,
        not_inlined,
        reads_recorded,
    })
}

/// The range queries a live run needs for the evaluations in `[from, to]`:
/// one per distinct query, interval and query offset, on the group's
/// evaluation grid moved back by its query offset; and, per plan, the index
/// of its job.
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
        // The evaluations' queries run `query_offset` earlier.
        let q = plan.query_offset.millis as i64;
        let job = Job {
            query: plan.query.clone(),
            start_ms: start - q,
            end_ms: end - q,
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
        let plans = plan(&set, &[], Globals::default(), &Inlining::None).unwrap();
        assert_eq!(plans[0].query, "sum(increase(x[1h] anchored))");
        assert_eq!(plans[1].query, "absent(rate(y[5m * 2]))");
    }
}
