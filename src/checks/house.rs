//! The conventions a rule set keeps, read from its own alerts before any of
//! them is judged: which labels and annotations nearly every alert carries,
//! which values a label takes, how alerts are named. Checks report departures
//! from this house style; a team's own policy (`.firedrill.toml`) replaces it.
//!
//! Conventions are read per folder, because a repository often keeps several
//! projects side by side (a mixin per folder), each with its own style; a
//! folder with too few alerts to show a style is judged by the whole set.

use std::collections::{BTreeMap, HashMap};

use crate::rules::{RuleFile, RuleSet};

/// A style is only read from at least this many alerts.
pub const MIN_ALERTS: usize = 5;
/// Boilerplate is only read from a set this large: a hand-written rule set
/// of a dozen alerts that all name the instance is not generated.
const BOILERPLATE_MIN_ALERTS: usize = 20;
/// A label or annotation carried by at least this share of alerts is the house's.
const HOUSE_SHARE: f64 = 0.8;

/// The conventions of every folder of a rule set.
#[derive(Debug, Default)]
pub struct House {
    by_folder: HashMap<String, Conventions>,
    whole: Conventions,
}

/// The conventions of one scope (a folder, or the whole set).
#[derive(Debug, Default, Clone)]
pub struct Conventions {
    /// Where they were read: a folder, or "the rule set".
    pub scope: String,
    /// Alerting rules read.
    pub alerts: usize,
    /// For each label name: how many alerts carry it, and each static value's count.
    pub labels: BTreeMap<String, LabelUse>,
    /// For each annotation key: how many alerts carry it (non-empty).
    pub annotations: BTreeMap<String, usize>,
    /// For each static `severity`: how many alerts have it, and how many of
    /// those carry each annotation key.
    pub by_severity: BTreeMap<String, (usize, BTreeMap<String, usize>)>,
    /// Alert names that are plain identifiers (`[A-Za-z][A-Za-z0-9_]*`).
    pub identifier_names: usize,
    /// How many alerts are named as an identifier with a parenthesized
    /// qualifier (`MysqlTooManyConnections(>80%)`, `CassandraTombstoneDump(criteo)`).
    pub qualified_names: usize,
    /// For each (annotation key, label): how many alerts' templates there
    /// refer to `$labels.<label>`.
    pub template_refs: BTreeMap<(String, String), usize>,
}

#[derive(Debug, Default, Clone)]
pub struct LabelUse {
    pub alerts: usize,
    pub values: BTreeMap<String, usize>,
}

/// The folder part of a file's name, as the scope key.
fn folder(file: &RuleFile) -> String {
    let name = file.source.name.as_str();
    match name.rfind(['/', '\\']) {
        Some(i) => name[..i].to_string(),
        None => ".".to_string(),
    }
}

