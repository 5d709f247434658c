//! A YAML document tree that remembers where every node came from.
//!
//! Built from `saphyr-parser` events by an explicit stack (no recursion, so
//! deep nesting cannot overflow the call stack). Aliases are expanded under a
//! node budget so an alias bomb is an error, not an out-of-memory kill, and
//! `<<` merge keys are resolved the way go-yaml (and so Prometheus) does.

use saphyr_parser::{Event, Parser, ScalarStyle};

mod lenient;

use lenient::{Relaxed, MAX_RELAXED, QUOTED_INDENTATION, UNKNOWN_ESCAPE};

use crate::source::{CharToByte, Span};

/// How deep collections may nest. Rule files need about 8 levels.
pub const MAX_DEPTH: usize = 256;
/// How many nodes alias expansion may create on top of the document's own.
pub const MAX_ALIAS_NODES: usize = 200_000;

#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    pub value: Value,
    /// Byte range in the source. For a collection it covers its entries.
    pub span: Span,
    /// Explicit tag (e.g. `!!str`), if any.
    pub tag: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Scalar(Scalar),
    Seq(Vec<Node>),
    Map(Vec<Pair>),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Scalar {
    pub text: String,
    pub style: Style,
}

/// How a scalar was written. Decides how offsets inside it map to the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    Plain,
    SingleQuoted,
    DoubleQuoted,
    Literal,
    Folded,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Pair {
    pub key: Node,
    pub value: Node,
}

/// A document of a (possibly multi-document) stream.
#[derive(Debug, Clone, PartialEq)]
pub struct Document {
    pub root: Node,
    /// Where the document starts (its `---`, or its first node).
    pub start: usize,
}

/// The YAML is malformed or too expensive to load.
#[derive(Debug, Clone, PartialEq)]
pub struct YamlError {
    pub message: String,
    pub span: Span,
}

/// A mapping key that appears twice. go-yaml rejects it; so do we, but the
/// tree keeps the first occurrence so checks can go on.
#[derive(Debug, Clone, PartialEq)]
pub struct DuplicateKey {
    pub key: String,
    pub first: Span,
    pub again: Span,
}

#[derive(Debug, Default)]
pub struct Stream {
    pub documents: Vec<Document>,
    pub duplicate_keys: Vec<DuplicateKey>,
    /// Set when the stream stopped early; documents before it are kept.
    pub error: Option<YamlError>,
}

impl Node {
    pub fn as_scalar(&self) -> Option<&Scalar> {
        match &self.value {
            Value::Scalar(s) => Some(s),
            _ => None,
        }
    }

    /// The scalar's text, unless it is null.
    pub fn as_str(&self) -> Option<&str> {
        self.as_scalar()
            .filter(|_| !self.is_null())
            .map(|s| s.text.as_str())
    }

    pub fn as_map(&self) -> Option<&[Pair]> {
        match &self.value {
            Value::Map(pairs) => Some(pairs),
            _ => None,
        }
    }

    pub fn as_seq(&self) -> Option<&[Node]> {
        match &self.value {
            Value::Seq(items) => Some(items),
            _ => None,
        }
    }

    /// Null as the YAML core schema resolves it: `~`, `null`, or nothing.
    pub fn is_null(&self) -> bool {
        match &self.value {
            Value::Scalar(s) => {
                if let Some(tag) = &self.tag {
                    return tag == "tag:yaml.org,2002:null";
                }
                s.style == Style::Plain
                    && matches!(s.text.as_str(), "" | "~" | "null" | "Null" | "NULL")
            }
            _ => false,
        }
    }

    /// The value for `key` in a mapping.
    pub fn get(&self, key: &str) -> Option<&Node> {
        self.get_pair(key).map(|p| &p.value)
    }

    pub fn get_pair(&self, key: &str) -> Option<&Pair> {
        self.as_map()?
            .iter()
            .find(|p| p.key.as_scalar().is_some_and(|s| s.text == key))
    }

