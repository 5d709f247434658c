//! An `alertmanager.yml`, read with the place of every mistake: the
//! `route:` tree (`receiver`, `group_by`, `group_wait`, `group_interval`,
//! `repeat_interval`, `continue`, `routes`, `mute_time_intervals`,
//! `active_time_intervals`, and matchers in all three spellings:
//! `matchers: ['severity="critical"']`, and the older `match` and
//! `match_re`), the receivers and their integrations, `inhibit_rules` and
//! `time_intervals` (config/config.go). What Alertmanager refuses is refused
//! in its words where known, so the verdict is `amtool check-config`'s: an
//! unknown field, a route receiver or time interval nobody defines, a root
//! route with matchers, a duplicated receiver name.
//!
//! The file may also be a Kubernetes Secret holding the configuration under
//! `alertmanager.yaml` (`stringData`, or base64 `data`), as
//! kube-prometheus-stack keeps it; mistakes inside `stringData` point into
//! the Secret's own lines.

use std::collections::BTreeMap;

use super::integrations::{self, KINDS};
use super::route::{MatchOp, Matcher, RouteConfig};
use super::time_interval::{self, TimeInterval};
use crate::rules::Duration;
use crate::source::Span;
use crate::yaml::{self, Node, Style};

/// What firedrill reads of an Alertmanager configuration.
#[derive(Debug, Clone)]
pub struct Config {
    pub route: RouteConfig,
    /// Where the root route's `receiver` is (or the route, without one).
    pub route_span: Span,
    pub receivers: Vec<Receiver>,
    pub inhibit_rules: Vec<InhibitRule>,
    /// Named sets of time intervals (`time_intervals` and the older
    /// top-level `mute_time_intervals`).
    pub time_intervals: BTreeMap<String, Vec<TimeInterval>>,
}

/// A receiver and the integrations it notifies through. A receiver with
/// none (kube-prometheus-stack's `"null"`) sends nothing.
#[derive(Debug, Clone, PartialEq)]
pub struct Receiver {
    pub name: String,
    pub integrations: Vec<Integration>,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Integration {
    /// `pagerduty`, `slack`, `webhook`, ... (the `_configs` key's stem).
    pub kind: String,
    pub send_resolved: bool,
}

impl Receiver {
    /// Whether the receiver wakes someone: it notifies an incident
    /// management service (PagerDuty, Opsgenie, VictorOps, incident.io).
    pub fn pages(&self) -> bool {
        self.integrations
            .iter()
            .any(|i| integrations::pages(&i.kind))
    }
}

/// An `inhibit_rules` entry.
#[derive(Debug, Clone)]
pub struct InhibitRule {
    pub source: Vec<Matcher>,
    pub target: Vec<Matcher>,
    pub equal: Vec<String>,
    /// The rule's place, and each `equal` item's.
    pub span: Span,
    pub equal_spans: Vec<Span>,
}

impl Config {
    /// Moves every place kept by `f` (from an embedded text to its file).
    fn map_spans(&mut self, f: impl Fn(Span) -> Span) {
        self.route_span = f(self.route_span);
        for r in &mut self.receivers {
            r.span = f(r.span);
        }
        for rule in &mut self.inhibit_rules {
            rule.span = f(rule.span);
            for s in &mut rule.equal_spans {
                *s = f(*s);
            }
        }
    }
}

/// A mistake and where it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    pub message: String,
    pub span: Span,
}

fn error(message: impl Into<String>, span: Span) -> ConfigError {
    ConfigError {
        message: message.into(),
        span,
    }
}

const TOP_LEVEL: [&str; 9] = [
    "global",
    "route",
    "inhibit_rules",
    "receivers",
    "templates",
    "mute_time_intervals",
    "time_intervals",
    "tracing",
    "event_recorder",
];
const ROUTE_FIELDS: [&str; 13] = [
    "receiver",
    "group_by",
    "match",
    "match_re",
    "matchers",
    "continue",
    "routes",
    "group_wait",
    "group_interval",
    "repeat_interval",
    "mute_time_intervals",
    "active_time_intervals",
    "labels",
];
const INHIBIT_FIELDS: [&str; 8] = [
    "name",
    "source_match",
    "source_match_re",
    "source_matchers",
    "target_match",
    "target_match_re",
    "target_matchers",
    "equal",
];
const INTERVAL_FIELDS: [&str; 6] = [
    "times",
    "weekdays",
    "days_of_month",
    "months",
    "years",
    "location",
];

