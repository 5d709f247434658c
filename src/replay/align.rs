//! Turns what a range query returned into one value per evaluation of the
//! alert's group, per alert instance (the series' labels without
//! `__name__`, plus the rule's labels rendered for it, plus `alertname`),
//! refusing history that would give a wrong count rather than guessing.

use std::collections::BTreeMap;

use super::plan::{Plan, PlanMode};
use super::{Grid, Labels, Series};
use crate::history::{QueryResult, RawSeries};
use crate::rules::Duration;

/// Where on the evaluation grid a replay's window lies: the group's
/// evaluation offset, and bounds narrower than the data's own.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Placement {
    /// Added to the aligned evaluation times (a live server's group offset).
    pub eval_offset_ms: i64,
    pub start_ms: Option<i64>,
    pub end_ms: Option<i64>,
}

#[derive(Debug, thiserror::Error)]
pub enum AlignError {
    #[error("alert {alert:?}: the recording's step {step}s does not divide the evaluation interval {interval}")]
    Step {
        alert: String,
        step: f64,
        interval: Duration,
    },
    #[error("alert {alert:?}: sample at {timestamp_ms} ms is not on the evaluation grid (start {start_ms} ms, every {interval}); use --eval-offset to match the recording")]
    Misaligned {
        alert: String,
        timestamp_ms: i64,
        start_ms: i64,
        interval: Duration,
    },
    #[error("alert {alert:?}: series {labels} has two samples at {timestamp_ms} ms")]
    Duplicate {
        alert: String,
        labels: String,
        timestamp_ms: i64,
    },
    #[error("alert {alert:?}: series {first} and {second} become the same alert once __name__ is dropped and the rule's labels are added; Prometheus fails such an evaluation")]
    Collision {
        alert: String,
        first: String,
        second: String,
    },
    #[error("alert {alert:?}: label {label:?} is a template that depends on more than $labels; replay cannot know the alert's identity")]
    TemplatedLabel { alert: String, label: String },
    #[error("the window is empty: from {} to {} (--start/--end within the data's own span) there is no evaluation", crate::time::format_utc(*start_ms), crate::time::format_utc(*end_ms))]
    EmptyWindow { start_ms: i64, end_ms: i64 },
}

pub(crate) fn labels_text(labels: &[(String, String)]) -> String {
    let inner: Vec<String> = labels.iter().map(|(k, v)| format!("{k}={v:?}")).collect();
    format!("{{{}}}", inner.join(", "))
}

/// Turns recorded samples into one value per evaluation of the alert's group.
pub fn align(
    plan: &Plan,
    result: &QueryResult,
    placement: Placement,
) -> Result<(Grid, Vec<Series>), AlignError> {
    let mut aligner = Aligner::new(
        plan,
        Window {
            start_ms: result.start_ms,
            end_ms: result.end_ms,
            step_ms: result.step_ms,
        },
        placement,
    )?;
    for raw in &result.series {
        aligner.add(raw)?;
    }
    Ok(aligner.finish())
}

/// What a range query covered: timestamps `start + k·step` up to `end`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    pub start_ms: i64,
    pub end_ms: i64,
    pub step_ms: i64,
}

/// Places samples on an alert's evaluation grid as they arrive, in any
/// order and in pieces (a live fetch delivers chunk by chunk), holding one
/// value per evaluation per alert instance and nothing of the raw samples.
#[derive(Debug)]
pub struct Aligner<'a> {
    plan: &'a Plan,
    grid: Grid,
    source: Window,
    to: i64,
    whole: bool,
    by_identity: BTreeMap<Labels, Aligned>,
}

#[derive(Debug)]
struct Aligned {
    /// The series' own labels, to tell a continuation from a collision.
    raw: Labels,
    values: Vec<f64>,
    /// One bit per evaluation: a sample was placed there.
    seen: Vec<u64>,
}