    /// What kind of node this is, in go-yaml's words (for type errors).
    pub fn kind_name(&self) -> &'static str {
        match &self.value {
            Value::Seq(_) => "a sequence",
            Value::Map(_) => "a mapping",
            Value::Scalar(_) if self.is_null() => "null",
            Value::Scalar(s) => match resolve_plain(s, self.tag.as_deref()) {
                Resolved::Int => "an integer",
                Resolved::Float => "a float",
                Resolved::Bool => "a boolean",
                Resolved::Str => "a string",
            },
        }
    }

    fn count(&self) -> usize {
        let mut total = 0;
        let mut stack = vec![self];
        while let Some(node) = stack.pop() {
            total += 1;
            match &node.value {
                Value::Scalar(_) => {}
                Value::Seq(items) => stack.extend(items),
                Value::Map(pairs) => {
                    for p in pairs {
                        stack.push(&p.key);
                        stack.push(&p.value);
                    }
                }
            }
        }
        total
    }
}

/// What a plain scalar resolves to under the YAML 1.2 core schema (go-yaml v3
/// also takes a few 1.1 forms; the difference does not matter for rule files).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resolved {
    Int,
    Float,
    Bool,
    Str,
}

pub fn resolve_plain(s: &Scalar, tag: Option<&str>) -> Resolved {
    if let Some(tag) = tag {
        return match tag {
            "tag:yaml.org,2002:int" => Resolved::Int,
            "tag:yaml.org,2002:float" => Resolved::Float,
            "tag:yaml.org,2002:bool" => Resolved::Bool,
            _ => Resolved::Str,
        };
    }
    if s.style != Style::Plain {
        return Resolved::Str;
    }
    let t = s.text.as_str();
    if matches!(t, "true" | "True" | "TRUE" | "false" | "False" | "FALSE") {
        return Resolved::Bool;
    }
    if parse_yaml_int(t).is_some() {
        return Resolved::Int;
    }
    let body = t.strip_prefix(['+', '-']).unwrap_or(t);
    if matches!(body, ".inf" | ".Inf" | ".INF") || matches!(t, ".nan" | ".NaN" | ".NAN") {
        return Resolved::Float;
    }
    if !body.is_empty()
        && body
            .chars()
            .all(|c| c.is_ascii_digit() || matches!(c, '.' | 'e' | 'E' | '+' | '-' | '_'))
        && body
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_digit() || c == '.')
        && body.parse::<f64>().is_ok()
    {
        return Resolved::Float;
    }
    Resolved::Str
}

/// An integer as YAML writes it: decimal, `0x`, `0o`, with an optional sign.
pub fn parse_yaml_int(t: &str) -> Option<i64> {
    let (negative, body) = match t.as_bytes().first()? {
        b'-' => (true, &t[1..]),
        b'+' => (false, &t[1..]),
        _ => (false, t),
    };
    let body = body.replace('_', "");
    let value = if let Some(hex) = body.strip_prefix("0x") {
        i64::from_str_radix(hex, 16).ok()?
    } else if let Some(oct) = body.strip_prefix("0o") {
        i64::from_str_radix(oct, 8).ok()?
    } else if !body.is_empty() && body.bytes().all(|b| b.is_ascii_digit()) {
        body.parse::<i64>().ok()?
    } else {
        return None;
    };
    Some(if negative { -value } else { value })
}

/// Parses every document of `text`. Never panics; a malformed stream keeps
/// the documents before the error and reports the error.
pub fn parse_stream(text: &str) -> Stream {
    parse_as_go_yaml(text, None)
}

/// Like [`parse_stream`], and calls `on_value` with every scalar that is the
/// value of a mapping key named `key`, as soon as it is read. This lets a
/// caller start work on those values (parsing PromQL) while the rest of the
/// stream is still being scanned.
pub fn parse_stream_watching(text: &str, key: &str, on_value: &mut dyn FnMut(&Node)) -> Stream {
    parse_as_go_yaml(text, Some((key, on_value)))
}

/// Parses as go-yaml reads it: where go-yaml is more lenient than the spec
/// (see [`lenient`]), the text is parsed relaxed and positions mapped back.
/// Only a file that needs it pays for more than one parse.
fn parse_as_go_yaml(text: &str, mut watch: Watch<'_>) -> Stream {
    let mut stream = Builder::new(text, reborrow(&mut watch), None).run();
    let mut relaxed = Relaxed::new(text);
    for _ in 0..MAX_RELAXED {
        let Some(error) = stream.error.as_ref() else {
            break;
        };
        let relaxed_now = if error.message == QUOTED_INDENTATION {
            relaxed.relax_at(text, error.span.start)
        } else if error.message.contains(UNKNOWN_ESCAPE) {
            relaxed.escape_quotes_at(text, error.span.start)
        } else {
            false
        };
        if !relaxed_now {
            break;
        }
        stream = Builder::new(&relaxed.text, reborrow(&mut watch), Some(&relaxed)).run();
    }
    stream
}

