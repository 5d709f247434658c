use super::{closest, report, Check, CheckInfo, FileContext};
use crate::diagnostic::{Diagnostic, Severity};
use crate::rules::RuleFile;
use crate::suppression;

pub struct UnknownId;

static INFO: CheckInfo = CheckInfo {
    id: "suppression/unknown-id",
    severity: Severity::Warning,
    default_enabled: true,
    options: &[],
    summary: "A `# firedrill disable` comment names a check that does not exist",
    docs: r#"## What it does
Reads every `# firedrill disable=<id>[,<id>]` and `# firedrill disable-file=<id>` comment and
reports an id that is neither a check id nor a check family (`alert`, `promql`, ...), with the
closest real id as a hint.

## Why is this bad?
The comment silences nothing: a typo (`alert/label`) leaves the finding in place, or, worse, a
renamed check keeps a stale comment that readers trust.

## Example
```yaml
# firedrill disable=alert/label        # no such check
- alert: Watchdog
```
Write `# firedrill disable=alert/labels`; `firedrill checks` lists the ids.

## Fixed
```yaml
# firedrill disable=alert/labels
- alert: Watchdog
```"#,
};

impl Check for UnknownId {
    fn info(&self) -> &'static CheckInfo {
        &INFO
    }

    fn check_file(&self, file: &RuleFile, _cx: &FileContext<'_>, out: &mut Vec<Diagnostic>) {
        let directives = suppression::directives(file);
        if directives.is_empty() {
            return;
        }
        let ids: Vec<&str> = super::registry().iter().map(|c| c.info().id).collect();
        for directive in directives {
            if directive.ids.is_empty() {
                out.push(
                    report(
                        &INFO,
                        file,
                        directive.span,
                        "suppression comment names no check",
                    )
                    .label("no id after `=`")
                    .help(
                        "write `# firedrill disable=<id>[,<id>]`; `firedrill checks` lists the ids",
                    ),
                );
            }
            for (id, span) in &directive.ids {
                if ids.iter().any(|known| super::id_matches(id, known)) {
                    continue;
                }
                let mut d = report(
                    &INFO,
                    file,
                    *span,
                    format!("unknown check {id:?} in a suppression comment"),
                )
                .label("no such check");
                if let Some(s) = closest(id, &ids) {
                    d = d.help(format!("did you mean {s:?}?"));
                }
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
    fn reports_unknown_ids_with_a_hint() {
        let text = "groups:\n- name: g\n  rules:\n  # firedrill disable=alert/label,rule\n  - alert: A\n    expr: up == 0\n";
        let found = run(&UnknownId, text);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].0, "4:23");
        assert!(found[0].1.contains("\"alert/label\""));
    }

    #[test]
    fn known_ids_and_families_pass() {
        let text = "# firedrill disable-file=promql\ngroups:\n- name: g\n  rules:\n  - alert: A  # firedrill disable=alert/labels\n    expr: up == 0\n";
        assert!(run(&UnknownId, text).is_empty());
    }
}
