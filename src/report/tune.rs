//! Rendering a tuning: a table for the terminal, Markdown for a
//! post-incident note or a PR comment, JSON for tools, and the candidates
//! as a polars table (Parquet) for notebooks.

use std::io::{self, Write};
use std::path::{Path, PathBuf};

use polars::prelude::*;
use serde::Serialize;

use crate::replay::Candidate;
use crate::report::simulate::human_duration;
use crate::simulate::PlanMode;
use crate::tune::marks::short_utc;
use crate::tune::snippet::{number, snippet};
use crate::tune::{Conflict, Scored, Tuning};

/// Bumped only on an incompatible change of the JSON.
pub const SCHEMA_VERSION: u32 = 1;

/// What a report shows besides the tuning itself.
#[derive(Debug, Clone, Default)]
pub struct Context {
    /// Where the history came from.
    pub source: String,
    pub plots: Vec<PathBuf>,
    pub warnings: Vec<String>,
}

fn candidate_label(t: &Tuning, c: &Candidate) -> String {
    let mut s = match (t.op(), c.threshold) {
        (Some(op), Some(th)) => format!("{} {}", op.symbol(), number(th)),
        _ => "whole expr".to_string(),
    };
    s.push_str(&format!(" for {}", human_duration(c.for_ms)));
    if c.keep_firing_for_ms > 0 || t.plan.keep_firing_for.millis > 0 {
        s.push_str(&format!(" keep {}", human_duration(c.keep_firing_for_ms)));
    }
    s
}

fn window_ms(t: &Tuning) -> u64 {
    t.grid.len as u64 * t.grid.step_ms.max(0) as u64
}

fn per_week(t: &Tuning, pages: u64) -> f64 {
    pages as f64 * 7.0 * 86_400_000.0 / window_ms(t).max(1) as f64
}

/// Short names of the marks, for column headers.
fn incident_header(t: &Tuning, i: usize) -> String {
    format!(
        "incident {}",
        short_utc(t.incidents[i].start_ms).get(5..).unwrap_or("")
    )
}

fn fp_header(t: &Tuning, i: usize) -> String {
    format!(
        "false positive {}",
        short_utc(t.false_positives[i].mark.at_ms)
            .get(5..)
            .unwrap_or("")
    )
}

/// What a candidate did wrong, or that it did nothing wrong.
fn verdict(t: &Tuning, index: usize) -> String {
    let s = &t.candidates[index];
    let mut wrong = Vec::new();
    for (i, q) in s.quiet.iter().enumerate() {
        if !q {
            wrong.push(format!(
                "pages at the {}",
                t.false_positives[i].mark.describe()
            ));
        }
    }
    for (i, d) in s.delays_ms.iter().enumerate() {
        if d.is_none() {
            wrong.push(format!("misses the {}", t.incidents[i].describe()));
        }
    }
    let today = t.today();
    let mut text = if wrong.is_empty() {
        if t.incidents.is_empty() && t.false_positives.is_empty() {
            String::new()
        } else {
            "meets every mark".to_string()
        }
    } else {
        wrong.join("; ")
    };
    if Some(index) == t.recommended {
        text = if index == 0 {
            format!(
                "recommended as it is{}{text}",
                if text.is_empty() { "" } else { ": " }
            )
        } else {
            format!(
                "recommended: {text}; {} pages outside incidents instead of {}",
                s.noise_pages, today.noise_pages
            )
        };
    }
    text
}

struct Row {
    index: usize,
    cells: Vec<String>,
}

