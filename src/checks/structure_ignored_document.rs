use super::FileContext;
use super::{report, Check, CheckInfo};
use crate::diagnostic::{Diagnostic, Severity};
use crate::rules::{LoadProblem, RuleFile};

pub struct IgnoredDocument;

static INFO: CheckInfo = CheckInfo {
    id: "structure/ignored-document",
    severity: Severity::Warning,
    default_enabled: true,
    options: &[],
    summary: "A second YAML document in a plain rule file, which Prometheus ignores",
    docs: r#"## What it does
Reports YAML documents after the first in a plain rule file (one with top-level `groups:`).
PrometheusRule manifests are different: every `kind: PrometheusRule` document of a file is loaded.

## Why is this bad?
Prometheus decodes only the first document of a rule file and silently drops the rest, so the rules
after `---` never run, and promtool does not say so.

## Example
```yaml
groups:
  - name: a
    rules: [...]
---
groups:            # ignored by Prometheus
  - name: b
```
Put all groups in one document, or in separate files.

## Fixed
```yaml
groups:
  - name: a
    rules: [...]
  - name: b
```"#,
};

impl Check for IgnoredDocument {
    fn info(&self) -> &'static CheckInfo {
        &INFO
    }

    fn check_file(&self, file: &RuleFile, _cx: &FileContext<'_>, out: &mut Vec<Diagnostic>) {
        for problem in &file.problems {
            if let LoadProblem::IgnoredDocument { span } = problem {
                out.push(
                    report(&INFO, file, *span, "Prometheus reads only the first YAML document of a rule file; this one is ignored")
                        .help("move these groups into the first document or into their own file"),
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
    fn reports_later_plain_documents() {
        let text = "groups:\n- name: a\n  rules: []\n---\ngroups:\n- name: b\n  rules: []\n";
        assert_eq!(places(&IgnoredDocument, text), ["4:1"]);
        let manifests = "kind: PrometheusRule\napiVersion: monitoring.coreos.com/v1\nspec: {groups: []}\n---\nkind: PrometheusRule\napiVersion: monitoring.coreos.com/v1\nspec: {groups: []}\n";
        assert!(places(&IgnoredDocument, manifests).is_empty());
    }
}