fn reborrow<'w>(watch: &'w mut Watch<'_>) -> Watch<'w> {
    match watch {
        Some((key, f)) => Some((*key, &mut **f)),
        None => None,
    }
}

enum Open {
    Seq {
        items: Vec<Node>,
        start: usize,
        anchor: usize,
        tag: Option<String>,
    },
    Map {
        pairs: Vec<Pair>,
        pending_key: Option<Node>,
        start: usize,
        anchor: usize,
        tag: Option<String>,
    },
}

type Watch<'a> = Option<(&'a str, &'a mut dyn FnMut(&Node))>;

struct Builder<'a> {
    watch: Watch<'a>,
    text: &'a str,
    /// Set when `text` is the original with continuation lines re-indented:
    /// spans are mapped back to the original.
    relaxed: Option<&'a Relaxed>,
    chars: CharToByte<'a>,
    stack: Vec<Open>,
    anchors: Vec<Option<Node>>,
    alias_budget: usize,
    out: Stream,
    doc_start: usize,
}

impl<'a> Builder<'a> {
    fn new(text: &'a str, watch: Watch<'a>, relaxed: Option<&'a Relaxed>) -> Self {
        Builder {
            watch,
            text,
            relaxed,
            chars: CharToByte::new(text),
            stack: Vec::new(),
            anchors: Vec::new(),
            alias_budget: MAX_ALIAS_NODES,
            out: Stream::default(),
            doc_start: 0,
        }
    }

    fn span(&self, s: saphyr_parser::Span) -> Span {
        Span::new(self.byte(s.start.index()), self.byte(s.end.index()))
    }

    /// The byte offset in the file of the character at `index` of the text parsed.
    fn byte(&self, index: usize) -> usize {
        let at = self.chars.byte(index);
        self.relaxed.map_or(at, |r| r.original(at))
    }

    fn run(mut self) -> Stream {
        let mut parser = Parser::new_from_str(self.text);
        loop {
            let (event, raw_span) = match parser.next_event() {
                None => break,
                Some(Ok(e)) => e,
                Some(Err(e)) => {
                    let at = self.byte(e.marker().index());
                    self.out.error = Some(YamlError {
                        message: e.info().to_string(),
                        span: Span::empty(at),
                    });
                    break;
                }
            };
            let span = self.span(raw_span);
            if let Err(error) = self.on_event(event, span) {
                self.out.error = Some(error);
                break;
            }
        }
        self.out
    }

