use super::FileContext;
use super::{groups, report_rule, Check, CheckInfo};
use crate::diagnostic::{Diagnostic, Severity};
use crate::rules::expr_map::offsets_for;
use crate::rules::RuleFile;
use crate::source::Span;
use crate::template;

pub struct Template;

static INFO: CheckInfo = CheckInfo {
    id: "structure/template",
    severity: Severity::Error,
    default_enabled: true,
    options: &[],
    summary: "An alert label or annotation template that does not parse",
    docs: r#"## What it does
Parses every label value and annotation of alerting rules as a Go text/template, the way Prometheus
does when it loads the rule: actions must be closed, control blocks (`if`, `range`, `with`) must end,
functions must exist (Go's and Prometheus's: `humanize`, `printf`, `reReplaceAll`, ...), and
variables must be defined (`$labels`, `$value`, `$externalLabels`, `$externalURL`, or declared).

## Why is this bad?
Prometheus refuses the file. The usual slip is `$label` for `$labels`.

## Example
```yaml
annotations:
  summary: "Instance {{ $label.instance }} down"     # undefined variable "$label"
```
Write `{{ $labels.instance }}`.

## Fixed
```yaml
annotations:
  summary: "Instance {{ $labels.instance }} down"
```"#,
};

impl Check for Template {
    fn info(&self) -> &'static CheckInfo {
        &INFO
    }

    fn check_file(&self, file: &RuleFile, _cx: &FileContext<'_>, out: &mut Vec<Diagnostic>) {
        for group in groups(file) {
            for rule in group.rules.iter().filter(|r| r.is_alert()) {
                let entries = rule
                    .labels
                    .iter()
                    .map(|e| ("label", e))
                    .chain(rule.annotations.iter().map(|e| ("annotation", e)));
                for (what, entry) in entries {
                    let analysis = template::analyze(&entry.value.value);
                    if analysis.errors.is_empty() {
                        continue;
                    }
                    let offsets = offsets_for(&file.source.text, &entry.value);
                    for error in analysis.errors {
                        let start = offsets[error.start.min(offsets.len() - 1)];
                        let end = offsets[error.end.saturating_sub(1).min(offsets.len() - 1)] + 1;
                        let mut d = report_rule(
                            &INFO,
                            file,
                            group,
                            rule,
                            Span::new(start, end),
                            format!("{what} {:?}: template: {}", entry.key.value, error.message),
                        )
                        .label(error.message.clone());
                        if error.message.contains("\"$label\"") {
                            d = d.help(
                                "the alert's labels are `$labels`, e.g. {{ $labels.instance }}",
                            );
                        }
                        out.push(d);
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::{places, run};
    use super::*;

    #[test]
    fn reports_template_errors_at_their_place() {
        let text = "groups:\n- name: a\n  rules:\n  - alert: A\n    expr: up\n    annotations:\n      summary: \"Instance {{ $label.foo }} down\"\n";
        assert_eq!(places(&Template, text), ["7:29"]);
        assert!(run(&Template, text)[0]
            .1
            .contains("undefined variable \"$label\""));
    }

    #[test]
    fn recording_rules_and_good_templates_pass() {
        let text = "groups:\n- name: a\n  rules:\n  - alert: A\n    expr: up\n    annotations:\n      summary: \"{{ $labels.job }} {{ $value | humanize }}\"\n  - record: r\n    expr: up\n    labels:\n      x: \"{{ nope\"\n";
        assert!(places(&Template, text).is_empty());
    }
}
