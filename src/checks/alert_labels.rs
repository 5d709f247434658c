use std::collections::BTreeMap;
use std::sync::Arc;

use serde::Deserialize;

use super::{
    groups, read_options, report_rule, Check, CheckInfo, Conventions, FileContext, OptionDoc,
    Options, OptionsError, RawOptions,
};
use crate::diagnostic::{Diagnostic, Severity};
use crate::rules::{Entry, RuleFile};

pub struct AlertLabels;

static INFO: CheckInfo = CheckInfo {
    id: "alert/labels",
    severity: Severity::Warning,
    default_enabled: true,
    options: &[
        OptionDoc {
            name: "required",
            default: "unset: none (`firedrill init` proposes the labels the house uses)",
            doc: "Labels every alert must carry (`[\"severity\", \"team\"]`).",
        },
        OptionDoc {
            name: "by-severity",
            default: "none",
            doc: "For a `severity` value, labels its alerts must carry besides `required` (`{ critical = [\"team\"] }`).",
        },
        OptionDoc {
            name: "infer",
            default: "false",
            doc: "Without `required`, require what at least 80% of the folder's alerts carry (a guess at the house style; `required`, confirmed by the team, is better).",
        },
        OptionDoc {
            name: "allowed",
            default: "unset: the values the house uses",
            doc: "For a label, the values it may take (`{ severity = [\"critical\", \"warning\"] }`); templated values are not judged.",
        },
    ],
    summary: "An alert without a label the policy requires, with a misspelt label name or value, a disallowed value, or a label name that needs quoting",
    docs: r#"## What it does
Checks every alerting rule's `labels` (and its group's `labels`, which Prometheus adds):
- a label name this alert alone uses that is a slip of one most alerts of the folder carry
  (`secverity` where thirty alerts carry `severity`): the label Alertmanager routes on is missing;
- a value used by this alert alone that is a near-miss of a value other alerts use
  (`severity: critcal` where thirty alerts say `critical`, `Warning` where they say `warning`);
  any severity scheme a team uses consistently (`page`/`task`, `P1`..`P4`, numbers) is theirs;
- label names are plain identifiers (`[a-zA-Z_][a-zA-Z0-9_]*`): Prometheus 3 accepts any UTF-8,
  but Prometheus 2, many receivers and every PromQL query on `ALERTS` then need quoting;
- with a policy in `.firedrill.toml`: every alert carries the `required` labels, and a label with
  an `allowed` set takes one of its values (templated values, `{{ ... }}`, are not judged).

Which labels every alert must carry is the team's to say, not a guess: an inferred majority is not
a rule (a heartbeat lacks the label only SLO alerts carry; info alerts lack what pages carry).
`firedrill init` reads the repository and writes the labels it sees as a `required` list for the
team to confirm, with the evidence beside each. `infer = true` brings back the guess (require what
80% of the folder's alerts carry) without a list:
```toml
[checks."alert/labels"]
required = ["severity", "team"]
allowed = { severity = ["critical", "warning", "info", "none"] }
```

## Why is this bad?
Alertmanager routes on labels. An alert without the `severity` every other alert carries, or with
`severity: critcal` where the routing tree matches `critical`, falls through to the default
receiver, which is often nobody.

## Example
```yaml
# the other alerts of the folder all carry `severity: critical` or `severity: warning`
- alert: DiskFull
  expr: node_filesystem_avail_bytes / node_filesystem_size_bytes < 0.05
  labels:
    severity: critcal
```
Write `severity: critical`.

## Fixed
```yaml
- alert: DiskFull
  expr: node_filesystem_avail_bytes / node_filesystem_size_bytes < 0.05
  labels:
    severity: critical
```"#,
};

/// `[checks."alert/labels"]`: the team's policy, when it has one.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
#[serde(rename_all = "kebab-case")]
struct LabelsOptions {
    required: Option<Vec<String>>,
    #[serde(default)]
    by_severity: BTreeMap<String, Vec<String>>,
    #[serde(default)]
    infer: bool,
    #[serde(default)]
    allowed: BTreeMap<String, Vec<String>>,
}

