//! The integrations a receiver notifies through (`webhook_configs`,
//! `pagerduty_configs`, ...) and what Alertmanager requires of each, so a
//! configuration it would refuse at start-up is refused here, in its words.
//!
//! Two moments, as in Alertmanager (main): an entry's own mistakes are
//! refused while it is decoded (`UnmarshalYAML` in config/notifiers.go and
//! notify/<kind>/config.go: a required field missing, a value and its
//! `_file` both set); what the `global` section would fill in is checked
//! after, receiver by receiver and kind by kind in a fixed order
//! (`Config.UnmarshalYAML` in config/config.go). An entry's fields are
//! main's: no field Alertmanager 0.25 knew has been taken away since, so
//! only a key no version knows is refused. What is inside an entry's
//! fields (`http_config`, Slack `actions`, ...) is not checked.

use super::config::ConfigError;
use crate::source::Span;
use crate::yaml::{resolve_plain, Node, Resolved};

/// An integration kind: the `_configs` key's stem, its `send_resolved`
/// default, and the fields an entry may have (the Go package that
/// defines them names its type in Alertmanager's error).
pub struct Kind {
    pub name: &'static str,
    pub send_resolved: bool,
    pub package: &'static str,
    pub fields: &'static [&'static str],
}

/// Every kind, in the order `Config.UnmarshalYAML` fills in their global
/// defaults (which decides the first error of a receiver with several).
pub const KINDS: [Kind; 18] = [
    kind(
        "webhook",
        true,
        "webhook",
        &[
            "send_resolved",
            "http_config",
            "url",
            "url_file",
            "max_alerts",
            "timeout",
            "payload",
        ],
    ),
    kind(
        "email",
        false,
        "config",
        &[
            "send_resolved",
            "to",
            "from",
            "hello",
            "smarthost",
            "auth_username",
            "auth_password",
            "auth_password_file",
            "auth_secret",
            "auth_secret_file",
            "auth_identity",
            "headers",
            "html",
            "text",
            "require_tls",
            "tls_config",
            "force_implicit_tls",
            "threading",
        ],
    ),
    kind(
        "slack",
        false,
        "config",
        &[
            "send_resolved",
            "http_config",
            "api_url",
            "api_url_file",
            "app_token",
            "app_token_file",
            "app_url",
            "channel",
            "username",
            "color",
            "title",
            "title_link",
            "pretext",
            "text",
            "message_text",
            "fields",
            "short_fields",
            "footer",
            "fallback",
            "callback_id",
            "icon_emoji",
            "icon_url",
            "image_url",
            "thumb_url",
            "link_names",
            "mrkdwn_in",
            "actions",
            "update_message",
            "timeout",
        ],
    ),
    kind(
        "pushover",
        true,
        "pushover",
        &[
            "send_resolved",
            "http_config",
            "user_key",
            "user_key_file",
            "token",
            "token_file",
            "title",
            "message",
            "url",
            "url_title",
            "device",
            "sound",
            "priority",
            "retry",
            "expire",
            "ttl",
            "html",
            "monospace",
        ],
    ),
    kind(
        "pagerduty",
        true,
        "pagerduty",
        &[
            "send_resolved",
            "http_config",
            "service_key",
            "service_key_file",
            "routing_key",
            "routing_key_file",
            "url",
            "client",
            "client_url",
            "description",
            "details",
            "images",
            "links",
            "source",
            "severity",
            "class",
            "component",
            "group",
            "timeout",
        ],
    ),
    kind(
        "incidentio",
        true,
        "incidentio",
        &[
            "send_resolved",
            "http_config",
            "url",
            "url_file",
            "alert_source_token",
            "alert_source_token_file",
            "max_alerts",
            "timeout",
        ],
    ),
    kind(
        "opsgenie",
        true,
        "opsgenie",
        &[
            "send_resolved",
            "http_config",
            "api_key",
            "api_key_file",
            "api_url",
            "message",
            "description",
            "source",
            "details",
            "entity",
            "responders",
            "actions",
            "tags",
            "note",
            "priority",
            "update_alerts",
        ],
    ),
    kind(
        "wechat",
        false,
        "config",
        &[
            "send_resolved",
            "http_config",
            "api_secret",
            "api_secret_file",
            "corp_id",
            "message",
            "api_url",
            "to_user",
            "to_party",
            "to_tag",
            "agent_id",
            "message_type",
        ],
    ),
    kind(
        "victorops",
        true,
        "config",
        &[
            "send_resolved",
            "http_config",
            "api_key",
            "api_key_file",
            "api_url",
            "routing_key",
            "message_type",
            "state_message",
            "entity_display_name",
            "monitoring_tool",
            "custom_fields",
        ],
    ),
    kind(
        "sns",
        true,
        "sns",
        &[
            "send_resolved",
            "http_config",
            "api_url",
            "sigv4",
            "topic_arn",
            "phone_number",
            "target_arn",
            "subject",
            "message",
            "attributes",
            "use_aws_http_client",
        ],
    ),
    kind(
        "telegram",
        true,
        "telegram",
        &[
            "send_resolved",
            "http_config",
            "api_url",
            "bot_token",
            "bot_token_file",
            "chat_id",
            "chat_id_file",
            "message_thread_id",
            "message",
            "disable_notifications",
            "parse_mode",
        ],
    ),
    kind(
        "discord",
        true,
        "discord",
        &[
            "send_resolved",
            "http_config",
            "webhook_url",
            "webhook_url_file",
            "content",
            "title",
            "message",
            "username",
            "avatar_url",
        ],
    ),
    kind(
        "webex",
        true,
        "config",
        &[
            "send_resolved",
            "http_config",
            "api_url",
            "message",
            "room_id",
        ],
    ),
    kind(
        "msteams",
        true,
        "msteams",
        &[
            "send_resolved",
            "http_config",
            "webhook_url",
            "webhook_url_file",
            "title",
            "summary",
            "text",
        ],
    ),
    kind(
        "msteamsv2",
        true,
        "msteamsv2",
        &[
            "send_resolved",
            "http_config",
            "webhook_url",
            "webhook_url_file",
            "title",
            "text",
        ],
    ),
    kind(
        "jira",
        true,
        "jira",
        &[
            "send_resolved",
            "http_config",
            "api_url",
            "api_type",
            "project",
            "summary",
            "description",
            "labels",
            "priority",
            "issue_type",
            "reopen_transition",
            "resolve_transition",
            "wont_fix_resolution",
            "reopen_duration",
            "fields",
        ],
    ),
    kind(
        "rocketchat",
        false,
        "rocketchat",
        &[
            "send_resolved",
            "http_config",
            "api_url",
            "token_id",
            "token_id_file",
            "token",
            "token_file",
            "channel",
            "color",
            "title",
            "title_link",
            "text",
            "fields",
            "short_fields",
            "emoji",
            "icon_url",
            "image_url",
            "thumb_url",
            "link_names",
            "actions",
        ],
    ),
    kind(
        "mattermost",
        true,
        "mattermost",
        &[
            "send_resolved",
            "http_config",
            "webhook_url",
            "webhook_url_file",
            "channel",
            "username",
            "text",
            "fallback",
            "color",
            "pretext",
            "author_name",
            "author_link",
            "author_icon",
            "title",
            "title_link",
            "fields",
            "thumb_url",
            "footer",
            "footer_icon",
            "image_url",
            "icon_url",
            "icon_emoji",
            "attachments",
            "type",
            "props",
            "priority",
        ],
    ),
];

