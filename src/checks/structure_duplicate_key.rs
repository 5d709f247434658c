use super::FileContext;
use super::{report, Check, CheckInfo};
use crate::diagnostic::{Diagnostic, Severity};
use crate::rules::{LoadProblem, RuleFile};

pub struct DuplicateKey;

static INFO: CheckInfo = CheckInfo {
    id: "structure/duplicate-key",
    severity: Severity::Error,
    default_enabled: true,
    options: &[],
    summary: "A mapping has the same key twice",
    docs: r#"## What it does
Reports a YAML mapping that repeats a key, such as two `expr:` in one rule or two `severity:` labels.

## Why is this bad?
Prometheus's YAML decoder rejects the file ("mapping key already defined"). Other tools silently keep
the first or the last value, so what you review is not what runs.

## Example
```yaml
- alert: HighLatency
  expr: latency_seconds > 1
  expr: latency_seconds > 2
```
Keep one `expr:`.

## Fixed
```yaml
- alert: HighLatency
  expr: latency_seconds > 1
```"#,
};

impl Check for DuplicateKey {
    fn info(&self) -> &'static CheckInfo {
        &INFO
    }

    fn check_file(&self, file: &RuleFile, _cx: &FileContext<'_>, out: &mut Vec<Diagnostic>) {
        for problem in &file.problems {
            if let LoadProblem::DuplicateKey { key, first, again } = problem {
                let line = file.source.line_col(first.start).line;
                out.push(
                    report(
                        &INFO,
                        file,
                        *again,
                        format!("mapping key {key:?} already defined at line {line}"),
                    )
                    .label("defined again here")
                    .related(*first, "first defined here"),
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
    fn reports_the_second_key() {
        let text = "groups:\n- name: a\n  rules:\n  - alert: X\n    expr: up\n    expr: down\n";
        assert_eq!(places(&DuplicateKey, text), ["6:5"]);
        assert!(places(&DuplicateKey, "groups:\n- name: a\n  rules: []\n").is_empty());
    }
}
