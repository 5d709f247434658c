//! Rendering replay results: a table for people, JSON and CSV for tools, and
//! a Parquet table (polars) for notebooks.

use std::io::{self, Write};
use std::path::Path;

use polars::prelude::*;
use serde::Serialize;

use crate::replay::plan::{IntervalFrom, PlanMode};
use crate::replay::{Candidate, Outcome, Timeline};
use crate::report::table::{hanging, labelled, Table};
use crate::rules::Duration;
use crate::simulate::{AlertReplay, SimulateResult};

/// Bumped only on an incompatible change (docs/simulate-json.md).
pub const SCHEMA_VERSION: u32 = 1;

/// `2026-11-17T14:00:00Z` from milliseconds since the epoch.
pub fn utc(ms: i64) -> String {
    crate::time::format_utc(ms)
}

/// `2h22m`, `0s`; whole seconds (evaluation steps are never finer).
pub(crate) fn human_duration(ms: u64) -> String {
    if ms == 0 {
        return "0s".into();
    }
    let d = Duration {
        millis: ms - ms % 1000,
    };
    if d.millis == 0 {
        format!("{ms}ms")
    } else {
        d.to_string()
    }
}

fn candidate_label(alert: &AlertReplay, c: &Candidate) -> String {
    let mut s = match (&alert.plan.mode, c.threshold) {
        (PlanMode::Split { op, .. }, Some(t)) => format!("{} {}", op.symbol(), t),
        _ => "whole expr".to_string(),
    };
    s.push_str(&format!("  for {}", human_duration(c.for_.millis)));
    if c.keep_firing_for.millis > 0 || alert.plan.keep_firing_for.millis > 0 {
        s.push_str(&format!(
            "  keep {}",
            human_duration(c.keep_firing_for.millis)
        ));
    }
    s
}

fn window_ms(alert: &AlertReplay) -> u64 {
    (alert.grid.len as u64) * alert.grid.step_ms as u64
}

fn per_week(alert: &AlertReplay, pages: u64) -> f64 {
    let week = 7.0 * 86_400_000.0;
    pages as f64 * week / window_ms(alert).max(1) as f64
}

/// The replay for people; lines fit `width` when given (the terminal's).
/// What Alertmanager made of each alert, for the ranking: its firing
/// notifications to the paging receivers.
pub struct Paged<'a> {
    /// By alert, in the result's order.
    pub counts: Vec<u64>,
    /// The paging receivers' names.
    pub receivers: Vec<&'a str>,
    /// The Alertmanager configuration's file.
    pub path: &'a str,
}

