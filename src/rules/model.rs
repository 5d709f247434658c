//! One model for rules, whether they came from a plain rule file or a
//! PrometheusRule manifest. Every field keeps the span it was read from.

use crate::promql::ParsedExpr;
use crate::rules::duration::Duration;
use crate::source::{Source, Span};
use crate::yaml::Style;

/// A value and where it was written.
#[derive(Debug, Clone, PartialEq)]
pub struct Spanned<T> {
    pub value: T,
    pub span: Span,
}

/// A string field as written: its text, span and YAML style.
#[derive(Debug, Clone, PartialEq)]
pub struct Text {
    pub value: String,
    pub span: Span,
    pub style: Style,
}

/// A `key: value` entry of `labels` or `annotations`.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    pub key: Text,
    pub value: Text,
}

/// Everything loaded from the inputs of one run.
#[derive(Debug, Default)]
pub struct RuleSet {
    pub files: Vec<RuleFile>,
}

/// One input file and what was read from it.
#[derive(Debug)]
pub struct RuleFile {
    pub source: Source,
    /// Rule-bearing documents, in file order.
    pub documents: Vec<RuleDocument>,
    /// What stopped parts of the file from loading.
    pub problems: Vec<LoadProblem>,
    /// Why nothing in this file is a rule file (a Deployment, a promtool
    /// unit-test file, ...), when that is so.
    pub not_rules: Option<String>,
}

/// Where a set of groups came from inside a file.
#[derive(Debug, Clone, PartialEq)]
pub enum Form {
    /// A plain rule file: top-level `groups:`.
    Plain,
    /// A `monitoring.coreos.com/v1` PrometheusRule: `spec.groups`.
    Manifest {
        name: Option<String>,
        namespace: Option<String>,
    },
}

#[derive(Debug)]
pub struct RuleDocument {
    pub form: Form,
    /// Where the document starts.
    pub start: usize,
    pub groups: Vec<Group>,
}

#[derive(Debug)]
pub struct Group {
    /// The `name:` field; `None` when missing.
    pub name: Option<Text>,
    /// The span of the group's mapping (where promtool points group errors).
    pub span: Span,
    pub interval: Option<Spanned<Duration>>,
    pub query_offset: Option<Spanned<Duration>>,
    pub limit: Option<Spanned<i64>>,
    pub labels: Vec<Entry>,
    pub rules: Vec<Rule>,
}

impl Group {
    pub fn name(&self) -> &str {
        self.name.as_ref().map_or("", |t| t.value.as_str())
    }
}

#[derive(Debug)]
pub struct Rule {
    pub alert: Option<Text>,
    pub record: Option<Text>,
    pub expr: Option<RuleExpr>,
    pub for_: Option<Spanned<Duration>>,
    pub keep_firing_for: Option<Spanned<Duration>>,
    pub labels: Vec<Entry>,
    pub annotations: Vec<Entry>,
    /// The span of the rule's mapping.
    pub span: Span,
    /// The span of the `- ` item's first key, where the rule "starts".
    pub head: Span,
}

/// Which kind of rule, with its name.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum RuleKind<'a> {
    Alert(&'a Text),
    Record(&'a Text),
}

impl Rule {
    /// The rule's kind and name. An alert wins when both are set (that case is
    /// itself a finding).
    pub fn kind(&self) -> Option<RuleKind<'_>> {
        match (&self.alert, &self.record) {
            (Some(a), _) if !a.value.is_empty() => Some(RuleKind::Alert(a)),
            (_, Some(r)) if !r.value.is_empty() => Some(RuleKind::Record(r)),
            _ => None,
        }
    }

    /// The alert or record name, or "" when neither is set.
    pub fn name(&self) -> &str {
        match self.kind() {
            Some(RuleKind::Alert(t) | RuleKind::Record(t)) => &t.value,
            None => "",
        }
    }

    pub fn is_alert(&self) -> bool {
        matches!(self.kind(), Some(RuleKind::Alert(_)))
    }

    /// Where a finding about the whole rule should point: its name, else its start.
    pub fn anchor(&self) -> Span {
        match self.kind() {
            Some(RuleKind::Alert(t) | RuleKind::Record(t)) => t.span,
            None => self.head,
        }
    }
}

/// The `expr:` of a rule: the text as Prometheus sees it, a map from offsets
/// in that text back to the file, and the parse result.
#[derive(Debug)]
pub struct RuleExpr {
    pub text: Text,
    /// `offsets[i]` is the file byte offset of byte `i` of `text.value`
    /// (one extra entry for the end).
    pub offsets: Vec<usize>,
    pub parsed: ParsedExpr,
}

impl RuleExpr {
    /// The file span of a byte range of the expression text.
    pub fn file_span(&self, start: usize, end: usize) -> Span {
        let at = |i: usize| self.offsets[i.min(self.offsets.len() - 1)];
        let start_byte = at(start);
        let end_byte = if end > start {
            at(end - 1) + 1
        } else {
            start_byte
        };
        Span::new(start_byte, end_byte.max(start_byte))
    }
}

/// A problem met while turning YAML into the model. Each kind belongs to one
/// check, which turns it into a diagnostic.
#[derive(Debug, Clone, PartialEq)]
pub enum LoadProblem {
    /// The YAML itself is malformed, not UTF-8, or refused (bomb, depth).
    Yaml { message: String, span: Span },
    /// The file holds no YAML document at all.
    EmptyFile,
    /// A mapping key appears twice.
    DuplicateKey {
        key: String,
        first: Span,
        again: Span,
    },
    /// A key that Prometheus's strict decoder rejects.
    UnknownField {
        field: String,
        owner: &'static str,
        known: &'static [&'static str],
        span: Span,
    },
    /// A value of the wrong YAML type.
    WrongType {
        field: String,
        expected: &'static str,
        found: &'static str,
        span: Span,
    },
    /// A duration that does not parse.
    BadDuration {
        field: String,
        message: String,
        span: Span,
    },
    /// A document Prometheus does not read (plain rule files: only the first).
    IgnoredDocument { span: Span },
    /// A rule file kept in a ConfigMap as a quoted or folded string, whose
    /// lines are not the file's: not read.
    UnreadEmbedded { key: String, span: Span },
    /// A PrometheusRule manifest without the parts that carry rules.
    BadManifest { message: String, span: Span },
}