/// Refuses keys Alertmanager's strict unmarshalling would not know.
fn known_fields(node: &Node, fields: &[&str], type_name: &str) -> Result<(), ConfigError> {
    for pair in node.as_map().unwrap_or(&[]) {
        let key = pair.key.as_str().unwrap_or("");
        if !fields.contains(&key) {
            return Err(error(
                format!("field {key} not found in type {type_name}"),
                pair.key.span,
            ));
        }
    }
    Ok(())
}

/// Reads a configuration file's text: an `alertmanager.yml`, or a
/// Kubernetes Secret holding one.
pub fn load(text: &str) -> Result<Config, ConfigError> {
    let stream = yaml::parse_stream(text);
    if let Some(e) = stream.error {
        return Err(error(e.message, e.span));
    }
    let whole = Span::new(0, text.len());
    let root = stream
        .documents
        .first()
        .map(|d| &d.root)
        .filter(|r| !r.is_null())
        .ok_or_else(|| error("the configuration is empty", whole))?;
    if root.get("kind").and_then(Node::as_str) == Some("Secret") {
        return from_secret(text, root);
    }
    if let Some(dup) = stream.duplicate_keys.first() {
        return Err(error(
            format!("mapping key {:?} already defined", dup.key),
            dup.again,
        ));
    }
    read_config(root)
}

/// The `alertmanager.yaml` key of a Secret.
fn from_secret(text: &str, secret: &Node) -> Result<Config, ConfigError> {
    const KEYS: [&str; 2] = ["alertmanager.yaml", "alertmanager.yml"];
    let in_string_data = secret
        .get("stringData")
        .and_then(|d| KEYS.iter().find_map(|k| d.get(k)));
    if let Some(node) = in_string_data {
        let inner = string(node)?;
        let map = EmbeddedText::new(text, node, &inner);
        let mut config = load(&inner).map_err(|e| error(e.message, map.span(e.span)))?;
        config.map_spans(|s| map.span(s));
        return Ok(config);
    }
    let in_data = secret
        .get("data")
        .and_then(|d| KEYS.iter().find_map(|k| d.get(k)));
    if let Some(node) = in_data {
        let encoded = string(node)?;
        let bytes = base64_decode(&encoded)
            .ok_or_else(|| error("alertmanager.yaml is not valid base64", node.span))?;
        let inner = String::from_utf8(bytes)
            .map_err(|_| error("alertmanager.yaml is not UTF-8 text", node.span))?;
        // Offsets inside encoded text cannot be shown; the key is the place.
        let mut config = load(&inner).map_err(|e| {
            error(
                format!("in the decoded alertmanager.yaml: {}", e.message),
                node.span,
            )
        })?;
        config.map_spans(|_| node.span);
        return Ok(config);
    }
    Err(error(
        "a Secret with no alertmanager.yaml under stringData or data",
        secret.span,
    ))
}

/// Maps offsets in a block scalar's value back to the file: each line of
/// the value is a line of the file less the block's indentation.
struct EmbeddedText {
    /// (offset in the value, offset in the file) of each line's start.
    lines: Vec<(usize, usize)>,
    fallback: Span,
}

