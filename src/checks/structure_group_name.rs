use std::collections::HashMap;

use super::FileContext;
use super::{report, Check, CheckInfo};
use crate::diagnostic::{Diagnostic, Severity};
use crate::rules::RuleFile;
use crate::source::Span;

pub struct GroupName;

static INFO: CheckInfo = CheckInfo {
    id: "structure/group-name",
    severity: Severity::Error,
    default_enabled: true,
    options: &[],
    summary: "A group without a name, or with a name used twice in one file",
    docs: r#"## What it does
Checks that every group has a non-empty `name` and that no two groups of a file (of a PrometheusRule
document, for manifests) share a name.

## Why is this bad?
Prometheus refuses the file: group names identify groups in the rule manager, in `/api/v1/rules`
and in the `rule_group` label of its own metrics.

## Example
```yaml
groups:
  - name: redis
    rules: [...]
  - name: redis       # repeated in the same file
    rules: [...]
```

## Fixed
```yaml
groups:
  - name: redis
    rules: [...]
  - name: redis-replication     # unique in the file
    rules: [...]
```"#,
};

impl Check for GroupName {
    fn info(&self) -> &'static CheckInfo {
        &INFO
    }

    fn check_file(&self, file: &RuleFile, _cx: &FileContext<'_>, out: &mut Vec<Diagnostic>) {
        for document in &file.documents {
            let mut seen: HashMap<&str, Span> = HashMap::new();
            for group in &document.groups {
                let Some(name) = group.name.as_ref().filter(|n| !n.value.is_empty()) else {
                    let span = group
                        .name
                        .as_ref()
                        .map_or(Span::empty(group.span.start), |n| n.span);
                    out.push(
                        report(&INFO, file, span, "group name must not be empty")
                            .label("this group has no name"),
                    );
                    continue;
                };
                if let Some(first) = seen.get(name.value.as_str()) {
                    out.push(
                        report(
                            &INFO,
                            file,
                            name.span,
                            format!("group name {:?} is repeated in the same file", name.value),
                        )
                        .label("repeated")
                        .related(*first, "first used here")
                        .group(&name.value),
                    );
                } else {
                    seen.insert(&name.value, name.span);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::places;
    use super::*;

    #[test]
    fn reports_missing_and_repeated_names() {
        let text = "groups:\n- name: a\n  rules: []\n- rules: []\n- name: a\n  rules: []\n";
        assert_eq!(places(&GroupName, text), ["4:3", "5:9"]);
        assert!(places(
            &GroupName,
            "groups:\n- name: a\n  rules: []\n- name: b\n  rules: []\n"
        )
        .is_empty());
    }
}
