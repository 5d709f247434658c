use super::FileContext;
use super::{groups, report, rule_name, Check, CheckInfo};
use crate::diagnostic::{Diagnostic, Severity};
use crate::rules::{Entry, RuleFile};

pub struct LabelName;

static INFO: CheckInfo = CheckInfo {
    id: "structure/label-name",
    severity: Severity::Error,
    default_enabled: true,
    options: &[],
    summary: "A rule or group label that Prometheus cannot set",
    docs: r#"## What it does
Checks the names in `labels:` of rules and groups: a name must not be empty and must not be
`__name__`. Prometheus 3 accepts any other UTF-8 name (`ins-tance`), as promtool does.

## Why is this bad?
Prometheus refuses the file. A rule may not rename the series it produces through `labels`.

## Example
```yaml
labels:
  __name__: other_metric      # not allowed
```

## Fixed
```yaml
record: other_metric          # no __name__ label
```
A recording rule names its series with `record:`; `labels:` only adds other labels."#,
};

fn check_entries(
    file: &RuleFile,
    entries: &[Entry],
    group: &str,
    rule: Option<crate::diagnostic::RuleName>,
    out: &mut Vec<Diagnostic>,
) {
    for entry in entries {
        let name = entry.key.value.as_str();
        let problem = if name.is_empty() {
            "invalid label name: the name is empty"
        } else if name == "__name__" {
            "invalid label name: __name__ cannot be set by a rule's labels"
        } else {
            continue;
        };
        out.push(
            report(&INFO, file, entry.key.span, problem)
                .group(group)
                .rule(rule.clone()),
        );
    }
}

impl Check for LabelName {
    fn info(&self) -> &'static CheckInfo {
        &INFO
    }

    fn check_file(&self, file: &RuleFile, _cx: &FileContext<'_>, out: &mut Vec<Diagnostic>) {
        for group in groups(file) {
            check_entries(file, &group.labels, group.name(), None, out);
            for rule in &group.rules {
                check_entries(file, &rule.labels, group.name(), rule_name(rule), out);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::places;
    use super::*;

    #[test]
    fn reports_reserved_and_empty_names() {
        let text = "groups:\n- name: a\n  labels:\n    __name__: x\n  rules:\n  - alert: A\n    expr: up\n    labels:\n      \"\": x\n      ins-tance: ok\n";
        assert_eq!(places(&LabelName, text), ["4:5", "9:7"]);
    }
}