fn header(t: &Tuning) -> Vec<String> {
    let mut h: Vec<String> = [
        "candidate",
        "pages",
        "pages/week",
        "outside incidents",
        "firing",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    h.extend((0..t.false_positives.len()).map(|i| fp_header(t, i)));
    h.extend((0..t.incidents.len()).map(|i| incident_header(t, i)));
    h.push("verdict".into());
    h
}

fn rows(t: &Tuning) -> Vec<Row> {
    std::iter::once(0)
        .chain(t.shortlist.iter().copied())
        .map(|index| {
            let s = &t.candidates[index];
            let mut label = candidate_label(t, &s.candidate());
            if index == 0 {
                label.push_str(" (today)");
            }
            let mut cells = vec![
                label,
                s.outcome.pages.to_string(),
                format!("{:.1}", per_week(t, s.outcome.pages)),
                s.noise_pages.to_string(),
                human_duration(s.outcome.firing_ms),
            ];
            cells.extend(
                s.quiet
                    .iter()
                    .map(|q| if *q { "quiet" } else { "pages" }.to_string()),
            );
            cells.extend(s.delays_ms.iter().map(|d| match d {
                Some(ms) => format!("fires after {}", human_duration(*ms)),
                None => "missed".to_string(),
            }));
            cells.push(verdict(t, index));
            Row { index, cells }
        })
        .collect()
}

fn conflict_text(t: &Tuning, c: &Conflict) -> String {
    match c {
        Conflict::NeverCaught { incident } => format!(
            "no candidate fires during the {}: the signal never passes any tried threshold for long enough then (try lower thresholds or a shorter `for`, or check the mark's time)",
            t.incidents[*incident].describe()
        ),
        Conflict::NeverQuiet { false_positive } => format!(
            "no candidate stays quiet at the {}",
            t.false_positives[*false_positive].mark.describe()
        ),
        Conflict::Pair {
            false_positive,
            incident,
        } => format!(
            "the {} and the {} cannot be told apart by threshold and `for`: every candidate quiet at the first misses the second. The signal looks the same at both; the expression needs another condition (a longer window, a ratio, an extra label filter)",
            t.false_positives[*false_positive].mark.describe(),
            t.incidents[*incident].describe()
        ),
    }
}

fn recommendation_text(t: &Tuning) -> Option<String> {
    let index = t.recommended?;
    let s = &t.candidates[index];
    let c = s.candidate();
    if index == 0 {
        return Some(format!(
            "Keep the rule as it is: no candidate meets the marks with fewer pages or an earlier detection than today's `{}`.",
            candidate_label(t, &c)
        ));
    }
    let today = t.today().candidate();
    let mut parts = Vec::new();
    if let (Some(op), Some(new), Some(old)) = (t.op(), c.threshold, today.threshold) {
        if new.to_bits() != old.to_bits() {
            let mut text = format!(
                "threshold `{} {}` → `{} {}`",
                op.symbol(),
                number(old),
                op.symbol(),
                number(new)
            );
            if let Some((lo, hi)) = t.equivalent.filter(|(lo, hi)| hi > lo) {
                text.push_str(&format!(
                    " (any threshold from {} to {} does the same on this history; the middle keeps a margin on both sides)",
                    number(lo),
                    number(hi)
                ));
            }
            parts.push(text);
        }
    }
    if c.for_ms != today.for_ms {
        parts.push(format!(
            "`for: {}` → `for: {}`",
            human_duration(today.for_ms),
            human_duration(c.for_ms)
        ));
    }
    if c.keep_firing_for_ms != today.keep_firing_for_ms {
        parts.push(format!(
            "`keep_firing_for: {}` → `{}`",
            human_duration(today.keep_firing_for_ms),
            human_duration(c.keep_firing_for_ms)
        ));
    }
    let delays: Vec<String> = s
        .delays_ms
        .iter()
        .zip(&t.incidents)
        .map(|(d, i)| {
            format!(
                "{} after {}",
                human_duration(d.unwrap_or(0)),
                short_utc(i.start_ms)
            )
        })
        .collect();
    let mut text = format!("Recommended: {}.", parts.join(", "));
    text.push_str(&format!(
        " On this history it pages {} times instead of {} ({} outside the marked incidents instead of {})",
        s.outcome.pages,
        t.today().outcome.pages,
        s.noise_pages,
        t.today().noise_pages
    ));
    if !t.false_positives.is_empty() {
        text.push_str(", stays quiet at every marked false positive");
    }
    if !delays.is_empty() {
        text.push_str(&format!(
            ", and fires for every marked incident ({})",
            delays.join(", ")
        ));
    }
    text.push('.');
    Some(text)
}

fn marks_lines(t: &Tuning) -> Vec<String> {
    let mut out = Vec::new();
    for fp in &t.false_positives {
        let note = fp
            .mark
            .note
            .as_deref()
            .map(|n| format!(" ({n})"))
            .unwrap_or_default();
        let seen = if fp.today_fired {
            format!(
                "today's rule was active {} to {}",
                short_utc(fp.window.0),
                short_utc(fp.window.1)
            )
        } else {
            "today's rule did not fire near it".into()
        };
        out.push(format!("{}{note}: {seen}", fp.mark.describe()));
    }
    for inc in &t.incidents {
        let note = inc
            .note
            .as_deref()
            .map(|n| format!(" ({n})"))
            .unwrap_or_default();
        out.push(format!("{}{note}", inc.describe()));
    }
    out
}

fn window_line(t: &Tuning) -> String {
    format!(
        "{} .. {} ({} evaluations every {}, {} series, {} candidates)",
        crate::time::format_utc(t.grid.start_ms),
        crate::time::format_utc(t.grid.at(t.grid.len.saturating_sub(1))),
        t.grid.len,
        t.plan.interval,
        t.series,
        t.candidates.len()
    )
}

pub fn write_human(t: &Tuning, context: &Context, out: &mut dyn Write) -> io::Result<()> {
    let p = &t.plan;
    writeln!(
        out,
        "{}  {}:{}  group {}",
        p.alertname, p.file, p.line, p.group
    )?;
    match &p.mode {
        PlanMode::Split { op, threshold } => writeln!(
            out,
            "  signal   {}  {} {}",
            p.query,
            op.symbol(),
            number(*threshold)
        )?,
        PlanMode::Whole { .. } => writeln!(out, "  expr     {}", p.query)?,
    }
    writeln!(out, "  window   {}", window_line(t))?;
    writeln!(out, "  data     {}", context.source)?;
    for (i, m) in marks_lines(t).iter().enumerate() {
        writeln!(out, "  {}  {m}", if i == 0 { "marks  " } else { "       " })?;
    }
    writeln!(out)?;
    let header = header(t);
    let rows = rows(t);
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for r in &rows {
        for (w, c) in widths.iter_mut().zip(&r.cells) {
            *w = (*w).max(c.chars().count());
        }
    }
    let last = header.len() - 1;
    let line = |cells: &[String], mark: &str| {
        let mut s = format!("{mark} ");
        for (i, (c, w)) in cells.iter().zip(&widths).enumerate() {
            if i == 0 || i == last {
                s.push_str(&format!("{c:<w$}  "));
            } else {
                s.push_str(&format!("{c:>w$}  "));
            }
        }
        s.trim_end().to_string()
    };
    writeln!(out, "{}", line(&header, " "))?;
    for r in &rows {
        let mark = if Some(r.index) == t.recommended {
            "*"
        } else {
            " "
        };
        writeln!(out, "{}", line(&r.cells, mark))?;
    }
    writeln!(out)?;
    if let Some(text) = recommendation_text(t) {
        writeln!(out, "{text}")?;
        if t.recommended != Some(0) {
            let rec = t.recommendation().expect("recommended");
            writeln!(
                out,
                "\nPaste over the rule's fields in {} (labels and annotations unchanged):\n",
                p.file
            )?;
            for l in snippet(p, rec.candidate()).lines() {
                writeln!(out, "    {l}")?;
            }
        }
    } else if !t.conflicts.is_empty() {
        writeln!(out, "No candidate meets every mark:")?;
        for c in &t.conflicts {
            writeln!(out, "  - {}", conflict_text(t, c))?;
        }
        writeln!(
            out,
            "The rows above are the best trade-offs (most marks met, then fewest pages)."
        )?;
    }
    if t.incidents.is_empty() && t.false_positives.is_empty() {
        writeln!(out, "No marks given: with --incident and --false-positive (or --marks FILE), candidates are ranked by what they would have done then.")?;
    }
    for n in &t.notes {
        writeln!(out, "Note: {n}")?;
    }
    for w in &context.warnings {
        writeln!(out, "Server warning: {w}")?;
    }
    for plot in &context.plots {
        writeln!(out, "Plot: {}", plot.display())?;
    }
    Ok(())
}

fn md_cell(text: &str) -> String {
    text.replace('|', "\\|")
}

pub fn write_markdown(t: &Tuning, context: &Context, out: &mut dyn Write) -> io::Result<()> {
    let p = &t.plan;
    writeln!(out, "### firedrill tune: `{}`\n", p.alertname)?;
    writeln!(
        out,
        "`{}:{}`, group `{}`. Replayed against {}, {}.\n",
        p.file,
        p.line,
        p.group,
        context.source,
        window_line(t)
    )?;
    match &p.mode {
        PlanMode::Split { op, threshold } => writeln!(
            out,
            "Signal: `{}`, today `{} {}`.\n",
            p.query,
            op.symbol(),
            number(*threshold)
        )?,
        PlanMode::Whole { .. } => writeln!(out, "Expression (replayed whole): `{}`.\n", p.query)?,
    }
    let marks = marks_lines(t);
    if !marks.is_empty() {
        writeln!(out, "Marks:\n")?;
        for m in &marks {
            writeln!(out, "- {m}")?;
        }
        writeln!(out)?;
    }
    let header = header(t);
    writeln!(
        out,
        "| {} |",
        header
            .iter()
            .map(|h| md_cell(h))
            .collect::<Vec<_>>()
            .join(" | ")
    )?;
    let align: Vec<&str> = (0..header.len())
        .map(|i| {
            if i == 0 || i == header.len() - 1 {
                "---"
            } else {
                "---:"
            }
        })
        .collect();
    writeln!(out, "| {} |", align.join(" | "))?;
    for r in rows(t) {
        let mut cells: Vec<String> = r.cells.iter().map(|c| md_cell(c)).collect();
        cells[0] = if Some(r.index) == t.recommended {
            format!("**`{}`**", cells[0])
        } else {
            format!("`{}`", cells[0])
        };
        writeln!(out, "| {} |", cells.join(" | "))?;
    }
    writeln!(out)?;
    if let Some(text) = recommendation_text(t) {
        writeln!(out, "{text}\n")?;
        if t.recommended != Some(0) {
            let rec = t.recommendation().expect("recommended");
            writeln!(out, "```yaml\n{}```\n", snippet(p, rec.candidate()))?;
        }
    } else if !t.conflicts.is_empty() {
        writeln!(out, "**No candidate meets every mark.**\n")?;
        for c in &t.conflicts {
            writeln!(out, "- {}", conflict_text(t, c))?;
        }
        writeln!(out)?;
    }
    for n in &t.notes {
        writeln!(out, "> Note: {n}\n")?;
    }
    for w in &context.warnings {
        writeln!(out, "> Server warning: {w}\n")?;
    }
    for (i, plot) in context.plots.iter().enumerate() {
        let alt = if i == 0 { "timeline" } else { "sweep" };
        writeln!(out, "![{alt}]({})\n", plot.display())?;
    }
    Ok(())
}

#[derive(Serialize)]
struct JsonTuning<'a> {
    version: u32,
    source: &'a str,
    alertname: &'a str,
    group: &'a str,
    file: &'a str,
    line: usize,
    query: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    op: Option<&'static str>,
    eval_interval_seconds: f64,
    start: i64,
    end: i64,
    evaluations: usize,
    series: usize,
    false_positives: Vec<JsonFalsePositive<'a>>,
    incidents: Vec<JsonIncident<'a>>,
    /// Index into `candidates`; today's rule is 0.
    recommended: Option<usize>,
    equivalent_thresholds: Option<[f64; 2]>,
    #[serde(skip_serializing_if = "Option::is_none")]
    snippet: Option<String>,
    shortlist: &'a [usize],
    conflicts: Vec<String>,
    notes: &'a [String],
    warnings: &'a [String],
    plots: Vec<String>,
    candidates: Vec<JsonCandidate>,
}

