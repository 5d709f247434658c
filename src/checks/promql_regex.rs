use super::{groups, report_rule, Check, CheckInfo, Settings};
use crate::diagnostic::{Diagnostic, Severity};
use crate::promql::{tokenize, TokenKind};
use crate::rules::RuleFile;

pub struct Regex;

static INFO: CheckInfo = CheckInfo {
    id: "promql/regex",
    severity: Severity::Warning,
    default_enabled: true,
    summary: "Regex matchers that match everything, or need no regex (`=~\"bob\"`, `=~\"^abc$\"`)",
    docs: r#"## What it does
Looks at every `=~` and `!~` label matcher and reports:
- `=~".*"`: matches every series, including those without the label (drop the matcher); `!~".*"`
  matches none;
- as *info*: a pattern with no regex characters (`job=~"api"`): write `job="api"`, which is
  faster and says what it means;
- as *info*: `^` or `$` anchors: Prometheus anchors every label regex already (`^(?:...)$`).

## Why is this bad?
`=~".*"` is almost always a templating leftover (a dashboard variable set to "All") that quietly
widens the alert to every job. The other two cost a little speed and readability, and hint that
the author expected substring matching: `=~"api"` does *not* match `api-gateway`.

## Example
```yaml
expr: up{job=~"^api$", env=~".*"} == 0
```
Write `up{job="api"} == 0`.

## Fixed
```yaml
expr: up{job="api"} == 0
```"#,
};

/// Characters with a meaning in RE2 syntax.
const META: &[char] = &[
    '.', '+', '*', '?', '(', ')', '[', ']', '{', '}', '|', '^', '$', '\\',
];

/// The value of a PromQL string token: quotes removed, Go escapes read.
fn unquote(raw: &str) -> Option<String> {
    let quote = raw.chars().next()?;
    let inner = raw.get(1..raw.len().checked_sub(1)?)?;
    if quote == '`' {
        return Some(inner.to_string());
    }
    let mut out = String::with_capacity(inner.len());
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next()? {
            'n' => out.push('\n'),
            't' => out.push('\t'),
            other => out.push(other),
        }
    }
    Some(out)
}

impl Check for Regex {
    fn info(&self) -> &'static CheckInfo {
        &INFO
    }

    fn check_file(&self, file: &RuleFile, _settings: &Settings, out: &mut Vec<Diagnostic>) {
        for group in groups(file) {
            for rule in &group.rules {
                let Some(expr) = &rule.expr else { continue };
                let text = expr.text.value.as_str();
                if expr.parsed.is_err() || !text.contains('~') {
                    continue;
                }
                let tokens = tokenize(text);
                for w in tokens.windows(3) {
                    let (label, op, value) = (&w[0], &w[1], &w[2]);
                    let op_text = op.text(text);
                    if !(label.kind == TokenKind::Identifier
                        && op.kind == TokenKind::Operator
                        && (op_text == "=~" || op_text == "!~")
                        && value.kind == TokenKind::String)
                    {
                        continue;
                    }
                    let Some(pattern) = unquote(value.text(text)) else {
                        continue;
                    };
                    let name = label.text(text);
                    let span = expr.file_span(label.start, value.end);
                    let negated = op_text == "!~";
                    let mut finding =
                        |message: String, label_text: &str, help: String, severity| {
                            let mut d = report_rule(&INFO, file, group, rule, span, message)
                                .label(label_text.to_string())
                                .help(help);
                            d.severity = severity;
                            out.push(d);
                        };
                    if pattern == ".*" {
                        let message = if negated {
                            format!("`{name}!~\".*\"` matches no series at all")
                        } else {
                            format!(
                                "`{name}=~\".*\"` matches every series, with or without `{name}`"
                            )
                        };
                        finding(
                            message,
                            "matches everything",
                            "remove the matcher".into(),
                            Severity::Warning,
                        );
                    } else if !pattern.contains(META) {
                        let plain = if negated { "!=" } else { "=" };
                        finding(
                            format!("`{name}{op_text}` with no regex characters in {pattern:?}: it is an exact match"),
                            "no regex needed",
                            format!("write `{name}{plain}{:?}`", pattern),
                            Severity::Info,
                        );
                    } else if pattern.starts_with('^')
                        || (pattern.ends_with('$') && !pattern.ends_with("\\$"))
                    {
                        finding(
                            format!("`{name}{op_text}{pattern:?}`: Prometheus anchors label regexes already, `^` and `$` are redundant"),
                            "redundant anchors",
                            "drop the `^` and `$`".into(),
                            Severity::Info,
                        );
                    }
                }
            }
        }
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
    fn reports_match_all_plain_and_anchored_patterns() {
        let found = run(
            &Regex,
            &record("sum(up{instance!=\"none\", job=~\"bob\", env=~\".*\", x=~\"^abc$\"})"),
        );
        let messages: Vec<&str> = found.iter().map(|(_, m)| m.as_str()).collect();
        assert_eq!(found.len(), 3, "{found:?}");
        assert_eq!(found[0].0, "5:36");
        assert!(messages[0].contains("no regex characters"));
        assert!(messages[1].contains("matches every series"));
        assert!(messages[2].contains("anchors"));
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
