use super::promql_regex::{has_meta, regex_matchers};
use super::{report_rule, Check, CheckInfo, FileContext};
use crate::diagnostic::{Diagnostic, Severity};
use crate::rules::RuleFile;

pub struct RegexSimplify;

static INFO: CheckInfo = CheckInfo {
    id: "promql/regex-simplify",
    severity: Severity::Info,
    default_enabled: false,
    options: &[],
    summary: "A regex matcher that matches everything (`=~\".*\"`), needs no regex (`=~\"api\"`) or carries redundant anchors",
    docs: r#"## What it does
Reports a `=~".*"` matcher, which matches every series, with or without the label (drop it); a
`=~`/`!~` matcher whose pattern has no regex characters (`job=~"api"`: write `job="api"`); and one
with `^` or `$` anchors, which Prometheus adds itself (`^(?:...)$`). Off by default: true, but it
changes nothing the alert does (a `=~".*"` is often a configurable filter left at "all"); turn it
on (`[lint] enable = ["promql/regex-simplify"]`) when tidying.

## Why is this bad?
It costs a little speed and readability, and hints that the author expected substring matching:
`=~"api"` does *not* match `api-gateway`.

## Example
```yaml
expr: up{job=~"^api$"} == 0
```

## Fixed
```yaml
expr: up{job="api"} == 0
```"#,
};

impl Check for RegexSimplify {
    fn info(&self) -> &'static CheckInfo {
        &INFO
    }

    fn check_file(&self, file: &RuleFile, _cx: &FileContext<'_>, out: &mut Vec<Diagnostic>) {
        regex_matchers(file, |group, rule, m| {
            let (name, op, pattern) = (m.name, m.op, &m.pattern);
            let (message, label, help) = if pattern == ".*" {
                if op != "=~" {
                    return;
                }
                (
                    format!("`{name}=~\".*\"` matches every series, with or without `{name}`"),
                    "matches everything",
                    "remove the matcher".to_string(),
                )
            } else if !has_meta(pattern) {
                let plain = if op == "!~" { "!=" } else { "=" };
                (
                    format!("`{name}{op}` with no regex characters in {pattern:?}: it is an exact match"),
                    "no regex needed",
                    format!("write `{name}{plain}{pattern:?}`"),
                )
            } else if pattern.starts_with('^')
                || (pattern.ends_with('$') && !pattern.ends_with("\\$"))
            {
                (
                    format!("`{name}{op}{pattern:?}`: Prometheus anchors label regexes already, `^` and `$` are redundant"),
                    "redundant anchors",
                    "drop the `^` and `$`".to_string(),
                )
            } else {
                return;
            };
            out.push(
                report_rule(&INFO, file, group, rule, m.span, message)
                    .label(label)
                    .help(help),
            );
        });
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::run;
    use super::*;

    #[test]
    fn reports_plain_and_anchored_patterns() {
        let text = "groups:\n- name: g\n  rules:\n  - record: x:up:sum\n    expr: sum(up{job=~\"bob\", env=~\".*\", x=~\"^abc$\", y=~\"a|b\"})\n";
        let found = run(&RegexSimplify, text);
        assert_eq!(found.len(), 3, "{found:?}");
        assert_eq!(found[0].0, "5:18");
        assert!(found[0].1.contains("no regex characters"));
        assert!(found[1].1.contains("matches every series"));
        assert!(found[2].1.contains("anchors"));
    }
}