const fn kind(
    name: &'static str,
    send_resolved: bool,
    package: &'static str,
    fields: &'static [&'static str],
) -> Kind {
    Kind {
        name,
        send_resolved,
        package,
        fields,
    }
}

/// The kinds whose receivers wake someone: incident management services.
pub fn pages(kind: &str) -> bool {
    matches!(kind, "pagerduty" | "opsgenie" | "victorops" | "incidentio")
}

/// The `global` section's keys (`GlobalConfig` in config/config.go).
pub const GLOBAL_FIELDS: [&str; 42] = [
    "resolve_timeout",
    "http_config",
    "jira_api_url",
    "smtp_from",
    "smtp_hello",
    "smtp_smarthost",
    "smtp_auth_username",
    "smtp_auth_password",
    "smtp_auth_password_file",
    "smtp_auth_secret",
    "smtp_auth_secret_file",
    "smtp_auth_identity",
    "smtp_require_tls",
    "smtp_tls_config",
    "smtp_force_implicit_tls",
    "slack_api_url",
    "slack_api_url_file",
    "slack_app_token",
    "slack_app_token_file",
    "slack_app_url",
    "pagerduty_url",
    "opsgenie_api_url",
    "opsgenie_api_key",
    "opsgenie_api_key_file",
    "wechat_api_url",
    "wechat_api_secret",
    "wechat_api_secret_file",
    "wechat_api_corp_id",
    "victorops_api_url",
    "victorops_api_key",
    "victorops_api_key_file",
    "telegram_api_url",
    "telegram_bot_token",
    "telegram_bot_token_file",
    "webex_api_url",
    "rocketchat_api_url",
    "rocketchat_token",
    "rocketchat_token_file",
    "rocketchat_token_id",
    "rocketchat_token_id_file",
    "mattermost_webhook_url",
    "mattermost_webhook_url_file",
];