#[derive(Serialize)]
struct JsonFalsePositive<'a> {
    at: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    note: Option<&'a str>,
    window: [i64; 2],
    today_fired: bool,
}

#[derive(Serialize)]
struct JsonIncident<'a> {
    start: i64,
    end: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    note: Option<&'a str>,
}

#[derive(Serialize)]
struct JsonCandidate {
    threshold: Option<f64>,
    for_seconds: f64,
    keep_firing_for_seconds: f64,
    pages: u64,
    pages_per_week: f64,
    /// Pages (firing episodes) that overlap no marked incident.
    pages_outside_incidents: u64,
    firing_seconds: f64,
    label_sets_fired: u64,
    pending_never_fired: u64,
    longest_episode_seconds: f64,
    /// Per incident: seconds from its start to the first firing, or null.
    detection_delay_seconds: Vec<Option<f64>>,
    /// Per false positive: whether it stayed quiet.
    quiet: Vec<bool>,
    meets_every_mark: bool,
}

fn json_candidate(t: &Tuning, s: &Scored) -> JsonCandidate {
    let secs = |ms: u64| ms as f64 / 1000.0;
    let c = s.candidate();
    let o = &s.outcome;
    JsonCandidate {
        threshold: c.threshold,
        for_seconds: secs(c.for_ms),
        keep_firing_for_seconds: secs(c.keep_firing_for_ms),
        pages: o.pages,
        pages_per_week: per_week(t, o.pages),
        pages_outside_incidents: s.noise_pages,
        firing_seconds: secs(o.firing_ms),
        label_sets_fired: o.label_sets_fired,
        pending_never_fired: o.pending_never_fired,
        longest_episode_seconds: secs(o.longest_ms),
        detection_delay_seconds: s.delays_ms.iter().map(|d| d.map(secs)).collect(),
        quiet: s.quiet.clone(),
        meets_every_mark: s.meets_every_mark(),
    }
}

