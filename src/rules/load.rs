//! Reads one file's YAML into the rule model, the way Prometheus's strict
//! decoder reads it, but keeps going after a problem so that one run shows
//! every problem with its place.

use std::collections::HashMap;
use std::sync::mpsc;

use rayon::prelude::*;

use crate::promql::{self, ParseOptions};
use crate::rules::duration::Duration;
use crate::rules::expr_map::offsets_for;
use crate::rules::model::*;
use crate::source::{Source, Span};
use crate::yaml::{self, parse_yaml_int, resolve_plain, Node, Resolved, Style, Value};

/// How strictly to read.
#[derive(Debug, Clone, Copy, Default)]
pub struct LoadOptions {
    /// promtool's `--ignore-unknown-fields`.
    pub ignore_unknown_fields: bool,
    pub promql: ParseOptions,
}

/// Thanos Ruler's `partial_response_strategy` is taken in plain files too:
/// Prometheus refuses it, but a file carrying it is written for Thanos
/// (docs/lint.md, "Where firedrill differs from promtool").
const GROUP_FIELDS: &[&str] = &[
    "name",
    "interval",
    "query_offset",
    "limit",
    "rules",
    "labels",
    "partial_response_strategy",
];
/// The PrometheusRule CRD also knows Thanos's `partial_response_strategy`.
const MANIFEST_GROUP_FIELDS: &[&str] = &[
    "name",
    "interval",
    "query_offset",
    "limit",
    "rules",
    "labels",
    "partial_response_strategy",
];
const RULE_FIELDS: &[&str] = &[
    "record",
    "alert",
    "expr",
    "for",
    "keep_firing_for",
    "labels",
    "annotations",
];

/// Loads a source. Never fails: what cannot be read becomes a [`LoadProblem`].
pub fn load(source: Source, options: LoadOptions) -> RuleFile {
    let mut loader = Loader {
        options,
        problems: Vec::new(),
    };
    let mut documents = Vec::new();
    let mut not_rules = None;

    let (stream, mut early) = parse_yaml(&source.text, options.promql);
    for d in &stream.duplicate_keys {
        loader.problems.push(LoadProblem::DuplicateKey {
            key: d.key.clone(),
            first: d.first,
            again: d.again,
        });
    }

    let mut seen_document = false;
    let mut skipped_reasons = Vec::new();
    for (index, doc) in stream.documents.iter().enumerate() {
        let root = &doc.root;
        if root.is_null() {
            continue;
        }
        seen_document = true;
        match classify(root) {
            DocKind::Manifest => {
                if let Some(d) = loader.manifest(doc.start, root, &source) {
                    documents.push(d);
                }
            }
            DocKind::Other(reason) => skipped_reasons.push(reason),
            DocKind::ConfigMap => {
                let embedded = embedded_rule_files(root, &source.text);
                if embedded.is_empty() {
                    skipped_reasons
                        .push("a Kubernetes ConfigMap with no rule file in its data".into());
                }
                for found in embedded {
                    match found {
                        Embedded::Literal(text) => {
                            let inner = yaml::parse_stream(&text);
                            for d in &inner.duplicate_keys {
                                loader.problems.push(LoadProblem::DuplicateKey {
                                    key: d.key.clone(),
                                    first: d.first,
                                    again: d.again,
                                });
                            }
                            if let Some(error) = &inner.error {
                                loader.problems.push(LoadProblem::Yaml {
                                    message: error.message.clone(),
                                    span: error.span,
                                });
                            }
                            // The text is the file's own bytes at their own
                            // offsets, so every span is already the file's.
                            if let Some(doc) = inner.documents.iter().find(|d| !d.root.is_null()) {
                                documents.push(loader.plain(doc.start, &doc.root, &source));
                            }
                        }
                        Embedded::Quoted { key, span } => {
                            loader
                                .problems
                                .push(LoadProblem::UnreadEmbedded { key, span });
                        }
                    }
                }
            }
            DocKind::Plain => {
                // Prometheus decodes one document of a plain rule file and
                // silently ignores the rest.
                if index > 0 && stream.documents[..index].iter().any(|d| !d.root.is_null()) {
                    loader.problems.push(LoadProblem::IgnoredDocument {
                        span: Span::empty(doc.start),
                    });
                    continue;
                }
                documents.push(loader.plain(doc.start, root, &source));
            }
        }
    }
    if let Some(error) = &stream.error {
        loader.problems.push(LoadProblem::Yaml {
            message: error.message.clone(),
            span: error.span,
        });
    } else if !seen_document {
        loader.problems.push(LoadProblem::EmptyFile);
    } else if documents.is_empty() && !skipped_reasons.is_empty() {
        skipped_reasons.dedup();
        not_rules = Some(skipped_reasons.join(", "));
    }

    parse_expressions(&mut documents, &mut early, options.promql);
    RuleFile {
        source,
        documents,
        problems: loader.problems,
        not_rules,
    }
}

