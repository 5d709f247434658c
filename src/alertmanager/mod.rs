//! Alertmanager's side of a page: what happens to replayed alerts after
//! Prometheus (issue #25, in progress). So far: reading an
//! `alertmanager.yml`'s routing tree and receivers with the place of each
//! mistake (`config.rs`), and the routing tree itself (`route.rs`).
//! Grouping and flush timing, inhibition, time intervals and the checks
//! against a real Alertmanager come next.

pub mod config;
pub mod route;
