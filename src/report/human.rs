//! miette's graphical report: the snippet, a caret under the place, the help.

use std::fmt;
use std::io::{self, Write};

use miette::{
    Diagnostic as MietteDiagnostic, GraphicalReportHandler, GraphicalTheme, LabeledSpan,
    MietteError, MietteSpanContents, SourceCode, SourceSpan, SpanContents,
};

use super::Style;
use crate::diagnostic::{Diagnostic, Severity};
use crate::lint::LintResult;
use crate::source::Source;

/// Lends a [`Source`] to miette without copying its text.
struct NamedText<'a>(&'a Source);

impl SourceCode for NamedText<'_> {
    fn read_span<'a>(
        &'a self,
        span: &SourceSpan,
        before: usize,
        after: usize,
    ) -> Result<Box<dyn SpanContents<'a> + 'a>, MietteError> {
        // miette finds lines by scanning from the start of the text: hand it
        // the text from a line or two above the span, found in the file's
        // line index, so that many findings in a big file stay linear.
        let file = self.0;
        let start = span.offset().min(file.text.len());
        let line = file.line_col(start).line - 1;
        let from = line.saturating_sub(before + 1);
        let base = file.line_start(from + 1).unwrap_or(0);
        let local = SourceSpan::from((start - base, span.len()));
        let inner = file.text[base..].read_span(&local, before, after)?;
        Ok(Box::new(MietteSpanContents::new_named(
            file.name.clone(),
            inner.data(),
            SourceSpan::from((inner.span().offset() + base, inner.span().len())),
            inner.line() + from,
            inner.column(),
            inner.line_count(),
        )))
    }
}

/// One finding dressed for miette.
struct Report<'a> {
    d: &'a Diagnostic,
    source: NamedText<'a>,
    title: String,
    /// Whether to draw the source around the place (see [`fits_a_snippet`]).
    snippet: bool,
}

/// The most source text a snippet may show: its lines and one line of
/// context either side.
const MAX_SNIPPET_BYTES: usize = 8 * 1024;

/// A finding on a megabyte-long line would echo the line (and miette cannot
/// draw a caret past column 65,535): such findings show the title, whose
/// file:line:col says where, without the snippet.
fn fits_a_snippet(text: &str, start: usize, end: usize) -> bool {
    let bytes = text.as_bytes();
    let start = start.min(bytes.len());
    let end = end.clamp(start, bytes.len());
    if end - start > MAX_SNIPPET_BYTES {
        return false;
    }
    // Two line breaks (this line's start, the context line's) close by on
    // each side, or the file's own edge; never a scan of the whole file.
    let before = &bytes[start.saturating_sub(MAX_SNIPPET_BYTES)..start];
    let near_start =
        start <= MAX_SNIPPET_BYTES || before.iter().filter(|b| **b == b'\n').nth(1).is_some();
    let after = &bytes[end..(end + MAX_SNIPPET_BYTES).min(bytes.len())];
    let near_end = bytes.len() - end <= MAX_SNIPPET_BYTES
        || after.iter().filter(|b| **b == b'\n').nth(1).is_some();
    near_start && near_end
}

impl fmt::Debug for Report<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.title)
    }
}

impl fmt::Display for Report<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.title)
    }
}

impl std::error::Error for Report<'_> {}

impl MietteDiagnostic for Report<'_> {
    fn code<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        Some(Box::new(self.d.check))
    }

    fn severity(&self) -> Option<miette::Severity> {
        Some(match self.d.severity {
            Severity::Error => miette::Severity::Error,
            Severity::Warning => miette::Severity::Warning,
            Severity::Info => miette::Severity::Advice,
        })
    }

    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.d
            .help
            .as_ref()
            .map(|h| Box::new(h) as Box<dyn fmt::Display>)
    }

    fn source_code(&self) -> Option<&dyn SourceCode> {
        self.snippet.then_some(&self.source as &dyn SourceCode)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        if !self.snippet {
            return None;
        }
        let text_len = self.d.source.text.len();
        let clamp = move |start: usize, len: usize| {
            let start = start.min(text_len);
            SourceSpan::from((start, len.min(text_len - start)))
        };
        let primary = LabeledSpan::new_primary_with_span(
            self.d.label.clone(),
            clamp(self.d.span.start, self.d.span.len()),
        );
        let related = self.d.related.iter().map(move |(span, text)| {
            LabeledSpan::new_with_span(Some(text.clone()), clamp(span.start, span.len()))
        });
        Some(Box::new(std::iter::once(primary).chain(related)))
    }
}

/// One finding as the graphical report draws it (for errors outside a lint run).
pub fn render(d: &Diagnostic, style: Style) -> String {
    render_with(&handler(style), d).unwrap_or_else(|_| format!("{}\n", d.message))
}

fn render_with(handler: &GraphicalReportHandler, d: &Diagnostic) -> io::Result<String> {
    let at = d.source.line_col(d.span.start);
    let mut context = String::new();
    if let Some(rule) = &d.rule {
        context = match rule {
            crate::diagnostic::RuleName::Alert(n) => format!(" [alert {n}]"),
            crate::diagnostic::RuleName::Record(n) => format!(" [record {n}]"),
        };
    }
    let title = format!(
        "{}:{}:{}: {}{}",
        d.source.name, at.line, at.column, d.message, context
    );
    let text = &d.source.text;
    let snippet = std::iter::once(&d.span)
        .chain(d.related.iter().map(|(span, _)| span))
        .all(|span| fits_a_snippet(text, span.start, span.end));
    let report = Report {
        d,
        source: NamedText(&d.source),
        title,
        snippet,
    };
    let mut text = String::new();
    handler
        .render_report(&mut text, &report)
        .map_err(io::Error::other)?;
    Ok(text)
}

