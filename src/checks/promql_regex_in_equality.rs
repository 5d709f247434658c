use super::promql_regex::label_matchers;
use super::{report_rule, Check, CheckInfo, FileContext};
use crate::diagnostic::{Diagnostic, Severity};
use crate::rules::RuleFile;

pub struct RegexInEquality;

static INFO: CheckInfo = CheckInfo {
    id: "promql/regex-in-equality",
    severity: Severity::Warning,
    default_enabled: false,
    options: &[],
    summary: "A regex written in an `=` or `!=` matcher (`job=\"api|web\"`), which compares it as plain text",
    docs: r#"## What it does
Reports an `=` or `!=` label matcher whose value reads as a regular expression: alternatives
(`api|web`), a wildcard (`.*`, `.+`), a character range (`5[0-9][0-9]`) or a class (`\d`).

Off by default (`--extend-select promql/regex-in-equality`): some exporters put a route's or a
path's pattern into a label value, so an exact matcher on a value that looks like a regex is
often exactly right, and only the server knows which values exist.

## Why is this bad?
`=` and `!=` compare the value as text: `job="api|web"` selects series whose job is literally
`api|web`, which is none, so the rule never returns anything; `code!="5.."` excludes nothing.
The author meant `=~` (or `!~`).

## Example
```yaml
expr: sum by (job) (rate(http_requests_total{job="api|web", code="5.."}[5m])) > 1
```

## Fixed
```yaml
expr: sum by (job) (rate(http_requests_total{job=~"api|web", code=~"5.."}[5m])) > 1
```"#,
};

/// What in `value` says it was meant as a regex, if anything.
fn regex_sign(value: &str) -> Option<&'static str> {
    if value.contains(".*") || value.contains(".+") {
        return Some("a wildcard");
    }
    if value.contains('|') {
        let parts: Vec<&str> = value.split('|').collect();
        if parts
            .iter()
            .all(|p| !p.is_empty() && !p.contains(char::is_whitespace))
        {
            return Some("alternatives");
        }
    }
    if ["\\d", "\\w", "\\s"].iter().any(|c| value.contains(c)) {
        return Some("a character class");
    }
    let bytes = value.as_bytes();
    if bytes.windows(5).any(|w| {
        w[0] == b'['
            && w[2] == b'-'
            && w[4] == b']'
            && w[1].is_ascii_alphanumeric()
            && w[3].is_ascii_alphanumeric()
    }) {
        return Some("a character range");
    }
    None
}

impl Check for RegexInEquality {
    fn info(&self) -> &'static CheckInfo {
        &INFO
    }

    fn check_file(&self, file: &RuleFile, _cx: &FileContext<'_>, out: &mut Vec<Diagnostic>) {
        label_matchers(file, &["=", "!="], |group, rule, m| {
            let Some(sign) = regex_sign(&m.pattern) else {
                return;
            };
            let (meant, effect) = if m.op == "=" {
                (
                    "=~",
                    "selects only series whose value is literally that, likely none",
                )
            } else {
                ("!~", "excludes only that literal value, likely nothing")
            };
            out.push(
                report_rule(
                    &INFO,
                    file,
                    group,
                    rule,
                    m.span,
                    format!(
                        "`{}{}\"{}\"` has {sign} in an exact match: it {effect}",
                        m.name, m.op, m.pattern
                    ),
                )
                .label(format!("`{}` compares text", m.op))
                .help(format!(
                    "for a regex, write `{}{meant}\"{}\"`",
                    m.name, m.pattern
                )),
            );
        });
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::run;
    use super::*;

    fn alert(expr: &str) -> String {
        format!("groups:\n- name: g\n  rules:\n  - alert: A\n    expr: {expr}\n")
    }

    #[test]
    fn regexes_in_exact_matchers() {
        let found = run(&RegexInEquality, &alert("up{job=\"api|web\"} == 0"));
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].0, "5:14");
        assert!(found[0].1.contains("alternatives"), "{found:?}");
        for bad in [
            "rate(x{code!=\"5.*\"}[5m]) > 1",
            "rate(x{code=\"5[0-9][0-9]\"}[5m]) > 1",
            "rate(x{path=\"/api/.+\"}[5m]) > 1",
            "x{id=\"\\\\d+\"} > 1",
        ] {
            assert_eq!(run(&RegexInEquality, &alert(bad)).len(), 1, "{bad}");
        }
    }

    #[test]
    fn plain_values_and_real_regexes_pass() {
        for ok in [
            "up{job=~\"api|web\"} == 0",
            "up{instance=\"10.0.0.1:9100\"} == 0",
            "up{job=\"node-exporter\", le=\"+Inf\"} == 0",
            "x{query=\"a | b\"} > 1",
            "x{name=\"[prod]\"} > 1",
            "label_replace(up, \"a\", \"$1\", \"job\", \"(.*)\") == 0",
        ] {
            assert!(run(&RegexInEquality, &alert(ok)).is_empty(), "{ok}");
        }
    }
}
