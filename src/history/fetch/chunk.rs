//! Cutting range queries into requests a server accepts and a client can
//! hold.
//!
//! Prometheus refuses a range query with more than 11,000 points per series;
//! Thanos and Mimir users often cap the range per query lower still. And a
//! query over many series returns points × series samples per request, so
//! with only the points capped a month of 1,000 series would put tens of
//! millions of samples in flight. A [`Schedule`] hands out each query's
//! window as consecutive chunks on the step grid — each ends one step before
//! the next begins, so stitching them gives every timestamp exactly once —
//! sized so one response holds about `max_samples` samples: the first chunk
//! of a query is a small probe, and once a response says how many series the
//! query returns, later chunks are as long as the budget allows.

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

/// Points per series in a probe: few enough that even a query returning
/// thousands of series stays small, enough to cover a day at one-minute steps.
pub const PROBE_POINTS: i64 = 1_440;

/// The fewest points per series a request is cut to, however many series a
/// query returns: below this, per-request cost on the server dominates.
pub const MIN_POINTS: i64 = 120;

/// The most points one request may ask for at `step`: at most `max_points`
/// and, when given, spanning less than `max_range_ms`.
pub fn max_points_per_request(step_ms: i64, max_points: u64, max_range_ms: Option<i64>) -> i64 {
    let step = step_ms.max(1);
    let mut per = max_points.clamp(1, i64::MAX as u64) as i64;
    if let Some(range) = max_range_ms {
        // A chunk of n points spans (n − 1)·step, which stays under the range.
        per = per.min((range / step).max(1));
    }
    per
}

/// Where one query stands.
#[derive(Debug)]
struct Cursor {
    next_ms: i64,
    end_ms: i64,
    step_ms: i64,
    cap: i64,
    /// The most series any of its responses held; `None` before the first.
    series: Option<usize>,
    probing: bool,
}

/// What a worker should do next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Next {
    /// Fetch this chunk of query `job`.
    Fetch { job: usize, chunk: Chunk },
    /// Every remaining query waits for its probe: wait for a response.
    Wait,
    /// Nothing left to hand out.
    Done,
}

/// Hands out the chunks of every query, in query order.
#[derive(Debug)]
pub struct Schedule {
    cursors: Vec<Cursor>,
    max_samples: u64,
}

impl Schedule {
    /// `windows` are `(start, end, step)` per query, `end` on the grid.
    pub fn new(
        windows: impl IntoIterator<Item = (i64, i64, i64)>,
        max_points: u64,
        max_range_ms: Option<i64>,
        max_samples: u64,
    ) -> Schedule {
        let cursors = windows
            .into_iter()
            .map(|(start_ms, end_ms, step_ms)| Cursor {
                next_ms: start_ms,
                end_ms,
                step_ms: step_ms.max(1),
                cap: max_points_per_request(step_ms, max_points, max_range_ms),
                series: None,
                probing: false,
            })
            .collect();
        Schedule {
            cursors,
            max_samples: max_samples.max(1),
        }
    }

    /// Points per series over every query's whole window, for progress.
    pub fn total_points(&self) -> u64 {
        self.cursors
            .iter()
            .filter(|c| c.next_ms <= c.end_ms)
            .map(|c| ((c.end_ms - c.next_ms) / c.step_ms + 1) as u64)
            .sum()
    }

    pub fn take(&mut self) -> Next {
        let mut waiting = false;
        for (job, c) in self.cursors.iter_mut().enumerate() {
            if c.next_ms > c.end_ms {
                continue;
            }
            let points = match c.series {
                Some(n) => (self.max_samples / n.max(1) as u64)
                    .max(MIN_POINTS as u64)
                    .min(c.cap as u64) as i64,
                None if c.probing => {
                    waiting = true;
                    continue;
                }
                None => {
                    c.probing = true;
                    PROBE_POINTS.min(c.cap)
                }
            };
            let last = c
                .next_ms
                .saturating_add((points - 1).saturating_mul(c.step_ms))
                .min(c.end_ms);
            let chunk = Chunk {
                start_ms: c.next_ms,
                end_ms: last,
            };
            c.next_ms = last.saturating_add(c.step_ms);
            if last == i64::MAX {
                c.next_ms = i64::MAX;
                c.end_ms = i64::MIN;
            }
            return Next::Fetch { job, chunk };
        }
        if waiting {
            Next::Wait
        } else {
            Next::Done
        }
    }