impl EmbeddedText {
    fn new(file: &str, node: &Node, value: &str) -> Self {
        let fallback = node.span;
        let mut lines = Vec::new();
        let literal = node.as_scalar().is_some_and(|s| s.style == Style::Literal);
        if literal {
            // The value's lines start after the `|` header line when the
            // span starts at the header, else at the span's own line.
            let at = node.span.start.min(file.len());
            let first = if matches!(file.as_bytes().get(at), Some(b'|' | b'>')) {
                file[at..].find('\n').map(|nl| at + nl + 1)
            } else {
                Some(file[..at].rfind('\n').map_or(0, |nl| nl + 1))
            };
            if let Some(first) = first {
                let mut file_at = first;
                let mut value_at = 0;
                for line in value.split_inclusive('\n') {
                    let file_line = &file[file_at.min(file.len())..];
                    let file_line =
                        &file_line[..file_line.find('\n').map_or(file_line.len(), |e| e + 1)];
                    let content = line.trim_end_matches('\n');
                    let indent = if content.is_empty() {
                        0
                    } else {
                        file_line.find(content).unwrap_or(0)
                    };
                    lines.push((value_at, file_at + indent));
                    value_at += line.len();
                    file_at += file_line.len();
                }
            }
        }
        EmbeddedText { lines, fallback }
    }

    fn span(&self, inner: Span) -> Span {
        let at = |o: usize| {
            let i = self.lines.partition_point(|(v, _)| *v <= o);
            (i > 0).then(|| {
                let (v, f) = self.lines[i - 1];
                f + (o - v)
            })
        };
        match (
            at(inner.start),
            at(inner.end.saturating_sub(1).max(inner.start)),
        ) {
            (Some(s), Some(e)) if e >= s => Span::new(s, e + usize::from(inner.end > inner.start)),
            _ => self.fallback,
        }
    }
}

fn base64_decode(text: &str) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(text.len() * 3 / 4);
    let mut acc = 0u32;
    let mut bits = 0;
    for c in text.bytes() {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            b'=' | b' ' | b'\n' | b'\r' | b'\t' => continue,
            _ => return None,
        };
        acc = (acc << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    Some(out)
}

fn read_config(root: &Node) -> Result<Config, ConfigError> {
    if root.as_map().is_none() {
        return Err(error(
            format!("the configuration is a mapping, not {}", root.kind_name()),
            root.span,
        ));
    }
    known_fields(root, &TOP_LEVEL, "config.plain")?;
    let global = root.get("global").filter(|g| !g.is_null());
    if let Some(global) = global {
        map(global)?;
        known_fields(global, &integrations::GLOBAL_FIELDS, "config.plain")?;
        integrations::check_global_values(global)?;
    }
    // What decoding refuses first, then what Config.UnmarshalYAML checks
    // of the whole (config/config.go), in that order.
    let receivers = read_receivers(root)?;
    let time_intervals = read_time_intervals(root)?;
    let route_node = root.get("route").filter(|r| !r.is_null());
    let route = route_node.map(read_route).transpose()?;
    let inhibit_rules = list_of(root, "inhibit_rules", read_inhibit_rule)?;
    integrations::check_global(global)?;
    check_receivers(root, global)?;
    let (Some(route_node), Some(route)) = (route_node, route) else {
        return Err(error("no routes provided", root.span));
    };
    if route.receiver.is_none() {
        return Err(error(
            "root route must specify a default receiver",
            route_node.span,
        ));
    }
    if !route.matchers.is_empty() {
        return Err(error(
            "root route must not have any matchers",
            route_node.span,
        ));
    }
    if route.continue_ {
        return Err(error("cannot have continue in root route", route_node.span));
    }
    if !route.mute_time_intervals.is_empty() {
        return Err(error(
            "root route must not have any mute time intervals",
            route_node.span,
        ));
    }
    if !route.active_time_intervals.is_empty() {
        return Err(error(
            "root route must not have any active time intervals",
            route_node.span,
        ));
    }
    check_references(route_node, &route, &receivers, &time_intervals)?;
    let route_span = route_node
        .get("receiver")
        .map_or(route_node.span, |n| n.span);
    Ok(Config {
        route,
        route_span,
        receivers,
        inhibit_rules,
        time_intervals,
    })
}

