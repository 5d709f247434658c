use super::{groups, report_rule, Check, CheckInfo, Settings};
use crate::diagnostic::{Diagnostic, Severity};
use crate::promql::{tokenize, Token, TokenKind};
use crate::rules::duration::Duration;
use crate::rules::RuleFile;

pub struct RateWindow;

static INFO: CheckInfo = CheckInfo {
    id: "promql/rate-window",
    severity: Severity::Warning,
    default_enabled: true,
    summary: "`rate()`-like functions over a window under 2× the scrape interval, over a gauge, or over a sum",
    docs: r#"## What it does
For `rate`, `irate`, `increase` and `deriv`, reports:
- a range shorter than twice the scrape interval (`[lint] scrape-interval`, default 1m): the
  window often holds one sample, and the function returns nothing;
- `rate(sum(...)[5m:])`: a rate over an aggregate (a subquery). Summing first hides each series'
  counter resets, so a restart shows as a huge negative then positive spike;
- as *info*: `rate`, `irate` or `increase` of a name that looks like a gauge (ends in `_bytes`,
  `_ratio`, `_percent`, `_celsius` or `_info`, without `_total`). Use `deriv()` or `delta()` for
  gauges.

## Why is this bad?
With samples every 1m, `rate(x[1m])` usually sees one sample: no result, so the alert is silently
never evaluated as true (or flaps as scrape timing jitters). Prometheus's own advice is a range of
at least four scrape intervals.

## Example
```yaml
expr: rate(http_requests_total[1m]) > 10      # scrape interval 1m
```
Write `rate(http_requests_total[5m]) > 10`.

## Fixed
```yaml
expr: rate(http_requests_total[5m]) > 10      # five scrape intervals
```"#,
};

const FUNCTIONS: &[&str] = &["rate", "irate", "increase", "deriv"];
const AGGREGATIONS: &[&str] = &[
    "sum", "min", "max", "avg", "count", "group", "stddev", "stdvar", "quantile",
];
const GAUGE_SUFFIXES: &[&str] = &["_bytes", "_ratio", "_percent", "_celsius", "_info"];

/// A call of one of [`FUNCTIONS`] as written: its name token, the first
/// token of its argument, and the range in brackets.
struct RangeCall<'a> {
    function: &'a str,
    first_arg: Option<&'a Token>,
    /// The range's tokens' span in the expression text, and whether it is a subquery.
    range: (usize, usize),
    subquery: bool,
}

fn range_calls<'a>(text: &'a str, tokens: &'a [Token]) -> Vec<RangeCall<'a>> {
    let mut out = Vec::new();
    for (i, t) in tokens.iter().enumerate() {
        if t.kind != TokenKind::Identifier || !FUNCTIONS.contains(&t.text(text)) {
            continue;
        }
        if tokens.get(i + 1).map(|n| n.kind) != Some(TokenKind::LeftParen) {
            continue;
        }
        let mut depth = 0usize;
        let mut j = i + 1;
        let mut bracket = None;
        while j < tokens.len() {
            match tokens[j].kind {
                TokenKind::LeftParen | TokenKind::LeftBrace => depth += 1,
                TokenKind::RightParen | TokenKind::RightBrace => {
                    depth = depth.saturating_sub(1);
                    if depth == 0 {
                        break;
                    }
                }
                TokenKind::LeftBracket if depth == 1 && bracket.is_none() => bracket = Some(j),
                _ => {}
            }
            j += 1;
        }
        let Some(open) = bracket else { continue };
        let Some(close) =
            (open + 1..tokens.len()).find(|&k| tokens[k].kind == TokenKind::RightBracket)
        else {
            continue;
        };
        let colon = (open + 1..close).find(|&k| tokens[k].kind == TokenKind::Colon);
        let end = colon.unwrap_or(close);
        if end <= open + 1 {
            continue;
        }
        out.push(RangeCall {
            function: t.text(text),
            first_arg: tokens.get(i + 2),
            range: (tokens[open + 1].start, tokens[end - 1].end),
            subquery: colon.is_some(),
        });
    }
    out
}

