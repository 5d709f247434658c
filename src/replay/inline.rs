//! Alerts on recording rules, replayed through the chain. When an alert
//! reads a series that a recording rule of the same rule set writes
//! (`job:errors:rate5m > 0.1`), and that rule is new or changed, the server
//! has no history of the new version: the alert's query is rewritten with
//! the recording rule's own expression in place of the series, recursively,
//! so its history comes from raw series.
//!
//! What Prometheus writes (rules/recording.go): the expression's result at
//! each evaluation of the recording rule's group, with the rule's `labels`
//! set (overriding) and `__name__` set to the record name. The rewrite says
//! the same in PromQL: `label_replace((EXPR), "__name__", "NAME", "", "")`
//! and one `label_replace` per label (an empty source matches the empty
//! regex, so the label is set on every series). A range over the recorded
//! series becomes a subquery at the recording group's interval
//! (`NAME[1h]` → `(...)[1h:30s]`).
//!
//! A matcher on a label the recording rule's expression computes
//! (`job:errors:sum{job="a"}`, where `sum by (job)` keeps `job`) filters
//! the inlined vector as the selector filters the recorded series, each
//! type exactly (docs/simulate.md, "Recording rules"):
//!
//! - `l="v"`: `(E and on(l) label_replace(vector(1), "l", "v", "", ""))`,
//!   a join against one sample carrying the label (no `l` when `v` is empty,
//!   which matches the series without `l`, as the matcher does);
//! - `l!="v"`: the same with `unless`;
//! - `l=~"re"`: `label_replace` marks the series whose `l` the regex matches
//!   (it anchors the regex as the matcher does, `^(?s:re)$`, and reads a
//!   missing label as empty, as the matcher does), `and on(mark)` keeps
//!   them and a last `label_replace` removes the mark;
//! - `l!~"re"`: the marked ones are dropped with `unless`.
//!
//! What still differs, and why: a recorded series holds the values of its
//! group's evaluations (every interval, at the group's own offset in it),
//! read back through the 5m lookback; the inlined expression is evaluated
//! at the alert's own evaluation time. Values can therefore differ by up
//! to one recording interval in time, and a recording rule that failed or
//! was absent leaves no gap in the inlined form.
//!
//! Not inlined, with the reason (the recorded series is then queried as
//! it is): a selector with `offset`/`@` (which PromQL allows on selectors
//! and subqueries only), a matcher on a quoted (UTF-8) label name, and a
//! chain deeper than 16 rules (a cycle).

use std::collections::BTreeMap;

use super::Labels;
use crate::promql::{tokenize, Token, TokenKind};
use crate::rules::{Duration, RuleSet};

/// A recording rule: what it writes and how often.
#[derive(Debug, Clone, PartialEq)]
pub struct Recorded {
    pub name: String,
    /// The expression as written.
    pub expr: String,
    pub labels: Labels,
    /// Its group's evaluation interval.
    pub interval: Duration,
    /// The expression is a scalar: Prometheus records it as one sample
    /// without labels (rules.EngineQueryFunc).
    pub scalar: bool,
}

/// The recording rules of a rule set, by the name they write. Several rules
/// may write one name (with disjoint selectors or labels): the series is
/// their union.
#[derive(Debug, Clone, Default)]
pub struct Recordings {
    by_name: BTreeMap<String, Vec<Recorded>>,
}

