use super::FileContext;
use super::{report, Check, CheckInfo};
use crate::diagnostic::{Diagnostic, Severity};
use crate::rules::{LoadProblem, RuleFile};

pub struct BadDuration;

static INFO: CheckInfo = CheckInfo {
    id: "structure/duration",
    severity: Severity::Error,
    default_enabled: true,
    options: &[],
    summary: "A duration that Prometheus cannot parse",
    docs: r#"## What it does
Checks `for`, `keep_firing_for`, `interval` and `query_offset` against Prometheus's duration format:
whole numbers with units `y w d h m s ms`, largest first, each unit at most once (`1h30m`, `90s`);
a bare `0` is allowed. Values past Go's limit (about 292 years) are out of range.

## Why is this bad?
Prometheus refuses the file. Common slips: `5` (no unit), `1.5m` (no fractions), `5m30` (unit
missing on the last part), `1mo` (no month unit).

## Example
```yaml
for: 1.5m     # write 90s
```

## Fixed
```yaml
for: 90s
```"#,
};

impl Check for BadDuration {
    fn info(&self) -> &'static CheckInfo {
        &INFO
    }

    fn check_file(&self, file: &RuleFile, _cx: &FileContext<'_>, out: &mut Vec<Diagnostic>) {
        for problem in &file.problems {
            if let LoadProblem::BadDuration {
                field,
                message,
                span,
            } = problem
            {
                out.push(
                    report(&INFO, file, *span, format!("`{field}`: {message}"))
                        .label("not a Prometheus duration")
                        .help("use whole numbers with units y, w, d, h, m, s, ms, largest first: 1h30m, 90s"),
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::places;
    use super::*;

    #[test]
    fn reports_bad_durations() {
        let text = "groups:\n- name: a\n  interval: 1.5m\n  rules:\n  - alert: X\n    expr: up\n    for: 5\n";
        assert_eq!(places(&BadDuration, text), ["3:13", "7:10"]);
        let good = "groups:\n- name: a\n  interval: 30s\n  rules:\n  - alert: X\n    expr: up\n    for: 0\n";
        assert!(places(&BadDuration, good).is_empty());
    }
}
