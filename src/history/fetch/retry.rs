//! When to try a request again, and how long to wait first.
//!
//! Connection failures, timeouts, bodies cut short, 429 and 500/502/503/504
//! are retried with exponential backoff and jitter, and a `Retry-After` from
//! the server is honoured (never waiting past the run's deadline). Anything
//! else the server refuses (400 bad_data, 422 too many samples, ...) would
//! fail the same way again and is never retried.

use std::hash::{BuildHasher, Hasher};
use std::time::Duration;

/// Backoff settings.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RetryPolicy {
    /// Attempts after the first.
    pub retries: u32,
    /// The first wait; doubled on each retry.
    pub base: Duration,
    /// The longest wait between attempts (a `Retry-After` may ask for more).
    pub cap: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            retries: 4,
            base: Duration::from_millis(500),
            cap: Duration::from_secs(30),
        }
    }
}

/// HTTP statuses worth another attempt.
pub fn retryable_status(status: u16) -> bool {
    matches!(status, 429 | 500 | 502 | 503 | 504)
}

impl RetryPolicy {
    /// The wait before retry number `attempt` (0 for the first retry):
    /// "equal jitter", half fixed and half random, so concurrent workers
    /// that failed together do not come back together.
    pub fn backoff(&self, attempt: u32) -> Duration {
        let full = self
            .base
            .saturating_mul(1u32 << attempt.min(20))
            .min(self.cap);
        let half = full / 2;
        half + half.mul_f64(random_unit())
    }
}

/// A number in [0, 1) from the standard library's per-call random keys
/// (no generator state to share between threads).
fn random_unit() -> f64 {
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u64(0x9E37_79B9_7F4A_7C15);
    (h.finish() >> 11) as f64 / (1u64 << 53) as f64
}

/// A `Retry-After` header: delay seconds, or an HTTP date (relative to `now_ms`).
pub fn retry_after(value: &str, now_ms: i64) -> Option<Duration> {
    let v = value.trim();
    if let Ok(secs) = v.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let at = crate::time::parse_http_date(v)?;
    Some(Duration::from_millis((at - now_ms).max(0) as u64))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_within_jitter_and_cap() {
        let p = RetryPolicy::default();
        for attempt in 0..8 {
            let full = (Duration::from_millis(500) * (1 << attempt)).min(p.cap);
            let d = p.backoff(attempt);
            assert!(d >= full / 2 && d <= full, "{attempt}: {d:?}");
        }
    }

    #[test]
    fn retry_after_takes_seconds_or_a_date() {
        assert_eq!(retry_after("7", 0), Some(Duration::from_secs(7)));
        let now = 1_795_615_920_000;
        assert_eq!(
            retry_after("Wed, 25 Nov 2026 14:12:03 GMT", now),
            Some(Duration::from_secs(3))
        );
        assert_eq!(
            retry_after("Wed, 25 Nov 2026 14:11:00 GMT", now),
            Some(Duration::ZERO)
        );
        assert_eq!(retry_after("soon", now), None);
        assert!(retryable_status(503) && retryable_status(429));
        assert!(!retryable_status(400) && !retryable_status(422));
    }
}