/// Several alerts open with the ranking; `top` keeps its first N rows and
/// then shows only their blocks, noisiest first.
pub fn write_human(
    result: &SimulateResult,
    top: Option<usize>,
    paged: Option<&Paged>,
    out: &mut dyn Write,
    width: Option<usize>,
) -> io::Result<()> {
    let ranking = result.ranking_by(paged.map(|p| p.counts.as_slice()));
    if result.alerts.len() > 1 {
        write_ranking(result, &ranking, top, paged, out, width)?;
    }
    let shown: Vec<&AlertReplay> = match top {
        Some(n) => ranking
            .fired
            .iter()
            .take(n)
            .map(|&i| &result.alerts[i])
            .collect(),
        None => result.alerts.iter().collect(),
    };
    for alert in shown {
        let p = &alert.plan;
        let mut how = format!("group {}, evaluated every {}", p.group, p.interval);
        if p.interval_from != IntervalFrom::Group {
            how.push_str(&format!(" ({})", p.interval_from.describe()));
        }
        if !p.query_offset.is_zero() {
            how.push_str(&format!(
                ", querying {} back (query_offset)",
                p.query_offset
            ));
        }
        let mut head = hanging(
            &format!("{}  {}:{}  {how}", p.alertname, p.file, p.line),
            2,
            width,
        );
        let query = super::one_line(&p.query);
        head.extend(match &p.mode {
            PlanMode::Split { op, threshold } => labelled(
                "  signal  ",
                &format!("{query}  {} {}", op.symbol(), threshold),
                width,
            ),
            PlanMode::Whole { reason } => {
                let mut lines = labelled("  expr    ", &query, width);
                lines.extend(labelled(
                    "  ",
                    &format!("(replayed whole, no threshold sweep: {reason})"),
                    width,
                ));
                lines
            }
        });
        head.extend(labelled(
            "  window  ",
            &format!(
                "{} .. {} ({}: {} evaluations, {} series)",
                utc(alert.grid.start_ms),
                utc(alert.grid.at(alert.grid.len)),
                human_duration(window_ms(alert)),
                alert.grid.len,
                alert.series
            ),
            width,
        ));
        for rule in &p.inlined {
            head.extend(labelled(
                "  through ",
                &format!(
                    "recording rule {} ({}): its expression replaces its series",
                    rule.name, rule.reason
                ),
                width,
            ));
        }
        for rule in &p.not_inlined {
            head.extend(labelled(
                "  note    ",
                &format!(
                    "recording rule {} is queried as a series: {}",
                    rule.name, rule.reason
                ),
                width,
            ));
        }
        if alert.series == 0 {
            for rule in p
                .reads_recorded
                .iter()
                .filter(|r| !p.not_inlined.iter().any(|n| n.name == r.name))
            {
                head.extend(labelled(
                    "  note    ",
                    &format!(
                        "no data: it reads the recorded series {}, which the server has no history of ({})",
                        rule.name, rule.reason
                    ),
                    width,
                ));
            }
        }
        if !p.group_labels.is_empty() {
            head.extend(labelled(
                "  labels  ",
                &format!(
                    "the group's, on every alert: {}",
                    crate::replay::align::labels_text(&p.group_labels)
                ),
                width,
            ));
        }
        if !alert.failed_evaluations.is_empty() {
            head.extend(labelled(
                "  note    ",
                &format!(
                    "{} evaluations of today's rule failed: more alerts than the group's limit of {}, so Prometheus dropped every alert of the rule each time (first at {})",
                    alert.failed_evaluations.len(),
                    p.limit,
                    utc(alert.failed_evaluations[0])
                ),
                width,
            ));
        }
        if alert.always_firing {
            head.extend(labelled(
                "  note    ",
                "firing throughout the window: the expression held at every evaluation for every instance (a heartbeat such as Watchdog, or a condition that never cleared); not counted as pages",
                width,
            ));
        }
        for line in head {
            writeln!(out, "{line}")?;
        }
        writeln!(out)?;
        let rows: Vec<Vec<String>> = alert
            .outcomes
            .iter()
            .enumerate()
            .map(|(i, o)| {
                let mut label = candidate_label(alert, &o.candidate);
                if i == 0 {
                    label.push_str("  (today)");
                }
                vec![
                    label,
                    o.pages.to_string(),
                    format!("{:.1}", per_week(alert, o.pages)),
                    human_duration(o.firing_ms),
                    o.label_sets_fired.to_string(),
                    o.pending_never_fired.to_string(),
                    human_duration(o.longest_ms),
                ]
            })
            .collect();
        let table = Table {
            header_prefix: "  ",
            header: [
                "candidate",
                "pages",
                "pages/week",
                "firing",
                "instances",
                "pending only",
                "longest",
            ]
            .iter()
            .map(|h| h.to_string())
            .collect(),
            rows: rows.into_iter().map(|r| ("  ", r)).collect(),
            text_last: false,
            // Rates and counts a narrow terminal can do without.
            droppable: vec![2, 5, 4],
        };
        for line in table.render(width) {
            writeln!(out, "{line}")?;
        }
        writeln!(out)?;
    }
    for line in labelled("", &summary(result), width) {
        writeln!(out, "{line}")?;
    }
    for w in &result.warnings {
        writeln!(out, "Server warning: {w}")?;
    }
    Ok(())
}

