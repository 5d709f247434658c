//! Findings of this check are made by the lint run itself, which is the only
//! place that knows which suppressions matched something; the id, docs and
//! message live here.

use super::{report, Check, CheckInfo};
use crate::diagnostic::{Diagnostic, Severity};
use crate::rules::RuleFile;
use crate::source::Span;

pub const ID: &str = "suppression/unused";

pub struct Unused;

static INFO: CheckInfo = CheckInfo {
    id: ID,
    severity: Severity::Info,
    default_enabled: true,
    options: &[],
    summary: "A `# firedrill disable` comment that silenced nothing",
    docs: r#"## What it does
Reports an id in a `# firedrill disable=` or `disable-file=` comment that matched no finding in the
place it covers, when that check ran. (A comment for a check left out with `--select`/`--ignore`
is not reported.)

## Why is this bad?
The problem was fixed, or the comment sits above the wrong rule. Either way it now hides the next
real finding of that check on that rule. Delete it, or move it.

## Example
```yaml
# firedrill disable=alert/for          # the rule has no `for` problem any more
- alert: Down
  expr: up == 0
  for: 5m
```

## Fixed
```yaml
- alert: Down
  expr: up == 0
  for: 5m
```
The comment is deleted (or moved above the rule it was meant for)."#,
};

impl Check for Unused {
    fn info(&self) -> &'static CheckInfo {
        &INFO
    }
}

pub(crate) fn report_unused(file: &RuleFile, span: Span, id: &str) -> Diagnostic {
    report(
        &INFO,
        file,
        span,
        format!("suppression of {id:?} matched no finding"),
    )
    .label("unused")
    .help("remove it, or move it above the rule it is meant for")
}