/// The placeholder an empty `expr` keeps: structure/expr reports it.
fn not_parsed() -> promql::PromqlError {
    promql::PromqlError {
        message: String::new(),
        start: 0,
        end: 0,
        help: None,
    }
}

/// Files above this size parse PromQL on a second thread while the YAML
/// scanner is still running; smaller ones are not worth a thread.
const PIPELINE_BYTES: usize = 256 * 1024;

/// Expressions parsed while the YAML was read, by the byte offset of their scalar.
type EarlyParses = HashMap<usize, promql::ParsedExpr>;

/// Reads the YAML. For large files, every `expr:` value is handed to a
/// worker thread as soon as the scanner has it, so PromQL parsing (about
/// 40% of the cost of loading) overlaps with scanning.
fn parse_yaml(text: &str, options: ParseOptions) -> (yaml::Stream, EarlyParses) {
    if text.len() < PIPELINE_BYTES {
        return (yaml::parse_stream(text), EarlyParses::new());
    }
    let (sender, receiver) = mpsc::channel::<(usize, String)>();
    std::thread::scope(|scope| {
        let worker = scope.spawn(move || {
            receiver
                .into_iter()
                .filter(|(_, expr)| !expr.trim().is_empty())
                .map(|(at, expr)| (at, promql::parse(&expr, options)))
                .collect::<EarlyParses>()
        });
        let stream = yaml::parse_stream_watching(text, "expr", &mut |node| {
            if let Some(s) = node.as_scalar() {
                // A closed receiver only means the worker died; the
                // expressions are then parsed below, after loading.
                let _ = sender.send((node.span.start, s.text.clone()));
            }
        });
        drop(sender);
        let early = worker.join().unwrap_or_default();
        (stream, early)
    })
}

/// Parses every expression not parsed early, on every core: PromQL parsing
/// is independent per rule.
fn parse_expressions(
    documents: &mut [RuleDocument],
    early: &mut EarlyParses,
    options: ParseOptions,
) {
    let mut exprs: Vec<&mut RuleExpr> = documents
        .iter_mut()
        .flat_map(|d| d.groups.iter_mut())
        .flat_map(|g| g.rules.iter_mut())
        .filter_map(|r| r.expr.as_mut())
        .filter(|e| !e.text.value.trim().is_empty())
        .filter_map(|e| match early.remove(&e.text.span.start) {
            Some(parsed) => {
                e.parsed = parsed;
                None
            }
            None => Some(e),
        })
        .collect();
    exprs
        .par_iter_mut()
        .with_min_len(64)
        .for_each(|e| e.parsed = promql::parse(&e.text.value, options));
}