/// Slack's chat.postMessage, the default `slack_app_url`.
const SLACK_APP_URL: &str = "https://slack.com/api/chat.postMessage";

fn refuse(message: impl Into<String>, span: Span) -> ConfigError {
    ConfigError {
        message: message.into(),
        span,
    }
}

/// Whether `key` is given a value Go would not read as its zero value
/// (absent, null, an empty string, or 0 for a number).
fn set(node: Option<&Node>, key: &str) -> bool {
    node.and_then(|n| n.get(key)).is_some_and(|v| {
        if v.is_null() {
            return false;
        }
        match v.as_str() {
            Some(text) => !text.is_empty(),
            None => true,
        }
    })
}

/// The place of `key` in `node`, else `fallback`.
fn at(node: &Node, key: &str) -> Span {
    node.get_pair(key).map_or(node.span, |p| p.key.span)
}

/// `a` and `b` both set: refused with Alertmanager's "at most one of".
fn at_most_one(node: &Node, a: &str, b: &str) -> Result<(), ConfigError> {
    if set(Some(node), a) && set(Some(node), b) {
        return Err(refuse(
            format!("at most one of {a} & {b} must be configured"),
            at(node, b),
        ));
    }
    Ok(())
}

/// Exactly one of `a` and `b` set, as Alertmanager requires of a value
/// that may be given inline or in a file.
fn exactly_one(node: &Node, a: &str, b: &str) -> Result<(), ConfigError> {
    if !set(Some(node), a) && !set(Some(node), b) {
        return Err(refuse(
            format!("one of {a} or {b} must be configured"),
            node.span,
        ));
    }
    at_most_one(node, a, b)
}