fn read_receivers(root: &Node) -> Result<Vec<Receiver>, ConfigError> {
    let Some(list) = root.get("receivers").filter(|n| !n.is_null()) else {
        return Ok(Vec::new());
    };
    let mut receivers: Vec<Receiver> = Vec::new();
    for node in seq(list)? {
        let mut integrations = Vec::new();
        let mut name = None;
        let mut labels = None;
        for pair in map(node)? {
            let key = pair.key.as_str().unwrap_or("");
            if key == "name" {
                name = Some(string(&pair.value)?);
                continue;
            }
            if key == "labels" {
                labels = Some(&pair.value);
                continue;
            }
            let Some(kind) = key
                .strip_suffix("_configs")
                .and_then(|k| KINDS.iter().find(|kind| kind.name == k))
            else {
                return Err(error(
                    format!("field {key} not found in type config.plain"),
                    pair.key.span,
                ));
            };
            if pair.value.is_null() {
                continue;
            }
            for item in seq(&pair.value)? {
                if !item.is_null() {
                    map(item)?;
                    known_fields(item, kind.fields, &format!("{}.plain", kind.package))?;
                }
                integrations::check_entry(kind.name, item)?;
                let send_resolved = match item.get("send_resolved") {
                    Some(v) => boolean(v)?,
                    None => kind.send_resolved,
                };
                integrations.push(Integration {
                    kind: kind.name.to_string(),
                    send_resolved,
                });
            }
        }
        let name = name
            .filter(|n| !n.is_empty())
            .ok_or_else(|| error("missing name in receiver", node.span))?;
        // Labels for the API's receiver filters; `name` is the receiver's.
        if let Some(labels) = labels.filter(|l| !l.is_null()) {
            if let Some(label) = map(labels)?.iter().find(|p| p.key.as_str() == Some("name")) {
                let value = string(&label.value)?;
                if value != name {
                    return Err(error(
                        format!("receiver label \"name\" must match receiver name {name:?}, got {value:?}"),
                        label.value.span,
                    ));
                }
            }
        }
        receivers.push(Receiver {
            name,
            integrations,
            span: node.span,
        });
    }
    Ok(receivers)
}

/// Receiver by receiver: a name used twice, then what each integration
/// lacks once the global defaults are in, kind by kind in
/// Alertmanager's order.
fn check_receivers(root: &Node, global: Option<&Node>) -> Result<(), ConfigError> {
    let Some(list) = root.get("receivers").and_then(Node::as_seq) else {
        return Ok(());
    };
    let mut names: Vec<&str> = Vec::new();
    for node in list {
        let name_node = node.get("name");
        let name = name_node.and_then(Node::as_str).unwrap_or("");
        if names.contains(&name) {
            return Err(error(
                format!("notification config name {name:?} is not unique"),
                name_node.map_or(node.span, |n| n.span),
            ));
        }
        for kind in &KINDS {
            let key = format!("{}_configs", kind.name);
            for item in node.get(&key).and_then(Node::as_seq).unwrap_or(&[]) {
                integrations::check_defaults(kind.name, item, global)?;
            }
        }
        names.push(name);
    }
    Ok(())
}

fn read_time_intervals(root: &Node) -> Result<BTreeMap<String, Vec<TimeInterval>>, ConfigError> {
    let mut out = BTreeMap::new();
    for (section, what) in [
        ("mute_time_intervals", "mute time interval"),
        ("time_intervals", "time interval"),
    ] {
        let Some(list) = root.get(section).filter(|n| !n.is_null()) else {
            continue;
        };
        for entry in seq(list)? {
            known_fields(entry, &["name", "time_intervals"], "config.plain")?;
            let name = entry
                .get("name")
                .and_then(Node::as_str)
                .filter(|n| !n.is_empty())
                .ok_or_else(|| error(format!("missing name in {what}"), entry.span))?;
            if out.contains_key(name) {
                let at = entry.get("name").map_or(entry.span, |n| n.span);
                return Err(error(format!("{what} {name:?} is not unique"), at));
            }
            let intervals = list_of(entry, "time_intervals", read_interval)?;
            out.insert(name.to_string(), intervals);
        }
    }
    Ok(out)
}

