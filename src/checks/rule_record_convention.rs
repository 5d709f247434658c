use super::{groups, report_rule, Check, CheckInfo, FileContext};
use crate::diagnostic::{Diagnostic, Severity};
use crate::rules::{RuleFile, RuleKind};

pub struct RecordConvention;

static INFO: CheckInfo = CheckInfo {
    id: "rule/record-convention",
    severity: Severity::Info,
    default_enabled: false,
    options: &[],
    summary: "A recording rule name that does not follow `level:metric:operations`",
    docs: r#"## What it does
Reports a recording rule whose name does not follow the `level:metric:operations` convention of
the Prometheus documentation (and `mimirtool rules check`): three parts separated by `:`, e.g.
`job:http_requests:rate5m`. An empty level (`:metric:sum`) or operation is accepted, an empty or
missing metric part is not. (Names that are not valid metric names at all are
`structure/record-name`'s.) Off by default: generated rule sets and many big mixins name their
series otherwise on purpose; turn it on (`[lint] enable = ["rule/record-convention"]`) if your
team keeps the convention.

## Why is this bad?
A recording rule without the convention looks like a raw metric: readers cannot tell what was
aggregated or how, and it may collide with a real exporter's metric.

## Example
```yaml
- record: http_errors_ratio
  expr: sum by (job) (rate(http_errors_total[5m])) / sum by (job) (rate(http_requests_total[5m]))
```

## Fixed
```yaml
- record: job:http_errors:ratio_rate5m
  expr: sum by (job) (rate(http_errors_total[5m])) / sum by (job) (rate(http_requests_total[5m]))
```"#,
};

impl Check for RecordConvention {
    fn info(&self) -> &'static CheckInfo {
        &INFO
    }

    fn check_file(&self, file: &RuleFile, _cx: &FileContext<'_>, out: &mut Vec<Diagnostic>) {
        for group in groups(file) {
            for rule in &group.rules {
                let Some(RuleKind::Record(name)) = rule.kind() else {
                    continue;
                };
                let n = &name.value;
                let parts: Vec<&str> = n.split(':').collect();
                // Only judge names that are otherwise valid metric names.
                let metric_name = n
                    .chars()
                    .next()
                    .is_some_and(|c| c.is_ascii_alphabetic() || c == '_' || c == ':')
                    && n.chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':');
                // An empty level (`:metric:op`, all labels aggregated away) or
                // operation is common and harmless; the metric part is not.
                if metric_name && (parts.len() < 3 || parts[1].is_empty()) {
                    out.push(
                        report_rule(
                            &INFO,
                            file,
                            group,
                            rule,
                            name.span,
                            format!("recording rule name {n:?} does not follow `level:metric:operations`"),
                        )
                        .label("not level:metric:operations")
                        .help("e.g. `job:http_requests:rate5m`: the labels kept, the metric, the operations"),
                    );
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
    fn reports_names_without_the_convention() {
        let text = "groups:\n- name: g\n  rules:\n  - record: up:sum\n    expr: sum(up)\n  - record: bad_name\n    expr: sum(up)\n  - record: job:up:sum\n    expr: sum by (job) (up)\n  - record: :thanos_objstore_bucket_failures:sum_rate\n    expr: up\n  - alert: Not_a_record\n    expr: up == 0\n";
        let found = run(&RecordConvention, text);
        let places: Vec<&str> = found.iter().map(|(p, _)| p.as_str()).collect();
        assert_eq!(places, ["4:13", "6:13"], "{found:?}");
    }
}