pub fn write_json(t: &Tuning, context: &Context, out: &mut dyn Write) -> io::Result<()> {
    let p = &t.plan;
    let doc = JsonTuning {
        version: SCHEMA_VERSION,
        source: &context.source,
        alertname: &p.alertname,
        group: &p.group,
        file: &p.file,
        line: p.line,
        query: &p.query,
        op: t.op().map(|o| o.symbol()),
        eval_interval_seconds: p.interval.millis as f64 / 1000.0,
        start: t.grid.start_ms,
        end: t.grid.at(t.grid.len),
        evaluations: t.grid.len,
        series: t.series,
        false_positives: t
            .false_positives
            .iter()
            .map(|f| JsonFalsePositive {
                at: f.mark.at_ms,
                note: f.mark.note.as_deref(),
                window: [f.window.0, f.window.1],
                today_fired: f.today_fired,
            })
            .collect(),
        incidents: t
            .incidents
            .iter()
            .map(|i| JsonIncident {
                start: i.start_ms,
                end: i.end_ms,
                note: i.note.as_deref(),
            })
            .collect(),
        recommended: t.recommended,
        equivalent_thresholds: t.equivalent.map(|(a, b)| [a, b]),
        snippet: t
            .recommendation()
            .filter(|_| t.recommended != Some(0))
            .map(|r| snippet(p, r.candidate())),
        shortlist: &t.shortlist,
        conflicts: t.conflicts.iter().map(|c| conflict_text(t, c)).collect(),
        notes: &t.notes,
        warnings: &context.warnings,
        plots: context
            .plots
            .iter()
            .map(|p| p.display().to_string())
            .collect(),
        candidates: t.candidates.iter().map(|s| json_candidate(t, s)).collect(),
    };
    serde_json::to_writer_pretty(&mut *out, &doc).map_err(io::Error::other)?;
    writeln!(out)
}