/// The opening table of a whole repository: the alerts that fired, by pages
/// per week, and the others named apart.
fn write_ranking(
    result: &SimulateResult,
    ranking: &crate::simulate::Ranking,
    top: Option<usize>,
    paged: Option<&Paged>,
    out: &mut dyn Write,
    width: Option<usize>,
) -> io::Result<()> {
    let window = result
        .alerts
        .first()
        .map(|a| human_duration(window_ms(a)))
        .unwrap_or_default();
    let order = match paged {
        Some(p) => format!(
            "by paged (firing notifications to {} through {}), then pages (firing episodes) per week and firing time",
            p.receivers.join(", "),
            p.path
        ),
        None => "by pages per week, then firing time".to_string(),
    };
    for line in labelled(
        "",
        &format!("Noisiest first: today's rules over {window}, {order}."),
        width,
    ) {
        writeln!(out, "{line}")?;
    }
    writeln!(out)?;
    let shown = top.unwrap_or(usize::MAX).min(ranking.fired.len());
    if shown > 0 {
        let rows = ranking.fired[..shown]
            .iter()
            .map(|&i| {
                let a = &result.alerts[i];
                let o = &a.outcomes[0];
                let paged = paged.map(|p| p.counts.get(i).copied().unwrap_or(0).to_string());
                (
                    "  ",
                    [a.plan.alertname.clone()]
                        .into_iter()
                        .chain(paged)
                        .chain([
                            o.pages.to_string(),
                            format!("{:.1}", per_week(a, o.pages)),
                            human_duration(o.firing_ms),
                            human_duration(o.longest_ms),
                            o.label_sets_fired.to_string(),
                            format!("{}:{}", a.plan.file, a.plan.line),
                        ])
                        .collect(),
                )
            })
            .collect();
        let header: Vec<String> = ["alert"]
            .into_iter()
            .chain(paged.map(|_| "paged"))
            .chain([
                "pages",
                "pages/week",
                "firing",
                "longest",
                "instances",
                "rule",
            ])
            .map(str::to_string)
            .collect();
        let last = header.len() - 1;
        let table = Table {
            header_prefix: "  ",
            header,
            rows,
            text_last: false,
            // The rule's place goes first on a narrow terminal.
            droppable: vec![last, last - 1, last - 2],
        };
        for line in table.render(width) {
            writeln!(out, "{line}")?;
        }
        if shown < ranking.fired.len() {
            writeln!(
                out,
                "  ... {} more that fired (--top {shown} shows the first)",
                ranking.fired.len() - shown
            )?;
        }
        writeln!(out)?;
    }
    let names = |list: &[usize]| -> String {
        list.iter()
            .map(|&i| result.alerts[i].plan.alertname.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    };
    let mut apart = Vec::new();
    if !ranking.never_fired.is_empty() {
        apart.push(format!(
            "Never fired ({}): {}.",
            ranking.never_fired.len(),
            names(&ranking.never_fired)
        ));
    }
    if !ranking.no_data.is_empty() {
        apart.push(format!(
            "No data at all ({}): {}. Their queries returned no series over the whole window; a typo in a metric or label name is the usual cause (or a target that is not scraped).",
            ranking.no_data.len(),
            names(&ranking.no_data)
        ));
    }
    if !ranking.no_data_recorded.is_empty() {
        let each: Vec<String> = ranking
            .no_data_recorded
            .iter()
            .map(|&i| {
                let plan = &result.alerts[i].plan;
                let read: Vec<String> = plan
                    .reads_recorded
                    .iter()
                    .map(|r| format!("{} ({})", r.name, r.reason))
                    .collect();
                format!("{} reads {}", plan.alertname, read.join(", "))
            })
            .collect();
        apart.push(format!(
            "No data through recording rules ({}): {}. The server has no history of these recorded series over the window.",
            ranking.no_data_recorded.len(),
            each.join("; ")
        ));
    }
    if !ranking.always_firing.is_empty() {
        apart.push(format!(
            "Firing throughout ({}): {} (a heartbeat such as Watchdog, or a condition that never cleared).",
            ranking.always_firing.len(),
            names(&ranking.always_firing)
        ));
    }
    for text in &apart {
        for line in labelled("", text, width) {
            writeln!(out, "{line}")?;
        }
    }
    if !apart.is_empty() {
        writeln!(out)?;
    }
    Ok(())
}

/// The last lines: what today's rules did over the window, and where the
/// history came from.
fn summary(result: &SimulateResult) -> String {
    let counted = || result.alerts.iter().filter(|a| !a.always_firing);
    let today = |a: &AlertReplay| a.outcomes.first().map_or(0, |o| o.pages);
    let fired = counted().filter(|a| today(a) > 0).count();
    let episodes: u64 = counted().map(today).sum();
    let window = result
        .alerts
        .first()
        .map(|a| format!(" over {}", human_duration(window_ms(a))))
        .unwrap_or_default();
    let mut text = format!(
        "Today's rules{window}: {fired} of {} alerts fired, {episodes} firing episode{} (pages).",
        result.alerts.len(),
        if episodes == 1 { "" } else { "s" }
    );
    let always: Vec<&str> = result
        .alerts
        .iter()
        .filter(|a| a.always_firing)
        .map(|a| a.plan.alertname.as_str())
        .collect();
    if !always.is_empty() {
        text.push_str(&format!(
            " Firing throughout, not counted: {}.",
            always.join(", ")
        ));
    }
    text.push_str(&format!(" Data: {}.", result.source));
    text
}

#[derive(Serialize)]
struct JsonOutput<'a> {
    version: u32,
    source: &'a str,
    warnings: &'a [String],
    rules: Vec<JsonRule<'a>>,
    ranking: JsonRanking<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    alertmanager: Option<serde_json::Value>,
}

