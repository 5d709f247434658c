use super::{
    alerts, is_boilerplate, label_list, parsed_expr, report_rule, value_span, Check, CheckInfo,
    Context,
};
use crate::diagnostic::{Diagnostic, Severity};
use crate::promql::analysis::{result_labels, Labels};
use crate::template;

pub struct AlertTemplate;

static INFO: CheckInfo = CheckInfo {
    id: "alert/template",
    severity: Severity::Warning,
    default_enabled: true,
    options: &[],
    summary: "A template that refers to a label the expression's result cannot carry",
    docs: r#"## What it does
Reads the templates in an alerting rule's labels and annotations (templates that do not parse are
`structure/template`'s) and reports:
- `{{ $labels.X }}` where the expression's result cannot carry `X`: `sum by (job) (...)` keeps only
  `job`, `on (job)` matching keeps only `job`, `vector(...)` and `scalar` results carry none.
  Templates see the labels of the result, not the rule's own `labels:`;

Text a generator puts on nearly every alert of the rule set (at least 20 alerts, 80% of them: a
summary that always ends "(instance {{ $labels.instance }})") is left alone: it is the
generator's known choice, and the text written for one alert is what the check is for.

(`absent()` results are `promql/absent-labels`'s; `$value` in a label is `alert/value-in-label`'s,
and a raw `$value` `alert/value-format`'s.)

## Why is this bad?
A reference to a label that is not there renders as an empty string: "Instance  is down" in the
page, with nothing to go on.

## Example
```yaml
- alert: HighErrorRate
  expr: sum by (job) (rate(errors_total[5m])) > 1
  annotations:
    summary: "{{ $labels.instance }} is failing"   # sum by (job) drops instance
```
Write `{{ $labels.job }}`, or keep `instance` in the `by` clause.

## Fixed
```yaml
- alert: HighErrorRate
  expr: sum by (job) (rate(errors_total[5m])) > 1
  annotations:
    summary: "{{ $labels.job }} is failing"
```"#,
};

impl Check for AlertTemplate {
    fn info(&self) -> &'static CheckInfo {
        &INFO
    }

    fn check_set(&self, ctx: &Context<'_>, out: &mut Vec<Diagnostic>) {
        {
            for (file, group, rule) in alerts(ctx.rules) {
                let parsed = parsed_expr(rule).map(|(_, e)| e);
                // A heartbeat (`vector(1)`, the Watchdog) is read by a
                // machine watching that it keeps firing, not by a person.
                if parsed.is_some_and(is_heartbeat) {
                    continue;
                }
                let carried = parsed.map(result_labels);
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
                    if !analysis.errors.is_empty() {
                        continue;
                    }
                    // What fails when Prometheus renders it (the rule loads).
                    for (query, start, end) in &analysis.queries {
                        let Err(e) = crate::promql::parse(
                            query,
                            crate::promql::ParseOptions::every_feature(),
                        ) else {
                            continue;
                        };
                        out.push(
                            report_rule(
                                &INFO,
                                file,
                                group,
                                rule,
                                value_span(file, &entry.value, *start, *end),
                                format!(
                                    "`query` fails when the template is rendered: {}",
                                    e.message
                                ),
                            )
                            .label("not PromQL")
                            .help("the notification then carries an error in place of the text"),
                        );
                    }
                    for (start, end) in &analysis.nil_commands {
                        out.push(
                            report_rule(
                                &INFO,
                                file,
                                group,
                                rule,
                                value_span(file, &entry.value, *start, *end),
                                "`nil` is not a command: the template fails when rendered"
                                    .to_string(),
                            )
                            .label("nil")
                            .help("print text, a label or the value instead"),
                        );
                    }
                    for (function, start, end) in &analysis.value_as_query {
                        out.push(
                            report_rule(
                                &INFO,
                                file,
                                group,
                                rule,
                                value_span(file, &entry.value, *start, *end),
                                format!("`{function}` takes a query's result, and `$value` is a number: the template fails when rendered"),
                            )
                            .label("wrong type")
                            .help("print the value with a formatter (`{{ $value | humanize }}`), or `query` what `first` should read"),
                        );
                    }
                    if let Some(carried) = &carried {
                        for (label, start, end) in &analysis.label_refs {
                            let why = match carried {
                                Labels::Only(keeps) if !keeps.contains(label) => {
                                    format!("the expression's result carries {}", label_list(keeps))
                                }
                                // `without (l)`, `ignoring (l)`, `histogram_quantile`'s `le`.
                                Labels::AllExcept(dropped) if dropped.contains(label) => format!(
                                    "the expression drops `{label}` on the way to its result"
                                ),
                                _ => continue,
                            };
                            let own = rule.labels.iter().any(|l| &l.key.value == label);
                            let mut d = report_rule(
                                &INFO,
                                file,
                                group,
                                rule,
                                value_span(file, &entry.value, *start, *end),
                                format!("`$labels.{label}` is always empty: {why}"),
                            )
                            .label("not in the result");
                            d = d.help(if own {
                                format!("templates see the result's labels, not the rule's `labels:`; write `{}` literally", label)
                            } else {
                                format!("keep `{label}` in the aggregation (`by (..., {label})`), or refer to a label the result carries")
                            });
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
}

fn is_heartbeat(expr: &crate::promql::Expr) -> bool {
    match expr {
        crate::promql::Expr::Paren(p) => is_heartbeat(&p.expr),
        crate::promql::Expr::Call(c) => c.func.name == "vector",
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::run;
    use super::*;

    fn alert(expr: &str, extra: &str) -> String {
        format!("groups:\n- name: g\n  rules:\n  - alert: A\n    expr: {expr}\n{extra}")
    }

    #[test]
    fn reports_labels_the_result_cannot_carry() {
        let text = alert(
            "sum by (job) (rate(e_total[5m])) > 1",
            "    labels:\n      severity: warning\n    annotations:\n      summary: \"{{ $labels.instance }} on {{ $labels.job }} ({{ $labels.severity }}) {{ $value }}\"\n",
        );
        let found = run(&AlertTemplate, &text);
        assert_eq!(found.len(), 2, "{found:?}");
        assert_eq!(found[0].0, "9:20");
        assert!(found[0].1.contains("`$labels.instance` is always empty"));
        assert!(found[1].1.contains("`$labels.severity`"));
    }

    #[test]
    fn labels_dropped_by_without_or_ignoring() {
        for expr in [
            "sum without (instance) (up) == 0",
            "rate(e_total[5m]) / ignoring (instance) rate(r_total[5m]) > 1",
        ] {
            let text = alert(
                expr,
                "    annotations:\n      summary: '{{ $labels.instance }} of {{ .Labels.job }}'\n",
            );
            let found = run(&AlertTemplate, &text);
            assert_eq!(found.len(), 1, "{expr}: {found:?}");
            assert_eq!(
                found[0].1,
                "`$labels.instance` is always empty: the expression drops `instance` on the way to its result"
            );
        }
    }

    #[test]
    fn templates_that_fail_when_rendered() {
        let text = alert(
            "up == 0",
            "    annotations:\n      summary: '{{ with query \"sum(up{job=\\\"a\\\"}\" }}{{ . | first | value }}{{ end }}'\n      description: '{{ $value | first }}'\n      detail: '{{ if $labels.job }}x{{ else }}{{ nil }}{{ end }}'\n",
        );
        let found = run(&AlertTemplate, &text);
        assert_eq!(found.len(), 3, "{found:?}");
        assert!(
            found[2].1.starts_with("`nil` is not a command"),
            "{found:?}"
        );
        assert!(
            found[0]
                .1
                .starts_with("`query` fails when the template is rendered"),
            "{found:?}"
        );
        assert!(
            found[1].1.starts_with("`first` takes a query's result"),
            "{found:?}"
        );
        let ok = alert(
            "up == 0",
            "    annotations:\n      summary: '{{ with query \"sum(up)\" }}{{ . | first | value | humanize }}{{ end }}'\n      detail: '{{ printf \"%v\" nil }}'\n",
        );
        assert!(
            run(&AlertTemplate, &ok).is_empty(),
            "{:?}",
            run(&AlertTemplate, &ok)
        );
    }

    #[test]
    fn a_heartbeats_text_is_not_judged() {
        let text = alert(
            "vector(1)",
            "    annotations:\n      summary: \"(instance {{ $labels.instance }})\"\n",
        );
        assert!(run(&AlertTemplate, &text).is_empty());
    }

    #[test]
    fn carried_labels_and_formatted_values_pass() {
        let text = alert(
            "sum by (job, instance) (rate(e_total[5m])) / sum by (job, instance) (rate(r_total[5m])) > 0.1",
            "    annotations:\n      summary: \"{{ $labels.instance }} {{ $value | humanizePercentage }}\"\n",
        );
        assert!(run(&AlertTemplate, &text).is_empty());
        let selector = alert(
            "up == 0",
            "    annotations:\n      summary: \"{{ $labels.instance }} {{ $value }}\"\n",
        );
        assert!(run(&AlertTemplate, &selector).is_empty());
    }

    #[test]
    fn generated_text_on_every_alert_is_the_generators_choice() {
        // 24 alerts whose summaries all end "(instance {{ $labels.instance }})",
        // as a generator writes them; three aggregate the instance away.
        let mut text = String::from("groups:\n- name: g\n  rules:\n");
        for i in 0..24 {
            let expr = if i % 8 == 0 {
                "sum(up) == 0"
            } else {
                "up == 0"
            };
            text.push_str(&format!("  - alert: A{i}\n    expr: {expr}\n    annotations:\n      summary: \"Down (instance {{{{ $labels.instance }}}})\"\n"));
        }
        assert!(run(&AlertTemplate, &text).is_empty());
        // Text written for the one alert is reported.
        let own = text.replace(
            "  - alert: A8\n    expr: sum(up) == 0\n    annotations:\n      summary: \"Down (instance {{ $labels.instance }})\"",
            "  - alert: A8\n    expr: sum(up) == 0\n    annotations:\n      summary: \"Down (instance {{ $labels.instance }})\"\n      description: \"{{ $labels.instance }} is down\"",
        );
        let found = run(&AlertTemplate, &own);
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(
            found[0].1.starts_with("`$labels.instance` is always empty"),
            "{found:?}"
        );
    }
}
