//! Alertmanager's side of a page: what happens to replayed alerts after
//! Prometheus (issue #25, in progress). So far the routing tree
//! (`route.rs`); configuration loading, grouping and flush timing,
//! inhibition and time intervals come next.

pub mod route;
