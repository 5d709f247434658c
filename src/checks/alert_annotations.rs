use std::collections::BTreeMap;
use std::sync::Arc;

use serde::Deserialize;

use super::{
    groups, read_options, report_rule, Check, CheckInfo, FileContext, OptionDoc, Options,
    OptionsError, RawOptions,
};
use crate::diagnostic::{Diagnostic, Severity};
use crate::rules::RuleFile;

pub struct AlertAnnotations;

static INFO: CheckInfo = CheckInfo {
    id: "alert/annotations",
    severity: Severity::Warning,
    default_enabled: true,
    options: &[
        OptionDoc {
            name: "required",
            default: "unset: none (`firedrill init` proposes the annotations the house uses)",
            doc: "Annotations every alert must carry (`[\"summary\", \"runbook_url\"]`).",
        },
        OptionDoc {
            name: "by-severity",
            default: "none",
            doc: "For a `severity` value, annotations its alerts must carry besides `required` (`{ critical = [\"runbook_url\"] }`).",
        },
        OptionDoc {
            name: "infer",
            default: "false",
            doc: "Without `required`, require what at least 80% of the folder's alerts of the same severity carry (a guess at the house style; `required`, confirmed by the team, is better).",
        },
        OptionDoc {
            name: "patterns",
            default: "none",
            doc: "For an annotation, a regular expression its value must match, anchored as Prometheus anchors (`{ runbook_url = \"https://runbooks\\\\.example\\\\.com/.+\" }`).",
        },
    ],
    summary: "An alert without an annotation the policy requires, with a misspelt annotation name, or with one that does not match its pattern",
    docs: r#"## What it does
Checks every alerting rule's `annotations`:
- an annotation name this alert alone uses that is a slip of one most alerts of the folder carry
  (`descripton` where thirty alerts carry `description`): the notification shows neither;
- with a policy in `.firedrill.toml`: every alert carries the `required` annotations (one written
  empty, `description: ''`, is a choice, and passes), and an annotation with a pattern matches it
  (whole value, as Prometheus anchors regular expressions; templated parts are matched as
  written).

Which annotations every alert must carry is the team's to say, not a guess: `firedrill init` reads
the repository and writes the ones it sees, per severity, as a `required` list for the team to
confirm. `infer = true` brings back the guess without a list: what at least 80% of the folder's
alerts of the same `severity` carry (an `info` note alone at its level, or one whose peers lack it,
is not held to what the paging alerts carry). Add `runbook_url` to require it; `runbook/url-missing`
and the other runbook checks then follow the links:
```toml
[checks."alert/annotations"]
required = ["summary", "description", "runbook_url"]
patterns = { runbook_url = "https://runbooks\\.example\\.com/.+" }
```

## Why is this bad?
The annotations are what the person paged reads first, often on a phone: an alert with only its
name says neither what broke nor what to do. A `runbook_url` pointing at the wrong host is a dead
link at 3 a.m.

## Example
```yaml
# the other alerts of the folder all carry a summary and a description
- alert: KubePodCrashLooping
  expr: increase(kube_pod_container_status_restarts_total[10m]) > 3
  labels: {severity: warning}            # no summary, no description
```
Add `annotations: {summary: ..., description: ...}`.

## Fixed
```yaml
- alert: KubePodCrashLooping
  expr: increase(kube_pod_container_status_restarts_total[10m]) > 3
  labels: {severity: warning}
  annotations:
    summary: Pod is crash looping.
    description: "Pod {{ $labels.namespace }}/{{ $labels.pod }} restarted more than 3 times in 10 minutes."
```"#,
};

/// `[checks."alert/annotations"]`: the team's policy, when it has one.
#[derive(Debug, Clone, Default)]
struct AnnotationsOptions {
    required: Option<Vec<String>>,
    by_severity: BTreeMap<String, Vec<String>>,
    infer: bool,
    patterns: Vec<(String, regex::Regex)>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawAnnotations {
    required: Option<Vec<String>>,
    #[serde(default)]
    by_severity: BTreeMap<String, Vec<String>>,
    #[serde(default)]
    infer: bool,
    #[serde(default)]
    patterns: BTreeMap<String, toml::Spanned<String>>,
}

/// Whether the alerts of the same severity carry `key` too, as the house
/// does: many teams write a `runbook_url` for what pages and none for an
/// `info` note that only feeds an inhibition. An alert alone at its severity
/// has no peers to be judged by.
fn peers_carry(cx: &FileContext<'_>, severity: Option<&str>, key: &str) -> bool {
    let Some(severity) = severity else {
        return true;
    };
    let Some((alerts, carried)) = cx.house.by_severity.get(severity) else {
        return true;
    };
    // This alert is among them and does not carry the key.
    let peers = alerts.saturating_sub(1);
    let carrying = carried.get(key).copied().unwrap_or(0);
    peers > 0 && carrying * 5 >= peers * 4
}

impl Check for AlertAnnotations {
    fn info(&self) -> &'static CheckInfo {
        &INFO
    }

