//! Rendering a tuning: a table for the terminal, Markdown for a
//! post-incident note or a PR comment, JSON for tools, and the candidates
//! as a polars table (Parquet) for notebooks.

use std::io::{self, Write};
use std::path::{Path, PathBuf};

use polars::prelude::*;
use serde::Serialize;

use crate::replay::plan::PlanMode;
use crate::replay::Candidate;
use crate::report::simulate::human_duration;
use crate::report::table::{labelled, Table};
use crate::tune::marks::short_utc;
use crate::tune::snippet::{number, snippet};
use crate::tune::{Conflict, Objective, Page, Scored, ThresholdPick, Tuning};

/// Bumped only on an incompatible change of the JSON.
pub const SCHEMA_VERSION: u32 = 1;

/// What a report shows besides the tuning itself.
#[derive(Debug, Clone, Default)]
pub struct Context {
    /// Where the history came from.
    pub source: String,
    pub plots: Vec<PathBuf>,
    pub warnings: Vec<String>,
    /// Lines and the table fit this width (the terminal's); none: one line each.
    pub width: Option<usize>,
    /// The rows' pages through Alertmanager, when given one.
    pub pages: Option<CandidatePages>,
}

/// How often candidates paged once through Alertmanager.
#[derive(Debug, Clone, Serialize)]
pub struct CandidatePages {
    /// The Alertmanager configuration.
    pub config: String,
    /// The receivers counted as pages.
    pub page_receivers: Vec<String>,
    /// Per candidate index: firing notifications with the alert in them
    /// to a paging receiver, and notifications of any kind to any receiver.
    pub by_candidate: Vec<CandidatePaged>,
}

#[derive(Debug, Clone, Copy, Serialize)]
pub struct CandidatePaged {
    pub candidate: usize,
    pub pages: u64,
    pub notifications: u64,
}

impl CandidatePages {
    pub fn of(&self, candidate: usize) -> Option<CandidatePaged> {
        self.by_candidate
            .iter()
            .find(|c| c.candidate == candidate)
            .copied()
    }

    /// `Through Alertmanager (...): today's rule paged N times; the
    /// recommended one would have paged M times: K pages saved.`
    pub fn text(&self, t: &Tuning) -> Option<String> {
        let today = self.of(0)?;
        let receivers = if self.page_receivers.is_empty() {
            "no paging receiver".to_string()
        } else {
            self.page_receivers.join(", ")
        };
        let times = |n: u64| {
            if n == 1 {
                "once".to_string()
            } else {
                format!("{n} times")
            }
        };
        let mut text = format!(
            "Through Alertmanager ({}): today's rule paged {} {} (firing notifications to {receivers}) and sent {} notification{} in all",
            self.config,
            receivers,
            times(today.pages),
            today.notifications,
            if today.notifications == 1 { "" } else { "s" },
        );
        match t
            .recommended
            .and_then(|r| self.of(r))
            .filter(|_| t.recommended != Some(0))
        {
            Some(rec) if rec.pages < today.pages => {
                let saved = today.pages - rec.pages;
                text.push_str(&format!(
                    "; the recommended candidate would have paged {}: {saved} page{} saved.",
                    times(rec.pages),
                    if saved == 1 { "" } else { "s" }
                ));
            }
            Some(rec) => text.push_str(&format!(
                "; the recommended candidate would have paged {}.",
                times(rec.pages)
            )),
            None => text.push('.'),
        }
        Some(text)
    }
}

