use super::FileContext;
use super::{report, Check, CheckInfo};
use crate::diagnostic::{Diagnostic, Severity};
use crate::rules::{LoadProblem, RuleFile};

pub struct EmbeddedRules;

static INFO: CheckInfo = CheckInfo {
    id: "structure/embedded-rules",
    severity: Severity::Info,
    default_enabled: true,
    options: &[],
    summary: "Rules kept in a ConfigMap as a quoted string, which firedrill cannot lint in place",
    docs: r#"## What it does
Rule files kept in a Kubernetes ConfigMap's `data` are linted where they are written, at their
real lines, when each is a literal block (`alerts.yml: |`). This check says which rule files of a
ConfigMap were **not** linted: those written as a quoted string (`"groups:\n- name: ..."`) or a
folded block (`>`), whose lines are not the file's own.

## Why is this bad?
Nothing is wrong with the ConfigMap: Kubernetes and Prometheus read it. But the rules inside were
not checked, and a linter that skips them without a word would pass them off as clean.

## Example
```yaml
kind: ConfigMap
data:
  alerts.yml: "groups:\n- name: node\n  rules:\n  - alert: Down\n    expr: up == 0\n"
```

## Fixed
```yaml
kind: ConfigMap
data:
  alerts.yml: |
    groups:
    - name: node
      rules:
      - alert: Down
        expr: up == 0
```"#,
};

impl Check for EmbeddedRules {
    fn info(&self) -> &'static CheckInfo {
        &INFO
    }

    fn check_file(&self, file: &RuleFile, _cx: &FileContext<'_>, out: &mut Vec<Diagnostic>) {
        for problem in &file.problems {
            if let LoadProblem::UnreadEmbedded { key, span } = problem {
                out.push(
                    report(
                        &INFO,
                        file,
                        *span,
                        format!("the rule file `{key}` is a quoted string, so its rules were not linted"),
                    )
                    .label("not linted")
                    .help(format!(
                        "write it as a literal block (`{key}: |`), whose lines firedrill reads in place"
                    )),
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
    fn names_the_rule_files_it_could_not_read() {
        let quoted = "kind: ConfigMap\ndata:\n  a.yml: \"groups:\\n- name: a\\n  rules: []\\n\"\n  b.yml: |\n    groups: []\n";
        assert_eq!(places(&EmbeddedRules, quoted), ["3:10"]);
        let config = "kind: ConfigMap\ndata:\n  prometheus.yml: \"global: {}\\n\"\n";
        assert!(places(&EmbeddedRules, config).is_empty());
    }
}