fn read_interval(node: &Node) -> Result<TimeInterval, ConfigError> {
    known_fields(node, &INTERVAL_FIELDS, "timeinterval.TimeInterval")?;
    fn items<T>(
        node: &Node,
        key: &str,
        parse: impl Fn(&str) -> Result<T, String>,
    ) -> Result<Option<Vec<T>>, ConfigError> {
        let Some(list) = node.get(key).filter(|n| !n.is_null()) else {
            return Ok(None);
        };
        seq(list)?
            .iter()
            .map(|item| {
                let text = string(item)?;
                parse(&text).map_err(|e| error(e, item.span))
            })
            .collect::<Result<Vec<T>, _>>()
            .map(Some)
    }
    let times = match node.get("times").filter(|n| !n.is_null()) {
        Some(list) => Some(
            seq(list)?
                .iter()
                .map(|range| {
                    known_fields(
                        range,
                        &["start_time", "end_time"],
                        "timeinterval.yamlTimeRange",
                    )?;
                    let part = |key: &str| -> Result<Option<(u32, Span)>, ConfigError> {
                        match range.get(key) {
                            Some(v) => {
                                let text = string(v)?;
                                time_interval::parse_time_of_day(&text)
                                    .map(|m| Some((m, v.span)))
                                    .map_err(|e| error(e, v.span))
                            }
                            None => Ok(None),
                        }
                    };
                    match (part("start_time")?, part("end_time")?) {
                        (Some((s, _)), Some((e, at))) => {
                            if s >= e {
                                Err(error(
                                    "start time cannot be equal or greater than end time",
                                    at,
                                ))
                            } else {
                                Ok((s, e))
                            }
                        }
                        _ => Err(error(
                            "both start and end times must be provided",
                            range.span,
                        )),
                    }
                })
                .collect::<Result<Vec<_>, _>>()?,
        ),
        None => None,
    };
    let location = match node.get("location").filter(|n| !n.is_null()) {
        Some(v) => {
            let text = string(v)?;
            if text == "Local" {
                return Err(error(
                    "location Local is the Alertmanager machine's zone, which replay cannot know; name the zone",
                    v.span,
                ));
            }
            Some(time_interval::parse_location(&text).map_err(|e| error(e, v.span))?)
        }
        None => None,
    };
    Ok(TimeInterval {
        times,
        weekdays: items(node, "weekdays", time_interval::parse_weekdays)?,
        days_of_month: items(node, "days_of_month", time_interval::parse_days_of_month)?,
        months: items(node, "months", time_interval::parse_months)?,
        years: items(node, "years", time_interval::parse_years)?,
        location,
    })
}

fn check_references(
    node: &Node,
    route: &RouteConfig,
    receivers: &[Receiver],
    intervals: &BTreeMap<String, Vec<TimeInterval>>,
) -> Result<(), ConfigError> {
    if let Some(name) = &route.receiver {
        if !receivers.iter().any(|r| &r.name == name) {
            let at = node.get("receiver").map_or(node.span, |n| n.span);
            return Err(error(
                format!("undefined receiver {name:?} used in route"),
                at,
            ));
        }
    }
    for key in ["mute_time_intervals", "active_time_intervals"] {
        for item in node.get(key).and_then(Node::as_seq).unwrap_or(&[]) {
            let name = item.as_str().unwrap_or("");
            if !intervals.contains_key(name) {
                return Err(error(
                    format!("undefined time interval {name:?} used in route"),
                    item.span,
                ));
            }
        }
    }
    let children = node.get("routes").and_then(Node::as_seq).unwrap_or(&[]);
    for (child_node, child) in children.iter().zip(&route.routes) {
        check_references(child_node, child, receivers, intervals)?;
    }
    Ok(())
}

