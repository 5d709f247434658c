//! firedrill: lint Prometheus alerting and recording rules, check them
//! against the team's runbook, and replay history through Prometheus's alert
//! state machine.
//!
//! Data flows one way: [`input`] reads files, [`rules`] loads them into one
//! model, [`checks`] inspect the model, [`lint`] runs the checks, and
//! [`report`] renders the findings. For replays: [`rules`] → [`history`]
//! (a recording, or a server's range queries) → [`simulate`] aligns and
//! plans → [`replay`] runs the state machine → [`report`]. After a false
//! positive, [`tune`] scores a sweep against the marked incidents and
//! [`plot`] draws it.

pub mod alertmanager;
pub mod baseline;
pub mod changes;
pub mod checks;
pub mod cli;
pub mod config;
pub mod contained_panic;
pub mod diagnostic;
pub mod diff;
#[doc(hidden)]
pub mod fuzzing;
pub mod history;
pub mod init;
pub mod input;
pub mod lint;
pub mod plot;
pub mod promql;
pub mod replay;
pub mod report;
pub mod rules;
pub mod runbook;
pub mod simulate;
pub mod source;
pub mod suggest;
pub mod suppression;
pub mod template;
pub mod time;
pub mod tune;
pub mod yaml;