/// A file whose bytes are not UTF-8: nothing more can be read from it.
pub fn not_utf8(source: Source, valid_up_to: usize) -> RuleFile {
    // The text is the lossy decoding: the bad bytes became U+FFFD, so the
    // span covers that whole character, never half of it.
    let rest = source.text.get(valid_up_to..).unwrap_or("");
    let width = rest.chars().next().map_or(0, char::len_utf8);
    let message = if rest == "\u{FFFD}" {
        "the file is not valid UTF-8 text: it ends inside a character"
    } else {
        "the file is not valid UTF-8 text (is it binary?)"
    };
    RuleFile {
        source,
        documents: Vec::new(),
        problems: vec![LoadProblem::Yaml {
            message: message.to_string(),
            span: Span::new(valid_up_to, valid_up_to + width),
        }],
        not_rules: None,
    }
}

enum DocKind {
    Plain,
    Manifest,
    /// A Kubernetes ConfigMap, whose `data` may hold rule files as strings.
    ConfigMap,
    Other(String),
}

/// A rule file kept in a ConfigMap's `data`.
enum Embedded {
    /// A literal block (`rules.yml: |`): the file's text with every byte
    /// outside the block's lines blanked, so that the embedded file parses
    /// at its real offsets, lines and columns.
    Literal(String),
    /// A quoted or folded string, whose lines are not the file's.
    Quoted { key: String, span: Span },
}

/// The rule files in a ConfigMap's `data`: each value whose text is a
/// mapping with `groups` (Prometheus's own configuration and other files
/// kept beside them are left alone).
fn embedded_rule_files(root: &Node, text: &str) -> Vec<Embedded> {
    let Some(data) = root.get("data").and_then(Node::as_map) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for pair in data {
        let Some(value) = pair.value.as_scalar() else {
            continue;
        };
        if !value.text.lines().any(|l| l.starts_with("groups:")) {
            continue;
        }
        let key = key_of(&pair.key).to_string();
        if value.style != Style::Literal {
            out.push(Embedded::Quoted {
                key,
                span: pair.value.span,
            });
            continue;
        }
        let Some(body) = literal_body(text, pair.value.span) else {
            continue;
        };
        let masked: String = text
            .char_indices()
            .flat_map(|(at, c)| {
                let keep = body.contains(&at) || c == '\n';
                let width = if keep { 1 } else { c.len_utf8() };
                std::iter::repeat_n(if keep { c } else { ' ' }, width)
            })
            .collect();
        out.push(Embedded::Literal(masked));
    }
    out
}

/// The byte range of a literal block's content lines: from the start of the
/// line after its `|` header to the end of the scalar.
fn literal_body(text: &str, span: Span) -> Option<std::ops::Range<usize>> {
    let header = text.get(span.start..span.end)?;
    let start = if header.starts_with('|') {
        span.start + header.find('\n')? + 1
    } else {
        text[..span.start].rfind('\n').map_or(0, |n| n + 1)
    };
    Some(start..span.end)
}

fn classify(root: &Node) -> DocKind {
    if root.as_map().is_none() {
        return DocKind::Plain;
    }
    if let Some(kind) = root.get("kind").and_then(Node::as_str) {
        return if kind == "PrometheusRule" {
            DocKind::Manifest
        } else if kind == "ConfigMap" {
            DocKind::ConfigMap
        } else {
            DocKind::Other(format!("a Kubernetes {kind}"))
        };
    }
    if root.get("groups").is_some() {
        return DocKind::Plain;
    }
    // Before Prometheus's: both may have `global`.
    if ["route", "receivers", "inhibit_rules"]
        .iter()
        .any(|k| root.get(k).is_some())
    {
        return DocKind::Other("an Alertmanager configuration: give it with --alertmanager".into());
    }
    if ["scrape_configs", "global", "alerting", "remote_write"]
        .iter()
        .any(|k| root.get(k).is_some())
    {
        return DocKind::Other("a Prometheus configuration file".into());
    }
    // A `firedrill tune --marks` file kept beside the rules.
    if ["incidents", "false_positives"]
        .iter()
        .any(|k| root.get(k).is_some())
    {
        return DocKind::Other("a firedrill marks file".into());
    }
    if ["tests", "rule_files", "evaluation_interval"]
        .iter()
        .any(|k| root.get(k).is_some())
    {
        return DocKind::Other("a promtool unit-test file".into());
    }
    DocKind::Plain
}

