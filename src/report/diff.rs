//! `firedrill diff` output: Markdown for a pull-request comment, and JSON.

use std::io::{self, Write};

use serde::Serialize;

use crate::diff::{AlertDiff, DiffResult};
use crate::replay::Outcome;
use crate::simulate::AlertReplay;

pub const SCHEMA_VERSION: u32 = 1;

fn current(replay: &AlertReplay) -> &Outcome {
    // Today's rule is always the first outcome.
    &replay.outcomes[0]
}

fn window(result: &DiffResult) -> Option<(i64, i64)> {
    let grid = result.alerts.first()?.after.grid;
    let end = grid.at(grid.len);
    Some((grid.start_ms, end))
}

fn duration_text(ms: u64) -> String {
    if ms == 0 {
        return "0".to_string();
    }
    let s = ms / 1000;
    let (d, h, m) = (s / 86_400, s % 86_400 / 3600, s % 3600 / 60);
    match (d, h, m) {
        (0, 0, 0) if s > 0 => format!("{s}s"),
        (0, 0, m) => format!("{m}m"),
        (0, h, m) => format!("{h}h {m}m"),
        (d, h, _) => format!("{d}d {h}h"),
    }
}

fn times(n: u64) -> String {
    match n {
        1 => "once".to_string(),
        n => format!("{n} times"),
    }
}

/// The recorded series a replay read from the server and found nothing
/// in: its "no data" is not the rule's doing, and is said.
fn no_data_recorded(replay: &AlertReplay) -> &[crate::replay::inline::NotInlined] {
    if replay.series == 0 {
        &replay.plan.reads_recorded
    } else {
        &[]
    }
}

fn verdict(a: &AlertDiff) -> String {
    if !no_data_recorded(&a.after).is_empty() {
        return "no data: reads recorded series the server has no history of (below)".into();
    }
    let after = current(&a.after).pages;
    match &a.before {
        None => format!("would have fired {}", times(after)),
        Some(before) => {
            let before = current(before).pages;
            format!("fired {} before, {after} after", times(before))
        }
    }
}

/// A Markdown report for a pull-request comment.
/// The changed alerts' notifications through Alertmanager, before and after.
#[derive(Debug, Clone, Serialize)]
pub struct DiffPages {
    pub config: String,
    pub receivers: Vec<crate::alertmanager::pages::ReceiverChange>,
}

fn write_pages(pages: &DiffPages, out: &mut dyn Write) -> io::Result<()> {
    writeln!(
        out,
        "Through Alertmanager (`{}`), the changed alerts' notifications:\n",
        pages.config
    )?;
    if pages.receivers.is_empty() {
        writeln!(out, "No receiver would be notified more or less often.\n")?;
        return Ok(());
    }
    for r in pages.receivers.iter().filter(|r| r.pages) {
        if r.firing_before != r.firing_after {
            writeln!(
                out,
                "- pages `{}` {} instead of {}",
                r.receiver,
                times(r.firing_after),
                r.firing_before
            )?;
        }
    }
    writeln!(out)?;
    writeln!(
        out,
        "| receiver | firing before | firing after | all before | all after |"
    )?;
    writeln!(out, "| --- | ---: | ---: | ---: | ---: |")?;
    for r in &pages.receivers {
        writeln!(
            out,
            "| `{}`{} | {} | {} | {} | {} |",
            r.receiver,
            if r.pages { " (pages)" } else { "" },
            r.firing_before,
            r.firing_after,
            r.notifications_before,
            r.notifications_after
        )?;
    }
    writeln!(
        out,
        "\nOnly the added and changed alerts are replayed: grouping with and inhibition by unchanged alerts is not counted.\n"
    )
}

