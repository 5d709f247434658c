use super::{Check, CheckInfo, Context};
use crate::diagnostic::{Diagnostic, Severity};

pub struct AlertmanagerConfig;

static INFO: CheckInfo = CheckInfo {
    id: "alertmanager/config",
    severity: Severity::Error,
    default_enabled: true,
    options: &[],
    summary:
        "The Alertmanager configuration given with --alertmanager is one Alertmanager would refuse",
    docs: r#"## What it does
With `--alertmanager FILE` (an `alertmanager.yml`, or a Kubernetes Secret holding one under
`alertmanager.yaml`), reads the configuration as Alertmanager does and reports what it would
refuse, at its place: an unknown field, a route whose receiver or time interval nobody defines, a
root route with matchers, a bad matcher or regex, a zero `group_interval`, a duplicated receiver
name, a bad weekday or time of day, and an integration missing what it needs (a PagerDuty entry
with no routing or service key, a webhook with no `url`, an e-mail with no `to`, an Opsgenie or
Slack entry with no key or URL of its own or in `global`) or given both a value and its `_file`,
a URL that is not http(s) with a host, a smarthost without a port, a Telegram `chat_id` that is
not an integer. A value filled in before Alertmanager reads the file (`${SLACK_URL}`, `$HOST`,
`<chat_id>`, a template) is not judged.
The verdict is `amtool check-config`'s, of the current Alertmanager: every one of Alertmanager's
own configuration fixtures (config/testdata) gets its verdict and message. Integrations and
settings newer than your Alertmanager are accepted.

## Why is this bad?
Alertmanager does not start on a configuration it refuses, and a reload keeps the old one: the
routes you changed never apply, and nothing says so until an alert goes where it should not.

## Example
```yaml
route:
  receiver: team
  routes:
    - matchers: ['severity="critical"']
      receiver: pagr          # no receiver is named pagr
receivers:
  - name: team
  - name: pager
```

## Fixed
```yaml
      receiver: pager
```"#,
};

impl Check for AlertmanagerConfig {
    fn info(&self) -> &'static CheckInfo {
        &INFO
    }

    fn check_set(&self, ctx: &Context<'_>, out: &mut Vec<Diagnostic>) {
        let Some(am) = ctx.alertmanager else { return };
        if let Err(e) = &am.config {
            out.push(Diagnostic::new(
                INFO.id,
                INFO.severity,
                &am.source,
                e.span,
                format!(
                    "Alertmanager would refuse this configuration: {}",
                    e.message
                ),
            ));
        }
    }
}
