use super::promql_rate_window::rate_calls;
use super::{report_rule, Check, CheckInfo, FileContext};
use crate::diagnostic::{Diagnostic, Severity};
use crate::promql::TokenKind;
use crate::rules::RuleFile;

pub struct RateOfSum;

static INFO: CheckInfo = CheckInfo {
    id: "promql/rate-of-sum",
    severity: Severity::Warning,
    default_enabled: false,
    options: &[],
    summary: "`rate()` of an aggregation (`rate(sum(x)[5m:])`), which hides counter resets",
    docs: r#"## What it does
Reports `rate`, `irate` or `increase` of a subquery whose expression starts with an aggregation
(`sum`, `max`, `avg`, ...), also inside parentheses, of a counter (a `_total`, or a histogram's or
summary's `_count`, `_sum`, `_bucket`): `rate(sum(http_requests_total)[5m:])`. A gauge has no
resets to hide, so `increase((max(x) - min(x))[1h:])` over a gauge is left alone.

## Why is this bad?
`rate()` handles a counter reset (a restart) by noticing that the counter went down. Summing
first hides each series' reset in the total: the sum drops by the restarted series' count, which
`rate()` reads as a reset of the whole sum and adds back as a huge spike.

## Example
```yaml
expr: rate(sum by (job) (http_requests_total)[5m:]) > 100
```

## Fixed
```yaml
expr: sum by (job) (rate(http_requests_total[5m])) > 100
```"#,
};

const AGGREGATIONS: &[&str] = &[
    "sum", "min", "max", "avg", "count", "group", "stddev", "stdvar", "quantile",
];

/// Whether the aggregated text names a counter (`_total`, or a
/// histogram's or summary's `_count`/`_sum`/`_bucket`): resets are a
/// counter's. `increase((max(x) - min(x))[1h:])` over a gauge's spread is a
/// change of a gauge, which has no resets to hide.
fn aggregates_a_counter(text: &str) -> bool {
    text.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == ':'))
        .any(|word| {
            ["_total", "_count", "_sum", "_bucket"]
                .iter()
                .any(|suffix| word.len() > suffix.len() && word.ends_with(suffix))
        })
}

impl Check for RateOfSum {
    fn info(&self) -> &'static CheckInfo {
        &INFO
    }

    fn check_file(&self, file: &RuleFile, _cx: &FileContext<'_>, out: &mut Vec<Diagnostic>) {
        rate_calls(file, |group, rule, expr, call| {
            let Some(first) = call.first_arg else { return };
            let first_text = first.text(&expr.text.value);
            if call.subquery
                && first.kind == TokenKind::Identifier
                && AGGREGATIONS.contains(&first_text)
                && call.function != "deriv"
                && aggregates_a_counter(&expr.text.value[first.start..call.range.0])
            {
                out.push(
                    report_rule(
                        &INFO,
                        file,
                        group,
                        rule,
                        expr.file_span(first.start, first.end),
                        format!(
                            "`{}()` of a `{first_text}()`: aggregating before the rate hides counter resets",
                            call.function
                        ),
                    )
                    .label("aggregated first")
                    .help(format!("take the rate first: `{first_text}(rate(x[5m]))`")),
                );
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::run;
    use super::*;

    fn record(expr: &str) -> String {
        format!("groups:\n- name: g\n  rules:\n  - record: x:y:rate\n    expr: {expr}\n")
    }

    #[test]
    fn reports_a_rate_of_a_sum_only() {
        let found = run(&RateOfSum, &record("rate(sum(a_total)[10m:1m])"));
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].0, "5:16");
        assert!(found[0].1.contains("hides counter resets"));
        assert!(run(&RateOfSum, &record("sum(rate(a_total[5m]))")).is_empty());
        assert!(run(&RateOfSum, &record("deriv(sum(a)[10m:1m])")).is_empty());
    }

    #[test]
    fn the_aggregation_may_sit_inside_parentheses() {
        // When the member with the highest count restarts, the max drops and
        // increase() reads a reset of the whole: a jump of changes.
        let found = run(
            &RateOfSum,
            &record("increase((max without (instance) (changes_total) or 0 * absent(changes_total))[15m:1m]) >= 4"),
        );
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].0, "5:21");
        assert!(
            found[0].1.starts_with("`increase()` of a `max()`"),
            "{found:?}"
        );
        assert!(run(&RateOfSum, &record("increase((changes_total)[15m:1m])")).is_empty());
        // A gauge's spread has no resets.
        assert!(run(
            &RateOfSum,
            &record("increase((max by (c) (triples) - min by (c) (triples))[1h:]) > 0.01")
        )
        .is_empty());
    }
}