impl Recordings {
    /// Every recording rule of `rules` whose expression parses; groups
    /// without `interval` run every `default_interval`.
    pub fn of(
        rules: &RuleSet,
        interval_of: impl Fn(&crate::rules::Group, bool) -> Duration,
    ) -> Self {
        let mut by_name: BTreeMap<String, Vec<Recorded>> = BTreeMap::new();
        for file in &rules.files {
            for document in &file.documents {
                let manifest = matches!(document.form, crate::rules::Form::Manifest { .. });
                for group in &document.groups {
                    for rule in group.rules.iter().filter(|r| !r.is_alert()) {
                        let Some(expr) = rule.expr.as_ref() else {
                            continue;
                        };
                        let Ok(parsed) = expr.parsed.as_ref() else {
                            continue;
                        };
                        let name = rule.name();
                        if name.is_empty() {
                            continue;
                        }
                        by_name.entry(name.to_string()).or_default().push(Recorded {
                            name: name.to_string(),
                            expr: expr.text.value.trim().to_string(),
                            labels: rule
                                .labels
                                .iter()
                                .map(|e| (e.key.value.clone(), e.value.value.clone()))
                                .collect(),
                            interval: interval_of(group, manifest),
                            scalar: parsed.value_type()
                                == promql_parser::parser::value::ValueType::Scalar,
                        });
                    }
                }
            }
        }
        Recordings { by_name }
    }

    pub fn get(&self, name: &str) -> Option<&[Recorded]> {
        self.by_name.get(name).map(Vec::as_slice)
    }

    pub fn is_empty(&self) -> bool {
        self.by_name.is_empty()
    }
}

/// A recording rule inlined into an alert's query, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InlinedRule {
    pub name: String,
    pub reason: String,
}

/// One that could not be, and why (its recorded series is queried instead).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotInlined {
    pub name: String,
    pub reason: String,
}

/// An alert's query with recording rules inlined.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Inlined {
    pub query: String,
    /// The recording rules whose expressions replace their series.
    pub inlined: Vec<InlinedRule>,
    /// Those asked for that could not be, and why.
    pub refused: Vec<NotInlined>,
    /// Every series of the rule set's recording rules that `query` still
    /// reads, asked for or not, and why: its history must come from the
    /// server.
    pub reads_recorded: Vec<NotInlined>,
}

/// Whether to inline a recorded series: why (`Ok`), or why not (`Err`).
pub type Wanted<'a> = &'a dyn Fn(&str) -> Result<String, String>;

/// The query with the recorded series `wanted` says to inline replaced by
/// their expressions, recursively.
pub fn inline(query: &str, recordings: &Recordings, wanted: Wanted<'_>) -> Inlined {
    let mut out = Inlined::default();
    out.query = rewrite(query, recordings, wanted, &mut out, 0);
    out
}

/// Deepest chain of recording rules followed (a cycle stops here).
const MAX_DEPTH: usize = 16;

/// The label that marks series a regex matcher keeps or drops, removed
/// again before the alert sees them.
const MARK: &str = "__firedrill_matched__";