/// An entry's own mistakes, as its `UnmarshalYAML` refuses them while the
/// file is decoded. A null entry is not decoded (see [`check_defaults`]).
pub fn check_entry(kind: &str, entry: &Node) -> Result<(), ConfigError> {
    if entry.is_null() {
        return Ok(());
    }
    check_values(kind, entry)?;
    let span = entry.span;
    let text = |key: &str| entry.get(key).and_then(Node::as_str).unwrap_or("");
    match kind {
        "webhook" => {
            exactly_one(entry, "url", "url_file")?;
        }
        "discord" | "msteams" => {
            exactly_one(entry, "webhook_url", "webhook_url_file")?;
        }
        "mattermost" => at_most_one(entry, "webhook_url", "webhook_url_file")?,
        "email" => {
            if !set(Some(entry), "to") {
                return Err(refuse("missing to address in email config", span));
            }
            check_email_headers(entry)?;
        }
        "slack" => {
            at_most_one(entry, "api_url", "api_url_file")?;
            at_most_one(entry, "app_token", "app_token_file")?;
            let url = set(Some(entry), "api_url") || set(Some(entry), "api_url_file");
            let token = set(Some(entry), "app_token") || set(Some(entry), "app_token_file");
            if url && token {
                return Err(refuse(
                    "at most one of api_url/api_url_file & app_token/app_token_file must be configured",
                    span,
                ));
            }
            // Only a webhook URL written out is known to be wrong here;
            // without one the global settings decide.
            if text("update_message") == "true"
                && set(Some(entry), "api_url")
                && text("api_url") != SLACK_APP_URL
            {
                return Err(refuse(
                    format!("update_message can only be used with bot tokens. api_url must be set to {SLACK_APP_URL}"),
                    at(entry, "update_message"),
                ));
            }
        }
        "pagerduty" => {
            let keys = [
                "routing_key",
                "service_key",
                "routing_key_file",
                "service_key_file",
            ];
            if !keys.iter().any(|k| set(Some(entry), k)) {
                return Err(refuse(
                    "missing service or routing key in PagerDuty config",
                    span,
                ));
            }
            at_most_one(entry, "routing_key", "routing_key_file")?;
            at_most_one(entry, "service_key", "service_key_file")?;
        }
        "opsgenie" => {
            at_most_one(entry, "api_key", "api_key_file")?;
            check_opsgenie_responders(entry)?;
        }
        "pushover" => {
            exactly_one(entry, "user_key", "user_key_file")?;
            exactly_one(entry, "token", "token_file")?;
            if text("html") == "true" && text("monospace") == "true" {
                return Err(refuse(
                    "at most one of monospace & html must be configured",
                    span,
                ));
            }
        }
        "rocketchat" => {
            at_most_one(entry, "token", "token_file")?;
            at_most_one(entry, "token_id", "token_id_file")?;
        }
        "sns" => {
            // Go's `(a == "") != (b == "") != (c == "")`, as written: none
            // or two of the three are refused (all three, oddly, are not).
            let [target, topic, phone] =
                ["target_arn", "topic_arn", "phone_number"].map(|k| !set(Some(entry), k));
            if (target != topic) != phone {
                return Err(refuse(
                    "must provide either a Target ARN, Topic ARN, or Phone Number for SNS config",
                    span,
                ));
            }
        }
        "telegram" => {
            at_most_one(entry, "bot_token", "bot_token_file")?;
            let chat_id = set(Some(entry), "chat_id") && text("chat_id") != "0";
            if !chat_id && !set(Some(entry), "chat_id_file") {
                return Err(refuse(
                    "missing chat_id or chat_id_file on telegram_config",
                    span,
                ));
            }
            if chat_id && set(Some(entry), "chat_id_file") {
                return Err(refuse(
                    "at most one of chat_id & chat_id_file must be configured",
                    at(entry, "chat_id_file"),
                ));
            }
            if !matches!(text("parse_mode"), "" | "Markdown" | "MarkdownV2" | "HTML") {
                return Err(refuse(
                    "unknown parse_mode on telegram_config, must be Markdown, MarkdownV2, HTML or empty string",
                    at(entry, "parse_mode"),
                ));
            }
        }
        "webex" => {
            if !set(Some(entry), "room_id") {
                return Err(refuse("missing room_id on webex_config", span));
            }
            if !set(entry.get("http_config"), "authorization") {
                return Err(refuse(
                    "missing webex_configs.http_config.authorization",
                    span,
                ));
            }
        }
        "wechat" => {
            let message_type = text("message_type");
            if !matches!(message_type, "" | "text" | "markdown") {
                return Err(refuse(
                    format!("weChat message type {message_type:?} does not match valid options ^(text|markdown)$"),
                    at(entry, "message_type"),
                ));
            }
            at_most_one(entry, "api_secret", "api_secret_file")?;
        }
        "victorops" => {
            if !set(Some(entry), "routing_key") {
                return Err(refuse("missing Routing key in VictorOps config", span));
            }
            at_most_one(entry, "api_key", "api_key_file")?;
            const RESERVED: [&str; 7] = [
                "routing_key",
                "message_type",
                "state_message",
                "entity_display_name",
                "monitoring_tool",
                "entity_id",
                "entity_state",
            ];
            if let Some(custom) = entry.get("custom_fields") {
                if let Some(field) = RESERVED.iter().find(|f| custom.get(f).is_some()) {
                    return Err(refuse(
                        format!("victorOps config contains custom field {field} which cannot be used as it conflicts with the fixed/static fields"),
                        at(custom, field),
                    ));
                }
            }
        }
        "jira" => {
            if !set(Some(entry), "project") {
                return Err(refuse("missing project in jira_config", span));
            }
            if !set(Some(entry), "issue_type") {
                return Err(refuse("missing issue_type in jira_config", span));
            }
            if !matches!(text("api_type"), "" | "auto" | "cloud" | "datacenter") {
                return Err(refuse(
                    "unknown api_type on jira_config, must be auto, cloud or datacenter",
                    at(entry, "api_type"),
                ));
            }
        }
        "incidentio" => {
            exactly_one(entry, "url", "url_file")?;
            at_most_one(entry, "alert_source_token", "alert_source_token_file")?;
            let token = set(Some(entry), "alert_source_token")
                || set(Some(entry), "alert_source_token_file");
            let http = entry.get("http_config").filter(|n| !n.is_null());
            if let Some(http) = http {
                let authorization = set(Some(http), "authorization");
                if authorization && token {
                    return Err(refuse(
                        "cannot specify alert_source_token or alert_source_token_file when using http_config.authorization",
                        span,
                    ));
                }
                if !authorization && !token {
                    return Err(refuse(
                        "at least one of alert_source_token, alert_source_token_file or http_config.authorization must be configured",
                        span,
                    ));
                }
            }
        }
        _ => {}
    }
    Ok(())
}