    fn on_event(&mut self, event: Event<'_>, span: Span) -> Result<(), YamlError> {
        match event {
            Event::StreamStart | Event::StreamEnd | Event::Nothing | Event::DocumentEnd => {}
            Event::DocumentStart(_) => {
                self.doc_start = span.start;
                self.anchors.clear();
            }
            Event::Scalar(text, style, anchor, tag) => {
                let style = match style {
                    ScalarStyle::Plain => Style::Plain,
                    ScalarStyle::SingleQuoted => Style::SingleQuoted,
                    ScalarStyle::DoubleQuoted => Style::DoubleQuoted,
                    ScalarStyle::Literal => Style::Literal,
                    ScalarStyle::Folded => Style::Folded,
                };
                let node = Node {
                    value: Value::Scalar(Scalar {
                        text: text.into_owned(),
                        style,
                    }),
                    span,
                    tag: tag.map(|t| tag_name(&t.handle, &t.suffix)),
                };
                self.finish(node, anchor)?;
            }
            Event::Alias(id) => {
                let Some(Some(target)) = self.anchors.get(id) else {
                    return Err(YamlError {
                        message: "alias refers to an unknown anchor".into(),
                        span,
                    });
                };
                let cost = target.count();
                if cost > self.alias_budget {
                    return Err(YamlError {
                        message: format!(
                            "aliases expand to more than {MAX_ALIAS_NODES} nodes; refusing to load (a YAML alias bomb?)"
                        ),
                        span,
                    });
                }
                self.alias_budget -= cost;
                let mut node = target.clone();
                // Errors inside an alias point at the alias, where the reader is.
                node.span = span;
                self.finish(node, 0)?;
            }
            Event::SequenceStart(anchor, tag) => {
                self.check_depth(span)?;
                let tag = tag.map(|t| tag_name(&t.handle, &t.suffix));
                self.stack.push(Open::Seq {
                    items: Vec::new(),
                    start: span.start,
                    anchor,
                    tag,
                });
            }
            Event::MappingStart(anchor, tag) => {
                self.check_depth(span)?;
                let tag = tag.map(|t| tag_name(&t.handle, &t.suffix));
                self.stack.push(Open::Map {
                    pairs: Vec::new(),
                    pending_key: None,
                    start: span.start,
                    anchor,
                    tag,
                });
            }
            Event::SequenceEnd => {
                if let Some(Open::Seq {
                    items,
                    start,
                    anchor,
                    tag,
                }) = self.stack.pop()
                {
                    let end = items
                        .last()
                        .map_or(span.end.max(start), |n| n.span.end.max(span.end));
                    let node = Node {
                        value: Value::Seq(items),
                        span: Span::new(start, end),
                        tag,
                    };
                    self.finish(node, anchor)?;
                }
            }
            Event::MappingEnd => {
                if let Some(Open::Map {
                    pairs,
                    start,
                    anchor,
                    tag,
                    ..
                }) = self.stack.pop()
                {
                    let end = pairs.last().map_or(span.end.max(start), |p| {
                        p.value.span.end.max(p.key.span.end)
                    });
                    let pairs = self.merge(pairs)?;
                    let node = Node {
                        value: Value::Map(pairs),
                        span: Span::new(start, end),
                        tag,
                    };
                    self.finish(node, anchor)?;
                }
            }
        }
        Ok(())
    }

    fn check_depth(&self, span: Span) -> Result<(), YamlError> {
        if self.stack.len() >= MAX_DEPTH {
            return Err(YamlError {
                message: format!(
                    "collections nest deeper than {MAX_DEPTH} levels; refusing to load"
                ),
                span,
            });
        }
        Ok(())
    }

    /// Attaches a completed node to its parent, or closes the document.
    fn finish(&mut self, node: Node, anchor: usize) -> Result<(), YamlError> {
        if anchor > 0 {
            if self.anchors.len() <= anchor {
                self.anchors.resize(anchor + 1, None);
            }
            self.anchors[anchor] = Some(node.clone());
        }
        match self.stack.last_mut() {
            None => {
                self.out.documents.push(Document {
                    root: node,
                    start: self.doc_start.min(self.text.len()),
                });
            }
            Some(Open::Seq { items, .. }) => items.push(node),
            Some(Open::Map {
                pairs, pending_key, ..
            }) => match pending_key.take() {
                None => *pending_key = Some(node),
                Some(key) => {
                    if let Some((watched, on_value)) = &mut self.watch {
                        if matches!(node.value, Value::Scalar(_))
                            && key_text(&key) == Some(*watched)
                        {
                            on_value(&node);
                        }
                    }
                    if let Some(k) = key_text(&key) {
                        if k != "<<" {
                            if let Some(first) = pairs.iter().find(|p| key_text(&p.key) == Some(k))
                            {
                                self.out.duplicate_keys.push(DuplicateKey {
                                    key: k.to_string(),
                                    first: first.key.span,
                                    again: key.span,
                                });
                                return Ok(());
                            }
                        }
                    }
                    pairs.push(Pair { key, value: node });
                }
            },
        }
        Ok(())
    }

    /// Resolves `<<` merge keys: explicit keys win, then earlier merged maps.
    fn merge(&mut self, pairs: Vec<Pair>) -> Result<Vec<Pair>, YamlError> {
        if !pairs.iter().any(is_merge_key) {
            return Ok(pairs);
        }
        let mut own = Vec::new();
        let mut merged: Vec<Pair> = Vec::new();
        for pair in pairs {
            if !is_merge_key(&pair) {
                own.push(pair);
                continue;
            }
            let sources: Vec<Node> = match pair.value.value {
                Value::Map(_) => vec![pair.value],
                Value::Seq(items) => items,
                _ => {
                    return Err(YamlError {
                        message: "a `<<` merge key needs a mapping or a sequence of mappings"
                            .into(),
                        span: pair.value.span,
                    })
                }
            };
            for source in sources {
                let Value::Map(source_pairs) = source.value else {
                    return Err(YamlError {
                        message: "a `<<` merge key needs a mapping or a sequence of mappings"
                            .into(),
                        span: source.span,
                    });
                };
                for p in source_pairs {
                    let k = key_text(&p.key).map(str::to_string);
                    if merged
                        .iter()
                        .any(|m| key_text(&m.key).map(str::to_string) == k)
                    {
                        continue;
                    }
                    merged.push(p);
                }
            }
        }
        for p in merged {
            let k = key_text(&p.key).map(str::to_string);
            if !own
                .iter()
                .any(|o| key_text(&o.key).map(str::to_string) == k)
            {
                own.push(p);
            }
        }
        Ok(own)
    }
}

