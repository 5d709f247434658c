//! Splitting a range query's window into queries a server accepts.
//!
//! Prometheus refuses a range query with more than 11,000 points per series;
//! Thanos and Mimir users often cap the range per query lower still. A
//! window `[start, end]` on a step grid becomes consecutive chunks on the
//! same grid: each chunk ends one step before the next begins, so stitching
//! them gives every timestamp exactly once.

/// One range query's window: timestamps `start, start + step, ..., end`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Chunk {
    pub start_ms: i64,
    pub end_ms: i64,
}

impl Chunk {
    /// Points per series this chunk asks for.
    pub fn points(&self, step_ms: i64) -> i64 {
        (self.end_ms - self.start_ms) / step_ms + 1
    }
}

/// The chunks of `[start, end]` at `step`, each at most `max_points` points
/// and, when given, spanning less than `max_range_ms`. `end` is on the grid
/// (`start + k·step`); an empty window gives no chunk.
pub fn split(
    start_ms: i64,
    end_ms: i64,
    step_ms: i64,
    max_points: u64,
    max_range_ms: Option<i64>,
) -> Vec<Chunk> {
    let step = step_ms.max(1);
    if end_ms < start_ms {
        return Vec::new();
    }
    let mut per = max_points.clamp(1, i64::MAX as u64) as i64;
    if let Some(range) = max_range_ms {
        // A chunk of n points spans (n − 1)·step, which stays under the range.
        per = per.min((range / step).max(1));
    }
    let mut out = Vec::new();
    let mut at = start_ms;
    while at <= end_ms {
        let last = at
            .saturating_add((per - 1).saturating_mul(step))
            .min(end_ms);
        out.push(Chunk {
            start_ms: at,
            end_ms: last,
        });
        at = last + step;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunks_cover_every_timestamp_once() {
        let step = 60_000;
        for (points, max_points, range) in [
            (1, 11_000, None),
            (11_000, 11_000, None),
            (11_001, 11_000, None),
            (43_200, 11_000, None),
            (43_200, 11_000, Some(86_400_000)),
            (100, 7, Some(3 * 60_000)),
        ] {
            let end = (points - 1) * step;
            let chunks = split(0, end, step, max_points, range);
            let mut expected = 0;
            for c in &chunks {
                assert_eq!(c.start_ms, expected * step, "{chunks:?}");
                assert!(c.points(step) as u64 <= max_points);
                if let Some(r) = range {
                    assert!(c.end_ms - c.start_ms < r);
                }
                expected += c.points(step);
            }
            assert_eq!(expected, points);
        }
        assert_eq!(split(0, 43_199 * step, step, 11_000, None).len(), 4);
        assert!(split(10, 0, step, 11_000, None).is_empty());
    }
}