struct Loader {
    options: LoadOptions,
    problems: Vec<LoadProblem>,
}

impl Loader {
    fn plain(&mut self, start: usize, root: &Node, source: &Source) -> RuleDocument {
        let mut groups = Vec::new();
        match &root.value {
            Value::Map(pairs) => {
                for pair in pairs {
                    let key = key_of(&pair.key);
                    if key == "groups" {
                        groups = self.groups(&pair.value, GROUP_FIELDS, source);
                    } else {
                        self.unknown(key, "rule file", &["groups"], pair.key.span);
                    }
                }
            }
            _ => self.wrong_type("(document)", "a mapping with `groups:`", root),
        }
        RuleDocument {
            form: Form::Plain,
            start,
            groups,
        }
    }

    fn manifest(&mut self, start: usize, root: &Node, source: &Source) -> Option<RuleDocument> {
        let metadata = root.get("metadata");
        let name = metadata
            .and_then(|m| m.get("name"))
            .and_then(Node::as_str)
            .map(str::to_string);
        let namespace = metadata
            .and_then(|m| m.get("namespace"))
            .and_then(Node::as_str)
            .map(str::to_string);
        let kind_span = root
            .get_pair("kind")
            .map_or(Span::empty(start), |p| p.key.span);
        match root.get("apiVersion").and_then(Node::as_str) {
            Some(v) if v.starts_with("monitoring.coreos.com/") => {}
            Some(v) => self.problems.push(LoadProblem::BadManifest {
                message: format!(
                    "a PrometheusRule must have apiVersion monitoring.coreos.com/v1, not {v:?}"
                ),
                span: root.get("apiVersion").map_or(kind_span, |n| n.span),
            }),
            None => self.problems.push(LoadProblem::BadManifest {
                message: "a PrometheusRule needs `apiVersion: monitoring.coreos.com/v1`".into(),
                span: kind_span,
            }),
        }
        let Some(spec) = root.get("spec").filter(|s| !s.is_null()) else {
            self.problems.push(LoadProblem::BadManifest {
                message: "this PrometheusRule has no `spec:`, so it defines no rules".into(),
                span: kind_span,
            });
            return None;
        };
        let Some(pairs) = spec.as_map() else {
            self.wrong_type("spec", "a mapping", spec);
            return None;
        };
        let mut groups = Vec::new();
        let mut saw_groups = false;
        for pair in pairs {
            let key = key_of(&pair.key);
            if key == "groups" {
                saw_groups = true;
                groups = self.groups(&pair.value, MANIFEST_GROUP_FIELDS, source);
            } else {
                self.unknown(key, "PrometheusRule spec", &["groups"], pair.key.span);
            }
        }
        if !saw_groups {
            self.problems.push(LoadProblem::BadManifest {
                message: "this PrometheusRule's spec has no `groups:`".into(),
                span: root.get_pair("spec").map_or(kind_span, |p| p.key.span),
            });
        }
        Some(RuleDocument {
            form: Form::Manifest { name, namespace },
            start,
            groups,
        })
    }

