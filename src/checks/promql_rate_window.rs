use super::{groups, report_rule, Check, CheckInfo, FileContext};
use crate::diagnostic::{Diagnostic, Severity};
use crate::promql::{tokenize, Token, TokenKind};
use crate::rules::duration::Duration;
use crate::rules::RuleFile;
use crate::rules::{Group, Rule, RuleExpr};

pub struct RateWindow;

static INFO: CheckInfo = CheckInfo {
    id: "promql/rate-window",
    severity: Severity::Warning,
    default_enabled: true,
    options: &[],
    summary: "`rate()`-like functions over a window under twice the scrape interval",
    docs: r#"## What it does
For `rate`, `irate`, `increase` and `deriv`, reports a range shorter than twice the scrape
interval: `[lint] scrape-interval` when set, else 30s for PrometheusRule manifests (the Prometheus
Operator's `scrapeInterval` default), else 15s, the interval of Prometheus's example configuration
and the shortest in common use (its built-in default is 1m: set `[lint] scrape-interval = "1m"` if
yours runs with it). The finding says which it assumed.

(`rate()` of an aggregation is `promql/rate-of-sum`'s, of a gauge `promql/rate-gauge`'s.)

## Why is this bad?
With samples every 30s, `rate(x[30s])` usually sees one sample: no result, so the alert is
silently never evaluated as true (or flaps as scrape timing jitters). Prometheus's own advice is a
range of at least four scrape intervals.

## Example
```yaml
expr: rate(http_requests_total[30s]) > 10      # scrape interval 30s
```

## Fixed
```yaml
expr: rate(http_requests_total[2m]) > 10       # four scrape intervals
```"#,
};

pub(super) const FUNCTIONS: &[&str] = &["rate", "irate", "increase", "deriv"];
/// A call of one of [`FUNCTIONS`] as written: its name token, the first
/// token of its argument inside any parentheses, and the range in brackets.
pub(super) struct RangeCall<'a> {
    pub function: &'a str,
    pub first_arg: Option<&'a Token>,
    /// The range's tokens' span in the expression text, and whether it is a subquery.
    pub range: (usize, usize),
    pub subquery: bool,
}

pub(super) fn range_calls<'a>(text: &'a str, tokens: &'a [Token]) -> Vec<RangeCall<'a>> {
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
            // Through parentheses: `increase((max(x) or ...)[15m:1m])`.
            first_arg: tokens[i + 2..]
                .iter()
                .find(|t| t.kind != TokenKind::LeftParen),
            range: (tokens[open + 1].start, tokens[end - 1].end),
            subquery: colon.is_some(),
        });
    }
    out
}

/// Calls `f` with every rate-like call of every parsed rule of the file, and the expression's text.
pub(super) fn rate_calls<'f>(
    file: &'f RuleFile,
    mut f: impl FnMut(&'f Group, &'f Rule, &'f RuleExpr, &RangeCall<'_>),
) {
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
                f(group, rule, expr, &call);
            }
        }
    }
}

impl Check for RateWindow {
    fn info(&self) -> &'static CheckInfo {
        &INFO
    }

    fn check_file(&self, file: &RuleFile, cx: &FileContext<'_>, out: &mut Vec<Diagnostic>) {
        let scrape = cx.scrape_interval(file);
        let minimum = Duration {
            millis: scrape.value.millis * 2,
        };
        rate_calls(file, |group, rule, expr, call| {
            let (start, end) = call.range;
            let Ok(range) = Duration::parse(&expr.text.value[start..end]) else {
                return;
            };
            if range < minimum {
                out.push(
                    report_rule(
                        &INFO,
                        file,
                        group,
                        rule,
                        expr.file_span(start, end),
                        format!(
                            "`{}()` over {range}, under twice the scrape interval ({scrape}): the window often holds a single sample",
                            call.function
                        ),
                    )
                    .label("too short")
                    .help(format!("use a range of at least {minimum}, better four scrape intervals; if targets are scraped more often, set `[lint] scrape-interval` in .firedrill.toml")),
                );
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::{run, run_with};
    use super::super::Settings;
    use super::*;

    fn record(expr: &str) -> String {
        format!("groups:\n- name: g\n  rules:\n  - record: x:y:rate\n    expr: {expr}\n")
    }

    #[test]
    fn reports_short_windows() {
        let found = run(
            &RateWindow,
            &record("rate(a_total[15s]) + irate(b_total{x=\"[\"}[20s]) + rate(c_total[30s])"),
        );
        let places: Vec<&str> = found.iter().map(|(p, _)| p.as_str()).collect();
        assert_eq!(places, ["5:24", "5:53"], "{found:?}");
        assert!(found[0].1.contains("(15s at the least"), "{found:?}");
        let slow = Settings {
            scrape_interval: Some(Duration::from_secs(60)),
            ..Settings::default()
        };
        let found = run_with(&RateWindow, &record("rate(c_total[1m])"), &slow);
        assert!(found[0].1.contains("scrape interval (1m)"), "{found:?}");
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
            scrape_interval: Some(Duration::from_secs(15)),
            ..Settings::default()
        };
        assert!(run_with(&RateWindow, &record("rate(a_total[30s])"), &fast).is_empty());
        // A manifest is scraped every 30s by the Operator's default.
        let manifest = "apiVersion: monitoring.coreos.com/v1\nkind: PrometheusRule\nmetadata: {name: r}\nspec:\n  groups:\n  - name: g\n    rules:\n    - record: x:y:rate\n      expr: rate(a_total[45s])\n";
        let found = run(&RateWindow, manifest);
        assert!(
            found[0]
                .1
                .contains("(30s, the Prometheus Operator's default)"),
            "{found:?}"
        );
    }
}
