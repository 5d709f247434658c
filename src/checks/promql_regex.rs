use super::{groups, report_rule, Check, CheckInfo, FileContext};
use crate::diagnostic::{Diagnostic, Severity};
use crate::promql::{tokenize, TokenKind};
use crate::rules::RuleFile;

pub struct Regex;

static INFO: CheckInfo = CheckInfo {
    id: "promql/regex",
    severity: Severity::Warning,
    default_enabled: true,
    options: &[],
    summary:
        "A regex matcher that matches no series at all (`!~\".*\"`), so the alert can never fire",
    docs: r#"## What it does
Reports a label matcher `!~".*"`, which matches no series: the selector, and with it the alert or
recording rule, returns nothing, ever. Not reported when another rule of the file has `=~".*"` on
the same label: that is a configurable split left at its default (a mixin's "critical
integrations" regex that covers everything until a user narrows it), and the pair is meant.
(`=~".*"`, which matches everything and can be dropped, is `promql/regex-simplify`'s.)

## Why is this bad?
A rule that can never return anything is dead code that reads as a safety net: the alert someone
counts on will not fire.

## Example
```yaml
expr: up{job="api", env!~".*"} == 0
```

## Fixed
```yaml
expr: up{job="api", env!~"dev|test"} == 0
```"#,
};

/// Characters with a meaning in RE2 syntax.
const META: &[char] = &[
    '.', '+', '*', '?', '(', ')', '[', ']', '{', '}', '|', '^', '$', '\\',
];

/// A label matcher of an expression, as written.
pub(super) struct RegexMatcher<'a> {
    pub name: &'a str,
    /// `=~`, `!~`, `=` or `!=`.
    pub op: &'a str,
    pub pattern: String,
    /// Where the matcher is in the file.
    pub span: crate::source::Span,
}

/// Calls `f` with every regex matcher of every rule of the file.
pub(super) fn regex_matchers<'f>(
    file: &'f RuleFile,
    f: impl FnMut(&'f crate::rules::Group, &'f crate::rules::Rule, RegexMatcher<'f>),
) {
    label_matchers(file, &["=~", "!~"], f)
}

/// Calls `f` with every label matcher written with one of `ops`.
pub(super) fn label_matchers<'f>(
    file: &'f RuleFile,
    ops: &[&str],
    mut f: impl FnMut(&'f crate::rules::Group, &'f crate::rules::Rule, RegexMatcher<'f>),
) {
    for group in groups(file) {
        for rule in &group.rules {
            let Some(expr) = &rule.expr else { continue };
            let text = expr.text.value.as_str();
            if expr.parsed.is_err() || !text.contains('{') {
                continue;
            }
            let tokens = tokenize(text);
            for w in tokens.windows(3) {
                let (label, op, value) = (&w[0], &w[1], &w[2]);
                let op_text = op.text(text);
                if !(label.kind == TokenKind::Identifier
                    && op.kind == TokenKind::Operator
                    && ops.contains(&op_text)
                    && value.kind == TokenKind::String)
                {
                    continue;
                }
                let Some(pattern) = crate::promql::string_value(value.text(text)) else {
                    continue;
                };
                f(
                    group,
                    rule,
                    RegexMatcher {
                        name: label.text(text),
                        op: op_text,
                        pattern,
                        span: expr.file_span(label.start, value.end),
                    },
                );
            }
        }
    }
}

/// Characters with a meaning in RE2 syntax, for `promql/regex-simplify`.
pub(super) fn has_meta(pattern: &str) -> bool {
    pattern.contains(META)
}

impl Check for Regex {
    fn info(&self) -> &'static CheckInfo {
        &INFO
    }

    fn check_file(&self, file: &RuleFile, _cx: &FileContext<'_>, out: &mut Vec<Diagnostic>) {
        // Labels some rule of the file matches with `=~".*"`: the other half of a split.
        let mut everything: Vec<String> = Vec::new();
        regex_matchers(file, |_, _, m| {
            if m.pattern == ".*" && m.op == "=~" {
                everything.push(m.name.to_string());
            }
        });
        regex_matchers(file, |group, rule, m| {
            if m.pattern != ".*" || m.op != "!~" || everything.iter().any(|l| l == m.name) {
                return;
            }
            out.push(
                report_rule(
                    &INFO,
                    file,
                    group,
                    rule,
                    m.span,
                    format!(
                        "`{}!~\".*\"` matches no series at all: the rule can never return anything",
                        m.name
                    ),
                )
                .label("matches nothing")
                .help(
                    "write the values to exclude, or remove the matcher and the rule it disables",
                ),
            );
        });
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::run;
    use super::*;

    fn record(expr: &str) -> String {
        format!("groups:\n- name: g\n  rules:\n  - record: x:up:sum\n    expr: {expr}\n")
    }

    #[test]
    fn reports_match_none_unless_it_is_half_of_a_split() {
        let found = run(
            &Regex,
            &record("sum(up{instance!=\"none\", job=~\"bob\", env=~\".*\", x!~\".*\"})"),
        );
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].0, "5:59");
        assert!(found[0].1.contains("matches no series"));
        // The other rule of the file takes `=~".*"` of the same label: a split.
        let split = "groups:\n- name: g\n  rules:\n  - alert: Critical\n    expr: failed{integration=~\".*\"} > 0\n  - alert: Other\n    expr: failed{integration!~\".*\"} > 0\n";
        assert!(run(&Regex, split).is_empty());
    }

    #[test]
    fn real_regexes_pass() {
        for ok in [
            "sum(up{job=~\"api|web\", instance=~\"10\\\\..*\"})",
            "sum(up{job=~\"ap.\", env!~\"dev|test\"})",
            "sum(up{job=~\".+\"})",
            "label_replace(up, \"a\", \"$1\", \"job\", \"(.*)\")",
        ] {
            assert!(run(&Regex, &record(ok)).is_empty(), "{ok}");
        }
    }
}