    fn configure(&self, raw: RawOptions<'_>) -> Result<Options, OptionsError> {
        let raw: RawAnnotations = read_options(raw)?;
        let mut patterns = Vec::new();
        for (name, pattern) in raw.patterns {
            // Anchored, as Prometheus anchors its regular expressions.
            let re = regex::Regex::new(&format!("^(?:{})$", pattern.get_ref()))
                .map_err(|e| OptionsError::at(&pattern, format!("invalid pattern: {e}")))?;
            patterns.push((name, re));
        }
        Ok(Arc::new(AnnotationsOptions {
            required: raw.required,
            by_severity: raw.by_severity,
            infer: raw.infer,
            patterns,
        }))
    }

    fn check_file(&self, file: &RuleFile, cx: &FileContext<'_>, out: &mut Vec<Diagnostic>) {
        let settings = cx.settings.options::<AnnotationsOptions>(INFO.id);
        let required: Vec<(String, Option<usize>)> = match &settings.required {
            Some(list) => list.iter().map(|a| (a.clone(), None)).collect(),
            None if settings.infer => cx
                .house
                .house_annotations()
                .map(|(a, n)| (a.to_string(), Some(n)))
                .collect(),
            None => Vec::new(),
        };
        for group in groups(file) {
            for rule in group.rules.iter().filter(|r| r.is_alert()) {
                // Written empty (`description: ''`) is a choice, not an omission.
                let severity = group
                    .labels
                    .iter()
                    .chain(&rule.labels)
                    .filter(|e| e.key.value == "severity")
                    .map(|e| e.value.value.as_str())
                    .next_back();
                let by_severity: Vec<(String, Option<usize>)> = severity
                    .and_then(|s| settings.by_severity.get(s))
                    .into_iter()
                    .flatten()
                    .filter(|a| !required.iter().any(|(r, _)| r == *a))
                    .map(|a| (a.clone(), None))
                    .collect();
                let missing: Vec<&(String, Option<usize>)> = required
                    .iter()
                    .chain(&by_severity)
                    .filter(|(key, _)| !rule.annotations.iter().any(|e| &e.key.value == key))
                    .filter(|(key, house)| house.is_none() || peers_carry(cx, severity, key))
                    .collect();
                if !missing.is_empty() {
                    // One finding per alert, naming every missing annotation.
                    let names: Vec<String> =
                        missing.iter().map(|(k, _)| format!("`{k}`")).collect();
                    let (what, them) = match names.as_slice() {
                        [one] => (format!("a {one} annotation"), "it"),
                        _ => (format!("{} annotations", names.join(", ")), "them"),
                    };
                    let fewest = missing.iter().filter_map(|(_, n)| *n).min();
                    let message = match fewest {
                        Some(n) => format!(
                            "alert has no {}, as {} carry {them}",
                            what.trim_start_matches("a "),
                            cx.house.share(n)
                        ),
                        None => format!(
                            "alert has no {}, which .firedrill.toml requires",
                            what.trim_start_matches("a ")
                        ),
                    };
                    let keys: Vec<&str> = missing.iter().map(|(k, _)| k.as_str()).collect();
                    out.push(
                        report_rule(&INFO, file, group, rule, rule.anchor(), message)
                            .label(format!("no {}", keys.join(", ")))
                            .help(format!(
                                "add {} under `annotations`",
                                keys.iter()
                                    .map(|k| format!("`{k}:`"))
                                    .collect::<Vec<_>>()
                                    .join(" and ")
                            )),
                    );
                }
                let carried = |key: &str| rule.annotations.iter().any(|e| e.key.value == key);
                for entry in &rule.annotations {
                    let uses = cx
                        .house
                        .annotations
                        .get(&entry.key.value)
                        .copied()
                        .unwrap_or(0);
                    out.extend(cx.house.misspelt_key_finding(
                        &INFO,
                        file,
                        group,
                        rule,
                        entry,
                        "annotation",
                        cx.house.house_annotations().filter(|(k, _)| !carried(k)),
                        uses,
                    ));
                }
                for (name, pattern) in &settings.patterns {
                    for entry in rule.annotations.iter().filter(|e| &e.key.value == name) {
                        if !pattern.is_match(&entry.value.value) {
                            let shown = pattern.as_str();
                            let shown = shown
                                .strip_prefix("^(?:")
                                .and_then(|s| s.strip_suffix(")$"))
                                .unwrap_or(shown);
                            out.push(
                                report_rule(
                                    &INFO,
                                    file,
                                    group,
                                    rule,
                                    entry.value.span,
                                    format!("annotation `{name}` does not match `{shown}`"),
                                )
                                .label("does not match"),
                            );
                        }
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::{configured, run, run_with};
    use super::*;

    const TEXT: &str = "groups:\n- name: g\n  rules:\n  - alert: A\n    expr: up == 0\n    annotations:\n      summary: down\n      runbook_url: http://wiki/a\n  - alert: B\n    expr: up == 0\n    annotations:\n      summary: down\n      description: '{{ $labels.instance }} is down'\n";

    /// Five alerts with a `message` and a `summary`, then `extra`.
    fn house(extra: &str) -> String {
        let mut s = String::from("groups:\n- name: g\n  rules:\n");
        for i in 0..5 {
            s.push_str(&format!(
                "  - alert: A{i}\n    expr: up == 0\n    annotations: {{message: m, summary: s}}\n"
            ));
        }
        s.push_str(extra);
        s
    }

    /// The house style as a policy (`infer = true`), as earlier versions
    /// guessed it by default.
    fn inferred(text: &str) -> Vec<(String, String)> {
        run_with(
            &AlertAnnotations,
            text,
            &configured(&AlertAnnotations, "infer = true"),
        )
    }

    #[test]
    fn reports_departures_from_the_house_keys_when_asked() {
        // Line 19: an alert with a description but neither of the house's keys.
        let text =
            house("  - alert: B\n    expr: up == 0\n    annotations:\n      description: d\n");
        // By default the house style is not a policy.
        assert!(run(&AlertAnnotations, &text).is_empty());
        let found = inferred(&text);
        let places: Vec<&str> = found.iter().map(|(p, _)| p.as_str()).collect();
        assert_eq!(places, ["19:12"], "{found:?}");
        assert_eq!(
            found[0].1,
            "alert has no `message`, `summary` annotations, as 5 of 6 alerts in ./ carry them",
        );
    }

    #[test]
    fn an_alert_is_held_to_what_its_severity_peers_carry() {
        // Six paging alerts with a runbook_url; an `info` note without one
        // beside another `info` note without one: not their convention.
        let mut text = String::from("groups:\n- name: g\n  rules:\n");
        for i in 0..6 {
            text.push_str(&format!("  - alert: P{i}\n    expr: up == 0\n    labels: {{severity: critical}}\n    annotations: {{summary: s, runbook_url: u}}\n"));
        }
        let note = "  - alert: N{}\n    expr: up == 0\n    labels: {severity: info}\n    annotations: {summary: s}\n";
        let two_notes = format!(
            "{text}{}{}",
            note.replace("{}", "1"),
            note.replace("{}", "2")
        );
        assert!(inferred(&two_notes).is_empty());
        // Alone at its severity: no peers to judge it by.
        let one_note = format!("{text}{}", note.replace("{}", "1"));
        assert!(inferred(&one_note).is_empty());
        // A paging alert without it departs from its peers.
        let paging = format!("{text}  - alert: P9\n    expr: up == 0\n    labels: {{severity: critical}}\n    annotations: {{summary: s}}\n");
        assert_eq!(inferred(&paging).len(), 1);
        // A policy per severity holds it too.
        let settings = configured(
            &AlertAnnotations,
            "by-severity = { critical = [\"runbook_url\"] }",
        );
        assert_eq!(run_with(&AlertAnnotations, &paging, &settings).len(), 1);
        assert!(run_with(&AlertAnnotations, &two_notes, &settings).is_empty());
    }

    #[test]
    fn a_misspelt_key_is_a_missing_one() {
        let text = house("  - alert: B\n    expr: up == 0\n    annotations:\n      summary: s\n      mesage: m\n");
        let found = run(&AlertAnnotations, &text);
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(
            found[0]
                .1
                .starts_with("annotation `mesage` is a slip of `message`?"),
            "{found:?}"
        );
    }

    #[test]
    fn nothing_is_required_without_a_house_style_or_a_policy() {
        // Two alerts show no style.
        assert!(run(&AlertAnnotations, TEXT).is_empty());
        let settings = configured(
            &AlertAnnotations,
            "required = [\"summary\", \"description\"]",
        );
        let found = run_with(&AlertAnnotations, TEXT, &settings);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].0, "4:12");
        assert!(found[0]
            .1
            .contains("`description` annotation, which .firedrill.toml requires"));
    }

    #[test]
    fn required_annotations_and_patterns_are_configurable() {
        let settings = configured(
            &AlertAnnotations,
            "required = [\"summary\"]\npatterns = { runbook_url = 'https://runbooks\\.example\\.com/.+' }",
        );
        let found = run_with(&AlertAnnotations, TEXT, &settings);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].0, "8:20");
        assert!(found[0].1.contains("does not match `https://runbooks"));
    }
}
