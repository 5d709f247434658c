use super::{
    alerts, is_boilerplate, label_list, parsed_expr, report_rule, value_span, Check, CheckInfo,
    Context,
};
use crate::diagnostic::{Diagnostic, Severity};
use crate::promql::analysis::absent_calls;
use crate::template;

pub struct AbsentLabels;

static INFO: CheckInfo = CheckInfo {
    id: "promql/absent-labels",
    severity: Severity::Warning,
    default_enabled: true,
    options: &[],
    summary: "A template refers to a label that `absent()` cannot carry",
    docs: r#"## What it does
For an alert whose result can come from `absent()` or `absent_over_time()`, reports each
`{{ $labels.X }}` in its labels and annotations where `X` is not set by an equality matcher of
the selector inside `absent()`: those are the only labels its one output series has.

## Why is this bad?
`absent()` fires when there is *no* series, so it has no series to copy labels from:
`absent(up{job="api", instance=~".+"})` returns `{job="api"}` and nothing else. A summary of
"{{ $labels.instance }} is missing" renders as " is missing".

## Example
```yaml
- alert: ExporterMissing
  expr: absent(up{job="node"})
  annotations:
    summary: "{{ $labels.instance }} has disappeared"    # absent() carries only job
```
Write "{{ $labels.job }} has no targets".

## Fixed
```yaml
- alert: ExporterMissing
  expr: absent(up{job="node"})
  annotations:
    summary: "{{ $labels.job }} has no targets"
```"#,
};

impl Check for AbsentLabels {
    fn info(&self) -> &'static CheckInfo {
        &INFO
    }

    fn check_set(&self, ctx: &Context<'_>, out: &mut Vec<Diagnostic>) {
        {
            for (file, group, rule) in alerts(ctx.rules) {
                let Some((_, parsed)) = parsed_expr(rule) else {
                    continue;
                };
                let calls = absent_calls(parsed);
                if calls.is_empty() {
                    continue;
                }
                let entries = rule
                    .labels
                    .iter()
                    .map(|e| (true, e))
                    .chain(rule.annotations.iter().map(|e| (false, e)));
                for (is_label, entry) in entries {
                    if !entry.value.value.contains("{{") {
                        continue;
                    }
                    let analysis = template::analyze(&entry.value.value);
                    for (label, start, end) in &analysis.label_refs {
                        let Some(call) = calls.iter().find(|c| !c.carries.contains(label)) else {
                            continue;
                        };
                        let carries = label_list(&call.carries);
                        let d = report_rule(
                                &INFO,
                                file,
                                group,
                                rule,
                                value_span(file, &entry.value, *start, *end),
                                format!("`$labels.{label}` is empty when `{}()` fires: it carries {carries}", call.function),
                            )
                            .label("absent() cannot carry it")
                            .help(format!("only equality matchers reach the result: add `{label}=\"...\"` to the selector, or drop the reference"));
                        if is_label {
                            out.push(d);
                        } else {
                            if !is_boilerplate(ctx.house, &entry.key.value, label) {
                                out.push(d);
                            }
                        }
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

    #[test]
    fn reports_labels_absent_cannot_carry() {
        let text = "groups:\n- name: g\n  rules:\n  - alert: A\n    expr: absent(up{job=\"node\", instance=~\".+\"})\n    annotations:\n      summary: '{{ $labels.job }}: {{ $labels.instance }} missing'\n";
        let found = run(&AbsentLabels, text);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].0, "7:39");
        assert!(found[0].1.contains("carries `job`"));
    }

    #[test]
    fn an_absent_joined_back_with_and_on_is_still_the_alerts() {
        let text = "groups:\n- name: g\n  rules:\n  - alert: A\n    expr: absent(up{job=\"node\"}) and on() (hour() > 8)\n    annotations:\n      summary: '{{ $labels.instance }} missing'\n";
        let found = run(&AbsentLabels, text);
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(found[0].1.contains("carries `job`"), "{found:?}");
    }

    #[test]
    fn labels_from_equality_matchers_pass() {
        let text = "groups:\n- name: g\n  rules:\n  - alert: A\n    expr: absent(up{job=\"node\"})\n    annotations:\n      summary: '{{ $labels.job }} has no targets'\n";
        assert!(run(&AbsentLabels, text).is_empty());
    }
}