/// `match`, `match_re` and `matchers` spellings of one matcher list
/// (`prefix` is `source_`/`target_` in inhibit rules).
fn matchers_of(node: &Node, prefix: &str) -> Result<Vec<Matcher>, ConfigError> {
    let mut out = Vec::new();
    for (suffix, op) in [("match", MatchOp::Equal), ("match_re", MatchOp::Regex)] {
        let Some(value) = node
            .get(&format!("{prefix}{suffix}"))
            .filter(|n| !n.is_null())
        else {
            continue;
        };
        for p in map(value)? {
            let name = p.key.as_str().unwrap_or("");
            if !is_label_name(name) {
                return Err(error(format!("invalid label name {name:?}"), p.key.span));
            }
            // A null regex is never compiled, and config.go refuses it.
            if op == MatchOp::Regex && p.value.is_null() {
                return Err(error(
                    format!("invalid regexp value for {name:?}"),
                    p.value.span,
                ));
            }
            let mut v = string(&p.value)?;
            if op == MatchOp::Regex {
                // A `match_re` value becomes its compiled regex's text, and
                // that text is what route keys and group keys show.
                regex::Regex::new(&v).map_err(|e| error(e.to_string(), p.value.span))?;
                v = format!("^(?:{v})$");
            }
            out.push(Matcher::new(name, op, &v).map_err(|e| error(e, p.value.span))?);
        }
    }
    if let Some(value) = node
        .get(&format!("{prefix}matchers"))
        .filter(|n| !n.is_null())
    {
        for item in seq(value)? {
            let text = string(item)?;
            out.extend(parse_matchers(&text).map_err(|e| error(e, item.span))?);
        }
    }
    Ok(out)
}

fn read_inhibit_rule(node: &Node) -> Result<InhibitRule, ConfigError> {
    map(node)?;
    known_fields(node, &INHIBIT_FIELDS, "config.InhibitRule")?;
    let equal_node = node.get("equal").filter(|n| !n.is_null());
    let equal = match equal_node {
        Some(list) => {
            let names = strings(list)?;
            for (name, item) in names.iter().zip(seq(list)?) {
                if !is_label_name(name) {
                    return Err(error(format!("invalid label name {name:?}"), item.span));
                }
            }
            names
        }
        None => Vec::new(),
    };
    Ok(InhibitRule {
        source: matchers_of(node, "source_")?,
        target: matchers_of(node, "target_")?,
        equal,
        span: node.span,
        equal_spans: match equal_node {
            Some(list) => seq(list)?.iter().map(|n| n.span).collect(),
            None => Vec::new(),
        },
    })
}

fn is_label_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

fn read_route(node: &Node) -> Result<RouteConfig, ConfigError> {
    map(node)?;
    known_fields(node, &ROUTE_FIELDS, "config.Route")?;
    let mut route = RouteConfig {
        matchers: matchers_of(node, "")?,
        ..RouteConfig::default()
    };
    for pair in map(node)? {
        let key = pair.key.as_str().unwrap_or("");
        let value = &pair.value;
        if value.is_null() {
            continue;
        }
        match key {
            "receiver" => route.receiver = Some(string(value)?),
            // Labels for notification templates: they route nothing.
            "labels" => {
                for p in map(value)? {
                    let name = p.key.as_str().unwrap_or("");
                    if !is_label_name(name) {
                        return Err(error(
                            format!("invalid label name {name:?} in route labels"),
                            p.key.span,
                        ));
                    }
                }
            }
            "group_by" => {
                let names = strings(value)?;
                for (i, name) in names.iter().enumerate() {
                    if name != "..." && !is_label_name(name) {
                        return Err(error(
                            format!("invalid label name {name:?} in group_by list"),
                            seq(value)?[i].span,
                        ));
                    }
                    if names[..i].contains(name) {
                        return Err(error(
                            format!("duplicated label {name:?} in group_by"),
                            seq(value)?[i].span,
                        ));
                    }
                }
                route.group_by = Some(if names.iter().any(|n| n == "...") {
                    if names.len() > 1 {
                        return Err(error(
                            "cannot have wildcard group_by (`...`) and other labels at the same time",
                            value.span,
                        ));
                    }
                    None
                } else {
                    Some(names)
                });
            }
            "group_wait" => route.group_wait = Some(duration(value)?),
            "group_interval" => {
                let d = duration(value)?;
                if d.is_zero() {
                    return Err(error("group_interval cannot be zero", value.span));
                }
                route.group_interval = Some(d);
            }
            "repeat_interval" => {
                let d = duration(value)?;
                if d.is_zero() {
                    return Err(error("repeat_interval cannot be zero", value.span));
                }
                route.repeat_interval = Some(d);
            }
            "continue" => route.continue_ = boolean(value)?,
            "routes" => {
                for child in seq(value)? {
                    route.routes.push(read_route(child)?);
                }
            }
            "mute_time_intervals" => route.mute_time_intervals = strings(value)?,
            "active_time_intervals" => route.active_time_intervals = strings(value)?,
            _ => {}
        }
    }
    Ok(route)
}

