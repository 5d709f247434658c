use super::{groups, parsed_expr, report_rule, Check, CheckInfo, FileContext};
use crate::diagnostic::{Diagnostic, Severity};
use crate::promql::split::{split, Split};
use crate::promql::Comparison;
use crate::rules::{Group, Rule, RuleFile};

pub struct AlertShadowed;

static INFO: CheckInfo = CheckInfo {
    id: "alert/shadowed",
    severity: Severity::Warning,
    default_enabled: true,
    options: &[],
    summary: "An alert that fires only when another of the same name and labels already fires: the same alert, twice",
    docs: r#"## What it does
Reports an alerting rule that another rule of the same file makes redundant: the same alert name,
the same labels (the group's and its own), the same signal compared in the same direction, a
threshold the other passes whenever this one does, a `for` no shorter and a `keep_firing_for` no
longer. Whenever this rule fires, the other already fires, with the same labels.

Rules of one name that differ in a label (`severity: warning` at 80%, `severity: critical` at 90%)
are what thresholds are for and pass; so does a stricter threshold with a shorter `for` (a sharp
spike or a long slow rise: either fires), and one alert name kept for different selectors
(`DiskFull` on `/` and on `/data`).

## Why is this bad?
Two rules that produce the same label set produce one alert in Alertmanager, whose annotations
flip between the two rules' texts, and Prometheus refuses the second rule's samples of the shared
`ALERTS_FOR_STATE` series while both are active ("duplicate sample for timestamp"; `promtool test
rules` fails on it). The stricter rule adds nothing: it never fires alone. Almost
always it was copied from the other to be the more severe one, and its `severity` label was not
changed, so the critical threshold pages as a warning, or never pages at all.

## Example
```yaml
- alert: DiskFilling
  expr: disk_used_ratio > 0.8
  for: 10m
  labels: {severity: warning}
- alert: DiskFilling
  expr: disk_used_ratio > 0.95
  for: 10m
  labels: {severity: warning}     # copied, never changed
```

## Fixed
```yaml
- alert: DiskFilling
  expr: disk_used_ratio > 0.95
  for: 10m
  labels: {severity: critical}
```"#,
};

/// What decides an alert's firing here, for the rules whose expression is a
/// signal compared with a number.
struct Candidate<'a> {
    group: &'a Group,
    rule: &'a Rule,
    labels: Vec<(&'a str, &'a str)>,
    split: Split,
    for_ms: u64,
    keep_ms: u64,
}

/// The label set an alert carries from its rule: the group's labels, then
/// the rule's own over them.
fn static_labels<'a>(group: &'a Group, rule: &'a Rule) -> Vec<(&'a str, &'a str)> {
    let mut labels: Vec<(&str, &str)> = Vec::new();
    for entry in group.labels.iter().chain(&rule.labels) {
        let key = entry.key.value.as_str();
        labels.retain(|(k, _)| *k != key);
        labels.push((key, entry.value.value.as_str()));
    }
    labels.sort_unstable();
    labels
}

/// Whether every value passing `strict` passes `loose`: the same direction,
/// and a threshold no stricter.
fn implies(strict: &Split, loose: &Split) -> bool {
    use Comparison::*;
    let (s, l) = (strict.threshold, loose.threshold);
    match (strict.op, loose.op) {
        (Gt | Ge, Gt | Ge) => l < s || (l == s && (loose.op == Ge || strict.op == Gt)),
        (Lt | Le, Lt | Le) => l > s || (l == s && (loose.op == Le || strict.op == Lt)),
        _ => false,
    }
}

fn candidate<'a>(group: &'a Group, rule: &'a Rule) -> Option<Candidate<'a>> {
    let (_, parsed) = parsed_expr(rule)?;
    let split = split(parsed).ok()?;
    if !split.threshold.is_finite() {
        return None;
    }
    Some(Candidate {
        group,
        rule,
        labels: static_labels(group, rule),
        split,
        for_ms: rule.for_.as_ref().map_or(0, |d| d.value.millis),
        keep_ms: rule.keep_firing_for.as_ref().map_or(0, |d| d.value.millis),
    })
}

