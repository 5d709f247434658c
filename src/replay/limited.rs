//! Replay for a rule whose group sets `limit` and whose instances can
//! exceed it. Prometheus then fails the evaluation and forgets every alert
//! of the rule ([`machine::simulate_limited`]), so instances are no longer
//! independent and the fast sweep does not apply: each candidate runs all
//! instances together. With no more instances than `limit` the limit can
//! never be exceeded, and callers use the fast sweep.

use rayon::prelude::*;

use super::machine::{simulate_limited, State, Timing};
use super::spans::{EvalSpans, SpanTally};
use super::{presence, Candidate, Grid, Mode, Outcome, Series, SpanOutcome, Spans, Timeline};
use crate::rules::Duration;

/// Whether `limit` can change anything for these series.
pub fn applies(limit: usize, series: &[Series]) -> bool {
    limit > 0 && series.len() > limit
}

/// [`super::sweep`] under the group's `limit`: the fast sweep when the
/// limit cannot be reached, else every candidate with all instances run
/// together (same order: `for × keep_firing_for × thresholds`).
pub fn sweep(
    grid: Grid,
    series: &[Series],
    mode: Mode,
    thresholds: &[f64],
    fors: &[Duration],
    keeps: &[Duration],
    limit: usize,
) -> Vec<Outcome> {
    sweep_spans(
        grid,
        series,
        mode,
        thresholds,
        fors,
        keeps,
        limit,
        &Spans::default(),
    )
    .into_iter()
    .map(|(outcome, _)| outcome)
    .collect()
}

/// [`super::sweep_spans`] under the group's `limit`.
#[allow(clippy::too_many_arguments)]
pub fn sweep_spans(
    grid: Grid,
    series: &[Series],
    mode: Mode,
    thresholds: &[f64],
    fors: &[Duration],
    keeps: &[Duration],
    limit: usize,
    spans: &Spans,
) -> Vec<(Outcome, SpanOutcome)> {
    if !applies(limit, series) {
        return super::sweep_spans(grid, series, mode, thresholds, fors, keeps, spans);
    }
    let spans = EvalSpans::new(spans, grid);
    let candidates: Vec<Option<f64>> = match mode {
        Mode::Split(_) if !thresholds.is_empty() => thresholds.iter().map(|t| Some(*t)).collect(),
        _ => vec![None],
    };
    let mut all = Vec::new();
    for &for_ in fors {
        for &keep in keeps {
            for &threshold in &candidates {
                all.push(Candidate {
                    threshold,
                    for_,
                    keep_firing_for: keep,
                });
            }
        }
    }
    all.par_iter()
        .map(|&candidate| {
            let (states, failed) = run(grid, series, mode, candidate, limit);
            let in_spans = if spans.is_empty() {
                SpanOutcome::default()
            } else {
                // One threshold: the "critical rank" is 1 while firing.
                let mut tally = SpanTally::new(&spans, 1);
                for (index, states) in states.iter().enumerate() {
                    let critical: Vec<u16> = states
                        .iter()
                        .map(|s| u16::from(*s == State::Firing))
                        .collect();
                    tally.add(&spans, &critical, index, grid);
                }
                tally.outcome(0, grid)
            };
            (outcome(candidate, &states, failed.len(), grid), in_spans)
        })
        .collect()
}

/// Every instance's timeline under one candidate, and the timestamps of
/// the evaluations that failed (none when the limit cannot be reached).
pub fn timelines(
    grid: Grid,
    series: &[Series],
    mode: Mode,
    candidate: Candidate,
    limit: usize,
) -> (Vec<Timeline>, Vec<i64>) {
    if !applies(limit, series) {
        return (super::timelines(grid, series, mode, candidate), Vec::new());
    }
    let (states, failed) = run(grid, series, mode, candidate, limit);
    let timelines = series
        .iter()
        .zip(&states)
        .filter_map(|(s, states)| {
            let pending = super::intervals(states, State::Pending, grid);
            let firing = super::intervals(states, State::Firing, grid);
            (!pending.is_empty() || !firing.is_empty()).then(|| Timeline {
                labels: s.labels.clone(),
                pending,
                firing,
            })
        })
        .collect();
    (timelines, failed.iter().map(|&k| grid.at(k)).collect())
}

fn run(
    grid: Grid,
    series: &[Series],
    mode: Mode,
    candidate: Candidate,
    limit: usize,
) -> (Vec<Vec<State>>, Vec<usize>) {
    let timing = Timing::new(
        candidate.for_.millis,
        candidate.keep_firing_for.millis,
        grid.step_ms.max(1) as u64,
    );
    let present: Vec<Vec<bool>> = series
        .iter()
        .map(|s| presence(&s.values, mode, candidate.threshold))
        .collect();
    simulate_limited(&present, timing, limit)
}

