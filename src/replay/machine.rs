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

/// One alert instance's state between evaluations.
#[derive(Debug, Clone, Copy)]
pub struct Machine {
    timing: Timing,
    state: State,
    active_at: usize,
    keep_since: Option<usize>,
}

impl Machine {
    pub fn new(timing: Timing) -> Machine {
        Machine {
            timing,
            state: State::Inactive,
            active_at: 0,
            keep_since: None,
        }
    }

    /// The evaluation `t`: whether the instance is in the query result.
    pub fn step(&mut self, t: usize, here: bool) -> State {
        if here {
            if self.state == State::Inactive {
                self.state = State::Pending;
                self.active_at = t;
            }
            self.keep_since = None;
        } else {
            match self.state {
                State::Pending => self.state = State::Inactive,
                State::Firing => {
                    let since = *self.keep_since.get_or_insert(t);
                    if t - since >= self.timing.keep {
                        self.state = State::Inactive;
                        self.keep_since = None;
                    }
                }
                State::Inactive => {}
            }
        }
        if self.state == State::Pending && t - self.active_at >= self.timing.hold {
            self.state = State::Firing;
        }
        self.state
    }

    /// Forgets the instance, as Prometheus empties a rule's active alerts.
    pub fn reset(&mut self) {
        *self = Machine::new(self.timing);
    }
}

/// Runs the state machine over a presence sequence; returns the state after
/// each evaluation. This is the reference the fast sweep is tested against.
pub fn simulate(present: &[bool], timing: Timing) -> Vec<State> {
    let mut machine = Machine::new(timing);
    present
        .iter()
        .enumerate()
        .map(|(t, &here)| machine.step(t, here))
        .collect()
}

/// The rule's `limit` (`AlertingRule.Eval`, rules/alerting.go): after an
/// evaluation, when more than `limit` instances are pending or firing
/// (counting those kept firing by `keep_firing_for`), the evaluation fails
/// and the rule forgets all its alerts; the next evaluation starts afresh.
/// Returns every instance's states and the evaluations that failed. With
/// no more instances than `limit` it is [`simulate`] per instance.
pub fn simulate_limited(
    present: &[Vec<bool>],
    timing: Timing,
    limit: usize,
) -> (Vec<Vec<State>>, Vec<usize>) {
    let n = present.iter().map(Vec::len).max().unwrap_or(0);
    let mut machines = vec![Machine::new(timing); present.len()];
    let mut states = vec![Vec::with_capacity(n); present.len()];
    let mut failed = Vec::new();
    for t in 0..n {
        let mut active = 0;
        for (i, machine) in machines.iter_mut().enumerate() {
            let state = machine.step(t, present[i].get(t).copied().unwrap_or(false));
            active += usize::from(state != State::Inactive);
            states[i].push(state);
        }
        if active > limit {
            failed.push(t);
            for (i, machine) in machines.iter_mut().enumerate() {
                machine.reset();
                states[i][t] = State::Inactive;
            }
        }
    }
    (states, failed)
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
    fn over_the_limit_an_evaluation_fails_and_every_alert_is_forgotten() {
        // Three instances, limit 2, for: 1 evaluation. At t=1 the third
        // comes: 3 active > 2, the evaluation fails and all are dropped; at
        // t=2 the three are pending again, over the limit again; at t=3 one
        // has gone and two start over as pending.
        let present = vec![
            vec![true, true, true, true, true],
            vec![true, true, true, true, true],
            vec![false, true, true, false, false],
        ];
        let (states, failed) = simulate_limited(&present, Timing { hold: 1, keep: 0 }, 2);
        assert_eq!(failed, [1, 2]);
        assert_eq!(states[0], [Pending, Inactive, Inactive, Pending, Firing]);
        assert_eq!(
            states[2],
            [Inactive, Inactive, Inactive, Inactive, Inactive]
        );
        // Within the limit it is the plain machine.
        let (alone, none) = simulate_limited(&present[..2], Timing { hold: 1, keep: 0 }, 2);
        assert!(none.is_empty());
        assert_eq!(alone[0], simulate(&present[0], Timing { hold: 1, keep: 0 }));
    }

    #[test]
    fn timing_rounds_up_to_whole_evaluations() {
        assert_eq!(Timing::new(90_000, 0, 60_000), Timing { hold: 2, keep: 0 });
        assert_eq!(Timing::new(0, 1, 60_000), Timing { hold: 0, keep: 1 });
    }
}