fn candidate_label(t: &Tuning, c: &Candidate) -> String {
    let mut s = match (t.op(), c.threshold) {
        (Some(op), Some(th)) => format!("{} {}", op.symbol(), number(th)),
        _ => "whole expr".to_string(),
    };
    s.push_str(&format!(" for {}", human_duration(c.for_.millis)));
    if c.keep_firing_for.millis > 0 || t.plan.keep_firing_for.millis > 0 {
        s.push_str(&format!(
            " keep {}",
            human_duration(c.keep_firing_for.millis)
        ));
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

/// How many of today's pages are presumed real (outside every false positive).
fn other_pages(t: &Tuning) -> usize {
    t.presumed_real().count()
}

/// "keeps 5 of today's 5 other pages", "fires 4m later in all" when late.
fn kept_text(t: &Tuning, s: &Scored) -> String {
    let mut text = format!(
        "keeps {} of today's {} other pages",
        s.kept_pages,
        other_pages(t)
    );
    if s.kept_delay_ms > 0 {
        text.push_str(&format!(
            ", {} later in all",
            human_duration(s.kept_delay_ms)
        ));
    }
    text
}

/// What a candidate did wrong, or that it did nothing wrong; never empty
/// when there are marks.
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
    let mut text = match t.objective {
        Objective::Survey => String::new(),
        Objective::KeepOtherPages if wrong.is_empty() => {
            format!("quiet at every false positive; {}", kept_text(t, s))
        }
        Objective::KeepOtherPages if index != 0 => {
            format!("{}; {}", wrong.join("; "), kept_text(t, s))
        }
        _ if wrong.is_empty() => "meets every mark".to_string(),
        _ => wrong.join("; "),
    };
    if s.outcome.pages == 0 && !text.is_empty() {
        text.push_str("; never fires in the window");
    }
    if Some(index) == t.recommended {
        text = match (index, t.objective) {
            (0, _) => format!("recommended as it is: {text}"),
            (_, Objective::CatchIncidents) => format!(
                "recommended: {text}; {} pages outside incidents instead of {}",
                s.noise_pages, today.noise_pages
            ),
            _ => format!("recommended: {text}"),
        };
    }
    text
}

struct Row {
    index: usize,
    cells: Vec<String>,
}

fn header(t: &Tuning, context: &Context) -> Vec<String> {
    let mut h: Vec<String> = ["candidate", "pages", "pages/week"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    if context.pages.is_some() {
        h.push("paged".into());
    }
    match t.objective {
        Objective::CatchIncidents => h.push("outside incidents".into()),
        Objective::KeepOtherPages => h.push("other pages kept".into()),
        Objective::Survey => {}
    }
    h.push("firing".into());
    h.extend((0..t.false_positives.len()).map(|i| fp_header(t, i)));
    h.extend((0..t.incidents.len()).map(|i| incident_header(t, i)));
    if t.objective != Objective::Survey {
        h.push("verdict".into());
    }
    h
}

/// The indices of the false-positive and incident columns of [`header`].
fn mark_columns(t: &Tuning, context: &Context) -> impl Iterator<Item = usize> {
    let first = if t.objective == Objective::Survey {
        4
    } else {
        5
    } + usize::from(context.pages.is_some());
    first..first + t.false_positives.len() + t.incidents.len()
}

fn rows(t: &Tuning, context: &Context) -> Vec<Row> {
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
            ];
            if let Some(pages) = &context.pages {
                cells.push(pages.of(index).map_or("-".into(), |p| p.pages.to_string()));
            }
            match t.objective {
                Objective::CatchIncidents => cells.push(s.noise_pages.to_string()),
                Objective::KeepOtherPages => {
                    cells.push(format!("{}/{}", s.kept_pages, other_pages(t)))
                }
                Objective::Survey => {}
            }
            cells.push(human_duration(s.outcome.firing_ms));
            cells.extend(
                s.quiet
                    .iter()
                    .map(|q| if *q { "quiet" } else { "pages" }.to_string()),
            );
            cells.extend(s.delays_ms.iter().map(|d| match d {
                Some(ms) => format!("fires after {}", human_duration(*ms)),
                None => "missed".to_string(),
            }));
            if t.objective != Objective::Survey {
                cells.push(verdict(t, index));
            }
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
        Conflict::NotAllAtOnce => "each pair of marks can be met, but no candidate meets them all at once; the rows above are the best trade-offs".to_string(),
        Conflict::QuietOnlyWhenSilent => "every raised threshold or longer `for` that is quiet at the marked false positives never fires at all in the window: the false positives look like the alert's strongest signal. Mark an incident (--incident START/LENGTH) so tune knows what must still fire, or give the expression another condition".to_string(),
    }
}

/// The presumed-real pages the recommended candidate does not fire for.
fn lost_pages(t: &Tuning) -> Vec<&Page> {
    t.presumed_real()
        .filter(|p| {
            !t.recommended_timelines.iter().any(|line| {
                line.labels == p.labels
                    && line
                        .firing
                        .iter()
                        .any(|&(a, b)| a < p.firing.1 && p.firing.0 < b)
            })
        })
        .collect()
}

