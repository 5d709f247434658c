//! Loading: rule files and PrometheusRule manifests into one model.

pub mod duration;
pub mod expr_map;
pub mod load;
pub mod model;

pub use duration::Duration;
pub use load::{load, not_utf8, LoadOptions};
pub use model::*;
