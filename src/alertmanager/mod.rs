//! Alertmanager's side of a page: what happens to replayed alerts after
//! Prometheus. `config` reads an `alertmanager.yml` as Alertmanager does,
//! `route` is its routing tree, `time_interval` its time intervals,
//! `sends` what Prometheus sends it for replayed alert timelines, and
//! `dispatch` the aggregation groups, inhibition, muting and
//! de-duplication that turn those into notifications.

pub mod config;
pub mod dispatch;
pub mod pages;
pub mod route;
pub mod sends;
pub mod time_interval;