fn map(node: &Node) -> Result<&[yaml::Pair], ConfigError> {
    node.as_map().ok_or_else(|| {
        error(
            format!("expected a mapping, got {}", node.kind_name()),
            node.span,
        )
    })
}

fn seq(node: &Node) -> Result<&[Node], ConfigError> {
    node.as_seq().ok_or_else(|| {
        error(
            format!("expected a list, got {}", node.kind_name()),
            node.span,
        )
    })
}

fn boolean(node: &Node) -> Result<bool, ConfigError> {
    match node.as_str() {
        Some("true") => Ok(true),
        Some("false") => Ok(false),
        _ => Err(error(
            format!("expected true or false, got {}", node.kind_name()),
            node.span,
        )),
    }
}

fn string(node: &Node) -> Result<String, ConfigError> {
    if node.as_map().is_some() || node.as_seq().is_some() {
        return Err(error(
            format!("expected a string, got {}", node.kind_name()),
            node.span,
        ));
    }
    Ok(node.as_str().unwrap_or("").to_string())
}

/// The list under `key`, each item read by `read`; none when absent.
fn list_of<T>(
    parent: &Node,
    key: &str,
    read: impl Fn(&Node) -> Result<T, ConfigError>,
) -> Result<Vec<T>, ConfigError> {
    match parent.get(key).filter(|n| !n.is_null()) {
        Some(list) => seq(list)?.iter().map(read).collect(),
        None => Ok(Vec::new()),
    }
}

fn strings(node: &Node) -> Result<Vec<String>, ConfigError> {
    seq(node)?.iter().map(string).collect()
}

fn duration(node: &Node) -> Result<Duration, ConfigError> {
    let text = string(node)?;
    Duration::parse(&text).map_err(|e| error(e, node.span))
}

