//! `firedrill diff`: how the alerts a change adds or modifies would have
//! behaved on the same history, before and after the change.
//!
//! The old and new rule sets are compared by rule identity
//! ([`crate::changes::diff`]); each added or changed alert is planned in
//! its new version (and, when changed, its old one), all plans are replayed
//! in one run so a query both versions share is fetched once, and the
//! replays are paired again. Unchanged alerts are not planned, so never
//! queried; removed ones are only listed.

use crate::changes::{self, RuleRef};
use crate::replay::plan::Planner;
use std::collections::BTreeMap;

use crate::replay::plan::{Inlining, Plan, PlanError, PlanMode};
use crate::rules::RuleSet;
use crate::simulate::SimulateResult;
use crate::simulate::{AlertReplay, SimulateError, SimulateOptions};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Added,
    Changed,
}

impl Status {
    pub fn as_str(&self) -> &'static str {
        match self {
            Status::Added => "added",
            Status::Changed => "changed",
        }
    }
}

/// What a diff run replays: per added or changed alert, its plans.
#[derive(Debug, Clone)]
pub struct DiffPlan {
    entries: Vec<Entry>,
    pub removed: Vec<RuleRef>,
    /// Added or changed alerts whose expression does not parse: not
    /// replayed (lint reports them), the others still are.
    pub unparsable: Vec<RuleRef>,
    /// Alerting rules the change left as they were.
    pub unchanged: usize,
}

/// A plan, or `None` when the rule's expression does not parse.
fn parsable(plan: Result<Plan, PlanError>) -> Result<Option<Plan>, SimulateError> {
    match plan {
        Ok(p) => Ok(Some(p)),
        Err(PlanError::Unparsable { .. }) => Ok(None),
        Err(e) => Err(e.into()),
    }
}

#[derive(Debug, Clone)]
struct Entry {
    status: Status,
    before: Option<Plan>,
    after: Plan,
}

/// One added or changed alert, replayed.
#[derive(Debug, Clone)]
pub struct AlertDiff {
    pub status: Status,
    /// What changed, in words (`threshold > 0.05 → > 0.1`, `for 5m → 10m`).
    pub changes: Vec<String>,
    pub before: Option<AlertReplay>,
    pub after: AlertReplay,
}

#[derive(Debug, Clone)]
pub struct DiffResult {
    pub base: String,
    /// Where the history came from (the server without credentials, or the recording's source).
    pub source: String,
    pub alerts: Vec<AlertDiff>,
    pub removed: Vec<RuleRef>,
    pub unparsable: Vec<RuleRef>,
    pub unchanged: usize,
    pub warnings: Vec<String>,
}

impl DiffPlan {
    /// Plans the alerts `new` adds or changes relative to `old`.
    pub fn new(
        old: &RuleSet,
        new: &RuleSet,
        options: &SimulateOptions,
    ) -> Result<DiffPlan, SimulateError> {
        let compared = changes::diff(old, new);
        // The recording rules the change adds or changes: the server has no
        // history of their new version, so the alerts of the new rule set
        // are replayed through them (`--inline-recording`: through all).
        let after_inlining = match &options.inlining {
            Inlining::None => {
                let mut names = BTreeMap::new();
                for rule in compared.added.iter().filter(|r| !r.alert) {
                    names.insert(rule.name.clone(), "added in this change".to_string());
                }
                for (_, rule) in compared.changed.iter().filter(|(_, r)| !r.alert) {
                    names.insert(rule.name.clone(), "changed in this change".to_string());
                }
                Inlining::Only(names)
            }
            asked => asked.clone(),
        };
        let before_inlining = match &options.inlining {
            Inlining::All => Inlining::All,
            _ => Inlining::None,
        };
        let after_planner = Planner::new(new, options.globals, &after_inlining);
        let before_planner = Planner::new(old, options.globals, &before_inlining);
        let as_it_is = Inlining::None;
        let unchanged_planner = Planner::new(new, options.globals, &as_it_is);
        let mut entries = Vec::new();
        let mut unparsable: Vec<RuleRef> = Vec::new();
        let mut planned: Vec<(String, usize)> = Vec::new();
        for rule in compared.added.iter().filter(|r| r.alert) {
            planned.push((rule.file.clone(), rule.span.start));
            match parsable(after_planner.at(&rule.file, rule.span.start))? {
                Some(after) => entries.push(Entry {
                    status: Status::Added,
                    before: None,
                    after,
                }),
                None => unparsable.push(rule.clone()),
            }
        }
        for (before, after) in compared.changed.iter().filter(|(_, r)| r.alert) {
            planned.push((after.file.clone(), after.span.start));
            // A rule that was a recording rule before (or did not parse)
            // has no alert replay to compare.
            let before = match before.alert {
                true => parsable(before_planner.at(&before.file, before.span.start))?,
                false => None,
            };
            let Some(after_plan) = parsable(after_planner.at(&after.file, after.span.start))?
            else {
                unparsable.push(after.clone());
                continue;
            };
            entries.push(Entry {
                status: if before.is_some() {
                    Status::Changed
                } else {
                    Status::Added
                },
                before,
                after: after_plan,
            });
        }
        // An alert the change left as it was, that reads a recording rule the
        // change added or changed: replayed as it is (on the recorded series)
        // and through the new recording rule.
        if matches!(&after_inlining, Inlining::Only(names) if !names.is_empty()) {
            for file in &new.files {
                for rule in file
                    .documents
                    .iter()
                    .flat_map(|d| &d.groups)
                    .flat_map(|g| &g.rules)
                    .filter(|r| r.is_alert() && r.expr.as_ref().is_some_and(|e| e.parsed.is_ok()))
                {
                    let at = (file.source.name.clone(), rule.span.start);
                    if planned.contains(&at) {
                        continue;
                    }
                    let after = after_planner.at(&at.0, at.1)?;
                    if after.inlined.is_empty() {
                        continue;
                    }
                    let before = unchanged_planner.at(&at.0, at.1)?;
                    entries.push(Entry {
                        status: Status::Changed,
                        before: Some(before),
                        after,
                    });
                }
            }
        }
        let unchanged_alerts = new
            .files
            .iter()
            .flat_map(|f| f.documents.iter().flat_map(|d| &d.groups))
            .flat_map(|g| &g.rules)
            .filter(|r| r.is_alert())
            .count()
            - entries.len()
            - unparsable.len();
        Ok(DiffPlan {
            entries,
            removed: compared.removed.into_iter().filter(|r| r.alert).collect(),
            unparsable,
            unchanged: unchanged_alerts,
        })
    }

