use super::promql_rate_window::rate_calls;
use super::{report_rule, Check, CheckInfo, FileContext};
use crate::diagnostic::{Diagnostic, Severity};
use crate::promql::TokenKind;
use crate::rules::RuleFile;

pub struct RateGauge;

static INFO: CheckInfo = CheckInfo {
    id: "promql/rate-gauge",
    severity: Severity::Info,
    default_enabled: true,
    options: &[],
    summary: "`rate()`, `irate()` or `increase()` of a metric whose name says it is a gauge",
    docs: r#"## What it does
Reports `rate`, `irate` or `increase` of a metric whose name says it is a level, not a count:
it ends in `_ratio`, `_percent`, `_celsius` or `_info`, or in `_bytes` (without `_total`) with a
word of state before it (`available`, `free`, `used`, `size`, `usage`, `limit`, `capacity`:
`node_memory_MemAvailable_bytes`). A bare `_bytes` is not enough: exporters older than the naming
rules call byte counters so. Rates inside `histogram_quantile()` are of histograms, and pass.
Info: firedrill cannot see the metric's type offline.

## Why is this bad?
`rate()` treats every decrease as a counter reset: on a gauge that goes up and down, each drop is
read as a restart and added back, so the result is a meaningless, mostly positive number. Use
`deriv()` (per-second slope) or `delta()` for gauges.

## Example
```yaml
expr: rate(node_memory_MemFree_bytes[5m]) < -1e6
```

## Fixed
```yaml
expr: deriv(node_memory_MemFree_bytes[5m]) < -1e6
```"#,
};

const GAUGE_SUFFIXES: &[&str] = &["_ratio", "_percent", "_celsius", "_info"];

/// Words that name a level, before `_bytes`.
const STATE_WORDS: &[&str] = &[
    "avail", "free", "used", "size", "usage", "limit", "capacity",
];

fn looks_like_gauge(name: &str) -> bool {
    if name.ends_with("_total") {
        return false;
    }
    if name.ends_with("_bytes") {
        let lower = name.to_ascii_lowercase();
        return STATE_WORDS.iter().any(|w| lower.contains(w));
    }
    GAUGE_SUFFIXES.iter().any(|s| name.ends_with(s))
}

impl Check for RateGauge {
    fn info(&self) -> &'static CheckInfo {
        &INFO
    }

    fn check_file(&self, file: &RuleFile, _cx: &FileContext<'_>, out: &mut Vec<Diagnostic>) {
        rate_calls(file, |group, rule, expr, call| {
            let Some(first) = call.first_arg else { return };
            let name = first.text(&expr.text.value);
            if first.kind == TokenKind::Identifier
                && call.function != "deriv"
                && !expr.text.value.contains("histogram_quantile")
                && !call.subquery
                && looks_like_gauge(name)
            {
                out.push(
                    report_rule(
                        &INFO,
                        file,
                        group,
                        rule,
                        expr.file_span(first.start, first.end),
                        format!(
                            "`{}()` of `{name}`, which looks like a gauge",
                            call.function
                        ),
                    )
                    .label("a gauge?")
                    .help("rate() is for counters (`_total`); for a gauge use deriv() or delta()"),
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
    fn reports_a_rate_of_a_gauge_name() {
        let found = run(&RateGauge, &record("rate(node_memory_MemFree_bytes[5m])"));
        assert_eq!(found[0].0, "5:16");
        assert!(found[0].1.contains("looks like a gauge"));
        for ok in [
            "rate(b_bytes_total[2m])",
            "deriv(node_memory_MemFree_bytes[10m])",
            "rate(http_requests_total[5m])",
            "rate(junos_interface_transmit_bytes[5m])",
            "histogram_quantile(0.99, rate(request_size_bytes[5m]))",
        ] {
            assert!(run(&RateGauge, &record(ok)).is_empty(), "{ok}");
        }
    }
}