    fn groups(
        &mut self,
        node: &Node,
        fields: &'static [&'static str],
        source: &Source,
    ) -> Vec<Group> {
        if node.is_null() {
            return Vec::new();
        }
        let Some(items) = node.as_seq() else {
            self.wrong_type("groups", "a list of groups", node);
            return Vec::new();
        };
        items
            .iter()
            .filter_map(|item| self.group(item, fields, source))
            .collect()
    }

    fn group(
        &mut self,
        node: &Node,
        fields: &'static [&'static str],
        source: &Source,
    ) -> Option<Group> {
        let Some(pairs) = node.as_map() else {
            self.wrong_type("groups[]", "a group mapping", node);
            return None;
        };
        let mut group = Group {
            name: None,
            span: node.span,
            interval: None,
            query_offset: None,
            limit: None,
            labels: Vec::new(),
            rules: Vec::new(),
        };
        for pair in pairs {
            let key = key_of(&pair.key);
            let value = &pair.value;
            match key {
                "name" => group.name = self.text("name", value),
                "interval" => group.interval = self.duration("interval", value),
                "query_offset" => group.query_offset = self.duration("query_offset", value),
                "limit" => group.limit = self.int("limit", value),
                "labels" => group.labels = self.entries("labels", value),
                "rules" => group.rules = self.rules(value, source),
                "partial_response_strategy" if fields.contains(&key) => {
                    self.text(key, value);
                }
                _ => self.unknown(key, "group", fields, pair.key.span),
            }
        }
        Some(group)
    }

    fn rules(&mut self, node: &Node, source: &Source) -> Vec<Rule> {
        if node.is_null() {
            return Vec::new();
        }
        let Some(items) = node.as_seq() else {
            self.wrong_type("rules", "a list of rules", node);
            return Vec::new();
        };
        items
            .iter()
            .filter_map(|item| self.rule(item, source))
            .collect()
    }

    fn rule(&mut self, node: &Node, source: &Source) -> Option<Rule> {
        let Some(pairs) = node.as_map() else {
            self.wrong_type("rules[]", "a rule mapping", node);
            return None;
        };
        let mut rule = Rule {
            alert: None,
            record: None,
            expr: None,
            for_: None,
            keep_firing_for: None,
            labels: Vec::new(),
            annotations: Vec::new(),
            span: node.span,
            head: pairs.first().map_or(node.span, |p| p.key.span),
        };
        for pair in pairs {
            let key = key_of(&pair.key);
            let value = &pair.value;
            match key {
                "alert" => rule.alert = self.text("alert", value),
                "record" => rule.record = self.text("record", value),
                "expr" => {
                    rule.expr = self.text("expr", value).map(|text| {
                        let offsets = offsets_for(&source.text, &text);
                        // Parsed later, all expressions of the file in parallel.
                        RuleExpr {
                            text,
                            offsets,
                            parsed: Err(not_parsed()),
                        }
                    })
                }
                "for" => rule.for_ = self.duration("for", value),
                "keep_firing_for" => rule.keep_firing_for = self.duration("keep_firing_for", value),
                "labels" => rule.labels = self.entries("labels", value),
                "annotations" => rule.annotations = self.entries("annotations", value),
                _ => self.unknown(key, "rule", RULE_FIELDS, pair.key.span),
            }
        }
        Some(rule)
    }

    /// A string field. go-yaml puts any scalar's text into a string, and
    /// null leaves it empty; collections are a type error.
    fn text(&mut self, field: &str, node: &Node) -> Option<Text> {
        match &node.value {
            Value::Scalar(s) if node.is_null() => Some(Text {
                value: String::new(),
                span: node.span,
                style: s.style,
            }),
            Value::Scalar(s) => Some(Text {
                value: s.text.clone(),
                span: node.span,
                style: s.style,
            }),
            _ => {
                self.wrong_type(field, "a string", node);
                None
            }
        }
    }

    fn duration(&mut self, field: &str, node: &Node) -> Option<Spanned<Duration>> {
        if node.is_null() {
            return None;
        }
        let text = self.text(field, node)?;
        match Duration::parse(&text.value) {
            Ok(value) => Some(Spanned {
                value,
                span: node.span,
            }),
            Err(message) => {
                self.problems.push(LoadProblem::BadDuration {
                    field: field.to_string(),
                    message,
                    span: node.span,
                });
                None
            }
        }
    }

    fn int(&mut self, field: &str, node: &Node) -> Option<Spanned<i64>> {
        if node.is_null() {
            return None;
        }
        let value = node
            .as_scalar()
            .filter(|s| resolve_plain(s, node.tag.as_deref()) == Resolved::Int)
            .and_then(|s| parse_yaml_int(&s.text));
        match value {
            Some(value) => Some(Spanned {
                value,
                span: node.span,
            }),
            None => {
                self.wrong_type(field, "an integer", node);
                None
            }
        }
    }

    fn entries(&mut self, field: &str, node: &Node) -> Vec<Entry> {
        if node.is_null() {
            return Vec::new();
        }
        let Some(pairs) = node.as_map() else {
            self.wrong_type(field, "a mapping of names to strings", node);
            return Vec::new();
        };
        let mut entries = Vec::new();
        for pair in pairs {
            let Some(key) = self.text(field, &pair.key) else {
                continue;
            };
            let Some(value) = self.text(&format!("{field}.{}", key.value), &pair.value) else {
                continue;
            };
            entries.push(Entry { key, value });
        }
        entries
    }

    fn unknown(
        &mut self,
        key: &str,
        owner: &'static str,
        known: &'static [&'static str],
        span: Span,
    ) {
        if !self.options.ignore_unknown_fields {
            self.problems.push(LoadProblem::UnknownField {
                field: key.to_string(),
                owner,
                known,
                span,
            });
        }
    }

    fn wrong_type(&mut self, field: &str, expected: &'static str, node: &Node) {
        self.problems.push(LoadProblem::WrongType {
            field: field.to_string(),
            expected,
            found: node.kind_name(),
            span: node.span,
        });
    }
}

