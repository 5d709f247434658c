//! What can be known, before anything fires, of the labels an alerting
//! rule's alerts reach Alertmanager with: its own labels (a templated value
//! is unknown), its group's, `alertname`, the labels its expression's
//! result can carry (values unknown; a label it cannot carry is absent), and
//! the external labels. Matchers are then true, false or unknown, and a
//! routing tree walked on that knowledge says which routes the alerts can
//! reach.

use std::collections::BTreeMap;

use super::route::{Matcher, Route};
use crate::promql::analysis::{result_labels, Labels};
use crate::rules::{Group, Rule};

/// A label's value on every alert of the rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    Known(String),
    /// The alerts never carry it (matchers see the empty string).
    Absent,
    /// Some alerts may carry it, with values the rule does not fix.
    Unknown,
}

/// True, false, or unknown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tri {
    Yes,
    No,
    Maybe,
}

/// The labels an alerting rule's alerts can have.
#[derive(Debug, Clone)]
pub struct RuleLabels {
    /// Labels the rule or its group sets; `None` for a templated value.
    fixed: BTreeMap<String, Option<String>>,
    /// What the expression's result can carry; `None` when it did not parse.
    carried: Option<Labels>,
    external: Vec<(String, String)>,
}

impl RuleLabels {
    pub fn of(rule: &Rule, group: &Group, external: &[(String, String)]) -> RuleLabels {
        let mut fixed = BTreeMap::new();
        // Rule labels win over the group's (Prometheus 3 group `labels`).
        for entry in group.labels.iter().chain(&rule.labels) {
            let value = &entry.value.value;
            fixed.insert(
                entry.key.value.clone(),
                (!value.contains("{{")).then(|| value.clone()),
            );
        }
        fixed.insert("alertname".into(), Some(rule.name().to_string()));
        let carried = rule
            .expr
            .as_ref()
            .and_then(|e| e.parsed.as_ref().ok())
            .map(result_labels);
        RuleLabels {
            fixed,
            carried,
            external: external.to_vec(),
        }
    }

    pub fn value(&self, name: &str) -> Value {
        if let Some(v) = self.fixed.get(name) {
            return v.clone().map_or(Value::Unknown, Value::Known);
        }
        let can_carry = self.carried.as_ref().is_none_or(|c| c.can_carry(name));
        if can_carry {
            return Value::Unknown;
        }
        match self.external.iter().find(|(k, _)| k == name) {
            Some((_, v)) => Value::Known(v.clone()),
            None => Value::Absent,
        }
    }

    pub fn matches(&self, m: &Matcher) -> Tri {
        let labels = |v: &str| {
            let mut set = super::route::LabelSet::new();
            set.insert(m.name.clone(), v.to_string());
            set
        };
        match self.value(&m.name) {
            Value::Known(v) => Tri::from(m.matches(&labels(&v))),
            Value::Absent => Tri::from(m.matches(&super::route::LabelSet::new())),
            Value::Unknown => Tri::Maybe,
        }
    }

    /// All of the matchers.
    pub fn matches_all(&self, ms: &[Matcher]) -> Tri {
        let mut out = Tri::Yes;
        for m in ms {
            match self.matches(m) {
                Tri::No => return Tri::No,
                Tri::Maybe => out = Tri::Maybe,
                Tri::Yes => {}
            }
        }
        out
    }

    /// The routes the rule's alerts can end on (indices in the tree).
    pub fn reachable(&self, root: &Route) -> Vec<usize> {
        let mut out = Vec::new();
        reach(root, self, &mut out);
        out
    }
}

impl From<bool> for Tri {
    fn from(b: bool) -> Tri {
        if b {
            Tri::Yes
        } else {
            Tri::No
        }
    }
}

/// Whether `route` matches; adds the routes an alert can end on.
fn reach(route: &Route, labels: &RuleLabels, out: &mut Vec<usize>) -> Tri {
    let matched = labels.matches_all(&route.matchers);
    if matched == Tri::No {
        return Tri::No;
    }
    let mut some_child_surely = false;
    for child in &route.routes {
        let c = reach(child, labels, out);
        if c == Tri::Yes {
            some_child_surely = true;
            if !child.continue_ {
                break;
            }
        }
    }
    // The route itself is where the alert ends when no child matches.
    if !some_child_surely {
        out.push(route.index);
    }
    matched
}
