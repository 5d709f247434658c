use super::FileContext;
use super::{report, Check, CheckInfo};
use crate::diagnostic::{Diagnostic, Severity};
use crate::rules::{LoadProblem, RuleFile};
use crate::source::Span;

pub struct YamlEmpty;

static INFO: CheckInfo = CheckInfo {
    id: "yaml/empty",
    severity: Severity::Error,
    default_enabled: true,
    options: &[],
    summary: "The file holds no YAML document at all",
    docs: r#"## What it does
Reports a rule file that is empty or holds only comments.

## Why is this bad?
promtool accepts an empty file ("0 rules found"), but a rule file with nothing in it is almost
always a mistake: a truncated write, a template that rendered nothing, the wrong file committed.
Alerts that were meant to be there silently are not. firedrill is stricter than promtool here.

## Example
`prometheusrule-redis.yaml`, holding only a comment:
```yaml
# Redis alerts (TODO)
```
Add the rules, or delete the file.

## Fixed
`prometheusrule-redis.yaml` with its rules:
```yaml
apiVersion: monitoring.coreos.com/v1
kind: PrometheusRule
metadata: {name: redis}
spec:
  groups:
    - name: redis
      rules:
        - alert: RedisDown
          expr: redis_up == 0
```"#,
};

impl Check for YamlEmpty {
    fn info(&self) -> &'static CheckInfo {
        &INFO
    }

    fn check_file(&self, file: &RuleFile, _cx: &FileContext<'_>, out: &mut Vec<Diagnostic>) {
        if file.problems.contains(&LoadProblem::EmptyFile) {
            out.push(report(
                &INFO,
                file,
                Span::empty(0),
                "the file is empty: it defines no rule groups",
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::places;
    use super::*;

    #[test]
    fn empty_and_comment_only_files_are_reported() {
        assert_eq!(places(&YamlEmpty, ""), ["1:1"]);
        assert_eq!(places(&YamlEmpty, "# nothing here\n"), ["1:1"]);
        assert!(places(&YamlEmpty, "groups: []\n").is_empty());
    }
}
