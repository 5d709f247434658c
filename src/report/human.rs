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
        let inner = self.0.text.read_span(span, before, after)?;
        Ok(Box::new(MietteSpanContents::new_named(
            self.0.name.clone(),
            inner.data(),
            *inner.span(),
            inner.line(),
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
        Some(&self.source)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
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
    let report = Report {
        d,
        source: NamedText(&d.source),
        title,
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
    let mut scope = format!("{} ({})", plural(files, "file"), plural(rules, "rule"));
    if result.suppressed > 0 {
        scope.push_str(&format!(
            "; {} suppressed by `# firedrill disable`",
            plural(result.suppressed, "finding")
        ));
    }
    if e + w + i == 0 {
        return format!("All checks passed: {scope}.");
    }
    let mut parts = Vec::new();
    if e > 0 {
        parts.push(plural(e, "error"));
    }
    if w > 0 {
        parts.push(plural(w, "warning"));
    }
    if i > 0 {
        parts.push(plural(i, "info"));
    }
    format!("Found {} in {scope}.", parts.join(", "))
}