/// Every candidate as one row (polars), written as Parquet.
pub fn write_parquet(t: &Tuning, path: &Path) -> Result<(), String> {
    let c = &t.candidates;
    let col_f = |name: &str, f: &dyn Fn(&Scored) -> Option<f64>| {
        Column::new(name.into(), c.iter().map(f).collect::<Vec<_>>())
    };
    let col_u = |name: &str, f: &dyn Fn(&Scored) -> u64| {
        Column::new(name.into(), c.iter().map(f).collect::<Vec<_>>())
    };
    let mut columns = vec![
        Column::new("alertname".into(), vec![t.plan.alertname.as_str(); c.len()]),
        Column::new(
            "today".into(),
            (0..c.len()).map(|i| i == 0).collect::<Vec<_>>(),
        ),
        Column::new(
            "recommended".into(),
            (0..c.len())
                .map(|i| Some(i) == t.recommended)
                .collect::<Vec<_>>(),
        ),
        col_f("threshold", &|s| s.candidate().threshold),
        col_u("for_ms", &|s| s.candidate().for_ms),
        col_u("keep_firing_for_ms", &|s| s.candidate().keep_firing_for_ms),
        col_u("pages", &|s| s.outcome.pages),
        col_u("pages_outside_incidents", &|s| s.noise_pages),
        col_u("firing_ms", &|s| s.outcome.firing_ms),
        col_u("pending_never_fired", &|s| s.outcome.pending_never_fired),
        col_u("longest_ms", &|s| s.outcome.longest_ms),
        Column::new(
            "meets_every_mark".into(),
            c.iter().map(Scored::meets_every_mark).collect::<Vec<_>>(),
        ),
    ];
    for i in 0..t.incidents.len() {
        columns.push(Column::new(
            format!("incident_{}_delay_ms", i + 1).into(),
            c.iter().map(|s| s.delays_ms[i]).collect::<Vec<_>>(),
        ));
    }
    for i in 0..t.false_positives.len() {
        columns.push(Column::new(
            format!("false_positive_{}_quiet", i + 1).into(),
            c.iter().map(|s| s.quiet[i]).collect::<Vec<_>>(),
        ));
    }
    let mut frame = DataFrame::new_infer_height(columns).map_err(|e| e.to_string())?;
    crate::report::simulate::write_frame(&mut frame, path)
}