fn is_merge_key(p: &Pair) -> bool {
    p.key
        .as_scalar()
        .is_some_and(|s| s.style == Style::Plain && s.text == "<<")
}

fn key_text(node: &Node) -> Option<&str> {
    node.as_scalar().map(|s| s.text.as_str())
}

fn tag_name(handle: &str, suffix: &str) -> String {
    if handle == "!!" || handle == "tag:yaml.org,2002:" {
        format!("tag:yaml.org,2002:{suffix}")
    } else {
        format!("{handle}{suffix}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn span_text<'a>(text: &'a str, node: &Node) -> &'a str {
        &text[node.span.start..node.span.end]
    }

    #[test]
    fn spans_are_byte_ranges_of_scalars() {
        let text = "a: héllo\nb: 'q'\nc: [1, 2]\n";
        let stream = parse_stream(text);
        assert!(stream.error.is_none());
        let root = &stream.documents[0].root;
        assert_eq!(span_text(text, root.get("a").unwrap()), "héllo");
        assert_eq!(root.get("b").unwrap().as_str(), Some("q"));
        assert_eq!(root.get("c").unwrap().as_seq().unwrap().len(), 2);
    }

    #[test]
    fn multi_document_streams_keep_file_offsets() {
        let text = "a: 1\n---\nb: 2\n";
        let stream = parse_stream(text);
        assert_eq!(stream.documents.len(), 2);
        let b = stream.documents[1].root.get("b").unwrap();
        assert_eq!(&text[b.span.start..b.span.end], "2");
    }

    #[test]
    fn merge_keys_resolve_with_own_keys_winning() {
        let text = "base: &b {x: 1, y: 2}\nthing:\n  <<: *b\n  y: 3\n";
        let stream = parse_stream(text);
        let thing = stream.documents[0].root.get("thing").unwrap();
        assert_eq!(thing.get("x").unwrap().as_str(), Some("1"));
        assert_eq!(thing.get("y").unwrap().as_str(), Some("3"));
    }

    #[test]
    fn duplicate_keys_are_reported_and_first_kept() {
        let stream = parse_stream("a: 1\na: 2\n");
        assert_eq!(stream.duplicate_keys.len(), 1);
        assert_eq!(
            stream.documents[0].root.get("a").unwrap().as_str(),
            Some("1")
        );
    }

    #[test]
    fn alias_bomb_is_refused() {
        let mut text = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 1..10 {
            let prev = i - 1;
            text.push_str(&format!(
                "a{i}: &a{i} [*a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}]\n"
            ));
        }
        let stream = parse_stream(&text);
        let error = stream.error.expect("bomb must be refused");
        assert!(error.message.contains("alias bomb"), "{}", error.message);
    }

    #[test]
    fn deep_nesting_is_refused_without_overflow() {
        let text = "[".repeat(10_000);
        let stream = parse_stream(&text);
        assert!(stream.error.is_some());
    }

    #[test]
    fn plain_scalars_resolve_like_the_core_schema() {
        let s = |t: &str| Scalar {
            text: t.into(),
            style: Style::Plain,
        };
        assert_eq!(resolve_plain(&s("10"), None), Resolved::Int);
        assert_eq!(resolve_plain(&s("1.5"), None), Resolved::Float);
        assert_eq!(resolve_plain(&s("true"), None), Resolved::Bool);
        assert_eq!(resolve_plain(&s("5m"), None), Resolved::Str);
        assert_eq!(
            resolve_plain(
                &Scalar {
                    text: "10".into(),
                    style: Style::DoubleQuoted
                },
                None
            ),
            Resolved::Str
        );
    }
}
