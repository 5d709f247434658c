//! Alertmanager's routing tree, as `dispatch/route.go` builds and walks it
//! (prometheus/alertmanager): which routes an alert's labels reach, with
//! the options each route inherits from its parent, and the aggregation
//! group an alert joins there.
//!
//! - A route matches when all its matchers match the alert's labels (a
//!   missing label is the empty string).
//! - Its children are tried in order; the first that matches stops the
//!   search unless it has `continue: true`. When no child matches, the route
//!   itself is the match.
//! - A child inherits its parent's receiver, `group_by` (`['...']`: all
//!   labels), `group_wait`, `group_interval` and `repeat_interval` unless it
//!   sets its own. The root's defaults are 30s, 5m and 4h.
//! - The group an alert joins on a route is keyed by the route's matcher
//!   path and the alert's values of the `group_by` labels.

use std::collections::BTreeMap;

use crate::rules::Duration;

/// An alert's labels, by name.
pub type LabelSet = BTreeMap<String, String>;

/// One label matcher: `name="v"`, `!=`, `=~`, `!~` (regexes anchored).
#[derive(Debug, Clone)]
pub struct Matcher {
    pub name: String,
    pub op: MatchOp,
    pub value: String,
    regex: Option<regex::Regex>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MatchOp {
    Equal,
    NotEqual,
    Regex,
    NotRegex,
}

impl Matcher {
    /// A matcher; `Err` with the regex's error for a bad pattern.
    pub fn new(name: &str, op: MatchOp, value: &str) -> Result<Matcher, String> {
        let regex = match op {
            MatchOp::Regex | MatchOp::NotRegex => {
                Some(regex::Regex::new(&format!("^(?:{value})$")).map_err(|e| e.to_string())?)
            }
            _ => None,
        };
        Ok(Matcher {
            name: name.to_string(),
            op,
            value: value.to_string(),
            regex,
        })
    }

    pub fn matches(&self, labels: &LabelSet) -> bool {
        let have = labels.get(&self.name).map_or("", String::as_str);
        match (self.op, &self.regex) {
            (MatchOp::Equal, _) => have == self.value,
            (MatchOp::NotEqual, _) => have != self.value,
            (MatchOp::Regex, Some(r)) => r.is_match(have),
            (MatchOp::NotRegex, Some(r)) => !r.is_match(have),
            _ => false,
        }
    }

    fn text(&self) -> String {
        let op = match self.op {
            MatchOp::Equal => "=",
            MatchOp::NotEqual => "!=",
            MatchOp::Regex => "=~",
            MatchOp::NotRegex => "!~",
        };
        format!("{}{op}{:?}", self.name, self.value)
    }
}

/// What a route sets; `None` inherits the parent's.
#[derive(Debug, Clone, Default)]
pub struct RouteConfig {
    pub receiver: Option<String>,
    /// `Some(None)`: `group_by: ['...']`, every label.
    pub group_by: Option<Option<Vec<String>>>,
    pub group_wait: Option<Duration>,
    pub group_interval: Option<Duration>,
    pub repeat_interval: Option<Duration>,
    pub matchers: Vec<Matcher>,
    pub continue_: bool,
    pub routes: Vec<RouteConfig>,
    /// Names of time intervals; not inherited (dispatch/route.go).
    pub mute_time_intervals: Vec<String>,
    pub active_time_intervals: Vec<String>,
}

/// A route's options once inherited.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RouteOpts {
    pub receiver: String,
    /// `None`: every label of the alert.
    pub group_by: Option<Vec<String>>,
    pub group_wait: Duration,
    pub group_interval: Duration,
    pub repeat_interval: Duration,
    pub mute_time_intervals: Vec<String>,
    pub active_time_intervals: Vec<String>,
}

/// A route of the tree.
#[derive(Debug, Clone)]
pub struct Route {
    pub opts: RouteOpts,
    pub matchers: Vec<Matcher>,
    pub continue_: bool,
    pub routes: Vec<Route>,
    /// The matchers of this route and its parents: `{}/{severity="page"}`.
    pub key: String,
    /// Position in the tree, depth first from the root's 0.
    pub index: usize,
}

impl Route {
    /// The tree of the root route's config.
    pub fn new(root: &RouteConfig) -> Route {
        let defaults = RouteOpts {
            receiver: String::new(),
            group_by: Some(Vec::new()),
            group_wait: Duration::from_secs(30),
            group_interval: Duration::from_secs(300),
            repeat_interval: Duration::from_secs(4 * 3600),
            mute_time_intervals: Vec::new(),
            active_time_intervals: Vec::new(),
        };
        let mut next = 0;
        build(root, &defaults, None, &mut next)
    }

    /// Every route, depth first: `all()[r.index]` is `r`.
    pub fn all(&self) -> Vec<&Route> {
        let mut out = vec![self];
        for child in &self.routes {
            out.extend(child.all());
        }
        out
    }

    /// The routes an alert with `labels` reaches, in tree order.
    pub fn matching(&self, labels: &LabelSet) -> Vec<&Route> {
        if !self.matchers.iter().all(|m| m.matches(labels)) {
            return Vec::new();
        }
        let mut all = Vec::new();
        for child in &self.routes {
            let found = child.matching(labels);
            let matched = !found.is_empty();
            all.extend(found);
            if matched && !child.continue_ {
                break;
            }
        }
        if all.is_empty() {
            all.push(self);
        }
        all
    }

    /// The aggregation group an alert joins on this route: the route's key
    /// and the alert's values of the `group_by` labels.
    pub fn group_key(&self, labels: &LabelSet) -> String {
        let grouped: Vec<String> = labels
            .iter()
            .filter(|(name, _)| {
                self.opts
                    .group_by
                    .as_ref()
                    .is_none_or(|by| by.iter().any(|b| b == *name))
            })
            .map(|(k, v)| format!("{k}={v:?}"))
            .collect();
        format!("{}:{{{}}}", self.key, grouped.join(", "))
    }
}

