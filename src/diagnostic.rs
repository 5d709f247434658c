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
            span,
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
