//! An `alertmanager.yml`'s routing tree, read with the place of every
//! mistake: the `route:` tree (`receiver`, `group_by`, `group_wait`,
//! `group_interval`, `repeat_interval`, `continue`, `routes`, and matchers
//! in all three spellings: `matchers: ['severity="critical"']`, and the
//! older `match` and `match_re`, config/config.go) and the receivers'
//! names. What Alertmanager refuses here is refused with its words where
//! known: a route receiver no receiver defines, a root route with
//! matchers, a root without a receiver.

use super::route::{MatchOp, Matcher, RouteConfig};
use crate::rules::Duration;
use crate::source::Span;
use crate::yaml::{self, Node};

/// What firedrill reads of an Alertmanager configuration.
#[derive(Debug, Clone)]
pub struct Config {
    pub route: RouteConfig,
    pub receivers: Vec<String>,
}

/// A mistake and where it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    pub message: String,
    pub span: Span,
}

fn error(message: impl Into<String>, span: Span) -> ConfigError {
    ConfigError {
        message: message.into(),
        span,
    }
}

/// Reads the configuration's text.
pub fn load(text: &str) -> Result<Config, ConfigError> {
    let stream = yaml::parse_stream(text);
    if let Some(e) = stream.error {
        return Err(error(e.message, e.span));
    }
    let whole = Span::new(0, text.len());
    let root = stream
        .documents
        .first()
        .map(|d| &d.root)
        .filter(|r| !r.is_null())
        .ok_or_else(|| error("the configuration is empty", whole))?;
    let receivers: Vec<String> = match root.get("receivers").and_then(Node::as_seq) {
        Some(list) => list
            .iter()
            .map(|r| {
                r.get("name")
                    .and_then(Node::as_str)
                    .map(str::to_string)
                    .ok_or_else(|| error("missing name of receiver", r.span))
            })
            .collect::<Result<_, _>>()?,
        None => Vec::new(),
    };
    let route_node = root
        .get("route")
        .ok_or_else(|| error("no routes provided", root.span))?;
    let route = read_route(route_node)?;
    if route.receiver.is_none() {
        return Err(error(
            "root route must specify a default receiver",
            route_node.span,
        ));
    }
    if !route.matchers.is_empty() {
        return Err(error(
            "root route must not have any matchers",
            route_node.span,
        ));
    }
    check_receivers(route_node, &route, &receivers)?;
    Ok(Config { route, receivers })
}

fn check_receivers(
    node: &Node,
    route: &RouteConfig,
    receivers: &[String],
) -> Result<(), ConfigError> {
    if let Some(name) = &route.receiver {
        if !receivers.iter().any(|r| r == name) {
            let at = node.get("receiver").map_or(node.span, |n| n.span);
            return Err(error(
                format!("undefined receiver {name:?} used in route"),
                at,
            ));
        }
    }
    let children = node.get("routes").and_then(Node::as_seq).unwrap_or(&[]);
    for (child_node, child) in children.iter().zip(&route.routes) {
        check_receivers(child_node, child, receivers)?;
    }
    Ok(())
}

fn read_route(node: &Node) -> Result<RouteConfig, ConfigError> {
    let pairs = node.as_map().ok_or_else(|| {
        error(
            format!("a route is a mapping, not a {}", node.kind_name()),
            node.span,
        )
    })?;
    let mut route = RouteConfig::default();
    for pair in pairs {
        let key = pair.key.as_str().unwrap_or("");
        let value = &pair.value;
        match key {
            "receiver" => route.receiver = Some(string(value)?),
            "group_by" => {
                let names = strings(value)?;
                route.group_by = Some(if names.iter().any(|n| n == "...") {
                    if names.len() > 1 {
                        return Err(error(
                            "cannot have wildcard group_by (`...`) and other labels at the same time",
                            value.span,
                        ));
                    }
                    None
                } else {
                    Some(names)
                });
            }
            "group_wait" => route.group_wait = Some(duration(value)?),
            "group_interval" => route.group_interval = Some(duration(value)?),
            "repeat_interval" => route.repeat_interval = Some(duration(value)?),
            "continue" => {
                route.continue_ = match value.as_str() {
                    Some("true") => true,
                    Some("false") => false,
                    _ => return Err(error("`continue` is true or false", value.span)),
                }
            }
            "routes" => {
                for child in value.as_seq().unwrap_or(&[]) {
                    route.routes.push(read_route(child)?);
                }
            }
            "match" | "match_re" => {
                let op = if key == "match" {
                    MatchOp::Equal
                } else {
                    MatchOp::Regex
                };
                for p in value.as_map().unwrap_or(&[]) {
                    let name = p.key.as_str().unwrap_or("");
                    let v = string(&p.value)?;
                    let m = Matcher::new(name, op, &v).map_err(|e| error(e, p.value.span))?;
                    route.matchers.push(m);
                }
            }
            "matchers" => {
                for item in value.as_seq().unwrap_or(&[]) {
                    let text = string(item)?;
                    for m in parse_matchers(&text).map_err(|e| error(e, item.span))? {
                        route.matchers.push(m);
                    }
                }
            }
            // Read by what comes next (time intervals, labels), or not ours.
            _ => {}
        }
    }
    Ok(route)
}

fn string(node: &Node) -> Result<String, ConfigError> {
    node.as_str().map(str::to_string).ok_or_else(|| {
        error(
            format!("expected a string, got a {}", node.kind_name()),
            node.span,
        )
    })
}

fn strings(node: &Node) -> Result<Vec<String>, ConfigError> {
    node.as_seq()
        .ok_or_else(|| {
            error(
                format!("expected a list, got a {}", node.kind_name()),
                node.span,
            )
        })?
        .iter()
        .map(string)
        .collect()
}