fn build(
    config: &RouteConfig,
    parent: &RouteOpts,
    parent_key: Option<&str>,
    next: &mut usize,
) -> Route {
    let index = *next;
    *next += 1;
    let opts = RouteOpts {
        receiver: config
            .receiver
            .clone()
            .unwrap_or_else(|| parent.receiver.clone()),
        group_by: config
            .group_by
            .clone()
            .unwrap_or_else(|| parent.group_by.clone()),
        group_wait: config.group_wait.unwrap_or(parent.group_wait),
        group_interval: config.group_interval.unwrap_or(parent.group_interval),
        repeat_interval: config.repeat_interval.unwrap_or(parent.repeat_interval),
        mute_time_intervals: config.mute_time_intervals.clone(),
        active_time_intervals: config.active_time_intervals.clone(),
    };
    let mut matchers = config.matchers.clone();
    matchers.sort_by_key(Matcher::text);
    let own = format!(
        "{{{}}}",
        matchers
            .iter()
            .map(Matcher::text)
            .collect::<Vec<_>>()
            .join(",")
    );
    let key = match parent_key {
        Some(p) => format!("{p}/{own}"),
        None => own,
    };
    let routes = config
        .routes
        .iter()
        .map(|child| build(child, &opts, Some(&key), next))
        .collect();
    Route {
        opts,
        matchers,
        continue_: config.continue_,
        routes,
        key,
        index,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels(pairs: &[(&str, &str)]) -> LabelSet {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    fn route(receiver: &str, matchers: &[(&str, MatchOp, &str)]) -> RouteConfig {
        RouteConfig {
            receiver: Some(receiver.into()),
            matchers: matchers
                .iter()
                .map(|(n, op, v)| Matcher::new(n, *op, v).unwrap())
                .collect(),
            ..RouteConfig::default()
        }
    }

    /// A tree like those of dispatch/route_test.go: a default receiver, an
    /// `owner` split with `continue`, a nested route that inherits its
    /// parent's grouping.
    fn tree() -> Route {
        let mut team_x = route("team-X", &[("owner", MatchOp::Equal, "team-X")]);
        team_x.group_by = Some(Some(vec!["alertname".into()]));
        team_x.routes = vec![route("team-X-pager", &[("env", MatchOp::Equal, "prod")])];
        let mut team_y = route("team-Y", &[("owner", MatchOp::Regex, "team-(Y|Z)")]);
        team_y.continue_ = true;
        team_y.group_wait = Some(Duration::from_secs(60));
        let catch_all = route("fallback-Y", &[("owner", MatchOp::Regex, "team-.*")]);
        let mut root = RouteConfig {
            receiver: Some("notify-def".into()),
            group_by: Some(Some(vec!["alertname".into(), "cluster".into()])),
            ..RouteConfig::default()
        };
        root.routes = vec![team_x, team_y, catch_all];
        Route::new(&root)
    }

    #[test]
    fn the_first_matching_child_wins_unless_it_continues() {
        let t = tree();
        let receivers = |l: &LabelSet| -> Vec<String> {
            t.matching(l)
                .iter()
                .map(|r| r.opts.receiver.clone())
                .collect()
        };
        assert_eq!(receivers(&labels(&[("owner", "team-X")])), ["team-X"]);
        assert_eq!(
            receivers(&labels(&[("owner", "team-X"), ("env", "prod")])),
            ["team-X-pager"]
        );
        // `continue` on team-Y: the next sibling is tried too.
        assert_eq!(
            receivers(&labels(&[("owner", "team-Z")])),
            ["team-Y", "fallback-Y"]
        );
        // No child matches: the root itself.
        assert_eq!(receivers(&labels(&[("owner", "nobody")])), ["notify-def"]);
        // A missing label is the empty string: `=~"team-.*"` does not match it.
        assert_eq!(receivers(&labels(&[])), ["notify-def"]);
    }

    #[test]
    fn children_inherit_what_they_do_not_set() {
        let t = tree();
        let pager = t.matching(&labels(&[("owner", "team-X"), ("env", "prod")]))[0];
        assert_eq!(pager.opts.group_by, Some(vec!["alertname".to_string()]));
        assert_eq!(pager.opts.group_wait, Duration::from_secs(30));
        assert_eq!(pager.opts.repeat_interval, Duration::from_secs(4 * 3600));
        let y = t.matching(&labels(&[("owner", "team-Y")]))[0];
        assert_eq!(y.opts.group_wait, Duration::from_secs(60));
        assert_eq!(
            y.opts.group_by,
            Some(vec!["alertname".to_string(), "cluster".to_string()])
        );
    }

    #[test]
    fn an_alert_joins_the_group_of_its_group_by_values() {
        let t = tree();
        let a = labels(&[("owner", "team-X"), ("alertname", "Down"), ("pod", "p1")]);
        let b = labels(&[("owner", "team-X"), ("alertname", "Down"), ("pod", "p2")]);
        let route = t.matching(&a)[0];
        assert_eq!(route.group_key(&a), route.group_key(&b));
        assert_eq!(
            route.group_key(&a),
            "{}/{owner=\"team-X\"}:{alertname=\"Down\"}"
        );
        // `group_by: ['...']`: every label, so each pod is its own group.
        let mut all = RouteConfig {
            receiver: Some("r".into()),
            group_by: Some(None),
            ..RouteConfig::default()
        };
        all.routes = Vec::new();
        let every = Route::new(&all);
        assert_ne!(every.group_key(&a), every.group_key(&b));
    }
}