fn rewrite(
    query: &str,
    recordings: &Recordings,
    wanted: Wanted<'_>,
    out: &mut Inlined,
    depth: usize,
) -> String {
    let tokens: Vec<Token> = tokenize(query)
        .into_iter()
        .filter(|t| t.kind != TokenKind::Comment)
        .collect();
    let mut text = String::new();
    let mut from = 0;
    for selector in selectors(query, &tokens) {
        let Some(definitions) = recordings.get(&selector.name) else {
            continue;
        };
        let reads = |out: &mut Inlined, why: &str| {
            if !out.reads_recorded.iter().any(|r| r.name == selector.name) {
                out.reads_recorded.push(NotInlined {
                    name: selector.name.clone(),
                    reason: why.to_string(),
                });
            }
        };
        let reason = match wanted(&selector.name) {
            Ok(reason) => reason,
            Err(why) => {
                reads(out, &why);
                continue;
            }
        };
        let refuse = |out: &mut Inlined, why: &str| {
            reads(out, why);
            if !out.refused.iter().any(|r| r.name == selector.name) {
                out.refused.push(NotInlined {
                    name: selector.name.clone(),
                    reason: why.to_string(),
                });
            }
        };
        if depth >= MAX_DEPTH {
            refuse(out, "the chain of recording rules is too deep (a cycle?)");
            continue;
        }
        if selector.modified {
            refuse(
                out,
                "the selector has `offset` or `@`, which PromQL allows on selectors only",
            );
            continue;
        }
        let matchers = match &selector.matchers {
            Ok(m) => m,
            Err(why) => {
                refuse(out, why);
                continue;
            }
        };
        if selector.absent_argument && matchers.iter().any(|m| m.op == MatchOp::Equal) {
            // promql/functions.go, createLabelsForAbsentFunction.
            refuse(
                out,
                "absent() takes its labels from the selector's `=` matchers, which an expression in its place does not give",
            );
            continue;
        }
        // Per rule writing the name: matchers on its own labels are
        // decided here; the others filter its expression's result.
        let mut kept: Vec<(&Recorded, Vec<&Matcher>)> = Vec::new();
        for d in definitions {
            let mut computed = Vec::new();
            let mut holds = true;
            for m in matchers {
                match d.labels.iter().find(|(k, _)| *k == m.label) {
                    Some((_, have)) => holds &= m.holds(have),
                    None => computed.push(m),
                }
            }
            if holds {
                kept.push((d, computed));
            }
        }
        if kept.is_empty() {
            refuse(
                out,
                "no recording rule of that name has labels these matchers select",
            );
            continue;
        }
        if let Some(m) = kept.iter().flat_map(|(_, c)| c).find(|m| !m.label_is_plain) {
            refuse(
                out,
                &format!(
                    "the matcher on the quoted label name {:?} is not moved into the rule's expression",
                    m.label
                ),
            );
            continue;
        }
        // A range over the series becomes a subquery at its rules' interval:
        // one step for all of them, or none exact.
        let step = kept[0].0.interval;
        if selector.range.is_some() && kept.iter().any(|(d, _)| d.interval != step) {
            refuse(
                out,
                "a range over a series written by rules of different intervals has no one subquery step",
            );
            continue;
        }
        let parts: Vec<String> = kept
            .iter()
            .map(|(d, computed)| {
                let inner = rewrite(&d.expr, recordings, wanted, out, depth + 1);
                let inner = if d.scalar {
                    format!("vector({inner})")
                } else {
                    format!("({inner})")
                };
                let mut e = format!(
                    "label_replace({inner}, \"__name__\", {}, \"\", \"\")",
                    replacement(&d.name)
                );
                for (k, v) in &d.labels {
                    e = format!(
                        "label_replace({e}, {}, {}, \"\", \"\")",
                        quoted(k),
                        replacement(v)
                    );
                }
                for m in computed {
                    e = m.filter(&e);
                }
                e
            })
            .collect();
        let vector = if parts.len() == 1 {
            parts.into_iter().next().unwrap_or_default()
        } else {
            format!("({})", parts.join(" or "))
        };
        let replacement = match &selector.range {
            Some(range) => format!("({vector})[{range}:{step}]"),
            None => vector,
        };
        text.push_str(&query[from..selector.start]);
        text.push_str(&replacement);
        from = selector.end;
        if !out.inlined.iter().any(|i| i.name == selector.name) {
            out.inlined.push(InlinedRule {
                name: selector.name.clone(),
                reason,
            });
        }
    }
    text.push_str(&query[from..]);
    text
}

/// `value` as the replacement of a `label_replace`, which expands `$1` and
/// `${name}`: a literal `$` is written `$$` (Go's Regexp.Expand).
fn replacement(value: &str) -> String {
    quoted(&value.replace('$', "$$"))
}

/// A vector selector naming a metric, as written.
#[derive(Debug, Clone, PartialEq)]
struct Selector {
    name: String,
    start: usize,
    end: usize,
    /// The matchers of its braces (`__name__` left out), or why they could
    /// not be read.
    matchers: Result<Vec<Matcher>, String>,
    /// The duration text of `[5m]`, when a range selector.
    range: Option<String>,
    /// Followed by `offset` or `@`.
    modified: bool,
    /// The whole argument of `absent()` or `absent_over_time()`.
    absent_argument: bool,
}