impl Check for AlertShadowed {
    fn info(&self) -> &'static CheckInfo {
        &INFO
    }

    fn check_file(&self, file: &RuleFile, _cx: &FileContext<'_>, out: &mut Vec<Diagnostic>) {
        let alerts: Vec<Candidate<'_>> = groups(file)
            .flat_map(|g| {
                g.rules
                    .iter()
                    .filter(|r| r.is_alert())
                    .filter_map(move |r| candidate(g, r))
            })
            .collect();
        for (i, strict) in alerts.iter().enumerate() {
            let shadow = alerts.iter().enumerate().find(|(j, loose)| {
                *j != i
                    && loose.rule.name() == strict.rule.name()
                    && loose.labels == strict.labels
                    && loose.split.signal == strict.split.signal
                    && implies(&strict.split, &loose.split)
                    && loose.for_ms <= strict.for_ms
                    && loose.keep_ms >= strict.keep_ms
                    // The very same rule twice is rule/duplicate's; of two
                    // equal ones, the first is kept.
                    && !(loose.split == strict.split
                        && loose.for_ms == strict.for_ms
                        && loose.keep_ms == strict.keep_ms)
            });
            let Some((_, loose)) = shadow else { continue };
            let Some(expr) = strict.rule.expr.as_ref() else {
                continue;
            };
            let at = file.source.line_col(loose.rule.anchor().start);
            let for_words = match loose.rule.for_.as_ref() {
                Some(d) => format!(", `for: {}`", d.value),
                None => String::new(),
            };
            out.push(
                report_rule(
                    &INFO,
                    file,
                    strict.group,
                    strict.rule,
                    expr.file_span(0, expr.text.value.trim_end().len()),
                    format!(
                        "fires only when `{}` at line {} already fires, as the same alert: it has the same labels and `{} {}`{for_words}, which passes whenever `{} {}` does",
                        loose.rule.name(),
                        at.line,
                        loose.split.op.symbol(),
                        loose.split.threshold,
                        strict.split.op.symbol(),
                        strict.split.threshold,
                    ),
                )
                .label("never fires alone")
                .help("if this is the more severe one, give it its own `severity`; otherwise remove it"),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::run;
    use super::*;

    fn rules(body: &str) -> String {
        format!("groups:\n- name: g\n  rules:\n{body}")
    }

    fn alert(expr: &str, for_: &str, severity: &str) -> String {
        format!("  - alert: DiskFilling\n    expr: {expr}\n    for: {for_}\n    labels: {{severity: {severity}}}\n")
    }

    #[test]
    fn a_stricter_copy_with_the_same_labels() {
        let text = rules(
            &(alert("disk_used_ratio > 0.8", "10m", "warning")
                + &alert("disk_used_ratio > 0.95", "10m", "warning")),
        );
        let found = run(&AlertShadowed, &text);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].0, "9:11");
        assert_eq!(
            found[0].1,
            "fires only when `DiskFilling` at line 4 already fires, as the same alert: it has the same labels and `> 0.8`, `for: 10m`, which passes whenever `> 0.95` does"
        );
        // The other direction, a reversed comparison, a longer `for`.
        let text = rules(
            &(alert("free_bytes < 100", "5m", "warning")
                + &alert("10 > free_bytes", "15m", "warning")),
        );
        assert_eq!(run(&AlertShadowed, &text).len(), 1);
    }

    #[test]
    fn thresholds_that_say_something_pass() {
        for body in [
            // Different severities: what thresholds are for.
            alert("disk_used_ratio > 0.8", "10m", "warning")
                + &alert("disk_used_ratio > 0.95", "10m", "critical"),
            // A sharp spike or a long rise: either fires.
            alert("disk_used_ratio > 0.8", "1h", "warning")
                + &alert("disk_used_ratio > 0.95", "5m", "warning"),
            // Different selectors, one name.
            alert("disk_used_ratio{mountpoint=\"/\"} > 0.8", "10m", "warning")
                + &alert(
                    "disk_used_ratio{mountpoint=\"/data\"} > 0.8",
                    "10m",
                    "warning",
                ),
            // Opposite directions.
            alert("temperature > 80", "10m", "warning")
                + &alert("temperature < 5", "10m", "warning"),
            // The same rule twice is rule/duplicate's.
            alert("disk_used_ratio > 0.8", "10m", "warning")
                + &alert("disk_used_ratio > 0.8", "10m", "warning"),
        ] {
            let text = rules(&body);
            assert!(run(&AlertShadowed, &text).is_empty(), "{text}");
        }
        // Group labels tell the two apart.
        let text = "groups:\n- name: a\n  labels: {team: db}\n  rules:\n  - alert: X\n    expr: x > 1\n- name: b\n  labels: {team: web}\n  rules:\n  - alert: X\n    expr: x > 2\n";
        assert!(run(&AlertShadowed, text).is_empty());
    }
}