fn key_of(node: &Node) -> &str {
    node.as_scalar().map_or("", |s| s.text.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::SourceFile;
    use std::sync::Arc;

    fn load_text(text: &str) -> RuleFile {
        load(
            Arc::new(SourceFile::new("cm.yaml", text.to_string())),
            LoadOptions::default(),
        )
    }

    #[test]
    fn rules_in_a_configmaps_literal_block_load_at_their_real_lines() {
        let text = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: rules}\ndata:\n  prometheus.yml: |\n    global: {}\n  alerts.yml: |\n    groups:\n    - name: é\n      rules:\n      - alert: Down\n        expr: up == 0\n";
        let file = load_text(text);
        assert!(file.problems.is_empty(), "{:?}", file.problems);
        assert_eq!(file.not_rules, None);
        assert_eq!(file.documents.len(), 1);
        let rule = &file.documents[0].groups[0].rules[0];
        assert_eq!(rule.name(), "Down");
        let expr = rule.expr.as_ref().unwrap();
        assert_eq!(expr.text.value, "up == 0");
        let at = file.source.line_col(expr.text.span.start);
        assert_eq!((at.line, at.column), (12, 15));
        assert!(expr.parsed.is_ok());
    }

    #[test]
    fn a_configmap_without_rules_is_not_a_rule_file() {
        let file = load_text("kind: ConfigMap\ndata:\n  prometheus.yml: |\n    global: {}\n");
        assert!(file.documents.is_empty());
        assert!(file.not_rules.unwrap().contains("ConfigMap"));
    }

    #[test]
    fn rules_in_a_quoted_string_are_named_not_skipped() {
        let file = load_text(
            "kind: ConfigMap\ndata: {\"rules.yml\": \"groups:\\n- name: a\\n  rules: []\\n\"}\n",
        );
        assert_eq!(file.not_rules, None);
        match &file.problems[..] {
            [LoadProblem::UnreadEmbedded { key, span }] => {
                assert_eq!(key, "rules.yml");
                assert_eq!(file.source.line_col(span.start).line, 2);
            }
            other => panic!("{other:?}"),
        }
    }
}