/// A label matcher of a selector.
#[derive(Debug, Clone, PartialEq)]
struct Matcher {
    label: String,
    /// A plain label name (not a quoted UTF-8 one): it can be written in
    /// `on(...)`.
    label_is_plain: bool,
    op: MatchOp,
    /// The value: the string itself, escapes read.
    value: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum MatchOp {
    Equal,
    NotEqual,
    Regex,
    NotRegex,
}

impl Matcher {
    /// Whether a series whose label is `have` is selected.
    fn holds(&self, have: &str) -> bool {
        let matches = |pattern: &str| {
            regex::Regex::new(&format!("^(?s:{pattern})$")).is_ok_and(|r| r.is_match(have))
        };
        match self.op {
            MatchOp::Equal => have == self.value,
            MatchOp::NotEqual => have != self.value,
            MatchOp::Regex => matches(&self.value),
            MatchOp::NotRegex => !matches(&self.value),
        }
    }

    /// `vector` filtered as this matcher filters a selector's series.
    fn filter(&self, vector: &str) -> String {
        let label = &self.label;
        let quoted_label = quoted(label);
        let value = quoted(&self.value);
        let one = |label: &str, value: &str| {
            format!(
                "label_replace(vector(1), {}, {value}, \"\", \"\")",
                quoted(label)
            )
        };
        let marked = format!("label_replace({vector}, \"{MARK}\", \"1\", {quoted_label}, {value})");
        match self.op {
            MatchOp::Equal => format!(
                "({vector} and on({label}) {})",
                one(label, &replacement(&self.value))
            ),
            MatchOp::NotEqual => format!(
                "({vector} unless on({label}) {})",
                one(label, &replacement(&self.value))
            ),
            MatchOp::Regex => format!(
                "label_replace(({marked} and on({MARK}) {}), \"{MARK}\", \"\", \"\", \"\")",
                one(MARK, "\"1\"")
            ),
            MatchOp::NotRegex => format!("({marked} unless on({MARK}) {})", one(MARK, "\"1\"")),
        }
    }
}

use crate::promql::{quoted, GROUPING_KEYWORDS as GROUPING};

const KEYWORDS: &[&str] = &[
    "and", "or", "unless", "bool", "offset", "atan2", "anchored", "smoothed",
];

/// The metric-named vector selectors of an expression, in order.
fn selectors(text: &str, tokens: &[Token]) -> Vec<Selector> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < tokens.len() {
        let t = tokens[i];
        match t.kind {
            // Label names: inside braces, or a grouping list.
            TokenKind::LeftBrace => {
                i = skip_to(tokens, i, TokenKind::RightBrace) + 1;
                continue;
            }
            TokenKind::Identifier
                if GROUPING
                    .iter()
                    .any(|g| t.text(text).eq_ignore_ascii_case(g))
                    && tokens
                        .get(i + 1)
                        .is_some_and(|n| n.kind == TokenKind::LeftParen) =>
            {
                i = skip_to(tokens, i + 1, TokenKind::RightParen) + 1;
                continue;
            }
            TokenKind::Identifier => {}
            _ => {
                i += 1;
                continue;
            }
        }
        let word = t.text(text);
        let next = tokens.get(i + 1);
        // A function call, a keyword, a number-like word: not a metric.
        if next.is_some_and(|n| n.kind == TokenKind::LeftParen)
            || KEYWORDS.iter().any(|k| word.eq_ignore_ascii_case(k))
            || GROUPING.iter().any(|k| word.eq_ignore_ascii_case(k))
        {
            i += 1;
            continue;
        }
        let mut end = i;
        let mut matchers = Ok(Vec::new());
        if next.is_some_and(|n| n.kind == TokenKind::LeftBrace) {
            let close = skip_to(tokens, i + 1, TokenKind::RightBrace);
            matchers = read_matchers(text, word, &tokens[i + 2..close.min(tokens.len())]);
            end = close;
        }
        let mut range = None;
        if tokens
            .get(end + 1)
            .is_some_and(|n| n.kind == TokenKind::LeftBracket)
        {
            let close = skip_to(tokens, end + 1, TokenKind::RightBracket);
            let inside = &tokens[end + 2..close.min(tokens.len())];
            if inside.iter().any(|t| t.kind == TokenKind::Colon) {
                // A subquery of a selector is not PromQL; leave it alone.
                i = close + 1;
                continue;
            }
            if let (Some(first), Some(last)) = (inside.first(), inside.last()) {
                range = Some(text[first.start..last.end].to_string());
            }
            end = close;
        }
        let modified = tokens.get(end + 1).is_some_and(|n| {
            n.kind == TokenKind::At
                || (n.kind == TokenKind::Identifier && n.text(text).eq_ignore_ascii_case("offset"))
        });
        let last = tokens.get(end).copied().unwrap_or(t);
        let absent_argument = i >= 2
            && tokens[i - 1].kind == TokenKind::LeftParen
            && matches!(tokens[i - 2].text(text), "absent" | "absent_over_time")
            && tokens
                .get(end + 1)
                .is_some_and(|n| n.kind == TokenKind::RightParen);
        out.push(Selector {
            name: word.to_string(),
            start: t.start,
            end: last.end,
            matchers,
            range,
            modified,
            absent_argument,
        });
        i = end + 1;
    }
    out
}