/// One `matchers:` item: `name="value"`, `name=~"regex"`, `name!=value`,
/// several separated by commas, optionally in braces (pkg/labels/parse.go).
pub fn parse_matchers(text: &str) -> Result<Vec<Matcher>, String> {
    let inner = text.trim();
    let inner = inner
        .strip_prefix('{')
        .and_then(|s| s.strip_suffix('}'))
        .unwrap_or(inner);
    let mut out = Vec::new();
    let mut rest = inner.trim();
    while !rest.is_empty() {
        let name_len = rest
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or(rest.len());
        let name = &rest[..name_len];
        if name.is_empty() {
            return Err(format!("bad matcher format: {text}"));
        }
        rest = rest[name_len..].trim_start();
        let (op, len) = if rest.starts_with("=~") {
            (MatchOp::Regex, 2)
        } else if rest.starts_with("!~") {
            (MatchOp::NotRegex, 2)
        } else if rest.starts_with("!=") {
            (MatchOp::NotEqual, 2)
        } else if rest.starts_with('=') {
            (MatchOp::Equal, 1)
        } else {
            return Err(format!("bad matcher format: {text}"));
        };
        rest = rest[len..].trim_start();
        let (value, after) = if let Some(quoted) = rest.strip_prefix('"') {
            let mut value = String::new();
            let mut chars = quoted.char_indices();
            let mut end = None;
            while let Some((i, c)) = chars.next() {
                match c {
                    '\\' => {
                        if let Some((_, e)) = chars.next() {
                            value.push(match e {
                                'n' => '\n',
                                't' => '\t',
                                other => other,
                            });
                        }
                    }
                    '"' => {
                        end = Some(i + 1);
                        break;
                    }
                    other => value.push(other),
                }
            }
            let end = end.ok_or_else(|| format!("unterminated quoted value: {text}"))?;
            (value, &quoted[end..])
        } else {
            let end = rest.find(',').unwrap_or(rest.len());
            (rest[..end].trim().to_string(), &rest[end..])
        };
        out.push(Matcher::new(name, op, &value)?);
        rest = after.trim_start();
        if let Some(next) = rest.strip_prefix(',') {
            rest = next.trim_start();
        } else if !rest.is_empty() {
            return Err(format!("bad matcher format: {text}"));
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::super::route::Route;
    use super::*;

    const CONFIG: &str = "route:
  receiver: team-channel
  group_by: [alertname, namespace]
  routes:
    - matchers: ['severity=\"critical\"', 'team=~\"db|web\"']
      receiver: pager
      group_wait: 10s
    - match:
        severity: warning
      receiver: team-channel
      continue: true
    - match_re:
        namespace: 'kube-.*'
      receiver: platform
      group_by: ['...']
receivers:
  - name: team-channel
  - name: pager
    pagerduty_configs: [{routing_key: x}]
  - name: platform
";

    #[test]
    fn reads_the_routing_tree_in_all_three_matcher_spellings() {
        let config = load(CONFIG).unwrap();
        let names: Vec<&str> = config.receivers.iter().map(|r| r.name.as_str()).collect();
        assert_eq!(names, ["team-channel", "pager", "platform"]);
        assert!(config.receivers[1].pages());
        assert!(!config.receivers[0].pages());
        let tree = Route::new(&config.route);
        let to = |pairs: &[(&str, &str)]| -> Vec<String> {
            let labels = pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect();
            tree.matching(&labels)
                .iter()
                .map(|r| r.opts.receiver.clone())
                .collect()
        };
        assert_eq!(to(&[("severity", "critical"), ("team", "db")]), ["pager"]);
        assert_eq!(
            to(&[("severity", "critical"), ("team", "ops")]),
            ["team-channel"]
        );
        assert_eq!(
            to(&[("severity", "warning"), ("namespace", "kube-system")]),
            ["team-channel", "platform"]
        );
        let pager = &tree.routes[0];
        assert_eq!(pager.opts.group_wait, Duration::from_secs(10));
        assert_eq!(tree.routes[2].opts.group_by, None);
    }

    #[test]
    fn mistakes_are_refused_at_their_place() {
        let bad = CONFIG.replace("receiver: platform", "receiver: platfrom");
        let e = load(&bad).unwrap_err();
        assert_eq!(e.message, "undefined receiver \"platfrom\" used in route");
        assert_eq!(&bad[e.span.start..e.span.end], "platfrom");
        let bad = CONFIG.replace("'team=~\"db|web\"'", "'team=~\"db|(web\"'");
        let e = load(&bad).unwrap_err();
        assert!(e.message.contains("regex"), "{}", e.message);
        let bad = CONFIG.replace("group_wait: 10s", "group_wait: soon");
        assert!(load(&bad).is_err());
        assert_eq!(
            load("route:\n  group_by: [a]\nreceivers: []\n")
                .unwrap_err()
                .message,
            "root route must specify a default receiver"
        );
    }

    #[test]
    fn matcher_items_as_alertmanager_writes_them() {
        let ms = parse_matchers("{alertname=\"Foo\", severity!=info,team=~\"a\\\\.b\"}").unwrap();
        let shown: Vec<(String, MatchOp, String)> = ms
            .iter()
            .map(|m| (m.name.clone(), m.op, m.value.clone()))
            .collect();
        assert_eq!(
            shown,
            [
                ("alertname".into(), MatchOp::Equal, "Foo".into()),
                ("severity".into(), MatchOp::NotEqual, "info".into()),
                ("team".into(), MatchOp::Regex, "a\\.b".into()),
            ]
        );
        assert!(parse_matchers("=x").is_err());
        assert!(parse_matchers("a=\"unterminated").is_err());
    }
}
