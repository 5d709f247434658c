use super::FileContext;
use super::{closest, report, Check, CheckInfo};
use crate::diagnostic::{Diagnostic, Severity};
use crate::rules::{LoadProblem, RuleFile};

pub struct UnknownField;

static INFO: CheckInfo = CheckInfo {
    id: "structure/unknown-field",
    severity: Severity::Error,
    default_enabled: true,
    options: &[],
    summary: "A key that Prometheus's rule format does not have",
    docs: r#"## What it does
Reports keys that the rule format does not define: at the top of a rule file (only `groups`), in a
group (`name`, `interval`, `query_offset`, `limit`, `labels`, `rules`), in a rule (`alert`/`record`,
`expr`, `for`, `keep_firing_for`, `labels`, `annotations`) and in a PrometheusRule's `spec`.
`--ignore-unknown-fields` turns it off, as it does for promtool.

## Why is this bad?
Prometheus decodes rule files strictly and refuses the whole file. A misspelt key (`annotation:`,
`label:`) would otherwise drop what you meant to set.

## Example
```yaml
- alert: Down
  expr: up == 0
  annotation:            # should be `annotations`
    summary: Target down
```

## Fixed
```yaml
- alert: Down
  expr: up == 0
  annotations:
    summary: Target down
```"#,
};

impl Check for UnknownField {
    fn info(&self) -> &'static CheckInfo {
        &INFO
    }

    fn check_file(&self, file: &RuleFile, _cx: &FileContext<'_>, out: &mut Vec<Diagnostic>) {
        for problem in &file.problems {
            if let LoadProblem::UnknownField {
                field,
                owner,
                known,
                span,
            } = problem
            {
                let mut d = report(
                    &INFO,
                    file,
                    *span,
                    format!("field {field:?} is not valid in a {owner}"),
                )
                .label("unknown field");
                d = match closest(field, known) {
                    Some(k) => d.help(format!("did you mean `{k}`?")),
                    None => d.help(format!("a {owner} may have: {}", known.join(", "))),
                };
                out.push(d);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::run;
    use super::*;

    #[test]
    fn reports_unknown_keys_at_each_level() {
        let text = "groups:\n- name: a\n  owner: x\n  rules:\n  - alert: X\n    expr: up\n    annotation: {}\nextra: 1\n";
        let found = run(&UnknownField, text);
        let places: Vec<_> = found.iter().map(|f| f.0.as_str()).collect();
        assert_eq!(places, ["3:3", "7:5", "8:1"]);
        assert!(run(&UnknownField, "groups:\n- name: a\n  rules: []\n").is_empty());
    }
}