impl<'a> Aligner<'a> {
    pub fn new(plan: &'a Plan, source: Window, placement: Placement) -> Result<Self, AlignError> {
        // Query times, moved forward by the query offset, are evaluation
        // times: the evaluation at `t` read the query at `t - offset`.
        let shift = plan.query_offset.millis as i64;
        let source = Window {
            start_ms: source.start_ms + shift,
            end_ms: source.end_ms + shift,
            ..source
        };
        let e = plan.interval.millis.max(1) as i64;
        let step = source.step_ms.max(1);
        if e % step != 0 {
            return Err(AlignError::Step {
                alert: plan.alertname.clone(),
                step: step as f64 / 1000.0,
                interval: plan.interval,
            });
        }
        let offset = placement.eval_offset_ms.rem_euclid(e);
        let from = placement
            .start_ms
            .unwrap_or(source.start_ms)
            .max(source.start_ms);
        let to = placement.end_ms.unwrap_or(source.end_ms).min(source.end_ms);
        // Evaluations at start + k·E, start aligned to a multiple of E (plus the offset), not before the data.
        let mut start = (from - offset).div_euclid(e) * e + offset;
        if start < from {
            start += e;
        }
        // The window is half-open, [from, to): each evaluation holds until
        // the next, so N evaluations cover N·E and the firing time of an
        // alert never exceeds the window.
        if to <= start {
            return Err(AlignError::EmptyWindow {
                start_ms: from,
                end_ms: to,
            });
        }
        let len = ((to - start + e - 1) / e) as usize;
        Ok(Aligner {
            plan,
            grid: Grid {
                start_ms: start,
                step_ms: e,
                len,
            },
            source: Window {
                step_ms: step,
                ..source
            },
            to,
            whole: matches!(plan.mode, PlanMode::Whole { .. }),
            by_identity: BTreeMap::new(),
        })
    }

    /// Adds one series' samples (all of them, or one chunk's).
    pub fn add(&mut self, raw: &RawSeries) -> Result<(), AlignError> {
        let plan = self.plan;
        let (start, e, step, len) = (
            self.grid.start_ms,
            self.grid.step_ms,
            self.source.step_ms,
            self.grid.len,
        );
        let mut labels: BTreeMap<String, String> = raw
            .labels
            .iter()
            .filter(|(k, _)| k != "__name__")
            .cloned()
            .collect();
        for (k, v) in &plan.static_labels {
            let value = crate::template::render_with_labels(v, &labels).ok_or_else(|| {
                AlignError::TemplatedLabel {
                    alert: plan.alertname.clone(),
                    label: k.clone(),
                }
            })?;
            labels.insert(k.clone(), value);
        }
        labels.insert("alertname".into(), plan.alertname.clone());
        let identity: Labels = labels.into_iter().collect();
        let entry = self.by_identity.entry(identity).or_insert_with(|| Aligned {
            raw: raw.labels.clone(),
            values: vec![f64::NAN; len],
            seen: vec![0; len.div_ceil(64)],
        });
        if entry.raw != raw.labels {
            return Err(AlignError::Collision {
                alert: plan.alertname.clone(),
                first: labels_text(&entry.raw),
                second: labels_text(&raw.labels),
            });
        }
        let shift = plan.query_offset.millis as i64;
        for &(t, v) in &raw.samples {
            let t = t + shift;
            if t < start || t >= self.to {
                continue;
            }
            let misaligned = || AlignError::Misaligned {
                alert: plan.alertname.clone(),
                timestamp_ms: t,
                start_ms: start,
                interval: plan.interval,
            };
            if (t - self.source.start_ms).rem_euclid(step) != 0 {
                return Err(misaligned());
            }
            if (t - start) % e != 0 {
                if (start - self.source.start_ms).rem_euclid(step) != 0 {
                    return Err(misaligned());
                }
                continue; // recorded finer than the rule evaluates: not an evaluation time
            }
            let k = ((t - start) / e) as usize;
            let (word, bit) = (k / 64, 1u64 << (k % 64));
            if entry.seen[word] & bit != 0 {
                return Err(AlignError::Duplicate {
                    alert: plan.alertname.clone(),
                    labels: labels_text(&raw.labels),
                    timestamp_ms: t,
                });
            }
            entry.seen[word] |= bit;
            // Whole-expression mode: any sample means "in the result", even NaN.
            entry.values[k] = if self.whole { 1.0 } else { v };
        }
        Ok(())
    }

