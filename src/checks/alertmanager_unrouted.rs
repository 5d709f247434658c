use super::{alerts, report_rule, Check, CheckInfo, Context};
use crate::alertmanager::route::Route;
use crate::alertmanager::rule_labels::RuleLabels;
use crate::diagnostic::{Diagnostic, Severity};

pub struct Unrouted;

static INFO: CheckInfo = CheckInfo {
    id: "alertmanager/unrouted",
    severity: Severity::Warning,
    default_enabled: true,
    options: &[],
    summary: "No route of the Alertmanager configuration matches the alert: only the default receiver gets it",
    docs: r#"## What it does
With `--alertmanager FILE`, walks the routing tree with what the rule fixes of its alerts' labels
(its own labels and its group's, `alertname`, `--external-label`s, and which labels its
expression's result can carry at all) and reports an alert that no route under the root can
match, so that only the root's default receiver ever hears of it. A label the expression may
carry with any value is assumed to match, so a route on `namespace` or `team` coming from the
series never makes a finding. When the default receiver has no integration (kube-prometheus-stack's
`"null"`), the alert reaches nobody, and the message says so.

## Why is this bad?
Routes are written for labels: `severity: critical` to the pager, `team: db` to the database
channel. An alert that sets `severity: page` instead, or no `team`, falls through to the
default, which is often a catch-all channel nobody watches or a receiver that sends nothing.

## Example
```yaml
- alert: MariaDBDown
  expr: mysql_up == 0
  labels:
    severity: crit        # the routes match severity="critical"
```

## Fixed
```yaml
  labels:
    severity: critical
```"#,
};

impl Check for Unrouted {
    fn info(&self) -> &'static CheckInfo {
        &INFO
    }

    fn check_set(&self, ctx: &Context<'_>, out: &mut Vec<Diagnostic>) {
        let Some(am) = ctx.alertmanager else { return };
        let Ok(config) = &am.config else { return };
        let tree = Route::new(&config.route);
        if tree.routes.is_empty() {
            // No routes at all: everything goes to the default on purpose.
            return;
        }
        let default = &tree.opts.receiver;
        let silent = config
            .receivers
            .iter()
            .find(|r| &r.name == default)
            .is_some_and(|r| r.integrations.is_empty());
        let all: Vec<_> = alerts(ctx.rules).collect();
        let unrouted: Vec<_> = all
            .iter()
            .filter(|(_, group, rule)| {
                RuleLabels::of(rule, group, &am.external_labels).reachable(&tree) == [tree.index]
            })
            .collect();
        let tail = if silent {
            ", which sends nothing: this alert reaches nobody"
        } else {
            ""
        };
        // Most alerts falling through is the configuration's doing (a
        // placeholder tree): one finding there, not one per rule.
        if unrouted.len() > 10 && unrouted.len() * 2 > all.len() {
            let mut names: Vec<&str> = unrouted.iter().map(|(_, _, r)| r.name()).collect();
            names.dedup();
            out.push(
                Diagnostic::new(
                    INFO.id,
                    INFO.severity,
                    &am.source,
                    config.route_span,
                    format!(
                        "{} of {} alerts match no route: only the default receiver {default:?} gets them{} ({}, ...)",
                        unrouted.len(),
                        all.len(),
                        if silent { ", which sends nothing: they reach nobody" } else { "" },
                        names[..3].join(", ")
                    ),
                )
                .help("add routes for the labels the alerts carry (severity, team, namespace, ...)"),
            );
            return;
        }
        for (file, group, rule) in unrouted {
            out.push(
                report_rule(
                    &INFO,
                    file,
                    group,
                    rule,
                    rule.anchor(),
                    format!(
                        "no route of {} matches alert {:?}: only the default receiver {default:?} gets it{tail}",
                        am.source.name,
                        rule.name()
                    ),
                )
                .help("set the labels the routes match on (severity, team, ...), or add a route for it"),
            );
        }
    }
}