impl Check for AlertLabels {
    fn info(&self) -> &'static CheckInfo {
        &INFO
    }

    fn configure(&self, raw: RawOptions<'_>) -> Result<Options, OptionsError> {
        Ok(Arc::new(read_options::<LabelsOptions>(raw)?))
    }

    fn check_file(&self, file: &RuleFile, cx: &FileContext<'_>, out: &mut Vec<Diagnostic>) {
        let settings = cx.settings.options::<LabelsOptions>(INFO.id);
        // Which labels every alert must carry, and how many alerts show it.
        // A house label is one that routes: `severity`, or one whose value
        // differs between alerts. A marker every alert carries with one value
        // (`type: ceph_default` on the imported alerts) says nothing of the
        // others that lack it.
        let required: Vec<(String, Option<usize>)> = match &settings.required {
            Some(list) => list.iter().map(|l| (l.clone(), None)).collect(),
            None if settings.infer => cx
                .house
                .house_labels()
                .filter(|(l, _)| *l == "severity" || routes(&cx.house.labels[*l]))
                .map(|(l, n)| (l.to_string(), Some(n)))
                .collect(),
            None => Vec::new(),
        };
        for group in groups(file) {
            for rule in group.rules.iter().filter(|r| r.is_alert()) {
                let all = || rule.labels.iter().chain(&group.labels);
                let severity = all()
                    .find(|e| e.key.value == "severity")
                    .map(|e| e.value.value.as_str());
                let by_severity = severity
                    .and_then(|s| settings.by_severity.get(s))
                    .into_iter()
                    .flatten()
                    .filter(|l| !required.iter().any(|(r, _)| r == *l))
                    .map(|l| (l.clone(), None));
                let required: Vec<(String, Option<usize>)> =
                    required.iter().cloned().chain(by_severity).collect();
                // A label the expression names (`by (team)`, `group_left(team)`,
                // `label_replace(..., "team", ...)`) is one it may produce.
                let expr_text = rule.expr.as_ref().map_or("", |e| e.text.value.as_str());
                for (label, carried) in &required {
                    let present = all()
                        .any(|e| &e.key.value == label && !e.value.value.trim().is_empty())
                        || (carried.is_some() && names_label(expr_text, label));
                    if present {
                        continue;
                    }
                    let message = match carried {
                        Some(n) => format!(
                            "alert has no `{label}` label, which {} carry",
                            cx.house.share(*n)
                        ),
                        None => match severity {
                            Some(s) if !settings.required.iter().flatten().any(|r| r == label) => {
                                format!("alert has no `{label}` label, which .firedrill.toml requires of `severity: {s}` alerts")
                            }
                            _ => format!(
                                "alert has no `{label}` label, which .firedrill.toml requires"
                            ),
                        },
                    };
                    out.push(
                        report_rule(&INFO, file, group, rule, rule.anchor(), message)
                            .label(format!("no {label}"))
                            .help(missing_help(cx, label)),
                    );
                }
                let carried = |key: &str| all().any(|e| e.key.value == key);
                for entry in rule.labels.iter() {
                    let name = entry.key.value.as_str();
                    let uses = cx.house.labels.get(name).map_or(0, |u| u.alerts);
                    out.extend(cx.house.misspelt_key_finding(
                        &INFO,
                        file,
                        group,
                        rule,
                        entry,
                        "label",
                        cx.house.house_labels().filter(|(k, _)| !carried(k)),
                        uses,
                    ));
                    let legacy = name
                        .chars()
                        .next()
                        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
                        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
                    if !legacy && !name.is_empty() {
                        out.push(
                            report_rule(
                                &INFO,
                                file,
                                group,
                                rule,
                                entry.key.span,
                                format!("label name {name:?} is not a plain identifier"),
                            )
                            .label("needs quoting")
                            .help("Prometheus 2 and many Alertmanager integrations refuse it, and PromQL needs `{\"...\"}` quoting; use letters, digits and `_`"),
                        );
                    }
                }
                // A rule's own label wins over its group's.
                let shadowed = |e: &Entry| rule.labels.iter().any(|r| r.key.value == e.key.value);
                let effective = rule
                    .labels
                    .iter()
                    .chain(group.labels.iter().filter(|e| !shadowed(e)));
                for entry in effective {
                    let key = entry.key.value.as_str();
                    let value = entry.value.value.as_str();
                    if value.contains("{{") {
                        continue;
                    }
                    if let Some(allowed) = settings.allowed.get(key) {
                        if !allowed.iter().any(|a| a == value) {
                            out.push(
                                report_rule(
                                    &INFO,
                                    file,
                                    group,
                                    rule,
                                    entry.value.span,
                                    format!(
                                        "`{key}: {value}` is not one of the allowed values: {}",
                                        allowed.join(", ")
                                    ),
                                )
                                .label("not allowed"),
                            );
                        }
                    } else if let Some((usual, count)) = near_miss(cx.house, key, value) {
                        out.push(
                            report_rule(
                                &INFO,
                                file,
                                group,
                                rule,
                                entry.value.span,
                                format!(
                                    "`{key}: {value}` is this alert's alone; {count} other alerts in {} use `{usual}`",
                                    cx.house.scope
                                ),
                            )
                            .label("a typo?")
                            .help(format!("write `{key}: {usual}`")),
                        );
                    }
                }
            }
        }
    }
}

