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
//! What still differs, and why: a recorded series holds the values of its
//! group's evaluations (every interval, at the group's own offset in it),
//! read back through the 5m lookback; the inlined expression is evaluated
//! at the alert's own evaluation time. Values can therefore differ by up
//! to one recording interval in time, and a recording rule that failed or
//! was absent leaves no gap in the inlined form.
//!
//! Not inlined, with the reason (the recorded series is then queried as
//! it is): a selector with label matchers on labels the recording rule
//! computes (they cannot be pushed into an arbitrary expression exactly),
//! or with `offset`/`@` (which PromQL allows on selectors and subqueries
//! only).

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
                        let Some(expr) = rule.expr.as_ref().filter(|e| e.parsed.is_ok()) else {
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

/// The query with the recorded series `wanted` says to inline replaced by
/// their expressions, recursively; the rules inlined (with `reason(name)`)
/// and those that could not be.
pub fn inline(
    query: &str,
    recordings: &Recordings,
    wanted: &dyn Fn(&str) -> Option<String>,
) -> (String, Vec<InlinedRule>, Vec<NotInlined>) {
    let mut inlined = Vec::new();
    let mut refused = Vec::new();
    let text = rewrite(query, recordings, wanted, &mut inlined, &mut refused, 0);
    (text, inlined, refused)
}

/// Deepest chain of recording rules followed (a cycle stops here).
const MAX_DEPTH: usize = 16;

fn rewrite(
    query: &str,
    recordings: &Recordings,
    wanted: &dyn Fn(&str) -> Option<String>,
    inlined: &mut Vec<InlinedRule>,
    refused: &mut Vec<NotInlined>,
    depth: usize,
) -> String {
    let tokens: Vec<Token> = tokenize(query)
        .into_iter()
        .filter(|t| t.kind != TokenKind::Comment)
        .collect();
    let mut out = String::new();
    let mut from = 0;
    for selector in selectors(query, &tokens) {
        let Some(definitions) = recordings.get(&selector.name) else {
            continue;
        };
        let Some(reason) = wanted(&selector.name) else {
            continue;
        };
        let mut refuse = |why: &str| {
            if !refused.iter().any(|r| r.name == selector.name) {
                refused.push(NotInlined {
                    name: selector.name.clone(),
                    reason: why.to_string(),
                });
            }
        };
        if depth >= MAX_DEPTH {
            refuse("the chain of recording rules is too deep (a cycle?)");
            continue;
        }
        if selector.modified {
            refuse("the selector has `offset` or `@`, which PromQL allows on selectors only");
            continue;
        }
        // Matchers are kept only when the rule's own labels decide them.
        let mut kept: Vec<&Recorded> = Vec::new();
        let mut undecidable = false;
        for d in definitions {
            match matchers_hold(&selector.matchers, &d.labels) {
                Some(true) => kept.push(d),
                Some(false) => {}
                None => undecidable = true,
            }
        }
        if undecidable {
            refuse("label matchers on labels the recording rule computes cannot be moved into its expression exactly");
            continue;
        }
        if kept.is_empty() {
            refuse("no recording rule of that name has labels these matchers select");
            continue;
        }
        let parts: Vec<String> = kept
            .iter()
            .map(|d| {
                let inner = rewrite(&d.expr, recordings, wanted, inlined, refused, depth + 1);
                let mut e = format!(
                    "label_replace(({inner}), \"__name__\", \"{}\", \"\", \"\")",
                    d.name
                );
                for (k, v) in &d.labels {
                    e = format!(
                        "label_replace({e}, \"{k}\", \"{}\", \"\", \"\")",
                        v.replace('\\', "\\\\").replace('"', "\\\"")
                    );
                }
                match &selector.range {
                    Some(range) => format!("({e})[{range}:{}]", d.interval),
                    None => e,
                }
            })
            .collect();
        let replacement = if parts.len() == 1 {
            parts.into_iter().next().unwrap_or_default()
        } else {
            format!("({})", parts.join(" or "))
        };
        out.push_str(&query[from..selector.start]);
        out.push_str(&replacement);
        from = selector.end;
        if !inlined.iter().any(|i| i.name == selector.name) {
            inlined.push(InlinedRule {
                name: selector.name.clone(),
                reason,
            });
        }
    }
    out.push_str(&query[from..]);
    out
}

/// A vector selector naming a metric, as written.
#[derive(Debug, Clone, PartialEq)]
struct Selector {
    name: String,
    start: usize,
    end: usize,
    /// `(label, op, value)` of its braces (`__name__` left out).
    matchers: Vec<(String, String, String)>,
    /// The duration text of `[5m]`, when a range selector.
    range: Option<String>,
    /// Followed by `offset` or `@`.
    modified: bool,
}

use crate::promql::GROUPING_KEYWORDS as GROUPING;

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
        let mut matchers = Vec::new();
        if next.is_some_and(|n| n.kind == TokenKind::LeftBrace) {
            let close = skip_to(tokens, i + 1, TokenKind::RightBrace);
            matchers = read_matchers(text, &tokens[i + 2..close.min(tokens.len())]);
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
        out.push(Selector {
            name: word.to_string(),
            start: t.start,
            end: last.end,
            matchers,
            range,
            modified,
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

/// `label op "value"` matchers, `__name__` left out.
fn read_matchers(text: &str, tokens: &[Token]) -> Vec<(String, String, String)> {
    tokens
        .split(|t| t.kind == TokenKind::Comma)
        .filter_map(|m| {
            let [label, op, value] = m else { return None };
            let value = value.text(text);
            let value = value.get(1..value.len().saturating_sub(1))?.to_string();
            let label = label.text(text).to_string();
            (label != "__name__").then(|| (label, op.text(text).to_string(), value))
        })
        .collect()
}

/// Whether a recording rule's static labels satisfy the matchers; `None`
/// when a matcher is on a label the rule does not set (its expression
/// decides it).
fn matchers_hold(matchers: &[(String, String, String)], labels: &Labels) -> Option<bool> {
    let mut all = true;
    for (label, op, value) in matchers {
        let have = labels
            .iter()
            .find(|(k, _)| k == label)
            .map(|(_, v)| v.as_str())?;
        let anchored = |pattern: &str| {
            regex::Regex::new(&format!("^(?:{pattern})$")).map(|r| r.is_match(have))
        };
        let holds = match op.as_str() {
            "=" => have == value,
            "!=" => have != value,
            "=~" => anchored(value).ok()?,
            "!~" => !anchored(value).ok()?,
            _ => return None,
        };
        all &= holds;
    }
    Some(all)
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
            });
        }
        Recordings { by_name }
    }

    fn all(_: &str) -> Option<String> {
        Some("asked".into())
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
        let (text, inlined, refused) =
            inline("job:errors:rate5m / job:requests:rate5m > 0.1", &r, &all);
        assert_eq!(
            text,
            "label_replace(label_replace((sum by (job) (rate(errors_total[5m]))), \"__name__\", \"job:errors:rate5m\", \"\", \"\"), \"team\", \"db\", \"\", \"\") / label_replace((sum by (job) (rate(requests_total[5m]))), \"__name__\", \"job:requests:rate5m\", \"\", \"\") > 0.1"
        );
        assert_eq!(inlined.len(), 2);
        assert!(refused.is_empty());
        // What it gives is PromQL.
        assert!(crate::promql::parse(&text, crate::promql::ParseOptions::default()).is_ok());
    }

    #[test]
    fn chains_ranges_and_matchers() {
        let r = recordings(&[
            ("a:x", "sum(b:y)", &[("tier", "1")]),
            ("b:y", "rate(z_total[5m])", &[]),
        ]);
        // Recursively, and a range becomes a subquery at the rule's interval.
        let (text, inlined, _) = inline("max_over_time(a:x[1h]) > 1", &r, &all);
        assert!(text.contains("rate(z_total[5m])"), "{text}");
        assert!(text.contains(")[1h:30s])"), "{text}");
        assert_eq!(
            inlined.iter().map(|i| i.name.as_str()).collect::<Vec<_>>(),
            ["b:y", "a:x"]
        );
        assert!(crate::promql::parse(&text, crate::promql::ParseOptions::default()).is_ok());
        // A matcher on a label the rule sets is decided; one it computes is not.
        let (text, _, refused) = inline("a:x{tier=\"1\"} > 1", &r, &all);
        assert!(text.contains("sum("), "{text}");
        assert!(refused.is_empty());
        let (text, inlined, refused) = inline("a:x{job=\"api\"} > 1", &r, &all);
        assert_eq!(text, "a:x{job=\"api\"} > 1");
        assert!(inlined.is_empty());
        assert_eq!(refused[0].name, "a:x");
        // Only what is wanted; names in braces or grouping lists are labels.
        let (text, _, _) = inline("sum by (a:x) (b:y)", &r, &|n| {
            (n == "a:x").then(|| "x".into())
        });
        assert_eq!(text, "sum by (a:x) (b:y)");
    }

    #[test]
    fn a_cycle_stops() {
        let r = recordings(&[("a:x", "a:x + 1", &[])]);
        let (_, _, refused) = inline("a:x > 1", &r, &all);
        assert!(refused[0].reason.contains("too deep"));
    }
}