    /// The grid and one series per alert instance, sorted by labels.
    pub fn finish(self) -> (Grid, Vec<Series>) {
        let series = self
            .by_identity
            .into_iter()
            .map(|(labels, a)| Series {
                labels,
                values: a.values,
            })
            .collect();
        (self.grid, series)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::history::QueryResult;
    use crate::promql::Comparison;
    use crate::replay::plan::IntervalFrom;

    fn plan(interval_s: u64, mode: PlanMode) -> Plan {
        Plan {
            file: "f".into(),
            line: 1,
            group: "g".into(),
            alertname: "A".into(),
            query: "q".into(),
            written: "q".into(),
            expr: "q > 1".into(),
            mode,
            interval: Duration::from_secs(interval_s),
            interval_from: IntervalFrom::Group,
            query_offset: Duration::ZERO,
            group_labels: Vec::new(),
            limit: 0,
            inlined: Vec::new(),
            not_inlined: Vec::new(),
            reads_recorded: Vec::new(),
            for_: Duration::ZERO,
            keep_firing_for: Duration::ZERO,
            static_labels: vec![
                ("severity".into(), "page".into()),
                ("pod".into(), "{{ $labels.instance }}".into()),
            ],
        }
    }

    fn result(step_s: i64, samples: Vec<(i64, f64)>) -> QueryResult {
        QueryResult {
            query: "q".into(),
            step_ms: step_s * 1000,
            start_ms: 0,
            end_ms: 600_000,
            series: vec![RawSeries {
                labels: vec![
                    ("__name__".into(), "m".into()),
                    ("instance".into(), "a".into()),
                ],
                samples,
            }],
        }
    }

    #[test]
    fn aligns_to_the_grid_and_builds_alert_identity() {
        let p = plan(
            60,
            PlanMode::Split {
                op: Comparison::Gt,
                threshold: 1.0,
            },
        );
        let (grid, series) = align(
            &p,
            &result(30, vec![(0, 1.0), (30_000, 9.0), (60_000, 2.0)]),
            Placement::default(),
        )
        .unwrap();
        // The window [0, 10m) is half-open: ten evaluations, 0 to 9m.
        assert_eq!((grid.start_ms, grid.step_ms, grid.len), (0, 60_000, 10));
        assert_eq!(series[0].values[..2], [1.0, 2.0]);
        let names: Vec<&str> = series[0].labels.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(names, ["alertname", "instance", "pod", "severity"]);
        assert!(series[0]
            .labels
            .contains(&("pod".to_string(), "a".to_string())));
    }

    #[test]
    fn bad_history_is_an_error_not_a_wrong_count() {
        let p = plan(
            60,
            PlanMode::Split {
                op: Comparison::Gt,
                threshold: 1.0,
            },
        );
        let o = Placement::default();
        assert!(matches!(
            align(&p, &result(90, vec![]), o),
            Err(AlignError::Step { .. })
        ));
        assert!(matches!(
            align(&p, &result(60, vec![(61_000, 1.0)]), o),
            Err(AlignError::Misaligned { .. })
        ));
        assert!(matches!(
            align(&p, &result(60, vec![(60_000, 1.0), (60_000, 2.0)]), o),
            Err(AlignError::Duplicate { .. })
        ));
    }

    #[test]
    fn whole_mode_counts_nan_samples_as_present() {
        let p = plan(60, PlanMode::Whole { reason: "x".into() });
        let (_, series) =
            align(&p, &result(60, vec![(0, f64::NAN)]), Placement::default()).unwrap();
        assert_eq!(series[0].values[0], 1.0);
        assert!(series[0].values[1].is_nan());
    }
}