/// `2026-11-17 14:02  {pod="a"}`: a page's time and instance, without the
/// alert's name.
fn page_line(p: &Page) -> String {
    let labels: Vec<(String, String)> = p
        .labels
        .iter()
        .filter(|(k, _)| k != "alertname")
        .cloned()
        .collect();
    let mut line = format!(
        "{} to {}",
        short_utc(p.firing.0),
        short_utc(p.firing.1).get(11..).unwrap_or("")
    );
    if !labels.is_empty() {
        line.push_str(&format!("  {}", crate::replay::align::labels_text(&labels)));
    }
    if p.false_positive {
        line.push_str("  (marked false positive)");
    }
    line
}

fn recommendation_text(t: &Tuning) -> Option<String> {
    let index = t.recommended?;
    let s = &t.candidates[index];
    let c = s.candidate();
    if index == 0 {
        return Some(match t.objective {
            Objective::KeepOtherPages => format!(
                "Keep the rule as it is: today's `{}` did not page at the marked false positives.",
                candidate_label(t, &c)
            ),
            _ => format!(
                "Keep the rule as it is: no candidate meets the marks with fewer pages or an earlier detection than today's `{}`.",
                candidate_label(t, &c)
            ),
        });
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
            let range = t.equivalent.filter(|(lo, hi)| hi > lo);
            match (range, t.pick) {
                (Some((lo, hi)), Some(ThresholdPick::Middle)) => text.push_str(&format!(
                    " (any threshold from {} to {} does the same on this history; {}, the middle, keeps a margin on both sides)",
                    number(lo),
                    number(hi),
                    number(new)
                )),
                (Some((lo, hi)), Some(ThresholdPick::NearestMiddle)) => text.push_str(&format!(
                    " (the tried thresholds from {} to {} do the same on this history; {} is the one nearest their middle)",
                    number(lo),
                    number(hi),
                    number(new)
                )),
                (Some((lo, hi)), _) => text.push_str(&format!(
                    " (the nearest to today's that is quiet at every marked false positive; any threshold from {} to {} keeps the same pages)",
                    number(lo),
                    number(hi)
                )),
                (None, _) if t.objective == Objective::KeepOtherPages => text.push_str(
                    " (the nearest to today's that is quiet at every marked false positive)",
                ),
                (None, _) => {}
            }
            parts.push(text);
        }
    }
    if c.for_.millis != today.for_.millis {
        parts.push(format!(
            "`for: {}` → `for: {}`",
            human_duration(today.for_.millis),
            human_duration(c.for_.millis)
        ));
    }
    if c.keep_firing_for.millis != today.keep_firing_for.millis {
        parts.push(format!(
            "`keep_firing_for: {}` → `{}`",
            human_duration(today.keep_firing_for.millis),
            human_duration(c.keep_firing_for.millis)
        ));
    }
    let mut text = format!("Recommended: {}.", parts.join(", "));
    if t.objective == Objective::KeepOtherPages {
        let lost = lost_pages(t);
        text.push_str(&format!(
            " On this history it stays quiet at every marked false positive and keeps {} of today's {} pages",
            s.kept_pages,
            t.today().outcome.pages
        ));
        if lost.is_empty() {
            text.push_str(&format!(
                "; it loses none outside the false positive{}",
                if t.false_positives.len() == 1 {
                    ""
                } else {
                    "s"
                }
            ));
        } else {
            let times: Vec<String> = lost.iter().take(5).map(|p| short_utc(p.firing.0)).collect();
            text.push_str(&format!(
                "; it loses {} outside the false positives ({}{})",
                lost.len(),
                times.join(", "),
                if lost.len() > 5 { ", ..." } else { "" }
            ));
        }
        if s.kept_delay_ms > 0 {
            text.push_str(&format!(
                ", and fires {} later than today's rule in all",
                human_duration(s.kept_delay_ms)
            ));
        }
        text.push_str(". Today's other pages are presumed real; mark incidents (--incident) to rank by what must fire.");
        return Some(text);
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

/// Without marks: why nothing is recommended, today's pages, and the marks
/// that would let `tune` recommend.
fn survey_lines(t: &Tuning) -> Vec<String> {
    let mut out = vec![
        "No recommendation: no marks say which pages were wrong or what must still fire, and the fewest pages always means silence.".to_string(),
    ];
    let pages = &t.today_pages;
    if pages.is_empty() {
        out.push("Today's rule did not page in the window, so there is nothing to silence: mark when it should have fired (--incident START/LENGTH, or [[incident]] in a --marks file) and tune finds the rules that would have.".into());
        return out;
    } else {
        out.push(format!(
            "Today's rule paged {} time{} in the window:",
            pages.len(),
            if pages.len() == 1 { "" } else { "s" }
        ));
        for p in pages.iter().take(10) {
            out.push(format!("    {}", page_line(p)));
        }
        if pages.len() > 10 {
            out.push(format!(
                "    ... and {} more (all in --format json)",
                pages.len() - 10
            ));
        }
    }
    out.push("Mark the pages that should not have happened (--false-positive TIME, e.g. the start of one above) and tune recommends the smallest change that silences them and keeps the others; mark when it must fire (--incident START/LENGTH) to rank by that. Both fit in a marks file (--marks FILE).".into());
    out
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
        "{} .. {} ({}: {} evaluations every {}, {} series, {} candidates)",
        crate::time::format_utc(t.grid.start_ms),
        crate::time::format_utc(t.grid.at(t.grid.len)),
        human_duration(window_ms(t)),
        t.grid.len,
        t.plan.interval,
        t.series,
        t.candidates.len()
    )
}