/// The URL-typed fields of each kind (`amcommoncfg.URL` and its secret
/// forms); Pushover's `url` and SNS's `api_url` are plain strings.
fn url_fields(kind: &str) -> &'static [&'static str] {
    match kind {
        "slack" => &["api_url", "app_url"],
        "webhook" | "pagerduty" | "incidentio" => &["url"],
        "discord" | "msteams" | "msteamsv2" | "mattermost" => &["webhook_url"],
        "webex" | "wechat" | "victorops" | "opsgenie" | "jira" | "rocketchat" | "telegram" => {
            &["api_url"]
        }
        _ => &[],
    }
}

/// The `global` section's URL-typed fields.
const GLOBAL_URLS: [&str; 11] = [
    "slack_api_url",
    "slack_app_url",
    "pagerduty_url",
    "opsgenie_api_url",
    "wechat_api_url",
    "victorops_api_url",
    "telegram_api_url",
    "webex_api_url",
    "rocketchat_api_url",
    "mattermost_webhook_url",
    "jira_api_url",
];

/// A value filled in before Alertmanager reads the file (`${SLACK_URL}`,
/// `$HOST`, `<chat id>`, a Helm or Go template): not judged.
fn placeholder(text: &str) -> bool {
    text.contains("${")
        || text.contains("{{")
        || (text.starts_with('<') && text.ends_with('>') && text != "<secret>")
        || text
            .split('$')
            .skip(1)
            .any(|rest| rest.starts_with(|c: char| c.is_ascii_uppercase() || c == '_'))
}

/// The values Alertmanager's decoding refuses by their type: a URL that
/// is not http(s) with a host, a smarthost without a port, a Telegram
/// chat id that is not an integer.
fn check_values(kind: &str, entry: &Node) -> Result<(), ConfigError> {
    for key in url_fields(kind) {
        // The webhook's URL may be a template, and may be empty.
        check_url(entry, key, kind != "webhook")?;
    }
    if kind == "email" {
        check_host_port(entry, "smarthost")?;
    }
    if kind == "telegram" {
        if let Some(node) = entry.get("chat_id").filter(|n| !n.is_null()) {
            let text = node.as_str().unwrap_or("");
            let int = node
                .as_scalar()
                .is_some_and(|s| resolve_plain(s, node.tag.as_deref()) == Resolved::Int);
            if !int && !placeholder(text) {
                // go-yaml's words, which show at most seven characters.
                let shown = if text.chars().count() > 10 {
                    format!("{}...", text.chars().take(7).collect::<String>())
                } else {
                    text.to_string()
                };
                return Err(refuse(
                    format!("cannot unmarshal !!str `{shown}` into int64"),
                    node.span,
                ));
            }
        }
    }
    Ok(())
}