    /// A response of query `job` held `series` series.
    pub fn answered(&mut self, job: usize, series: usize) {
        if let Some(c) = self.cursors.get_mut(job) {
            c.series = Some(c.series.unwrap_or(0).max(series));
            c.probing = false;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Drives a schedule to the end, answering each chunk with the series
    /// count `series(job, chunk)`; returns every job's chunks in order.
    fn drain(
        schedule: &mut Schedule,
        jobs: usize,
        series: impl Fn(usize, Chunk) -> usize,
    ) -> Vec<Vec<Chunk>> {
        let mut out = vec![Vec::new(); jobs];
        let mut pending: Vec<(usize, Chunk)> = Vec::new();
        loop {
            match schedule.take() {
                Next::Fetch { job, chunk } => pending.push((job, chunk)),
                Next::Wait => {
                    let (job, chunk) = pending.remove(0);
                    schedule.answered(job, series(job, chunk));
                    out[job].push(chunk);
                }
                Next::Done => {
                    for (job, chunk) in pending.drain(..) {
                        out[job].push(chunk);
                    }
                    break;
                }
            }
        }
        for chunks in &mut out {
            chunks.sort_by_key(|c| c.start_ms);
        }
        out
    }

    #[test]
    fn chunks_cover_every_timestamp_once_within_every_limit() {
        let step = 60_000;
        for (points, max_points, range, samples, series) in [
            (1, 11_000, None, 1_000_000, 1),
            (11_000, 11_000, None, 1_000_000, 1),
            (11_001, 11_000, None, 1_000_000, 1),
            (43_201, 11_000, None, 1_000_000, 1),
            (43_201, 11_000, Some(86_400_000), 1_000_000, 3),
            (43_201, 11_000, None, 1_000_000, 1_000),
            (43_201, 11_000, None, 10, 1_000),
            (100, 7, Some(3 * 60_000), 1_000_000, 1),
        ] {
            let end = (points - 1) * step;
            let mut schedule = Schedule::new(
                [(0, end, step), (step, end, step)],
                max_points,
                range,
                samples,
            );
            assert_eq!(schedule.total_points() as i64, 2 * points - 1);
            let jobs = drain(&mut schedule, 2, |_, _| series);
            for (job, chunks) in jobs.iter().enumerate() {
                let mut expected = job as i64;
                for (i, c) in chunks.iter().enumerate() {
                    assert_eq!(c.start_ms, expected * step, "{chunks:?}");
                    assert!(c.points(step) as u64 <= max_points);
                    if let Some(r) = range {
                        assert!(c.end_ms - c.start_ms < r);
                    }
                    if i > 0 {
                        // After the probe, a request holds at most the budget (or the floor's points).
                        let held = c.points(step) as u64 * series as u64;
                        let floor = (MIN_POINTS as u64).min(max_points) * series as u64;
                        assert!(held <= samples.max(floor), "{c:?}");
                    }
                    expected += c.points(step);
                }
                assert_eq!(expected, points, "job {job}");
            }
        }
    }

    #[test]
    fn the_budget_follows_the_most_series_seen() {
        let step = 60_000;
        let mut schedule = Schedule::new([(0, 99_999 * step, step)], 11_000, None, 1_000_000);
        let Next::Fetch { chunk: probe, .. } = schedule.take() else {
            panic!("a probe first")
        };
        assert_eq!(probe.points(step), PROBE_POINTS);
        assert_eq!(schedule.take(), Next::Wait);
        schedule.answered(0, 1_000);
        let Next::Fetch { chunk, .. } = schedule.take() else {
            panic!("then budget-sized chunks")
        };
        assert_eq!(chunk.points(step), 1_000);
        schedule.answered(0, 10);
        let Next::Fetch { chunk, .. } = schedule.take() else {
            panic!()
        };
        assert_eq!(
            chunk.points(step),
            1_000,
            "fewer series later do not widen it"
        );
        schedule.answered(0, 4_000);
        let Next::Fetch { chunk, .. } = schedule.take() else {
            panic!()
        };
        assert_eq!(chunk.points(step), 250);
        schedule.answered(0, 100_000);
        let Next::Fetch { chunk, .. } = schedule.take() else {
            panic!()
        };
        assert_eq!(chunk.points(step), MIN_POINTS, "never below the floor");
        assert_eq!(
            Schedule::new([(10, 0, step)], 11_000, None, 1).take(),
            Next::Done
        );
    }
}