/// Whether `label` appears in the expression as a word (a grouping, a
/// join's label list, a `label_replace` target).
fn names_label(expr: &str, label: &str) -> bool {
    expr.match_indices(label).any(|(i, _)| {
        let before = expr[..i].chars().next_back();
        let after = expr[i + label.len()..].chars().next();
        let word = |c: Option<char>| c.is_some_and(|c| c.is_ascii_alphanumeric() || c == '_');
        !word(before) && !word(after)
    })
}

/// Whether a label sorts alerts (a team, a service) rather than marking them
/// all alike or naming what each is about: two or more static values, and
/// static in most alerts. A label most alerts fill from the expression
/// (`resource: "{{ $labels.namespace }}/{{ $labels.pod }}"`) has nothing to
/// say on an alert whose result carries no labels.
fn routes(usage: &super::house::LabelUse) -> bool {
    let static_uses: usize = usage.values.values().sum();
    usage.values.len() >= 2 && static_uses * 2 >= usage.alerts
}

/// A value of `key` that one alert uses and that is a near-miss (another case,
/// or a slip of one letter per four, two at most) of a value at least three
/// alerts use.
fn near_miss<'a>(house: &'a Conventions, key: &str, value: &str) -> Option<(&'a str, usize)> {
    let usage = house.labels.get(key)?;
    // Free text (a label used as a note) has no near-misses, only other
    // words; nor has a path or a link (`playbook: docs/x/y.md`), where one
    // letter names another page.
    if usage.values.get(value).copied().unwrap_or(0) > 1
        || value.is_empty()
        || value.contains(char::is_whitespace)
        || value.contains(['/', ':'])
    {
        return None;
    }
    let common: Vec<&str> = usage
        .values
        .iter()
        .filter(|(v, n)| **n >= 3 && v.as_str() != value)
        .map(|(v, _)| v.as_str())
        .collect();
    // A typo: another letter case, or one or two slips in a long word; not
    // another word that shares a suffix (`helm-exporter`, `node-exporter`).
    let slips = |v: &str| crate::suggest::edit_distance(value, v);
    let usual = common
        .iter()
        .copied()
        .filter(|v| {
            v.eq_ignore_ascii_case(value)
                || slips(v) <= 2.min((value.len().min(v.len()) / 4).max(1))
        })
        .min_by_key(|v| slips(v))?;
    // `P1` beside `P2`, `tier-1` beside `tier-2`: a scale, not a typo.
    let letters = |s: &str| {
        s.chars()
            .filter(|c| !c.is_ascii_digit())
            .collect::<String>()
    };
    if usual.chars().any(|c| c.is_ascii_digit())
        && value.chars().any(|c| c.is_ascii_digit())
        && letters(usual).eq_ignore_ascii_case(&letters(value))
    {
        return None;
    }
    Some((usual, usage.values[usual]))
}