impl Check for RateWindow {
    fn info(&self) -> &'static CheckInfo {
        &INFO
    }

    fn check_file(&self, file: &RuleFile, settings: &Settings, out: &mut Vec<Diagnostic>) {
        let minimum = Duration {
            millis: settings.scrape_interval.millis * 2,
        };
        for group in groups(file) {
            for rule in &group.rules {
                let Some(expr) = &rule.expr else { continue };
                if expr.parsed.is_err() {
                    continue;
                }
                let text = expr.text.value.as_str();
                if !FUNCTIONS.iter().any(|f| text.contains(f)) {
                    continue;
                }
                let tokens: Vec<Token> = tokenize(text)
                    .into_iter()
                    .filter(|t| t.kind != TokenKind::Comment)
                    .collect();
                for call in range_calls(text, &tokens) {
                    let (start, end) = call.range;
                    let range_text = &text[start..end];
                    if let Ok(range) = Duration::parse(range_text) {
                        if range < minimum {
                            out.push(
                                report_rule(
                                    &INFO,
                                    file,
                                    group,
                                    rule,
                                    expr.file_span(start, end),
                                    format!(
                                        "`{}()` over {range}, under twice the scrape interval ({}): the window often holds a single sample",
                                        call.function, settings.scrape_interval
                                    ),
                                )
                                .label("too short")
                                .help(format!("use a range of at least {minimum}, better four scrape intervals; if targets are scraped more often, set `[lint] scrape-interval` in .firedrill.toml")),
                            );
                        }
                    }
                    let Some(first) = call.first_arg else {
                        continue;
                    };
                    let first_text = first.text(text);
                    if call.subquery
                        && first.kind == TokenKind::Identifier
                        && AGGREGATIONS.contains(&first_text)
                        && call.function != "deriv"
                    {
                        out.push(
                            report_rule(
                                &INFO,
                                file,
                                group,
                                rule,
                                expr.file_span(first.start, first.end),
                                format!("`{}()` of a `{first_text}()`: aggregating before the rate hides counter resets", call.function),
                            )
                            .label("aggregated first")
                            .help(format!("take the rate first: `{first_text}(rate(x[5m]))`")),
                        );
                    } else if first.kind == TokenKind::Identifier
                        && call.function != "deriv"
                        && looks_like_gauge(first_text)
                    {
                        let mut d = report_rule(
                            &INFO,
                            file,
                            group,
                            rule,
                            expr.file_span(first.start, first.end),
                            format!(
                                "`{}()` of `{first_text}`, which looks like a gauge",
                                call.function
                            ),
                        )
                        .label("a gauge?")
                        .help(
                            "rate() is for counters (`_total`); for a gauge use deriv() or delta()",
                        );
                        d.severity = Severity::Info;
                        out.push(d);
                    }
                }
            }
        }
    }
}

fn looks_like_gauge(name: &str) -> bool {
    !name.ends_with("_total") && GAUGE_SUFFIXES.iter().any(|s| name.ends_with(s))
}

#[cfg(test)]
mod tests {
    use super::super::testing::{run, run_with};
    use super::*;

    fn record(expr: &str) -> String {
        format!("groups:\n- name: g\n  rules:\n  - record: x:y:rate\n    expr: {expr}\n")
    }

    #[test]
    fn reports_short_windows_sums_and_gauges() {
        let found = run(
            &RateWindow,
            &record("rate(a_total[1m]) + irate(b_total{x=\"[\"}[90s])"),
        );
        let places: Vec<&str> = found.iter().map(|(p, _)| p.as_str()).collect();
        assert_eq!(places, ["5:24", "5:52"], "{found:?}");
        let found = run(&RateWindow, &record("rate(sum(a_total)[10m:1m])"));
        assert_eq!(found.len(), 1);
        assert!(found[0].1.contains("hides counter resets"));
        let found = run(&RateWindow, &record("rate(node_memory_MemFree_bytes[5m])"));
        assert_eq!(found[0].0, "5:16");
        assert!(found[0].1.contains("looks like a gauge"));
    }

    #[test]
    fn long_windows_counters_and_the_scrape_interval_setting() {
        assert!(run(
            &RateWindow,
            &record("sum(rate(a_total[5m])) / sum(rate(b_bytes_total[2m]))")
        )
        .is_empty());
        assert!(run(
            &RateWindow,
            &record("deriv(node_memory_MemFree_bytes[10m])")
        )
        .is_empty());
        let fast = Settings {
            scrape_interval: Duration::from_secs(15),
            ..Settings::default()
        };
        assert!(run_with(&RateWindow, &record("rate(a_total[1m])"), &fast).is_empty());
    }
}