fn duration(node: &Node) -> Result<Duration, ConfigError> {
    let text = string(node)?;
    Duration::parse(&text).map_err(|e| error(e, node.span))
}

/// One `matchers:` item: `name="value"`, `name=~"regex"`, `name!=value`,
/// several separated by commas, optionally in braces (pkg/labels/parse.go).
pub fn parse_matchers(text: &str) -> Result<Vec<Matcher>, String> {
    let inner = text.trim();
    let inner = inner
        .strip_prefix('{')
        .and_then(|s| s.strip_suffix('}'))
        .unwrap_or(inner);
    let mut out = Vec::new();
    let mut rest = inner.trim();
    while !rest.is_empty() {
        let name_len = rest
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or(rest.len());
        let name = &rest[..name_len];
        if name.is_empty() {
            return Err(format!("bad matcher format: {text}"));
        }
        rest = rest[name_len..].trim_start();
        let (op, len) = if rest.starts_with("=~") {
            (MatchOp::Regex, 2)
        } else if rest.starts_with("!~") {
            (MatchOp::NotRegex, 2)
        } else if rest.starts_with("!=") {
            (MatchOp::NotEqual, 2)
        } else if rest.starts_with('=') {
            (MatchOp::Equal, 1)
        } else {
            return Err(format!("bad matcher format: {text}"));
        };
        rest = rest[len..].trim_start();
        let (value, after) = if let Some(quoted) = rest.strip_prefix('"') {
            let mut value = String::new();
            let mut chars = quoted.char_indices();
            let mut end = None;
            while let Some((i, c)) = chars.next() {
                match c {
                    '\\' => {
                        if let Some((_, e)) = chars.next() {
                            value.push(match e {
                                'n' => '\n',
                                't' => '\t',
                                other => other,
                            });
                        }
                    }
                    '"' => {
                        end = Some(i + 1);
                        break;
                    }
                    other => value.push(other),
                }
            }
            let end = end.ok_or_else(|| format!("unterminated quoted value: {text}"))?;
            (value, &quoted[end..])
        } else {
            let end = rest.find(',').unwrap_or(rest.len());
            (rest[..end].trim().to_string(), &rest[end..])
        };
        out.push(Matcher::new(name, op, &value)?);
        rest = after.trim_start();
        if let Some(next) = rest.strip_prefix(',') {
            rest = next.trim_start();
        } else if !rest.is_empty() {
            return Err(format!("bad matcher format: {text}"));
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::super::route::Route;
    use super::*;

    const CONFIG: &str = "route:
  receiver: team-channel
  group_by: [alertname, namespace]
  routes:
    - matchers: ['severity=\"critical\"', 'team=~\"db|web\"']
      receiver: pager
      group_wait: 10s
    - match:
        severity: warning
      receiver: team-channel
      continue: true
    - match_re:
        namespace: 'kube-.*'
      receiver: platform
      group_by: ['...']
receivers:
  - name: team-channel
  - name: pager
    pagerduty_configs: [{routing_key: x}]
  - name: platform
";

    #[test]
    fn reads_the_routing_tree_in_all_three_matcher_spellings() {
        let config = load(CONFIG).unwrap();
        assert_eq!(config.receivers, ["team-channel", "pager", "platform"]);
        let tree = Route::new(&config.route);
        let to = |pairs: &[(&str, &str)]| -> Vec<String> {
            let labels = pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect();
            tree.matching(&labels)
                .iter()
                .map(|r| r.opts.receiver.clone())
                .collect()
        };
        assert_eq!(to(&[("severity", "critical"), ("team", "db")]), ["pager"]);
        assert_eq!(
            to(&[("severity", "critical"), ("team", "ops")]),
            ["team-channel"]
        );
        assert_eq!(
            to(&[("severity", "warning"), ("namespace", "kube-system")]),
            ["team-channel", "platform"]
        );
        let pager = &tree.routes[0];
        assert_eq!(pager.opts.group_wait, Duration::from_secs(10));
        assert_eq!(tree.routes[2].opts.group_by, None);
    }

    #[test]
    fn mistakes_are_refused_at_their_place() {
        let bad = CONFIG.replace("receiver: platform", "receiver: platfrom");
        let e = load(&bad).unwrap_err();
        assert_eq!(e.message, "undefined receiver \"platfrom\" used in route");
        assert_eq!(&bad[e.span.start..e.span.end], "platfrom");
        let bad = CONFIG.replace("'team=~\"db|web\"'", "'team=~\"db|(web\"'");
        let e = load(&bad).unwrap_err();
        assert!(e.message.contains("regex"), "{}", e.message);
        let bad = CONFIG.replace("group_wait: 10s", "group_wait: soon");
        assert!(load(&bad).is_err());
        assert_eq!(
            load("route:\n  group_by: [a]\nreceivers: []\n")
                .unwrap_err()
                .message,
            "root route must specify a default receiver"
        );
    }

    #[test]
    fn matcher_items_as_alertmanager_writes_them() {
        let ms = parse_matchers("{alertname=\"Foo\", severity!=info,team=~\"a\\\\.b\"}").unwrap();
        let shown: Vec<(String, MatchOp, String)> = ms
            .iter()
            .map(|m| (m.name.clone(), m.op, m.value.clone()))
            .collect();
        assert_eq!(
            shown,
            [
                ("alertname".into(), MatchOp::Equal, "Foo".into()),
                ("severity".into(), MatchOp::NotEqual, "info".into()),
                ("team".into(), MatchOp::Regex, "a\\.b".into()),
            ]
        );
        assert!(parse_matchers("=x").is_err());
        assert!(parse_matchers("a=\"unterminated").is_err());
    }
}