/// `config/common/url.go`'s `ParseURL`: http or https, and a host; an
/// empty value too unless `empty_refused` is false.
fn check_url(node: &Node, key: &str, empty_refused: bool) -> Result<(), ConfigError> {
    let Some(value) = node.get(key).filter(|n| !n.is_null()) else {
        return Ok(());
    };
    let text = value.as_str().unwrap_or("");
    if (text.is_empty() && !empty_refused) || text == "<secret>" || placeholder(text) {
        return Ok(());
    }
    let (scheme, rest) = match text.split_once(':') {
        Some((scheme, rest))
            if scheme.starts_with(|c: char| c.is_ascii_alphabetic())
                && scheme
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.')) =>
        {
            (scheme.to_ascii_lowercase(), rest)
        }
        _ => (String::new(), text),
    };
    if scheme != "http" && scheme != "https" {
        return Err(refuse(
            format!("unsupported scheme {scheme:?} for URL"),
            value.span,
        ));
    }
    let authority = rest
        .strip_prefix("//")
        .map(|r| r.split(['/', '?', '#']).next().unwrap_or(""))
        .unwrap_or("");
    let host = authority.rsplit('@').next().unwrap_or("");
    if host.is_empty() {
        return Err(refuse("missing host for URL", value.span));
    }
    Ok(())
}

/// A `host:port` (Go's `net.SplitHostPort`, as `HostPort` reads it).
fn check_host_port(node: &Node, key: &str) -> Result<(), ConfigError> {
    let Some(value) = node.get(key).filter(|n| !n.is_null()) else {
        return Ok(());
    };
    let text = value.as_str().unwrap_or("");
    if text.is_empty() || placeholder(text) {
        return Ok(());
    }
    let Some((host, port)) = text.rsplit_once(':') else {
        return Err(refuse(
            format!("address {text}: missing port in address"),
            value.span,
        ));
    };
    let bracketed = host.starts_with('[') && host.ends_with(']');
    if host.contains(':') && !bracketed {
        return Err(refuse(
            format!("address {text}: too many colons in address"),
            value.span,
        ));
    }
    if port.is_empty() {
        return Err(refuse(
            format!("address {text:?}: port cannot be empty"),
            value.span,
        ));
    }
    Ok(())
}

/// The `global` section's values refused by their type.
pub fn check_global_values(global: &Node) -> Result<(), ConfigError> {
    for key in GLOBAL_URLS {
        check_url(global, key, true)?;
    }
    check_host_port(global, "smtp_smarthost")
}

/// E-mail header names are case-insensitive: two spellings of one are
/// refused, and threading owns `References` and `In-Reply-To`.
fn check_email_headers(entry: &Node) -> Result<(), ConfigError> {
    let mut seen: Vec<String> = Vec::new();
    for pair in entry.get("headers").and_then(Node::as_map).unwrap_or(&[]) {
        let name = canonical_header(pair.key.as_str().unwrap_or(""));
        if seen.contains(&name) {
            return Err(refuse(
                format!("duplicate header {name:?} in email config"),
                pair.key.span,
            ));
        }
        seen.push(name);
    }
    let threading = entry.get("threading");
    let enabled = threading
        .and_then(|t| t.get("enabled"))
        .and_then(Node::as_str)
        == Some("true");
    if enabled {
        for header in ["References", "In-Reply-To"] {
            if seen.iter().any(|s| s == header) {
                return Err(refuse(
                    format!("conflicting configuration: threading.enabled conflicts with custom {header} header"),
                    entry.span,
                ));
            }
        }
        let by_date = threading
            .and_then(|t| t.get("thread_by_date"))
            .and_then(Node::as_str)
            .unwrap_or("daily");
        if !matches!(by_date, "none" | "daily") {
            return Err(refuse(
                "threading.thread_by_date must be either 'none' or 'daily'",
                entry.span,
            ));
        }
    }
    Ok(())
}

