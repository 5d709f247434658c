use super::FileContext;
use super::{report, Check, CheckInfo};
use crate::diagnostic::{Diagnostic, Severity};
use crate::rules::{LoadProblem, RuleFile};

pub struct YamlParse;

static INFO: CheckInfo = CheckInfo {
    id: "yaml/parse",
    severity: Severity::Error,
    default_enabled: true,
    options: &[],
    summary: "The file is not valid YAML (or not UTF-8, or refused as too costly to load)",
    docs: r#"## What it does
Reports YAML that cannot be parsed: bad indentation, tabs used for indentation, unclosed quotes or
brackets, bytes that are not UTF-8. Also refuses YAML built to exhaust memory: aliases that expand
to more than 200,000 nodes (a "billion laughs" bomb) or collections nested deeper than 256 levels.

The YAML is read as go-yaml v3 reads it, since that is what Prometheus loads rule files with; where
the YAML spec and go-yaml disagree, go-yaml wins. A quoted scalar whose continuation lines are
indented no deeper than its key (or start at column 0) is refused by the spec and accepted by
go-yaml, so it is accepted here, with the value go-yaml reads; a document marker (`---`, `...`)
at column 0 inside it is refused by both. `tests/go_yaml.rs` holds each such case to promtool's
verdict.

## Why is this bad?
Prometheus refuses to load the whole file, so none of its rules are evaluated, and the rule reload
fails until someone fixes it.

## Example
```yaml
groups:
  - name: example
    rules:
      - alert: Down
	expr: up == 0      # a tab: YAML forbids tabs for indentation
```
Use spaces:
```yaml
      - alert: Down
        expr: up == 0
```

## Fixed
```yaml
groups:
  - name: example
    rules:
      - alert: Down
        expr: up == 0
```"#,
};

impl Check for YamlParse {
    fn info(&self) -> &'static CheckInfo {
        &INFO
    }

    fn check_file(&self, file: &RuleFile, _cx: &FileContext<'_>, out: &mut Vec<Diagnostic>) {
        for problem in &file.problems {
            if let LoadProblem::Yaml { message, span } = problem {
                let mut span = *span;
                // The scanner stops just after a tab; point at the tab itself.
                let text = file.source.text.as_bytes();
                while span.start > 0 && text.get(span.start - 1) == Some(&b'\t') {
                    span = crate::source::Span::new(span.start - 1, span.end.max(span.start));
                }
                let mut d = report(&INFO, file, span, format!("invalid YAML: {message}"));
                let line_start = file.source.text[..span.start.min(file.source.text.len())]
                    .rfind('\n')
                    .map_or(0, |i| i + 1);
                let line = file.source.text[line_start..].trim_start();
                if line.starts_with("{%") || line.starts_with("{{") {
                    d = d.help("this looks like a template (Liquid, Jinja, Helm): lint its rendered output, e.g. `helm template . | firedrill lint -`");
                } else if message.contains("tab") {
                    d = d.help("indent with spaces; YAML does not allow tabs for indentation");
                }
                out.push(d.label("here"));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::run;
    use super::*;

    #[test]
    fn reports_malformed_yaml_with_position() {
        let found = run(&YamlParse, "groups:\n  - name: a\n    rules: [\n");
        assert_eq!(found.len(), 1);
        assert!(found[0].1.starts_with("invalid YAML"));
        assert!(run(&YamlParse, "groups: []\n").is_empty());
    }

    #[test]
    fn tabs_get_a_hint() {
        let found = run(&YamlParse, "groups:\n\t- name: a\n");
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].0, "2:1");
    }
}