/// [`crate::simulate::Ranking`], by name.
#[derive(Serialize)]
struct JsonRanking<'a> {
    /// Today's rules that fired, noisiest first (`--top` keeps the first N).
    fired: Vec<JsonRanked<'a>>,
    /// Fired, but left out by `--top`.
    more: usize,
    never_fired: Vec<&'a str>,
    no_data: Vec<&'a str>,
    /// No data, reading recorded series the replay did not inline, with
    /// why each was read from the server.
    no_data_recorded: Vec<JsonNoDataRecorded<'a>>,
    always_firing: Vec<&'a str>,
}

#[derive(Serialize)]
struct JsonNoDataRecorded<'a> {
    alertname: &'a str,
    file: &'a str,
    line: usize,
    recorded_series_read: Vec<JsonInlined<'a>>,
}

#[derive(Serialize)]
struct JsonRanked<'a> {
    alertname: &'a str,
    file: &'a str,
    line: usize,
    /// Firing notifications to the paging receivers through Alertmanager,
    /// with `--alertmanager` (which then leads the order).
    #[serde(skip_serializing_if = "Option::is_none")]
    paged: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    paged_per_week: Option<f64>,
    pages: u64,
    pages_per_week: f64,
    firing_seconds: f64,
}

#[derive(Serialize)]
struct JsonRule<'a> {
    alertname: &'a str,
    group: &'a str,
    file: &'a str,
    line: usize,
    query: &'a str,
    mode: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    op: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    whole_reason: Option<&'a str>,
    eval_interval_seconds: f64,
    /// Where the interval came from: `group`, `given`, `operator` (30s, the
    /// Prometheus Operator's default for manifests), `prometheus` (1m).
    eval_interval_from: &'static str,
    /// Where in each interval the evaluations fall (`--eval-offset`).
    eval_offset_seconds: f64,
    /// The group's `query_offset` (or the global `rule_query_offset`).
    query_offset_seconds: f64,
    /// The group's `labels`, added to the alert under its own.
    group_labels: std::collections::BTreeMap<&'a str, &'a str>,
    /// The group's `limit`; 0 is none.
    limit: usize,
    /// Evaluations of today's rule that failed for exceeding `limit` (unix seconds).
    failed_evaluations: Vec<i64>,
    /// Recording rules whose expression replaced their series in `query`, and why.
    recording_rules_inlined: Vec<JsonInlined<'a>>,
    /// Recording rules asked for but queried as series, and why.
    recording_rules_not_inlined: Vec<JsonInlined<'a>>,
    /// The rule set's recorded series `query` reads from the server (not
    /// inlined, asked for or not), and why.
    recorded_series_read: Vec<JsonInlined<'a>>,
    start: i64,
    end: i64,
    evaluations: usize,
    series: usize,
    /// Today's rule held at every evaluation for every instance (a
    /// heartbeat); its episodes are not pages.
    always_firing: bool,
    candidates: Vec<JsonCandidate>,
}