    /// Every plan to replay, the old versions first.
    pub fn plans(&self) -> Vec<Plan> {
        self.entries
            .iter()
            .filter_map(|e| e.before.clone())
            .chain(self.entries.iter().map(|e| e.after.clone()))
            .collect()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Pairs the replays of [`DiffPlan::plans`] (in that order) again.
    pub fn finish(self, base: &str, result: SimulateResult) -> DiffResult {
        let olds = self.entries.iter().filter(|e| e.before.is_some()).count();
        let mut replays = result.alerts.into_iter();
        let mut before: Vec<AlertReplay> = replays.by_ref().take(olds).collect();
        before.reverse();
        let alerts = self
            .entries
            .into_iter()
            .zip(replays)
            .map(|(entry, after)| {
                let before = entry.before.as_ref().and_then(|_| before.pop());
                AlertDiff {
                    status: entry.status,
                    changes: entry
                        .before
                        .as_ref()
                        .map(|b| describe(b, &entry.after))
                        .unwrap_or_default(),
                    before,
                    after,
                }
            })
            .collect();
        DiffResult {
            base: base.to_string(),
            source: result.source,
            alerts,
            removed: self.removed,
            unparsable: self.unparsable,
            unchanged: self.unchanged,
            warnings: result.warnings,
        }
    }
}

/// What differs between two versions of an alert, as far as its replay goes.
fn describe(before: &Plan, after: &Plan) -> Vec<String> {
    let mut out = Vec::new();
    match (&before.mode, &after.mode) {
        (
            PlanMode::Split {
                op: op_before,
                threshold: t_before,
            },
            PlanMode::Split {
                op: op_after,
                threshold: t_after,
            },
        ) if before.written == after.written
            && (op_before != op_after || t_before.to_bits() != t_after.to_bits()) =>
        {
            out.push(format!(
                "threshold `{} {}` → `{} {}`",
                op_before.symbol(),
                t_before,
                op_after.symbol(),
                t_after
            ));
        }
        (PlanMode::Split { .. }, PlanMode::Split { .. }) if before.written == after.written => {}
        _ if before.written != after.written || before.mode != after.mode => {
            out.push("expression".to_string())
        }
        _ => {}
    }
    if before.for_ != after.for_ {
        out.push(format!("for {} → {}", before.for_, after.for_));
    }
    for rule in &after.inlined {
        if !before.inlined.contains(rule) {
            out.push(format!(
                "recording rule `{}` ({}), replayed through",
                rule.name, rule.reason
            ));
        }
    }
    if before.keep_firing_for != after.keep_firing_for {
        out.push(format!(
            "keep_firing_for {} → {}",
            before.keep_firing_for, after.keep_firing_for
        ));
    }
    if before.interval != after.interval {
        out.push(format!(
            "evaluation interval {} → {}",
            before.interval, after.interval
        ));
    }
    if before.static_labels != after.static_labels {
        out.push("labels".to_string());
    }
    if out.is_empty() {
        // The identity's fingerprint also covers annotations, which a replay does not see.
        out.push("annotations only".to_string());
    }
    out
}
