//! How a replay through Alertmanager is shown: a table per receiver, one
//! per alert and receiver, and in JSON every notification.

use std::io::{self, Write};

use serde_json::{json, Value};

use super::table::{labelled, Table};
use crate::alertmanager::pages::{night_and_weekend, Pages};

/// The receiver table and the alert table, with the line that says what
/// was counted.
pub fn write_human(
    pages: &Pages,
    config: &str,
    out: &mut dyn Write,
    width: Option<usize>,
) -> io::Result<()> {
    let paging = pages.paging_receivers();
    let all = pages.notifications.len();
    let head = format!(
        "Through Alertmanager ({config}), those firing episodes made {} notification{} in all, {} of them page{} (firing notifications to {}). Night is 22:00-07:00, weekend Saturday and Sunday, in {}.",
        all,
        if all == 1 { "" } else { "s" },
        pages.pages_sent(),
        if pages.pages_sent() == 1 { "" } else { "s" },
        if paging.is_empty() {
            "no paging receiver: none has a PagerDuty, Opsgenie, VictorOps or incident.io integration; name them with --page-receiver".to_string()
        } else {
            paging.join(", ")
        },
        pages.timezone.name(),
    );
    for line in labelled("", &head, width) {
        writeln!(out, "{line}")?;
    }
    writeln!(out)?;
    // The leading columns, then the counts every table shares.
    let header = |lead: &[&str]| {
        lead.iter()
            .chain(&COUNT_COLUMNS)
            .map(|c| c.to_string())
            .collect::<Vec<_>>()
    };
    let table = Table {
        header_prefix: "  ",
        header: header(&["receiver"]),
        rows: pages
            .receivers
            .iter()
            .map(|r| {
                let name = if r.integrations.is_empty() {
                    format!("{} (sends nothing)", r.receiver)
                } else if r.pages {
                    format!("{} (pages)", r.receiver)
                } else {
                    r.receiver.clone()
                };
                let mut cells = vec![name];
                cells.extend(count_cells(&r.counts));
                ("  ", cells)
            })
            .collect(),
        text_last: false,
        droppable: vec![6, 5],
    };
    for line in table.render(width) {
        writeln!(out, "{line}")?;
    }
    if !pages.by_alert.is_empty() {
        writeln!(out)?;
        let table = Table {
            header_prefix: "  ",
            header: header(&["alert", "receiver"]),
            rows: pages
                .by_alert
                .iter()
                .map(|a| {
                    let receiver = if a.pages {
                        format!("{} (pages)", a.receiver)
                    } else {
                        a.receiver.clone()
                    };
                    let mut cells = vec![a.alertname.clone(), receiver];
                    cells.extend(count_cells(&a.counts));
                    ("  ", cells)
                })
                .collect(),
            text_last: false,
            droppable: vec![7, 6],
        };
        for line in table.render(width) {
            writeln!(out, "{line}")?;
        }
    }
    writeln!(out)
}

/// The night, weekend, inhibited and muted cells both tables end with.
/// The counts' columns, in [`count_cells`]' order.
const COUNT_COLUMNS: [&str; 6] = [
    "firing",
    "resolved",
    "night",
    "weekend",
    "inhibited",
    "muted",
];

fn count_cells(c: &crate::alertmanager::pages::Counts) -> [String; 6] {
    [
        c.firing.to_string(),
        c.resolved.to_string(),
        c.night.to_string(),
        c.weekend.to_string(),
        c.inhibited.to_string(),
        c.muted.to_string(),
    ]
}

/// Everything, for `--format json`: counts, and each notification with its
/// time, receiver, group key and alerts.
pub fn json(pages: &Pages, config: &str) -> Value {
    let labels = |a: usize| json!(pages.alerts[a]);
    let notifications: Vec<Value> = pages
        .notifications
        .iter()
        .map(|n| {
            let (night, weekend) = night_and_weekend(n.at_ms, pages.timezone);
            let alerts: Vec<Value> = n
                .firing
                .iter()
                .map(|&a| json!({"status": "firing", "labels": labels(a)}))
                .chain(
                    n.resolved
                        .iter()
                        .map(|&a| json!({"status": "resolved", "labels": labels(a)})),
                )
                .collect();
            json!({
                "time": crate::time::format_utc(n.at_ms),
                "receiver": n.receiver,
                "group_key": n.group_key,
                "status": n.status(),
                "integrations": n.integrations,
                "night": night,
                "weekend": weekend,
                "alerts": alerts,
            })
        })
        .collect();
    let suppressed: Vec<Value> = pages
        .suppressed
        .iter()
        .map(|s| {
            json!({
                "time": crate::time::format_utc(s.at_ms),
                "receiver": s.receiver,
                "group_key": s.group_key,
                "reason": match s.why {
                    crate::alertmanager::dispatch::Suppression::Inhibited => "inhibited",
                    crate::alertmanager::dispatch::Suppression::Muted => "muted",
                },
                "alerts": s.firing.iter().map(|&a| labels(a)).collect::<Vec<_>>(),
            })
        })
        .collect();
    json!({
        "config": config,
        "timezone": pages.timezone.name(),
        "pages": pages.pages_sent(),
        "receivers": pages.receivers,
        "alerts": pages.by_alert,
        "notifications": notifications,
        "suppressed": suppressed,
    })
}
