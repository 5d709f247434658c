//! A finding: which check, how bad, what and where. Every output format
//! renders these; nothing else reaches the user.

use serde::Serialize;

use crate::source::{Source, Span};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Warning,
    Error,
}

impl Severity {
    pub fn as_str(&self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }

    pub fn parse(text: &str) -> Option<Severity> {
        match text {
            "info" => Some(Severity::Info),
            "warning" => Some(Severity::Warning),
            "error" => Some(Severity::Error),
            _ => None,
        }
    }
}

/// The rule a finding is about.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum RuleName {
    Alert(String),
    Record(String),
}

#[derive(Debug, Clone)]
pub struct Diagnostic {
    pub check: &'static str,
    pub severity: Severity,
    pub message: String,
    pub source: Source,
    pub span: Span,
    /// Text shown under the caret.
    pub label: Option<String>,
    pub help: Option<String>,
    /// Other places that explain this one (e.g. the first definition).
    pub related: Vec<(Span, String)>,
    pub group: Option<String>,
    pub rule: Option<RuleName>,
}

/// `span` moved inside `text` and onto character boundaries. A span is
/// computed by each check through maps from values back to the file; one
/// that ends a byte past the file (a block scalar's line break the file
/// lacks at its end, found by fuzzing) must not reach a renderer.
fn inside(text: &str, span: Span) -> Span {
    let mut start = span.start.min(text.len());
    while !text.is_char_boundary(start) {
        start -= 1;
    }
    let mut end = span.end.clamp(start, text.len());
    while !text.is_char_boundary(end) {
        end += 1;
    }
    Span::new(start, end)
}

impl Diagnostic {
    pub fn new(
        check: &'static str,
        severity: Severity,
        source: &Source,
        span: Span,
        message: impl Into<String>,
    ) -> Self {
        Diagnostic {
            check,
            severity,
            message: message.into(),
            source: source.clone(),
            span: inside(&source.text, span),
            label: None,
            help: None,
            related: Vec::new(),
            group: None,
            rule: None,
        }
    }

    pub fn label(mut self, label: impl Into<String>) -> Self {
        self.label = Some(label.into());
        self
    }

    pub fn help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    pub fn related(mut self, span: Span, text: impl Into<String>) -> Self {
        let span = inside(&self.source.text, span);
        self.related.push((span, text.into()));
        self
    }

    pub fn group(mut self, name: &str) -> Self {
        self.group = Some(name.to_string());
        self
    }

    pub fn rule(mut self, rule: Option<RuleName>) -> Self {
        self.rule = rule;
        self
    }

    /// Sort key: file, then place, then check.
    pub fn sort_key(&self) -> (&str, usize, &'static str) {
        (self.source.name.as_str(), self.span.start, self.check)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::SourceFile;

    #[test]
    fn spans_are_kept_inside_the_file_and_on_character_boundaries() {
        let source: Source = std::sync::Arc::new(SourceFile::new("f.yaml", "a: é\n".to_string()));
        let d = |span| Diagnostic::new("x/y", Severity::Error, &source, span, "m");
        // One byte past the end, as a block scalar's missing last line break gave.
        assert_eq!(d(Span::new(3, 7)).span, Span::new(3, 6));
        // Inside the two bytes of `é` (3..5): widened to the whole character.
        assert_eq!(d(Span::new(4, 4)).span, Span::new(3, 5));
        assert_eq!(d(Span::new(2, 4)).span, Span::new(2, 5));
        assert_eq!(d(Span::new(9, 12)).span, Span::new(6, 6));
        let related = d(Span::new(0, 1)).related(Span::new(4, 99), "r").related;
        assert_eq!(related[0].0, Span::new(3, 6));
    }
}