/// The index of the token closing the bracket opened at `open`.
fn skip_to(tokens: &[Token], open: usize, close: TokenKind) -> usize {
    let open_kind = tokens[open].kind;
    let mut depth = 0usize;
    for (k, t) in tokens.iter().enumerate().skip(open) {
        if t.kind == open_kind {
            depth += 1;
        } else if t.kind == close {
            depth -= 1;
            if depth == 0 {
                return k;
            }
        }
    }
    tokens.len()
}

/// The `label op "value"` matchers of `name{...}`; a `__name__` matcher
/// equal to `name` is left out. Anything else is not read, and said.
fn read_matchers(text: &str, name: &str, tokens: &[Token]) -> Result<Vec<Matcher>, String> {
    let mut out = Vec::new();
    for m in tokens.split(|t| t.kind == TokenKind::Comma) {
        if m.is_empty() {
            continue; // a trailing comma
        }
        let unread = || format!("its matcher `{}` is not read", matcher_text(text, m));
        let [label, op, value] = m else {
            return Err(unread());
        };
        let (label_text, label_is_plain) = match label.kind {
            TokenKind::Identifier => (label.text(text).to_string(), true),
            TokenKind::String => (
                crate::promql::string_value(label.text(text)).ok_or_else(unread)?,
                false,
            ),
            _ => return Err(unread()),
        };
        let op = match op.text(text) {
            "=" => MatchOp::Equal,
            "!=" => MatchOp::NotEqual,
            "=~" => MatchOp::Regex,
            "!~" => MatchOp::NotRegex,
            _ => return Err(unread()),
        };
        if value.kind != TokenKind::String {
            return Err(unread());
        }
        let value = crate::promql::string_value(value.text(text)).ok_or_else(unread)?;
        if label_text == "__name__" {
            if op == MatchOp::Equal && value == name {
                continue;
            }
            return Err(unread());
        }
        out.push(Matcher {
            label: label_text,
            label_is_plain,
            op,
            value,
        });
    }
    Ok(out)
}