pub fn is_identifier(name: &str) -> bool {
    name.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// An identifier followed by one parenthesized qualifier: `DiskFull(>90%)`.
pub fn is_qualified_identifier(name: &str) -> bool {
    name.strip_suffix(')')
        .and_then(|n| n.split_once('('))
        .is_some_and(|(base, qualifier)| {
            is_identifier(base) && !qualifier.is_empty() && !qualifier.contains(['(', ')'])
        })
}

impl Conventions {
    fn add(&mut self, file: &RuleFile) {
        for group in super::groups(file) {
            for rule in group.rules.iter().filter(|r| r.is_alert()) {
                self.alerts += 1;
                if is_identifier(rule.name()) {
                    self.identifier_names += 1;
                }
                if is_qualified_identifier(rule.name()) {
                    self.qualified_names += 1;
                }
                // A rule's own label wins over its group's (Prometheus 3).
                let mut labels: BTreeMap<&str, &str> = BTreeMap::new();
                for e in group.labels.iter().chain(&rule.labels) {
                    labels.insert(&e.key.value, &e.value.value);
                }
                for (key, value) in labels {
                    if value.trim().is_empty() {
                        continue;
                    }
                    let usage = self.labels.entry(key.to_string()).or_default();
                    usage.alerts += 1;
                    if !value.contains("{{") {
                        *usage.values.entry(value.to_string()).or_default() += 1;
                    }
                }
                let mut keys: Vec<&str> = rule
                    .annotations
                    .iter()
                    .filter(|e| !e.value.value.trim().is_empty())
                    .map(|e| e.key.value.as_str())
                    .collect();
                keys.sort_unstable();
                keys.dedup();
                let severity = group
                    .labels
                    .iter()
                    .chain(&rule.labels)
                    .filter(|e| e.key.value == "severity" && !e.value.value.contains("{{"))
                    .map(|e| e.value.value.clone())
                    .next_back();
                if let Some(severity) = severity {
                    let (alerts, carried) = self.by_severity.entry(severity).or_default();
                    *alerts += 1;
                    for key in &keys {
                        *carried.entry(key.to_string()).or_default() += 1;
                    }
                }
                for key in keys {
                    *self.annotations.entry(key.to_string()).or_default() += 1;
                }
                let mut refs: Vec<(String, String)> = Vec::new();
                for e in rule
                    .annotations
                    .iter()
                    .filter(|e| e.value.value.contains("{{"))
                {
                    for (label, _, _) in crate::template::analyze(&e.value.value).label_refs {
                        refs.push((e.key.value.clone(), label));
                    }
                }
                refs.sort_unstable();
                refs.dedup();
                for r in refs {
                    *self.template_refs.entry(r).or_default() += 1;
                }
            }
        }
    }

    /// Whether enough alerts were read to speak of a style.
    pub fn has_style(&self) -> bool {
        self.alerts >= MIN_ALERTS
    }

    fn is_house(&self, carried: usize) -> bool {
        self.has_style() && carried as f64 >= HOUSE_SHARE * self.alerts as f64
    }

    /// Labels nearly every alert carries, with how many carry each.
    pub fn house_labels(&self) -> impl Iterator<Item = (&str, usize)> {
        self.labels
            .iter()
            .filter(|(_, u)| self.is_house(u.alerts))
            .map(|(k, u)| (k.as_str(), u.alerts))
    }

    /// Annotations nearly every alert carries, with how many carry each.
    pub fn house_annotations(&self) -> impl Iterator<Item = (&str, usize)> {
        self.annotations
            .iter()
            .filter(|(_, n)| self.is_house(**n))
            .map(|(k, n)| (k.as_str(), *n))
    }

    /// When `{{ $labels.<label> }}` in the annotation `key` is boilerplate: a
    /// generated text nearly every alert of a large set carries (an
    /// "(instance ...)" suffix on every summary), how many alerts carry it.
    /// Where it is empty is one finding for the set, not one per alert.
    pub fn boilerplate(&self, key: &str, label: &str) -> Option<usize> {
        let n = *self
            .template_refs
            .get(&(key.to_string(), label.to_string()))?;
        (self.alerts >= BOILERPLATE_MIN_ALERTS && self.is_house(n)).then_some(n)
    }

    /// The key (label or annotation name) most alerts carry that `key`, used
    /// by this alert and at most a few others, is a slip of: `secverity` where thirty alerts
    /// carry `severity`, `descripton` for `description`. `house` is the
    /// keys most alerts carry; `uses` how many alerts use `key`.
    pub fn misspelt_key<'a>(
        house: impl Iterator<Item = (&'a str, usize)>,
        key: &str,
        uses: usize,
    ) -> Option<(&'a str, usize)> {
        if key.len() < 4 {
            return None;
        }
        // Rare beside it: one alert, or a slip copied to a few of many.
        house
            .filter(|(k, n)| *n >= 3 && *k != key && uses * 4 <= *n && uses <= 3)
            .find(|(k, _)| {
                k.eq_ignore_ascii_case(key)
                    || crate::suggest::edit_distance(key, k)
                        <= 2.min((key.len().min(k.len()) / 4).max(1))
            })
    }

    /// The finding for a misspelt `what` (`label`, `annotation`) key of a
    /// rule: `entry`'s name, used by `uses` alerts, is a slip of one of
    /// `house` (the keys most alerts carry, the rule's own left out).
    #[allow(clippy::too_many_arguments)]
    pub fn misspelt_key_finding<'a>(
        &self,
        info: &'static super::CheckInfo,
        file: &crate::rules::RuleFile,
        group: &crate::rules::Group,
        rule: &crate::rules::Rule,
        entry: &crate::rules::Entry,
        what: &str,
        house: impl Iterator<Item = (&'a str, usize)>,
        uses: usize,
    ) -> Option<crate::diagnostic::Diagnostic> {
        let name = entry.key.value.as_str();
        let (usual, n) = Conventions::misspelt_key(house, name, uses)?;
        Some(
            super::report_rule(
                info,
                file,
                group,
                rule,
                entry.key.span,
                format!(
                    "{what} `{name}` is a slip of `{usual}`? This alert has no `{usual}`, which {} carry",
                    self.share(n)
                ),
            )
            .label("a typo?")
            .help(format!("write `{usual}:`")),
        )
    }

    /// Whether the house names its alerts as plain identifiers.
    pub fn names_are_identifiers(&self) -> bool {
        self.is_house(self.identifier_names)
    }

    /// "42 of 45 alerts in rules/".
    pub fn share(&self, carried: usize) -> String {
        format!("{carried} of {} alerts in {}", self.alerts, self.scope)
    }
}

impl House {
    pub fn read(set: &RuleSet) -> House {
        let mut house = House {
            whole: Conventions {
                scope: "the rule set".into(),
                ..Conventions::default()
            },
            ..House::default()
        };
        for file in &set.files {
            let scope = folder(file);
            house
                .by_folder
                .entry(scope.clone())
                .or_insert_with(|| Conventions {
                    scope: format!("{scope}/"),
                    ..Conventions::default()
                })
                .add(file);
            house.whole.add(file);
        }
        house
    }

    /// The conventions that judge `file`: its folder's. A folder of fewer
    /// than [`MIN_ALERTS`] alerts shows no style, and is not judged by
    /// another folder's (a demo file beside a product's rules).
    pub fn for_file(&self, file: &RuleFile) -> &Conventions {
        self.by_folder.get(&folder(file)).unwrap_or(&self.whole)
    }

    /// The conventions of the whole rule set.
    pub fn whole(&self) -> &Conventions {
        &self.whole
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::load_text_named;
    use super::*;

    fn alerts(n: usize, extra: &str) -> String {
        let mut s = String::from("groups:\n- name: g\n  rules:\n");
        for i in 0..n {
            s.push_str(&format!(
                "  - alert: A{i}\n    expr: up == 0\n    labels: {{severity: page}}\n    annotations: {{message: m}}\n"
            ));
        }
        s.push_str(extra);
        s
    }

    #[test]
    fn reads_labels_annotations_and_values_per_folder() {
        let set = RuleSet {
            files: vec![
                load_text_named("a/x.yaml", &alerts(6, "")),
                load_text_named("b/y.yaml", &alerts(2, "")),
            ],
        };
        let house = House::read(&set);
        let a = house.for_file(&set.files[0]);
        assert_eq!(a.scope, "a/");
        assert_eq!(a.alerts, 6);
        assert_eq!(a.house_labels().collect::<Vec<_>>(), [("severity", 6)]);
        assert_eq!(a.house_annotations().collect::<Vec<_>>(), [("message", 6)]);
        assert_eq!(a.labels["severity"].values["page"], 6);
        assert!(a.names_are_identifiers());
        // Two alerts show no style, and the other folder's is not theirs.
        let b = house.for_file(&set.files[1]);
        assert_eq!((b.scope.as_str(), b.alerts), ("b/", 2));
        assert!(!b.has_style());
        assert_eq!(b.house_labels().count(), 0);
    }

    #[test]
    fn a_minority_is_not_a_convention() {
        let extra = "  - alert: B\n    expr: up == 0\n    annotations: {summary: s}\n";
        let set = RuleSet {
            files: vec![load_text_named("r.yaml", &alerts(4, extra))],
        };
        let house = House::read(&set);
        let c = house.for_file(&set.files[0]);
        // 4 of 5 carry severity and message: 80%, the house's; summary is one alert's.
        assert_eq!(c.house_annotations().collect::<Vec<_>>(), [("message", 4)]);
        assert_eq!(c.annotations["summary"], 1);
    }
}