#[derive(Serialize)]
struct JsonInlined<'a> {
    name: &'a str,
    reason: &'a str,
}

fn json_inlined(list: &[crate::replay::inline::NotInlined]) -> Vec<JsonInlined<'_>> {
    list.iter()
        .map(|i| JsonInlined {
            name: &i.name,
            reason: &i.reason,
        })
        .collect()
}

#[derive(Serialize)]
struct JsonCandidate {
    current: bool,
    threshold: Option<f64>,
    for_seconds: f64,
    keep_firing_for_seconds: f64,
    pages: u64,
    pages_per_week: f64,
    firing_seconds: f64,
    label_sets_fired: u64,
    pending_never_fired: u64,
    longest_episode_seconds: f64,
    /// Evaluations failed for exceeding the group's `limit`.
    evaluations_failed: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    alerts: Option<Vec<JsonAlert>>,
}

#[derive(Serialize)]
struct JsonAlert {
    alertname: String,
    labels: std::collections::BTreeMap<String, String>,
    pending: Vec<[i64; 2]>,
    firing: Vec<[i64; 2]>,
}

fn seconds(ms: u64) -> f64 {
    ms as f64 / 1000.0
}

fn json_alerts(timelines: &[Timeline]) -> Vec<JsonAlert> {
    timelines
        .iter()
        .map(|t| JsonAlert {
            alertname: t
                .labels
                .iter()
                .find(|(k, _)| k == "alertname")
                .map(|(_, v)| v.clone())
                .unwrap_or_default(),
            labels: t.labels.iter().cloned().collect(),
            pending: t
                .pending
                .iter()
                .map(|(a, b)| [a / 1000, b / 1000])
                .collect(),
            firing: t.firing.iter().map(|(a, b)| [a / 1000, b / 1000]).collect(),
        })
        .collect()
}

fn json_candidate(alert: &AlertReplay, i: usize, o: &Outcome) -> JsonCandidate {
    JsonCandidate {
        current: i == 0,
        threshold: o.candidate.threshold,
        for_seconds: seconds(o.candidate.for_.millis),
        keep_firing_for_seconds: seconds(o.candidate.keep_firing_for.millis),
        pages: o.pages,
        pages_per_week: per_week(alert, o.pages),
        firing_seconds: seconds(o.firing_ms),
        label_sets_fired: o.label_sets_fired,
        pending_never_fired: o.pending_never_fired,
        longest_episode_seconds: seconds(o.longest_ms),
        evaluations_failed: o.evaluations_failed,
        alerts: alert.timelines.get(i).map(|t| json_alerts(t)),
    }
}