/// Go's `textproto.CanonicalMIMEHeaderKey`: each dash-separated word
/// capitalised, the rest lower case.
fn canonical_header(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut upper = true;
    for c in name.chars() {
        out.extend(if upper {
            c.to_uppercase().collect::<Vec<_>>()
        } else {
            c.to_lowercase().collect()
        });
        upper = c == '-';
    }
    out
}

/// Each Opsgenie responder names someone, with a known type unless the
/// type is a template.
fn check_opsgenie_responders(entry: &Node) -> Result<(), ConfigError> {
    for responder in entry
        .get("responders")
        .and_then(Node::as_seq)
        .unwrap_or(&[])
    {
        if !["id", "username", "name"]
            .iter()
            .any(|k| set(Some(responder), k))
        {
            return Err(refuse(
                "opsGenieConfig responder has to have at least one of id, username or name specified",
                responder.span,
            ));
        }
        let kind = responder.get("type").and_then(Node::as_str).unwrap_or("");
        let templated = kind.contains("{{");
        if !templated && !matches!(kind, "team" | "teams" | "user" | "escalation" | "schedule") {
            return Err(refuse(
                "opsGenieConfig responder type does not match valid options ^(team|teams|user|escalation|schedule)$",
                at(responder, "type"),
            ));
        }
    }
    Ok(())
}

/// The `global` section's own mistakes: a value and its `_file` both set.
pub fn check_global(global: Option<&Node>) -> Result<(), ConfigError> {
    let Some(global) = global.filter(|g| !g.is_null()) else {
        return Ok(());
    };
    at_most_one(global, "slack_app_token", "slack_app_token_file")?;
    at_most_one(global, "slack_api_url", "slack_api_url_file")?;
    let token = set(Some(global), "slack_app_token") || set(Some(global), "slack_app_token_file");
    let url = set(Some(global), "slack_api_url") || set(Some(global), "slack_api_url_file");
    // A global Slack API URL equal to the app URL is the older workaround
    // for bot tokens, still accepted.
    let app_url = global
        .get("slack_app_url")
        .and_then(Node::as_str)
        .unwrap_or(SLACK_APP_URL);
    let api_url = global.get("slack_api_url").and_then(Node::as_str);
    if token && url && api_url != Some(app_url) {
        return Err(refuse(
            "at most one of slack_app_token/slack_app_token_file & slack_api_url/slack_api_url_file must be configured",
            at(global, "slack_api_url"),
        ));
    }
    for (a, b) in [
        ("opsgenie_api_key", "opsgenie_api_key_file"),
        ("victorops_api_key", "victorops_api_key_file"),
        ("telegram_bot_token", "telegram_bot_token_file"),
        ("smtp_auth_password", "smtp_auth_password_file"),
        ("rocketchat_token", "rocketchat_token_file"),
        ("rocketchat_token_id", "rocketchat_token_id_file"),
        ("smtp_auth_secret", "smtp_auth_secret_file"),
        ("wechat_api_secret", "wechat_api_secret_file"),
        ("mattermost_webhook_url", "mattermost_webhook_url_file"),
    ] {
        at_most_one(global, a, b)?;
    }
    Ok(())
}

