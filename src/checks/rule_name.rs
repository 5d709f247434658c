use super::house::{is_identifier, is_qualified_identifier};
use super::{groups, report_rule, Check, CheckInfo, FileContext};
use crate::diagnostic::{Diagnostic, Severity};
use crate::rules::{RuleFile, RuleKind};

pub struct RuleName;

static INFO: CheckInfo = CheckInfo {
    id: "rule/name",
    severity: Severity::Warning,
    default_enabled: false,
    options: &[],
    summary:
        "An alert name with spaces or punctuation where the other alerts' names are identifiers",
    docs: r#"## What it does
Reports an alert name with whitespace or other punctuation (`Service Is Down`,
`Cert-managerAbsent`, `PveVm/ctDown`) when the house names its alerts as identifiers: at least 80% of the alerts of the folder (of the whole rule set, for a folder of
fewer than five alerts) are letters, digits and `_`, starting with a letter. A team that writes kebab-case names throughout keeps its style, and so does one that
qualifies names in parentheses (`MysqlTooManyConnections(>80%)`) on two alerts or more.

Off by default (`--extend-select rule/name`): Prometheus takes any alert name, and a name is the
team's style to choose.

## Why is this bad?
Prometheus accepts `alertname="Service Is Down"`, but the name ends up in URLs, silences, routing
matchers and `ALERTS{alertname=...}` queries, where spaces and punctuation need quoting and get
mangled; one odd name among identifiers is the one a matcher or a script misses.

## Example
```yaml
- alert: Service Is Down               # write ServiceIsDown
```

## Fixed
```yaml
- alert: ServiceIsDown
```"#,
};

impl Check for RuleName {
    fn info(&self) -> &'static CheckInfo {
        &INFO
    }

    fn check_file(&self, file: &RuleFile, cx: &FileContext<'_>, out: &mut Vec<Diagnostic>) {
        for group in groups(file) {
            for rule in &group.rules {
                let Some(RuleKind::Alert(name)) = rule.kind() else {
                    continue;
                };
                let n = &name.value;
                let spaces = n.chars().any(char::is_whitespace);
                // Punctuation is a departure only from a house of identifiers.
                // A parenthesized qualifier that other alerts of the folder
                // use too (`...(>80%)`, echoing the threshold) is a form of
                // that house, not a slip.
                // A folder too small to show a style is judged by the whole set's.
                let house = if cx.house.has_style() {
                    cx.house
                } else {
                    cx.whole
                };
                let conventional = is_qualified_identifier(n) && house.qualified_names >= 2;
                let departs = !is_identifier(n) && !conventional && house.names_are_identifiers();
                // Prometheus takes any name, spaces too: only a departure
                // from the house's own style is one.
                if departs {
                    let suggestion: String = n
                        .split(|c: char| !c.is_ascii_alphanumeric())
                        .filter(|w| !w.is_empty())
                        .map(|w| {
                            let mut cs = w.chars();
                            cs.next()
                                .map(|f| f.to_ascii_uppercase().to_string() + cs.as_str())
                                .unwrap_or_default()
                        })
                        .collect();
                    let mut d = report_rule(
                        &INFO,
                        file,
                        group,
                        rule,
                        name.span,
                        format!(
                            "alert name {n:?} is not an identifier, as {} are",
                            house.share(house.identifier_names)
                        ),
                    )
                    .label(if spaces { "spaces" } else { "punctuation" });
                    if !suggestion.is_empty() {
                        d = d.help(format!("write {suggestion:?}"));
                    }
                    out.push(d);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::run;
    use super::*;

    fn names(names: &[&str]) -> String {
        let mut s = String::from("groups:\n- name: g\n  rules:\n");
        for n in names {
            s.push_str(&format!("  - alert: {n}\n    expr: up == 0\n"));
        }
        s
    }

    #[test]
    fn spaces_and_punctuation_among_identifiers() {
        let text = names(&[
            "Service Is Down",
            "Cert-managerAbsent",
            "A",
            "B",
            "C",
            "D",
            "E",
            "F",
            "G",
            "H",
        ]);
        let found = run(&RuleName, &text);
        let places: Vec<&str> = found.iter().map(|(p, _)| p.as_str()).collect();
        assert_eq!(places, ["4:12", "6:12"], "{found:?}");
        assert!(found[0].1.contains("\"Service Is Down\""));
        assert!(
            found[1]
                .1
                .contains("not an identifier, as 8 of 10 alerts in ./ are"),
            "{found:?}"
        );
    }

    #[test]
    fn parenthesized_qualifiers_several_alerts_share_are_a_house_form() {
        let mut list = vec!["A", "B", "C", "D", "E", "F", "G", "H", "I", "J", "K", "L"];
        list.extend(["TooManyConnections(>80%)", "BloatHigh(>80%)", "Php-fpmDown"]);
        let found = run(&RuleName, &names(&list));
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(found[0].1.contains("\"Php-fpmDown\""), "{found:?}");
        // One alone is a departure like any other.
        let mut list = vec!["A", "B", "C", "D", "E", "F", "G", "H", "I", "J", "K", "L"];
        list.push("TooManyConnections(>80%)");
        assert_eq!(run(&RuleName, &names(&list)).len(), 1);
    }

    #[test]
    fn a_house_of_kebab_case_names_keeps_its_style() {
        let text = names(&[
            "disk-full",
            "node-down",
            "pod-crash",
            "api-slow",
            "db-lag",
            "Service Is Down",
        ]);
        // Prometheus takes spaces; a house of kebab-case names is not one of
        // identifiers, so nothing departs from it.
        let found = run(&RuleName, &text);
        assert!(found.is_empty(), "{found:?}");
    }

    #[test]
    fn conventional_names_pass() {
        let text = "groups:\n- name: g\n  rules:\n  - alert: KubePodCrashLooping\n    expr: up == 0\n  - alert: etcdMembersDown\n    expr: up == 0\n  - record: bad_name\n    expr: sum(up)\n";
        assert!(run(&RuleName, text).is_empty());
    }
}
