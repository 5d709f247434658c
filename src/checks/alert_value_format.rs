use super::{groups, parsed_expr, report_rule, value_span, Check, CheckInfo, FileContext};
use crate::diagnostic::{Diagnostic, Severity};
use crate::promql::{walk, Expr};
use crate::rules::RuleFile;
use crate::template;

pub struct ValueFormat;

static INFO: CheckInfo = CheckInfo {
    id: "alert/value-format",
    severity: Severity::Info,
    default_enabled: false,
    options: &[],
    summary: "`{{ $value }}` printed raw in an annotation of a ratio or a rate",
    docs: r#"## What it does
Reports `{{ $value }}` printed with no function in an annotation when the expression is a ratio (a
division) or a rate (`rate`, `irate`, `increase`, `deriv`). Off by default: it is about how the
page reads, not whether it fires; turn it on (`[lint] enable = ["alert/value-format"]`) when
polishing a rule set.

## Why is this bad?
The page reads `0.8734291` where `87%` or `1.2k` was meant. `humanizePercentage` turns a ratio into
a percentage, `humanize` a rate into `1.2k`; a value the expression already multiplied by 100 wants
`printf "%.1f"`.

## Example
```yaml
- alert: DiskAlmostFull
  expr: node_filesystem_avail_bytes / node_filesystem_size_bytes < 0.1
  annotations:
    summary: "{{ $value }} free"
```

## Fixed
```yaml
- alert: DiskAlmostFull
  expr: node_filesystem_avail_bytes / node_filesystem_size_bytes < 0.1
  annotations:
    summary: "{{ $value | humanizePercentage }} free"
```"#,
};

impl Check for ValueFormat {
    fn info(&self) -> &'static CheckInfo {
        &INFO
    }

    fn check_file(&self, file: &RuleFile, _cx: &FileContext<'_>, out: &mut Vec<Diagnostic>) {
        for group in groups(file) {
            for rule in group.rules.iter().filter(|r| r.is_alert()) {
                let Some((_, parsed)) = parsed_expr(rule) else {
                    continue;
                };
                let Some(kind) = kind_of(parsed) else {
                    continue;
                };
                for entry in &rule.annotations {
                    if !entry.value.value.contains("{{") {
                        continue;
                    }
                    let analysis = template::analyze(&entry.value.value);
                    if !analysis.errors.is_empty() {
                        continue;
                    }
                    for (start, end) in &analysis.raw_values {
                        let (what, help) = match kind {
                            Kind::Percent => {
                                ("a percentage", "use `{{ printf \"%.1f\" $value }}%`")
                            }
                            Kind::Ratio => ("a ratio", "use `{{ $value | humanizePercentage }}`"),
                            Kind::Rate => ("a rate", "use `{{ $value | humanize }}`"),
                        };
                        out.push(
                            report_rule(
                                &INFO,
                                file,
                                group,
                                rule,
                                value_span(file, &entry.value, *start, *end),
                                format!(
                                    "annotation `{}` prints `$value` raw, and the expression is {what}",
                                    entry.key.value
                                ),
                            )
                            .label("e.g. 0.8734291")
                            .help(help),
                        );
                    }
                }
            }
        }
    }
}

#[derive(Clone, Copy)]
enum Kind {
    /// Multiplied by 100 already.
    Percent,
    Ratio,
    Rate,
}

fn kind_of(expr: &Expr) -> Option<Kind> {
    let mut ratio = false;
    let mut rate = false;
    let mut percent = false;
    walk(expr, &mut |e| match e {
        Expr::Binary(b) => match b.op.to_string().as_str() {
            "/" => ratio = true,
            "*" => {
                let hundred = |e: &Expr| matches!(e, Expr::NumberLiteral(n) if n.val == 100.0);
                if hundred(&b.lhs) || hundred(&b.rhs) {
                    percent = true;
                }
            }
            _ => {}
        },
        Expr::Call(c) if matches!(c.func.name, "rate" | "irate" | "increase" | "deriv") => {
            rate = true
        }
        _ => {}
    });
    if percent {
        Some(Kind::Percent)
    } else if ratio {
        Some(Kind::Ratio)
    } else if rate {
        Some(Kind::Rate)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::run;
    use super::*;

    fn alert(expr: &str) -> String {
        format!("groups:\n- name: g\n  rules:\n  - alert: A\n    expr: {expr}\n    annotations:\n      summary: \"{{{{ $value }}}} now\"\n")
    }

    #[test]
    fn advises_by_what_the_value_is() {
        let ratio = run(&ValueFormat, &alert("a / b > 0.9"));
        assert!(ratio[0].1.contains("is a ratio"), "{ratio:?}");
        let percent = run(&ValueFormat, &alert("a / b * 100 > 90"));
        assert!(percent[0].1.contains("is a percentage"), "{percent:?}");
        let rate = run(&ValueFormat, &alert("rate(e_total[5m]) > 1"));
        assert!(rate[0].1.contains("is a rate"), "{rate:?}");
        assert!(run(&ValueFormat, &alert("up == 0")).is_empty());
    }
}