/// What an entry still lacks once the `global` section has filled in its
/// defaults; a null entry is "missing" for the kinds Alertmanager does not
/// default.
pub fn check_defaults(kind: &str, entry: &Node, global: Option<&Node>) -> Result<(), ConfigError> {
    let span = entry.span;
    let null = entry.is_null();
    let defaulted = matches!(kind, "slack" | "opsgenie" | "wechat" | "rocketchat");
    if null && !defaulted {
        return Err(refuse(format!("missing {kind} config"), span));
    }
    let own = |keys: &[&str]| keys.iter().any(|k| set(Some(entry), k));
    let global_has = |keys: &[&str]| keys.iter().any(|k| set(global, k));
    let either = |keys: &[&str], globals: &[&str]| own(keys) || global_has(globals);
    let require = |ok: bool, message: &str| {
        if ok {
            Ok(())
        } else {
            Err(refuse(message, span))
        }
    };
    match kind {
        "email" => {
            require(
                either(&["smarthost"], &["smtp_smarthost"]),
                "no global SMTP smarthost set",
            )?;
            require(either(&["from"], &["smtp_from"]), "no global SMTP from set")?;
        }
        "slack" => {
            let http = entry
                .get("http_config")
                .filter(|n| !n.is_null())
                .or_else(|| global.and_then(|g| g.get("http_config")));
            let authorization = set(http, "authorization");
            let own_token = own(&["app_token", "app_token_file"]);
            // The global app token is taken only by an entry with no
            // credentials or webhook URL of its own.
            let token = own_token
                || (!set(entry.get("http_config"), "authorization")
                    && !own(&["api_url"])
                    && global_has(&["slack_app_token", "slack_app_token_file"]));
            let url = either(
                &["api_url", "api_url_file"],
                &["slack_api_url", "slack_api_url_file"],
            );
            require(
                url || token,
                "no Slack API URL nor App token set either inline or in a file",
            )?;
            if token && authorization {
                return Err(refuse(
                    "http authorization can't be set when using Slack App tokens",
                    span,
                ));
            }
        }
        "opsgenie" => require(
            either(
                &["api_key", "api_key_file"],
                &["opsgenie_api_key", "opsgenie_api_key_file"],
            ),
            "no global OpsGenie API Key set either inline or in a file",
        )?,
        "wechat" => {
            require(
                either(
                    &["api_secret", "api_secret_file"],
                    &["wechat_api_secret", "wechat_api_secret_file"],
                ),
                "no global Wechat Api Secret set either inline or in a file",
            )?;
            require(
                either(&["corp_id"], &["wechat_api_corp_id"]),
                "no global Wechat CorpID set",
            )?;
        }
        "victorops" => require(
            either(
                &["api_key", "api_key_file"],
                &["victorops_api_key", "victorops_api_key_file"],
            ),
            "no global VictorOps API Key set",
        )?,
        "telegram" => require(
            either(
                &["bot_token", "bot_token_file"],
                &["telegram_bot_token", "telegram_bot_token_file"],
            ),
            "missing bot_token or bot_token_file on telegram_config",
        )?,
        "discord" => require(
            own(&["webhook_url", "webhook_url_file"]),
            "no discord webhook URL or URLFile provided",
        )?,
        "msteams" | "msteamsv2" => require(
            own(&["webhook_url", "webhook_url_file"]),
            &format!("no {kind} webhook URL or URLFile provided"),
        )?,
        "jira" => require(
            either(&["api_url"], &["jira_api_url"]),
            "no global Jira Cloud URL set",
        )?,
        "rocketchat" => {
            require(
                either(
                    &["token_id", "token_id_file"],
                    &["rocketchat_token_id", "rocketchat_token_id_file"],
                ),
                "no global Rocketchat TokenID set either inline or in a file",
            )?;
            require(
                either(
                    &["token", "token_file"],
                    &["rocketchat_token", "rocketchat_token_file"],
                ),
                "no global Rocketchat Token set either inline or in a file",
            )?;
        }
        "mattermost" => require(
            either(
                &["webhook_url", "webhook_url_file"],
                &["mattermost_webhook_url", "mattermost_webhook_url_file"],
            ),
            "missing webhook_url or webhook_url_file on mattermost_config",
        )?,
        _ => {}
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_filled_in_at_deploy_time_are_not_judged() {
        for text in [
            "${SLACK_URL}",
            "$SMTP_HOST:25",
            "<chat_id>",
            "{{ .Values.url }}",
        ] {
            assert!(placeholder(text), "{text}");
        }
        for text in [
            "https://hooks.example.com/$1",
            "YOUR_CHAT_ID",
            "<secret>",
            "a$b",
        ] {
            assert!(!placeholder(text), "{text}");
        }
    }

    #[test]
    fn header_names_are_canonical_as_go_writes_them() {
        assert_eq!(canonical_header("in-reply-to"), "In-Reply-To");
        assert_eq!(canonical_header("X-PRIORITY"), "X-Priority");
        assert_eq!(canonical_header("subject"), "Subject");
    }
}