fn matcher_text(text: &str, tokens: &[Token]) -> String {
    match (tokens.first(), tokens.last()) {
        (Some(a), Some(b)) => text[a.start..b.end].to_string(),
        _ => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// (name, expression, labels) of each recording rule.
    type Rule<'a> = (&'a str, &'a str, &'a [(&'a str, &'a str)]);

    fn recordings(list: &[Rule<'_>]) -> Recordings {
        let mut by_name: BTreeMap<String, Vec<Recorded>> = BTreeMap::new();
        for (name, expr, labels) in list {
            by_name.entry(name.to_string()).or_default().push(Recorded {
                name: name.to_string(),
                expr: expr.to_string(),
                labels: labels
                    .iter()
                    .map(|(k, v)| (k.to_string(), v.to_string()))
                    .collect(),
                interval: Duration::from_secs(30),
                scalar: false,
            });
        }
        Recordings { by_name }
    }

    fn all(_: &str) -> Result<String, String> {
        Ok("asked".into())
    }

    fn names(list: &[NotInlined]) -> Vec<&str> {
        list.iter().map(|r| r.name.as_str()).collect()
    }

    fn parses(text: &str) {
        if let Err(e) = crate::promql::parse(text, crate::promql::ParseOptions::default()) {
            panic!("{text}: {}", e.message);
        }
    }

    #[test]
    fn a_recorded_series_becomes_its_rule_with_name_and_labels() {
        let r = recordings(&[
            (
                "job:errors:rate5m",
                "sum by (job) (rate(errors_total[5m]))",
                &[("team", "db")],
            ),
            (
                "job:requests:rate5m",
                "sum by (job) (rate(requests_total[5m]))",
                &[],
            ),
        ]);
        let got = inline("job:errors:rate5m / job:requests:rate5m > 0.1", &r, &all);
        assert_eq!(
            got.query,
            "label_replace(label_replace((sum by (job) (rate(errors_total[5m]))), \"__name__\", \"job:errors:rate5m\", \"\", \"\"), \"team\", \"db\", \"\", \"\") / label_replace((sum by (job) (rate(requests_total[5m]))), \"__name__\", \"job:requests:rate5m\", \"\", \"\") > 0.1"
        );
        assert_eq!(got.inlined.len(), 2);
        assert!(got.refused.is_empty());
        assert!(got.reads_recorded.is_empty());
        parses(&got.query);
    }

    #[test]
    fn chains_and_ranges() {
        let r = recordings(&[
            ("a:x", "sum(b:y)", &[("tier", "1")]),
            ("b:y", "rate(z_total[5m])", &[]),
        ]);
        // Recursively, and a range becomes a subquery at the rule's interval.
        let got = inline("max_over_time(a:x[1h]) > 1", &r, &all);
        assert!(got.query.contains("rate(z_total[5m])"), "{}", got.query);
        assert!(got.query.contains(")[1h:30s])"), "{}", got.query);
        assert_eq!(
            got.inlined
                .iter()
                .map(|i| i.name.as_str())
                .collect::<Vec<_>>(),
            ["b:y", "a:x"]
        );
        parses(&got.query);
        // Only what is wanted; names in braces or grouping lists are labels;
        // what is left is a recorded series read from the server.
        let got = inline("sum by (a:x) (b:y)", &r, &|n| {
            if n == "a:x" {
                Ok("x".into())
            } else {
                Err("not asked".into())
            }
        });
        assert_eq!(got.query, "sum by (a:x) (b:y)");
        assert_eq!(names(&got.reads_recorded), ["b:y"]);
        assert_eq!(got.reads_recorded[0].reason, "not asked");
        assert!(got.refused.is_empty());
    }

    #[test]
    fn a_range_over_a_name_several_rules_write_is_one_subquery() {
        let r = recordings(&[
            ("a:x", "sum(z)", &[("shard", "1")]),
            ("a:x", "sum(w)", &[("shard", "2")]),
        ]);
        let got = inline("last_over_time(a:x[30m]) > 1", &r, &all);
        assert!(got.query.contains(" or "), "{}", got.query);
        assert!(got.query.ends_with(")[30m:30s]) > 1"), "{}", got.query);
        parses(&got.query);
        let mut r = r;
        r.by_name.get_mut("a:x").unwrap()[1].interval = Duration::from_secs(60);
        let got = inline("last_over_time(a:x[30m]) > 1", &r, &all);
        assert!(
            got.refused[0].reason.contains("different intervals"),
            "{got:?}"
        );
    }

    #[test]
    fn matchers_on_the_rules_own_labels_are_decided_here() {
        let r = recordings(&[
            ("a:x", "sum(z)", &[("tier", "1")]),
            ("a:x", "sum(w)", &[("tier", "2")]),
        ]);
        let got = inline("a:x{tier=\"1\"} > 1", &r, &all);
        assert!(got.query.contains("sum(z)") && !got.query.contains("sum(w)"));
        assert!(!got.query.contains(" and on("), "{}", got.query);
        let got = inline("a:x{tier=~\"1|2\"} > 1", &r, &all);
        assert!(got.query.contains(" or "), "{}", got.query);
        parses(&got.query);
        let got = inline("a:x{tier=\"3\"} > 1", &r, &all);
        assert_eq!(got.query, "a:x{tier=\"3\"} > 1");
        assert!(got.refused[0].reason.contains("no recording rule"));
        assert_eq!(names(&got.reads_recorded), ["a:x"]);
    }

    #[test]
    fn matchers_on_computed_labels_filter_the_expression() {
        let r = recordings(&[("job:e:sum", "sum by (job) (e)", &[])]);
        let cases = [
            (
                "job:e:sum{job=\"a\"}",
                "and on(job) label_replace(vector(1), \"job\", \"a\"",
            ),
            (
                "job:e:sum{job!=\"a\"}",
                "unless on(job) label_replace(vector(1), \"job\", \"a\"",
            ),
            (
                "job:e:sum{job=~\"a|b\"}",
                "\"__firedrill_matched__\", \"1\", \"job\", \"a|b\")",
            ),
            (
                "job:e:sum{job!~\"a.*\"}",
                "unless on(__firedrill_matched__)",
            ),
        ];
        for (selector, wanted) in cases {
            let got = inline(&format!("{selector} > 1"), &r, &all);
            assert!(got.query.contains(wanted), "{selector}: {}", got.query);
            assert!(got.refused.is_empty() && got.reads_recorded.is_empty());
            parses(&got.query);
        }
        // A `$` in a value is not a reference to a regex group.
        let got = inline("job:e:sum{job=\"a$1\"} > 1", &r, &all);
        assert!(got.query.contains("\"a$$1\""), "{}", got.query);
        // A matcher that cannot be read is said, never dropped.
        let got = inline("job:e:sum{job=\"a\",} > 1", &r, &all);
        assert!(got.refused.is_empty(), "{:?}", got.refused);
        let got = inline("job:e:sum{\"job.name\"=\"a\"} > 1", &r, &all);
        assert!(
            got.refused[0].reason.contains("quoted label name"),
            "{:?}",
            got.refused
        );
    }

    #[test]
    fn a_record_name_may_begin_with_a_colon() {
        let r = recordings(&[(
            ":capacity:ratio",
            "sum by (job) (free) / sum by (job) (size)",
            &[],
        )]);
        let got = inline(":capacity:ratio{job=\"a\"} < 0.15", &r, &all);
        assert_eq!(got.inlined.len(), 1, "{got:?}");
        assert!(got.query.contains("sum by (job) (free)"));
        parses(&got.query);
    }

    #[test]
    fn a_scalar_rule_is_recorded_as_a_vector() {
        let mut r = recordings(&[("slo:target", "0.999", &[("slo", "a")])]);
        for d in r.by_name.values_mut().flatten() {
            d.scalar = true;
        }
        let got = inline("x < slo:target", &r, &all);
        assert!(got.query.contains("vector(0.999)"), "{}", got.query);
        parses(&got.query);
    }

    #[test]
    fn absent_keeps_the_labels_of_its_selector() {
        let r = recordings(&[("job:e:sum", "sum by (job) (e)", &[])]);
        let got = inline("absent(job:e:sum{job=\"a\"})", &r, &all);
        assert!(got.refused[0].reason.contains("absent()"), "{got:?}");
        // Without `=` matchers its labels are none either way.
        let got = inline("absent(job:e:sum{job=~\"a\"})", &r, &all);
        assert!(got.refused.is_empty(), "{got:?}");
        parses(&got.query);
    }

    #[test]
    fn a_cycle_stops() {
        let r = recordings(&[("a:x", "a:x + 1", &[])]);
        let got = inline("a:x > 1", &r, &all);
        assert!(got.refused[0].reason.contains("too deep"));
        assert_eq!(names(&got.reads_recorded), ["a:x"]);
    }
}