/// The JSON document; `paged` leads the ranking and `alertmanager` is the
/// replay through Alertmanager, when there was one ([`super::pages::json`]).
pub fn write_json(
    result: &SimulateResult,
    top: Option<usize>,
    paged: Option<&Paged>,
    alertmanager: Option<serde_json::Value>,
    out: &mut dyn Write,
) -> io::Result<()> {
    let ranking = result.ranking_by(paged.map(|p| p.counts.as_slice()));
    let names = |list: &[usize]| -> Vec<&str> {
        list.iter()
            .map(|&i| result.alerts[i].plan.alertname.as_str())
            .collect()
    };
    let kept = top.unwrap_or(usize::MAX).min(ranking.fired.len());
    let json_ranking = JsonRanking {
        fired: ranking.fired[..kept]
            .iter()
            .map(|&i| {
                let a = &result.alerts[i];
                let o = &a.outcomes[0];
                let paged = paged.map(|p| p.counts.get(i).copied().unwrap_or(0));
                JsonRanked {
                    alertname: &a.plan.alertname,
                    file: &a.plan.file,
                    line: a.plan.line,
                    paged,
                    paged_per_week: paged.map(|n| per_week(a, n)),
                    pages: o.pages,
                    pages_per_week: per_week(a, o.pages),
                    firing_seconds: seconds(o.firing_ms),
                }
            })
            .collect(),
        more: ranking.fired.len() - kept,
        never_fired: names(&ranking.never_fired),
        no_data: names(&ranking.no_data),
        no_data_recorded: ranking
            .no_data_recorded
            .iter()
            .map(|&i| {
                let plan = &result.alerts[i].plan;
                JsonNoDataRecorded {
                    alertname: &plan.alertname,
                    file: &plan.file,
                    line: plan.line,
                    recorded_series_read: json_inlined(&plan.reads_recorded),
                }
            })
            .collect(),
        always_firing: names(&ranking.always_firing),
    };
    let rules = result
        .alerts
        .iter()
        .map(|a| {
            let (mode, op, reason) = match &a.plan.mode {
                PlanMode::Split { op, .. } => ("split", Some(op.symbol()), None),
                PlanMode::Whole { reason } => ("whole", None, Some(reason.as_str())),
            };
            JsonRule {
                alertname: &a.plan.alertname,
                group: &a.plan.group,
                file: &a.plan.file,
                line: a.plan.line,
                query: &a.plan.query,
                mode,
                op,
                whole_reason: reason,
                eval_interval_seconds: seconds(a.grid.step_ms as u64),
                eval_interval_from: match a.plan.interval_from {
                    IntervalFrom::Group => "group",
                    IntervalFrom::Given => "given",
                    IntervalFrom::Operator => "operator",
                    IntervalFrom::Prometheus => "prometheus",
                    IntervalFrom::Recording => "recording",
                },
                eval_offset_seconds: seconds(
                    a.grid.start_ms.rem_euclid(a.grid.step_ms.max(1)) as u64
                ),
                query_offset_seconds: seconds(a.plan.query_offset.millis),
                group_labels: a
                    .plan
                    .group_labels
                    .iter()
                    .map(|(k, v)| (k.as_str(), v.as_str()))
                    .collect(),
                limit: a.plan.limit,
                failed_evaluations: a.failed_evaluations.iter().map(|t| t / 1000).collect(),
                recording_rules_inlined: a
                    .plan
                    .inlined
                    .iter()
                    .map(|i| JsonInlined {
                        name: &i.name,
                        reason: &i.reason,
                    })
                    .collect(),
                recording_rules_not_inlined: json_inlined(&a.plan.not_inlined),
                recorded_series_read: json_inlined(&a.plan.reads_recorded),
                start: a.grid.start_ms / 1000,
                end: a.grid.at(a.grid.len) / 1000,
                evaluations: a.grid.len,
                series: a.series,
                always_firing: a.always_firing,
                candidates: a
                    .outcomes
                    .iter()
                    .enumerate()
                    .map(|(i, o)| json_candidate(a, i, o))
                    .collect(),
            }
        })
        .collect();
    serde_json::to_writer_pretty(
        &mut *out,
        &JsonOutput {
            version: SCHEMA_VERSION,
            source: &result.source,
            warnings: &result.warnings,
            rules,
            ranking: json_ranking,
            alertmanager,
        },
    )?;
    out.write_all(b"\n")
}

fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

pub fn write_csv(result: &SimulateResult, out: &mut dyn Write) -> io::Result<()> {
    writeln!(out, "alertname,group,file,current,op,threshold,for_seconds,keep_firing_for_seconds,pages,pages_per_week,firing_seconds,label_sets_fired,pending_never_fired,longest_episode_seconds")?;
    for a in &result.alerts {
        let op = match &a.plan.mode {
            PlanMode::Split { op, .. } => op.symbol(),
            PlanMode::Whole { .. } => "",
        };
        for (i, o) in a.outcomes.iter().enumerate() {
            writeln!(
                out,
                "{},{},{},{},{},{},{},{},{},{:.3},{},{},{},{}",
                csv_field(&a.plan.alertname),
                csv_field(&a.plan.group),
                csv_field(&a.plan.file),
                i == 0,
                op,
                o.candidate
                    .threshold
                    .map(|t| t.to_string())
                    .unwrap_or_default(),
                seconds(o.candidate.for_.millis),
                seconds(o.candidate.keep_firing_for.millis),
                o.pages,
                per_week(a, o.pages),
                seconds(o.firing_ms),
                o.label_sets_fired,
                o.pending_never_fired,
                seconds(o.longest_ms)
            )?;
        }
    }
    Ok(())
}

/// The CSV columns as a polars DataFrame, written as Parquet.
pub fn write_parquet(result: &SimulateResult, path: &Path) -> Result<(), String> {
    let mut alertname = Vec::new();
    let mut current = Vec::new();
    let mut threshold = Vec::new();
    let mut for_s = Vec::new();
    let mut keep_s = Vec::new();
    let mut pages = Vec::new();
    let mut firing_s = Vec::new();
    let mut sets = Vec::new();
    let mut pending = Vec::new();
    let mut longest_s = Vec::new();
    for a in &result.alerts {
        for (i, o) in a.outcomes.iter().enumerate() {
            alertname.push(a.plan.alertname.clone());
            current.push(i == 0);
            threshold.push(o.candidate.threshold);
            for_s.push(seconds(o.candidate.for_.millis));
            keep_s.push(seconds(o.candidate.keep_firing_for.millis));
            pages.push(o.pages);
            firing_s.push(seconds(o.firing_ms));
            sets.push(o.label_sets_fired);
            pending.push(o.pending_never_fired);
            longest_s.push(seconds(o.longest_ms));
        }
    }
    let mut df = DataFrame::new_infer_height(vec![
        Column::new("alertname".into(), alertname),
        Column::new("current".into(), current),
        Column::new("threshold".into(), threshold),
        Column::new("for_seconds".into(), for_s),
        Column::new("keep_firing_for_seconds".into(), keep_s),
        Column::new("pages".into(), pages),
        Column::new("firing_seconds".into(), firing_s),
        Column::new("label_sets_fired".into(), sets),
        Column::new("pending_never_fired".into(), pending),
        Column::new("longest_episode_seconds".into(), longest_s),
    ])
    .map_err(|e| e.to_string())?;
    write_frame(&mut df, path)
}

/// Writes a table as Parquet.
pub fn write_frame(df: &mut DataFrame, path: &Path) -> Result<(), String> {
    let file = std::fs::File::create(path).map_err(|e| format!("{}: {e}", path.display()))?;
    ParquetWriter::new(file)
        .finish(df)
        .map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utc_dates() {
        assert_eq!(utc(0), "1970-01-01T00:00:00Z");
        assert_eq!(utc(1_795_615_920_000), "2026-11-25T14:12:00Z");
        assert_eq!(utc(951_782_400_000), "2000-02-29T00:00:00Z");
    }
}