fn handler(style: Style) -> GraphicalReportHandler {
    let theme = match (style.unicode, style.color) {
        (true, true) => GraphicalTheme::unicode(),
        (true, false) => GraphicalTheme::unicode_nocolor(),
        (false, true) => GraphicalTheme::ascii(),
        (false, false) => GraphicalTheme::none(),
    };
    GraphicalReportHandler::new_themed(theme)
        .with_width(style.width)
        .with_links(false)
        .with_context_lines(1)
}

pub fn write(result: &LintResult, style: Style, out: &mut dyn Write) -> io::Result<()> {
    let handler = handler(style);
    for d in &result.diagnostics {
        let text = render_with(&handler, d)?;
        out.write_all(text.as_bytes())?;
        out.write_all(b"\n")?;
    }
    writeln!(out, "{}", summary_line(result))
}

/// "Found 2 errors and 1 warning in 3 files (40 rules)." or "All checks passed ...".
pub fn summary_line(result: &LintResult) -> String {
    let files = result
        .rules
        .files
        .iter()
        .filter(|f| f.not_rules.is_none())
        .count();
    let rules = result.rule_count();
    let (e, w, i) = (
        result.count(Severity::Error),
        result.count(Severity::Warning),
        result.count(Severity::Info),
    );
    let plural = |n: usize, word: &str| format!("{n} {word}{}", if n == 1 { "" } else { "s" });
    let alertmanager_only = result.rules.files.is_empty() && result.alertmanager.is_some();
    let mut scope = match &result.alertmanager {
        Some(name) if alertmanager_only => format!("the Alertmanager configuration {name}"),
        _ => format!("{} ({})", plural(files, "file"), plural(rules, "rule")),
    };
    if let Some(runbook) = result.runbook_summary() {
        scope.push_str(&format!("; {}", runbook_scope(&runbook)));
    }
    if result.suppressed > 0 {
        scope.push_str(&format!(
            "; {} suppressed by `# firedrill disable`",
            plural(result.suppressed, "finding")
        ));
    }
    if let Some(b) = &result.baseline {
        scope.push_str(&format!(
            "; {} in the baseline {}",
            plural(b.baselined, "finding"),
            b.path
        ));
        if let Some(fixed) = b.fixed {
            scope.push_str(&format!(", {fixed} of its fixed since"));
        }
    }
    if !alertmanager_only {
        scope.push_str(&format!("; {}", result.verdict_of()));
    }
    if e + w + i == 0 {
        return match result.baseline {
            Some(_) => format!("No new finding: {scope}."),
            None => format!("All checks passed: {scope}."),
        };
    }
    // Under a baseline, what is reported is what is new.
    let new = if result.baseline.is_some() {
        "new "
    } else {
        ""
    };
    let mut parts = Vec::new();
    for (n, word) in [(e, "error"), (w, "warning"), (i, "info")] {
        if n > 0 {
            parts.push(plural(n, &format!("{new}{word}")));
        }
    }
    format!("Found {} in {scope}.", parts.join(", "))
}

/// "15 alerts, all in rules/runbook.md; 3 runbook_url links resolved".
fn runbook_scope(r: &crate::lint::RunbookSummary) -> String {
    let plural = |n: usize, word: &str| format!("{n} {word}{}", if n == 1 { "" } else { "s" });
    let pages = match r.pages.as_slice() {
        [] => "the runbook".to_string(),
        [one] => one.clone(),
        many => format!("{} runbook pages", many.len()),
    };
    let mut text = if r.covered == r.alerts {
        format!(
            "{}, {} in {pages}",
            plural(r.alerts, "alert"),
            if r.alerts == 1 { "it" } else { "all" }
        )
    } else {
        format!("{} of {} in {pages}", r.covered, plural(r.alerts, "alert"))
    };
    let urls = r.urls_resolved + r.urls_broken + r.urls_unchecked;
    if urls > 0 {
        text.push_str(&format!(
            "; {} of {} resolved",
            r.urls_resolved,
            plural(urls, "runbook_url link")
        ));
        if r.urls_unchecked > 0 {
            text.push_str(&format!(
                " ({} under no --runbook-map, not checked)",
                r.urls_unchecked
            ));
        }
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_lines_and_long_spans_get_no_snippet() {
        let short = "a: 1\nb: 2\nc: 3\n";
        assert!(fits_a_snippet(short, 5, 9));
        let long_line = format!("a: 1\nb: {}\nc: 3\n", "x".repeat(100_000));
        assert!(!fits_a_snippet(&long_line, 50_000, 50_001));
        // The line after a short finding is huge: the context would echo it.
        assert!(!fits_a_snippet(&long_line, 0, 1));
        let many_lines = "x\n".repeat(100_000);
        assert!(fits_a_snippet(&many_lines, 100_000, 100_001));
        assert!(!fits_a_snippet(&many_lines, 10, 50_000));
    }
}