/// The counts of [`Outcome`] from each instance's states, as the fast sweep
/// defines them: a page is an entry into firing; a pending period that
/// ends (or the window ends) without firing never fired.
fn outcome(candidate: Candidate, states: &[Vec<State>], failed: usize, grid: Grid) -> Outcome {
    let step = grid.step_ms.max(1) as u64;
    let mut out = Outcome {
        candidate,
        pages: 0,
        firing_ms: 0,
        label_sets_fired: 0,
        pending_never_fired: 0,
        longest_ms: 0,
        evaluations_failed: failed as u64,
    };
    for states in states {
        let mut previous = State::Inactive;
        let mut run = 0u64;
        let mut fired = false;
        for &state in states {
            match state {
                State::Firing => {
                    if previous != State::Firing {
                        out.pages += 1;
                        run = 0;
                    }
                    run += 1;
                    out.firing_ms += step;
                    out.longest_ms = out.longest_ms.max(run * step);
                    fired = true;
                }
                State::Inactive if previous == State::Pending => out.pending_never_fired += 1,
                _ => {}
            }
            previous = state;
        }
        if previous == State::Pending {
            out.pending_never_fired += 1;
        }
        out.label_sets_fired += u64::from(fired);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::promql::Comparison;

    fn series(values: &[&[f64]]) -> Vec<Series> {
        values
            .iter()
            .enumerate()
            .map(|(i, v)| Series {
                labels: vec![("i".into(), i.to_string())],
                values: v.to_vec(),
            })
            .collect()
    }

    #[test]
    fn without_reaching_the_limit_it_is_the_fast_sweep() {
        let grid = Grid {
            start_ms: 0,
            step_ms: 60_000,
            len: 8,
        };
        let s = series(&[
            &[0.0, 5.0, 5.0, 5.0, 0.0, 5.0, 5.0, f64::NAN],
            &[5.0, 5.0, 0.0, 5.0, 5.0, 5.0, 0.0, 5.0],
        ]);
        let mode = Mode::Split(Comparison::Gt);
        let fors = [Duration::ZERO, Duration::from_secs(60)];
        let keeps = [Duration::ZERO, Duration::from_secs(120)];
        let fast = super::super::sweep(grid, &s, mode, &[1.0, 6.0], &fors, &keeps);
        let limited = sweep(grid, &s, mode, &[1.0, 6.0], &fors, &keeps, 2);
        assert_eq!(fast, limited);
    }

    #[test]
    fn a_limit_never_reached_gives_the_fast_sweep_marks_included() {
        // Three instances, never two at once: over `limit: 1` in number, so
        // the joint replay runs, and must agree with the fast sweep.
        let grid = Grid {
            start_ms: 0,
            step_ms: 60_000,
            len: 12,
        };
        let s = series(&[
            &[9.0, 9.0, 9.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0],
            &[0.0, 0.0, 0.0, 0.0, 9.0, 9.0, 9.0, 0.0, 0.0, 0.0, 0.0, 0.0],
            &[0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 9.0, 9.0, 9.0, 9.0],
        ]);
        let spans = Spans {
            incidents: vec![(240_000, 420_000)],
            quiet: vec![(0, 180_000)],
            on_series: Vec::new(),
        };
        let mode = Mode::Split(Comparison::Gt);
        let fors = [Duration::ZERO, Duration::from_secs(60)];
        let keeps = [Duration::ZERO];
        let fast = super::super::sweep_spans(grid, &s, mode, &[1.0], &fors, &keeps, &spans);
        let joint = sweep_spans(grid, &s, mode, &[1.0], &fors, &keeps, 1, &spans);
        assert!(applies(1, &s));
        assert_eq!(fast, joint);
    }

    #[test]
    fn over_the_limit_evaluations_fail_and_alerts_start_over() {
        let grid = Grid {
            start_ms: 0,
            step_ms: 60_000,
            len: 5,
        };
        let s = series(&[&[1.0; 5], &[1.0; 5], &[0.0, 1.0, 1.0, 0.0, 0.0]]);
        let candidate = Candidate {
            threshold: Some(0.5),
            for_: Duration::from_secs(60),
            keep_firing_for: Duration::ZERO,
        };
        let mode = Mode::Split(Comparison::Gt);
        let (timelines, failed) = timelines(grid, &s, mode, candidate, 2);
        assert_eq!(failed, [60_000, 120_000]);
        assert_eq!(timelines[0].firing, [(240_000, 300_000)]);
        let o = &sweep(
            grid,
            &s,
            mode,
            &[0.5],
            &[candidate.for_],
            &[Duration::ZERO],
            2,
        )[0];
        assert_eq!((o.pages, o.evaluations_failed), (2, 2));
    }
}