pub fn write_markdown(
    result: &DiffResult,
    pages: Option<&DiffPages>,
    out: &mut dyn Write,
) -> io::Result<()> {
    writeln!(out, "### firedrill: the changed alerts on real history\n")?;
    match window(result) {
        Some((start, end)) => writeln!(
            out,
            "Replayed against `{}`, {} to {}, compared with `{}`.\n",
            result.source,
            crate::time::format_utc(start),
            crate::time::format_utc(end),
            result.base
        )?,
        None => writeln!(out, "Compared with `{}`.\n", result.base)?,
    }
    if result.alerts.is_empty() {
        writeln!(out, "No alert was added or changed.\n")?;
    } else {
        writeln!(
            out,
            "| alert | change | pages before | pages after | firing before | firing after | |"
        )?;
        writeln!(out, "| --- | --- | ---: | ---: | ---: | ---: | --- |")?;
        for a in &result.alerts {
            let after = current(&a.after);
            let change = match a.status {
                crate::diff::Status::Added => "added".to_string(),
                crate::diff::Status::Changed => a.changes.join(", "),
            };
            let (pages_before, firing_before) = match &a.before {
                Some(b) => (
                    current(b).pages.to_string(),
                    duration_text(current(b).firing_ms),
                ),
                None => ("–".to_string(), "–".to_string()),
            };
            writeln!(
                out,
                "| `{}` | {} | {} | {} | {} | {} | {} |",
                a.after.plan.alertname,
                change.replace('|', "\\|"),
                pages_before,
                after.pages,
                firing_before,
                duration_text(after.firing_ms),
                verdict(a)
            )?;
        }
        writeln!(out)?;
    }
    let silent: Vec<String> = result
        .alerts
        .iter()
        .filter(|a| !no_data_recorded(&a.after).is_empty())
        .map(|a| {
            let read: Vec<String> = no_data_recorded(&a.after)
                .iter()
                .map(|r| format!("`{}` ({})", r.name, r.reason))
                .collect();
            format!("- `{}` reads {}", a.after.plan.alertname, read.join(", "))
        })
        .collect();
    if !silent.is_empty() {
        writeln!(
            out,
            "No data through recording rules: the server has no history of these recorded series over the window, so these alerts were not replayed on real data.\n"
        )?;
        for line in silent {
            writeln!(out, "{line}")?;
        }
        writeln!(out)?;
    }
    if let Some(pages) = pages {
        write_pages(pages, out)?;
    }
    if !result.unparsable.is_empty() {
        let names: Vec<String> = result
            .unparsable
            .iter()
            .map(|r| format!("`{}` ({}, group {})", r.name, r.file, r.group))
            .collect();
        writeln!(
            out,
            "Not replayed, their expression does not parse (see the lint findings): {}.\n",
            names.join(", ")
        )?;
    }
    if !result.removed.is_empty() {
        let names: Vec<String> = result
            .removed
            .iter()
            .map(|r| format!("`{}` (group {})", r.name, r.group))
            .collect();
        writeln!(out, "Removed: {}.\n", names.join(", "))?;
    }
    writeln!(
        out,
        "{} unchanged alert{} not replayed.",
        result.unchanged,
        if result.unchanged == 1 { "" } else { "s" }
    )?;
    for w in &result.warnings {
        writeln!(out, "\n> warning from the server: {w}")?;
    }
    Ok(())
}

#[derive(Serialize)]
struct JsonDiff<'a> {
    schema_version: u32,
    base: &'a str,
    source: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    start: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    end: Option<i64>,
    alerts: Vec<JsonAlert<'a>>,
    removed: Vec<JsonRemoved<'a>>,
    unparsable: Vec<JsonRemoved<'a>>,
    unchanged: usize,
    warnings: &'a [String],
    #[serde(skip_serializing_if = "Option::is_none")]
    alertmanager: Option<&'a DiffPages>,
}

#[derive(Serialize)]
struct JsonAlert<'a> {
    alertname: &'a str,
    group: &'a str,
    file: &'a str,
    line: usize,
    status: &'static str,
    changes: &'a [String],
    before: Option<JsonCounts>,
    after: JsonCounts,
    /// After the change, no data: the recorded series read from the server
    /// (not inlined) that had no history, and why each was read.
    no_data_recorded: Vec<JsonRecorded<'a>>,
}

#[derive(Serialize)]
struct JsonRecorded<'a> {
    name: &'a str,
    reason: &'a str,
}

#[derive(Serialize)]
struct JsonCounts {
    pages: u64,
    firing_seconds: f64,
    label_sets_fired: u64,
    longest_episode_seconds: f64,
    evaluations: usize,
}

#[derive(Serialize)]
struct JsonRemoved<'a> {
    alertname: &'a str,
    group: &'a str,
    file: &'a str,
}

impl<'a> JsonRemoved<'a> {
    fn of(r: &'a crate::changes::RuleRef) -> Self {
        JsonRemoved {
            alertname: &r.name,
            group: &r.group,
            file: &r.file,
        }
    }
}

fn counts(replay: &AlertReplay) -> JsonCounts {
    let o = current(replay);
    JsonCounts {
        pages: o.pages,
        firing_seconds: o.firing_ms as f64 / 1000.0,
        label_sets_fired: o.label_sets_fired,
        longest_episode_seconds: o.longest_ms as f64 / 1000.0,
        evaluations: replay.grid.len,
    }
}

pub fn write_json(
    result: &DiffResult,
    pages: Option<&DiffPages>,
    out: &mut dyn Write,
) -> io::Result<()> {
    let window = window(result);
    let doc = JsonDiff {
        schema_version: SCHEMA_VERSION,
        base: &result.base,
        source: &result.source,
        start: window.map(|w| w.0 / 1000),
        end: window.map(|w| w.1 / 1000),
        alerts: result
            .alerts
            .iter()
            .map(|a| JsonAlert {
                alertname: &a.after.plan.alertname,
                group: &a.after.plan.group,
                file: &a.after.plan.file,
                line: a.after.plan.line,
                status: a.status.as_str(),
                changes: &a.changes,
                before: a.before.as_ref().map(counts),
                after: counts(&a.after),
                no_data_recorded: no_data_recorded(&a.after)
                    .iter()
                    .map(|r| JsonRecorded {
                        name: &r.name,
                        reason: &r.reason,
                    })
                    .collect(),
            })
            .collect(),
        unparsable: result.unparsable.iter().map(JsonRemoved::of).collect(),
        removed: result.removed.iter().map(JsonRemoved::of).collect(),
        unchanged: result.unchanged,
        warnings: &result.warnings,
        alertmanager: pages,
    };
    serde_json::to_writer_pretty(&mut *out, &doc).map_err(io::Error::other)?;
    writeln!(out)
}