/// `text` after `label`, wrapped to `width`.
fn put(out: &mut dyn Write, width: Option<usize>, label: &str, text: &str) -> io::Result<()> {
    for line in labelled(label, text, width) {
        writeln!(out, "{line}")?;
    }
    Ok(())
}

pub fn write_human(t: &Tuning, context: &Context, out: &mut dyn Write) -> io::Result<()> {
    let p = &t.plan;
    let width = context.width;
    put(
        out,
        width,
        "",
        &format!("{}  {}:{}  group {}", p.alertname, p.file, p.line, p.group),
    )?;
    match &p.mode {
        PlanMode::Split { op, threshold } => put(
            out,
            width,
            "  signal   ",
            &format!(
                "{}  {} {}",
                super::one_line(&p.query),
                op.symbol(),
                number(*threshold)
            ),
        )?,
        PlanMode::Whole { .. } => put(out, width, "  expr     ", &super::one_line(&p.query))?,
    }
    put(out, width, "  window   ", &window_line(t))?;
    put(out, width, "  data     ", &context.source)?;
    for (i, m) in marks_lines(t).iter().enumerate() {
        put(
            out,
            width,
            if i == 0 { "  marks    " } else { "           " },
            m,
        )?;
    }
    writeln!(out)?;
    let table = Table {
        header_prefix: "  ",
        header: header(t, context),
        rows: rows(t, context)
            .into_iter()
            .map(|r| {
                let mark = if Some(r.index) == t.recommended {
                    "* "
                } else {
                    "  "
                };
                (mark, r.cells)
            })
            .collect(),
        text_last: t.objective != Objective::Survey,
        // On a narrow terminal the marks' columns go first (the verdict
        // says what each candidate did wrong), then the rate per week.
        droppable: mark_columns(t, context).chain([2]).collect(),
    };
    for line in table.render(width) {
        writeln!(out, "{line}")?;
    }
    writeln!(out)?;
    if let Some(text) = context.pages.as_ref().and_then(|p| p.text(t)) {
        put(out, width, "", &text)?;
        writeln!(out)?;
    }
    if let Some(text) = recommendation_text(t) {
        put(out, width, "", &text)?;
        if t.recommended != Some(0) {
            let rec = t.recommendation().expect("recommended");
            writeln!(out)?;
            put(
                out,
                width,
                "",
                &format!(
                    "Paste over the rule's fields in {} (labels and annotations unchanged):",
                    p.file
                ),
            )?;
            writeln!(out)?;
            for l in snippet(p, rec.candidate()).lines() {
                writeln!(out, "    {l}")?;
            }
        }
    } else if !t.conflicts.is_empty() {
        writeln!(out, "No candidate meets every mark:")?;
        for c in &t.conflicts {
            put(out, width, "  - ", &conflict_text(t, c))?;
        }
        writeln!(
            out,
            "The rows above are the best trade-offs (most marks met, then fewest pages)."
        )?;
    }
    if t.objective == Objective::Survey {
        for line in survey_lines(t) {
            match line.strip_prefix("    ") {
                // Pages are one line each: a time and an instance.
                Some(page) => writeln!(out, "    {page}")?,
                None => put(out, width, "", &line)?,
            }
        }
    }
    for n in &t.notes {
        put(out, width, "Note: ", n)?;
    }
    for w in &context.warnings {
        put(out, width, "Server warning: ", w)?;
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
            super::one_line(&p.query),
            op.symbol(),
            number(*threshold)
        )?,
        PlanMode::Whole { .. } => writeln!(
            out,
            "Expression (replayed whole): `{}`.\n",
            super::one_line(&p.query)
        )?,
    }
    let marks = marks_lines(t);
    if !marks.is_empty() {
        writeln!(out, "Marks:\n")?;
        for m in &marks {
            writeln!(out, "- {m}")?;
        }
        writeln!(out)?;
    }
    let header = header(t, context);
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
    for r in rows(t, context) {
        let mut cells: Vec<String> = r.cells.iter().map(|c| md_cell(c)).collect();
        cells[0] = if Some(r.index) == t.recommended {
            format!("**`{}`**", cells[0])
        } else {
            format!("`{}`", cells[0])
        };
        writeln!(out, "| {} |", cells.join(" | "))?;
    }
    writeln!(out)?;
    if let Some(text) = context.pages.as_ref().and_then(|p| p.text(t)) {
        writeln!(out, "{text}\n")?;
    }
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
    if t.objective == Objective::Survey {
        for line in survey_lines(t) {
            match line.strip_prefix("    ") {
                Some(page) => writeln!(out, "- {page}")?,
                None => writeln!(out, "\n{line}\n")?,
            }
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
    /// What the marks ask: survey (none), keep_other_pages (only false
    /// positives), catch_incidents.
    objective: &'static str,
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
    /// Today's firing episodes (its pages), in time order.
    today_pages: Vec<JsonPage>,
    #[serde(skip_serializing_if = "Option::is_none")]
    snippet: Option<String>,
    shortlist: &'a [usize],
    conflicts: Vec<String>,
    notes: &'a [String],
    #[serde(skip_serializing_if = "Option::is_none")]
    alertmanager: Option<&'a CandidatePages>,
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
struct JsonPage {
    labels: std::collections::BTreeMap<String, String>,
    start: i64,
    end: i64,
    false_positive: bool,
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
    /// What it did at the marks, as the table says it (none without marks).
    #[serde(skip_serializing_if = "Option::is_none")]
    verdict: Option<String>,
    /// Only false positives marked: today's other pages this candidate fires
    /// for (same instance, during the page), and how much later in all.
    #[serde(skip_serializing_if = "Option::is_none")]
    other_pages_kept: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    other_pages_delay_seconds: Option<f64>,
}

fn json_candidate(t: &Tuning, index: usize, s: &Scored) -> JsonCandidate {
    let secs = |ms: u64| ms as f64 / 1000.0;
    let c = s.candidate();
    let o = &s.outcome;
    JsonCandidate {
        threshold: c.threshold,
        for_seconds: secs(c.for_.millis),
        keep_firing_for_seconds: secs(c.keep_firing_for.millis),
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
        verdict: (t.objective != Objective::Survey).then(|| verdict(t, index)),
        other_pages_kept: (t.objective == Objective::KeepOtherPages).then_some(s.kept_pages),
        other_pages_delay_seconds: (t.objective == Objective::KeepOtherPages)
            .then(|| secs(s.kept_delay_ms)),
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
        objective: t.objective.as_str(),
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
        today_pages: t
            .today_pages
            .iter()
            .map(|p| JsonPage {
                labels: p.labels.iter().cloned().collect(),
                start: p.firing.0,
                end: p.firing.1,
                false_positive: p.false_positive,
            })
            .collect(),
        snippet: t
            .recommendation()
            .filter(|_| t.recommended != Some(0))
            .map(|r| snippet(p, r.candidate())),
        shortlist: &t.shortlist,
        conflicts: t.conflicts.iter().map(|c| conflict_text(t, c)).collect(),
        notes: &t.notes,
        alertmanager: context.pages.as_ref(),
        warnings: &context.warnings,
        plots: context
            .plots
            .iter()
            .map(|p| p.display().to_string())
            .collect(),
        candidates: t
            .candidates
            .iter()
            .enumerate()
            .map(|(i, s)| json_candidate(t, i, s))
            .collect(),
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
        col_u("for_ms", &|s| s.candidate().for_.millis),
        col_u("keep_firing_for_ms", &|s| {
            s.candidate().keep_firing_for.millis
        }),
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