fn missing_help(cx: &FileContext<'_>, label: &str) -> String {
    if let Some(values) = cx
        .settings
        .options::<LabelsOptions>(INFO.id)
        .allowed
        .get(label)
    {
        return format!("add `{label}:` with one of {}", values.join(", "));
    }
    let usual: Vec<&str> = cx
        .house
        .labels
        .get(label)
        .map(|u| {
            let mut v: Vec<(&String, &usize)> = u.values.iter().collect();
            v.sort_by(|a, b| b.1.cmp(a.1));
            v.into_iter().take(4).map(|(k, _)| k.as_str()).collect()
        })
        .unwrap_or_default();
    if usual.is_empty() {
        format!("add `{label}:` under `labels`")
    } else {
        format!(
            "add `{label}:` under `labels` (the others use {})",
            usual.join(", ")
        )
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::{configured, run, run_with};
    use super::*;

    /// Five alerts of the house (severity critical or warning), then `extra`.
    fn house(extra: &str) -> String {
        let mut s = String::from("groups:\n- name: g\n  rules:\n");
        for (i, sev) in ["critical", "critical", "critical", "warning", "warning"]
            .iter()
            .enumerate()
        {
            s.push_str(&format!(
                "  - alert: A{i}\n    expr: up == 0\n    labels:\n      severity: {sev}\n"
            ));
        }
        s.push_str(extra);
        s
    }

    #[test]
    fn reports_departures_from_the_house_style() {
        // Line 23 onwards: one without severity, one with a typo and a bad label name.
        let text = house("  - alert: B\n    expr: up == 0\n  - alert: C\n    expr: up == 0\n    labels:\n      severity: critcal\n      bad key: x\n");
        // By default the house style is not a policy: B's missing label is
        // not reported, C's typo and label name are.
        let found = run(&AlertLabels, &text);
        let places: Vec<&str> = found.iter().map(|(p, _)| p.as_str()).collect();
        assert_eq!(places, ["30:7", "29:17"], "{found:?}");
        let found = run_with(
            &AlertLabels,
            &text,
            &configured(&AlertLabels, "infer = true"),
        );
        let places: Vec<&str> = found.iter().map(|(p, _)| p.as_str()).collect();
        assert_eq!(places, ["24:12", "30:7", "29:17"], "{found:?}");
        assert!(
            found[0].1.contains("which 6 of 7 alerts in ./ carry"),
            "{found:?}"
        );
        assert!(
            found[2]
                .1
                .contains("is this alert's alone; 3 other alerts in ./ use `critical`"),
            "{found:?}"
        );
    }

    #[test]
    fn a_path_one_letter_from_another_is_another_page() {
        let mut text = String::from("groups:\n- name: g\n  rules:\n");
        for i in 0..4 {
            text.push_str(&format!("  - alert: A{i}\n    expr: up == 0\n    labels:\n      playbook: docs/devops/alert/nova.md\n"));
        }
        text.push_str("  - alert: B\n    expr: up == 0\n    labels:\n      playbook: docs/devops/alert/neva.md\n");
        assert!(
            run(&AlertLabels, &text).is_empty(),
            "{:?}",
            run(&AlertLabels, &text)
        );
    }

    #[test]
    fn a_misspelt_label_name_is_a_missing_label() {
        let text =
            house("  - alert: B\n    expr: up == 0\n    labels:\n      secverity: critical\n");
        let found = run(&AlertLabels, &text);
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(
            found[0].1.starts_with(
                "label `secverity` is a slip of `severity`? This alert has no `severity`"
            ),
            "{found:?}"
        );
        // Beside the right one it is another label.
        let both = house("  - alert: B\n    expr: up == 0\n    labels:\n      severity: critical\n      secverity: x\n");
        assert!(
            run(&AlertLabels, &both).is_empty(),
            "{:?}",
            run(&AlertLabels, &both)
        );
    }

    #[test]
    fn labels_the_expression_produces_and_one_valued_markers_are_not_required() {
        let mut text = String::from("groups:\n- name: g\n  rules:\n");
        for i in 0..5 {
            let team = if i % 2 == 0 { "db" } else { "web" };
            text.push_str(&format!("  - alert: A{i}\n    expr: up == 0\n    labels: {{severity: page, team: {team}, type: imported}}\n"));
        }
        // No `type` (a marker with one value) and `team` from the join.
        text.push_str("  - alert: B\n    expr: up * on (instance) group_left(team) owner == 0\n    labels: {severity: page}\n");
        assert!(
            run_with(
                &AlertLabels,
                &text,
                &configured(&AlertLabels, "infer = true")
            )
            .is_empty(),
            "{:?}",
            run_with(
                &AlertLabels,
                &text,
                &configured(&AlertLabels, "infer = true")
            )
        );
    }

    #[test]
    fn another_word_with_the_same_suffix_is_not_a_typo() {
        let mut text = String::from("groups:\n- name: g\n  rules:\n");
        for i in 0..4 {
            text.push_str(&format!("  - alert: N{i}\n    expr: up == 0\n    labels: {{severity: warning, service: node-exporter}}\n"));
        }
        text.push_str("  - alert: H\n    expr: up == 0\n    labels: {severity: warning, service: helm-exporter}\n");
        assert!(run(&AlertLabels, &text).is_empty());
        let typo = text.replace("helm-exporter", "node-exportr");
        assert_eq!(run(&AlertLabels, &typo).len(), 1);
    }

    #[test]
    fn a_label_most_alerts_fill_from_the_expression_is_not_required() {
        let mut text = String::from("groups:\n- name: g\n  rules:\n");
        for i in 0..5 {
            text.push_str(&format!("  - alert: R{i}\n    expr: up == 0\n    labels: {{severity: warning, resource: '{{{{ $labels.pod }}}}'}}\n"));
        }
        text.push_str("  - alert: S\n    expr: up == 0\n    labels: {severity: warning, resource: apiserver}\n  - alert: T\n    expr: up == 0\n    labels: {severity: warning, resource: etcd}\n");
        text.push_str(
            "  - alert: Cluster\n    expr: count(up) > 1\n    labels: {severity: warning}\n",
        );
        assert!(run(&AlertLabels, &text).is_empty());
    }

    #[test]
    fn any_scheme_used_consistently_is_the_house_style() {
        let text = "groups:\n- name: g\n  rules:\n".to_string()
            + &["page", "page", "task", "task", "task", "P1", "P1", "P2"]
                .iter()
                .enumerate()
                .map(|(i, s)| {
                    format!("  - alert: A{i}\n    expr: up == 0\n    labels: {{severity: {s}}}\n")
                })
                .collect::<String>();
        assert!(run(&AlertLabels, &text).is_empty());
        // Too few alerts to show a style: nothing is required.
        assert!(run(
            &AlertLabels,
            "groups:\n- name: g\n  rules:\n  - alert: A\n    expr: up == 0\n"
        )
        .is_empty());
    }

    #[test]
    fn group_labels_count_and_templated_values_pass() {
        let ok = "groups:\n- name: g\n  labels:\n    severity: warning\n  rules:\n  - alert: A\n    expr: up == 0\n  - alert: B\n    expr: up == 0\n    labels:\n      severity: '{{ if gt $value 1.0 }}critical{{ else }}warning{{ end }}'\n";
        let settings = configured(
            &AlertLabels,
            "required = [\"severity\"]\nallowed = { severity = [\"warning\"] }",
        );
        assert!(run_with(&AlertLabels, ok, &settings).is_empty());
    }

    #[test]
    fn a_configured_policy_replaces_the_house_style() {
        let text = house(
            "  - alert: B\n    expr: up == 0\n    labels:\n      team: db\n      severity: page\n",
        );
        let settings = configured(
            &AlertLabels,
            "required = [\"team\"]\nallowed = { severity = [\"page\"] }",
        );
        let found = run_with(&AlertLabels, &text, &settings);
        // Five alerts without team, five with a severity outside the allowed set.
        assert_eq!(found.len(), 10, "{found:?}");
        assert!(
            found[0].1.contains("which .firedrill.toml requires"),
            "{found:?}"
        );
    }
}
