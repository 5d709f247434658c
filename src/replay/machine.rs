//! Prometheus's alert state machine (rules/alerting.go, `AlertingRule.Eval`),
//! step by step, for one alert instance.
//!
//! At each evaluation `t` the instance is either in the query result
//! ("present") or not:
//! - present and not active → **pending**, `activeAt = t`;
//! - pending and `t − activeAt ≥ for` → **firing** (with `for: 0` in the same
//!   evaluation it became pending);
//! - pending and absent → dropped at once (the pending clock restarts when it
//!   comes back);
//! - firing and absent → keeps firing while `t − keepFiringSince <
//!   keep_firing_for`, where `keepFiringSince` is the first absent evaluation;
//!   coming back in that time continues the same firing (and resets
//!   `keepFiringSince`); otherwise it resolves at that evaluation;
//! - a resolved instance that comes back starts a new pending period.

/// The state of an instance after an evaluation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    Inactive,
    Pending,
    Firing,
}

/// The rule's timing, in evaluation steps (what matters on an evaluation grid).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Timing {
    /// Evaluations from becoming pending to firing: `ceil(for / E)`.
    pub hold: usize,
    /// Absent evaluations that keep a firing alert firing: `ceil(keep_firing_for / E)`.
    pub keep: usize,
}

impl Timing {
    /// From durations in milliseconds and the evaluation interval.
    pub fn new(for_ms: u64, keep_firing_for_ms: u64, step_ms: u64) -> Timing {
        let steps = |d: u64| d.div_ceil(step_ms.max(1)) as usize;
        Timing {
            hold: steps(for_ms),
            keep: steps(keep_firing_for_ms),
        }
    }
}

/// Runs the state machine over a presence sequence; returns the state after
/// each evaluation. This is the reference the fast sweep is tested against.
pub fn simulate(present: &[bool], timing: Timing) -> Vec<State> {
    let mut out = Vec::with_capacity(present.len());
    let mut state = State::Inactive;
    let mut active_at = 0usize;
    let mut keep_since: Option<usize> = None;
    for (t, &here) in present.iter().enumerate() {
        if here {
            if state == State::Inactive {
                state = State::Pending;
                active_at = t;
            }
            keep_since = None;
        } else {
            match state {
                State::Pending => state = State::Inactive,
                State::Firing => {
                    let since = *keep_since.get_or_insert(t);
                    if t - since >= timing.keep {
                        state = State::Inactive;
                        keep_since = None;
                    }
                }
                State::Inactive => {}
            }
        }
        if state == State::Pending && t - active_at >= timing.hold {
            state = State::Firing;
        }
        out.push(state);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use State::*;

    fn present(values: &[f64], threshold: f64) -> Vec<bool> {
        values.iter().map(|v| *v > threshold).collect()
    }

    /// Prometheus's TestKeepFiringFor vector: `75 85 70 70 10x5`, `> 50`,
    /// for 1m, keep_firing_for 1m, 1m evaluations.
    #[test]
    fn keep_firing_for_vector_from_prometheus() {
        let values = [75.0, 85.0, 70.0, 70.0, 10.0, 10.0, 10.0, 10.0, 10.0, 10.0];
        let states = simulate(&present(&values, 50.0), Timing::new(60_000, 60_000, 60_000));
        assert_eq!(
            states,
            [
                Pending, Firing, Firing, Firing, Firing, Inactive, Inactive, Inactive, Inactive,
                Inactive
            ]
        );
    }

    #[test]
    fn pending_resets_when_the_series_goes_away() {
        let p = [true, true, false, true, true, true];
        let states = simulate(&p, Timing { hold: 2, keep: 0 });
        assert_eq!(
            states,
            [Pending, Pending, Inactive, Pending, Pending, Firing]
        );
    }

    #[test]
    fn for_zero_fires_at_once_and_resolves_at_once() {
        let states = simulate(&[false, true, false, true], Timing { hold: 0, keep: 0 });
        assert_eq!(states, [Inactive, Firing, Inactive, Firing]);
    }

    #[test]
    fn coming_back_within_keep_firing_continues_the_same_firing() {
        let p = [true, false, false, true, false, false, false];
        let states = simulate(&p, Timing { hold: 0, keep: 2 });
        assert_eq!(
            states,
            [Firing, Firing, Firing, Firing, Firing, Firing, Inactive]
        );
    }

    #[test]
    fn timing_rounds_up_to_whole_evaluations() {
        assert_eq!(Timing::new(90_000, 0, 60_000), Timing { hold: 2, keep: 0 });
        assert_eq!(Timing::new(0, 1, 60_000), Timing { hold: 0, keep: 1 });
    }
}
