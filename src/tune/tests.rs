use super::*;
use crate::rules::Duration;

const MIN: i64 = 60_000;

fn plan(threshold: f64, for_min: u64) -> Plan {
    Plan {
        file: "rules.yaml".into(),
        line: 1,
        group: "g".into(),
        alertname: "Busy".into(),
        query: "busy".into(),
        written: "busy".into(),
        expr: "busy > 0.8".into(),
        mode: PlanMode::Split {
            op: Comparison::Gt,
            threshold,
        },
        interval: Duration { millis: 60_000 },
        interval_from: crate::replay::plan::IntervalFrom::Group,
        query_offset: Duration::ZERO,
        group_labels: Vec::new(),
        limit: 0,
        inlined: Vec::new(),
        not_inlined: Vec::new(),
        reads_recorded: Vec::new(),
        for_: Duration {
            millis: for_min * 60_000,
        },
        keep_firing_for: Duration::ZERO,
        static_labels: Vec::new(),
    }
}

fn grid(len: usize) -> Grid {
    Grid {
        start_ms: 0,
        step_ms: MIN,
        len,
    }
}

/// A day at 1m: quiet at 0.3, a false positive (0.86 for 4m at 03:00), and
/// two incidents (0.97 for 40m at 14:00, 0.95 for 15m at 20:00).
fn day() -> Vec<Series> {
    let mut v = vec![0.3; 1440];
    for x in &mut v[180..184] {
        *x = 0.86;
    }
    for x in &mut v[840..880] {
        *x = 0.97;
    }
    for x in &mut v[1200..1215] {
        *x = 0.95;
    }
    vec![Series {
        labels: vec![("pool".into(), "www".into())],
        values: v,
    }]
}

fn marks() -> Marks {
    Marks {
        incidents: vec![
            Incident {
                start_ms: 840 * MIN,
                end_ms: 880 * MIN,
                note: None,
            },
            Incident {
                start_ms: 1200 * MIN,
                end_ms: 1215 * MIN,
                note: None,
            },
        ],
        false_positives: vec![FalsePositive {
            at_ms: 185 * MIN,
            end_ms: None,
            note: None,
        }],
    }
}

#[test]
fn recommends_a_candidate_quiet_at_the_false_positive_that_catches_every_incident() {
    let t = tune(
        &plan(0.8, 2),
        grid(1440),
        &day(),
        &marks(),
        &TuneOptions::default(),
    )
    .unwrap();
    // Today's rule paged for the false positive.
    assert_eq!(t.today().quiet, vec![false]);
    assert!(t.false_positives[0].today_fired);
    // Its episode: pending from 03:00, firing 03:02 to 03:04.
    assert_eq!(t.false_positives[0].window, (180 * MIN, 184 * MIN));
    let rec = t.recommendation().expect("a candidate meets every mark");
    assert!(rec.meets_every_mark());
    // Same `for` as today: a threshold change is enough.
    assert_eq!(rec.candidate().for_.millis, 120_000);
    let th = rec.candidate().threshold.unwrap();
    assert!((0.86..0.95).contains(&th), "{th}");
    // Two pages (the incidents), each caught two evaluations after it started.
    assert_eq!(rec.outcome.pages, 2);
    assert_eq!(
        rec.delays_ms,
        vec![Some(2 * MIN as u64), Some(2 * MIN as u64)]
    );
    // The tie range spans the gap between the false positive and the weaker incident.
    let (lo, hi) = t.equivalent.unwrap();
    assert!(lo >= 0.86 && hi < 0.95 && lo < hi, "{lo} {hi}");
    assert!(lo <= th && th <= hi);
    assert!(t.conflicts.is_empty());
    assert_eq!(t.shortlist[0], t.recommended.unwrap());
}

#[test]
fn keeps_todays_rule_when_it_already_meets_every_mark() {
    let mut m = marks();
    m.false_positives.clear();
    let t = tune(
        &plan(0.9, 2),
        grid(1440),
        &day(),
        &m,
        &TuneOptions::default(),
    )
    .unwrap();
    assert_eq!(t.recommended, Some(0));
}

#[test]
fn a_false_positive_as_strong_as_an_incident_is_a_named_conflict() {
    let mut series = day();
    // The false positive now looks exactly like the second incident.
    for x in &mut series[0].values[180..195] {
        *x = 0.95;
    }
    let t = tune(
        &plan(0.8, 2),
        grid(1440),
        &series,
        &marks(),
        &TuneOptions::default(),
    )
    .unwrap();
    assert_eq!(t.recommended, None);
    assert!(
        t.conflicts.contains(&Conflict::Pair {
            false_positive: 0,
            incident: 1
        }),
        "{:?}",
        t.conflicts
    );
    // The first incident (stronger, longer) can be kept apart from it.
    assert!(!t.conflicts.contains(&Conflict::Pair {
        false_positive: 0,
        incident: 0
    }));
    // Trade-offs are still offered.
    assert!(!t.shortlist.is_empty());
}

#[test]
fn marks_outside_the_window_are_refused() {
    let mut m = marks();
    m.incidents.push(Incident {
        start_ms: 2000 * MIN,
        end_ms: 2010 * MIN,
        note: None,
    });
    let err = tune(
        &plan(0.8, 2),
        grid(1440),
        &day(),
        &m,
        &TuneOptions::default(),
    )
    .unwrap_err();
    assert!(matches!(err, TuneError::MarkOutsideWindow { .. }), "{err}");
    assert!(err.to_string().contains("1970-01-02"), "{err}");
}

#[test]
fn nan_only_history_is_an_error_and_a_flat_signal_a_note() {
    let nan = vec![Series {
        labels: Vec::new(),
        values: vec![f64::NAN; 100],
    }];
    let err = tune(
        &plan(0.8, 2),
        grid(100),
        &nan,
        &Marks::default(),
        &TuneOptions::default(),
    )
    .unwrap_err();
    assert!(matches!(err, TuneError::NoSamples { .. }));
    let flat = vec![Series {
        labels: Vec::new(),
        values: vec![0.5; 100],
    }];
    let t = tune(
        &plan(0.8, 2),
        grid(100),
        &flat,
        &Marks::default(),
        &TuneOptions::default(),
    )
    .unwrap();
    assert!(
        t.notes.iter().any(|n| n.contains("flat at 0.5")),
        "{:?}",
        t.notes
    );
    assert!(
        t.notes.iter().any(|n| n.contains("never fired")),
        "{:?}",
        t.notes
    );
    // Without marks nothing is recommended (the fewest pages would be
    // silence), and no row offered never fires.
    assert_eq!(t.objective, Objective::Survey);
    assert_eq!(t.recommended, None);
    assert!(t.conflicts.is_empty());
    assert!(t
        .shortlist
        .iter()
        .all(|&i| t.candidates[i].outcome.pages > 0));
}

#[test]
fn a_false_positive_today_did_not_page_for_is_noted_and_checked_around_its_time() {
    let mut m = marks();
    m.false_positives[0].at_ms = 600 * MIN;
    let t = tune(
        &plan(0.8, 2),
        grid(1440),
        &day(),
        &m,
        &TuneOptions::default(),
    )
    .unwrap();
    assert!(!t.false_positives[0].today_fired);
    assert_eq!(t.false_positives[0].window, (585 * MIN, 615 * MIN));
    assert!(t
        .notes
        .iter()
        .any(|n| n.contains("did not fire within 15m")));
}

#[test]
fn overlapping_incidents_are_each_checked() {
    let mut m = marks();
    m.incidents.push(Incident {
        start_ms: 860 * MIN,
        end_ms: 900 * MIN,
        note: None,
    });
    let t = tune(
        &plan(0.8, 2),
        grid(1440),
        &day(),
        &m,
        &TuneOptions::default(),
    )
    .unwrap();
    assert!(t.notes.iter().any(|n| n.contains("overlap")));
    let rec = t.recommendation().unwrap();
    // Already firing when the third one starts: no delay.
    assert_eq!(rec.delays_ms[2], Some(0));
}

#[test]
fn scores_agree_with_replaying_the_candidate_step_by_step() {
    // Every candidate's incident/false-positive verdicts, recomputed from
    // the reference state machine.
    let series = day();
    let t = tune(
        &plan(0.8, 2),
        grid(1440),
        &series,
        &marks(),
        &TuneOptions::default(),
    )
    .unwrap();
    for s in &t.candidates {
        let c = s.candidate();
        let present: Vec<bool> = series[0]
            .values
            .iter()
            .map(|v| *v > c.threshold.unwrap())
            .collect();
        let states = replay::simulate(
            &present,
            replay::Timing::new(c.for_.millis, c.keep_firing_for.millis, 60_000),
        );
        let firing_in = |a: i64, b: i64| {
            (a / MIN..b / MIN).find(|&k| states[k as usize] == replay::State::Firing)
        };
        for (inc, delay) in t.incidents.iter().zip(&s.delays_ms) {
            let first = firing_in(inc.start_ms, inc.end_ms);
            assert_eq!(
                *delay,
                first.map(|k| (k * MIN - inc.start_ms) as u64),
                "{c:?}"
            );
        }
        let (a, b) = t.false_positives[0].window;
        assert_eq!(s.quiet[0], firing_in(a, b).is_none(), "{c:?}");
    }
}

#[test]
fn threshold_grid_is_round_and_spans_the_firing_side() {
    let values: Vec<f64> = (0..=100).map(|i| i as f64 / 100.0).collect();
    let mut notes = Vec::new();
    let g = threshold_grid(values.clone(), Comparison::Gt, 0.8, &mut notes);
    assert_eq!(g.first(), Some(&0.5));
    // `> 1` would never fire: no sample passes it.
    assert_eq!(g.last(), Some(&0.98));
    assert!(g.contains(&0.86) && g.contains(&0.9), "{g:?}");
    assert_eq!(
        threshold_grid(values.clone(), Comparison::Ge, 0.8, &mut notes).last(),
        Some(&1.0)
    );
    let g = threshold_grid(values.clone(), Comparison::Lt, 0.1, &mut notes);
    // `< 0` would never fire either.
    assert_eq!(g.first(), Some(&0.02));
    assert!(g.last().unwrap() >= &0.5);
    assert_eq!(
        threshold_grid(values.clone(), Comparison::Le, 0.1, &mut notes).first(),
        Some(&0.0)
    );
    assert!(threshold_grid(values, Comparison::Eq, 1.0, &mut notes).is_empty());
}

/// Scores read off each candidate's own firing intervals: what `tune` did
/// before the sweep scored the marks itself.
fn reference_score(
    outcome: &Outcome,
    timelines: &[Timeline],
    incidents: &[Incident],
    false_positives: &[PlacedFalsePositive],
) -> (Vec<Option<u64>>, Vec<bool>, u64) {
    let firing = || timelines.iter().flat_map(|t| t.firing.iter().copied());
    let delays = incidents
        .iter()
        .map(|inc| {
            firing()
                .filter(|&(a, b)| a < inc.end_ms && inc.start_ms < b)
                .map(|(a, _)| (a - inc.start_ms).max(0) as u64)
                .min()
        })
        .collect();
    let quiet = false_positives
        .iter()
        .map(|fp| !firing().any(|(a, b)| a < fp.window.1 && fp.window.0 < b))
        .collect();
    let noise = firing()
        .filter(|&(a, b)| !incidents.iter().any(|i| a < i.end_ms && i.start_ms < b))
        .count() as u64;
    assert_eq!(firing().count() as u64, outcome.pages);
    (delays, quiet, noise)
}

#[test]
fn every_candidates_marks_agree_with_its_own_replay() {
    let mut next = replay::xorshift(0x9E37_79B9_7F4A_7C15);
    for round in 0..40 {
        let len = 300 + (next() % 200) as usize;
        let series: Vec<Series> = (0..5)
            .map(|i| Series {
                labels: vec![("i".into(), i.to_string())],
                // Every fourth round, series that end before the grid does:
                // the library does not make its callers align them.
                values: (0..len
                    - if round % 4 == 3 {
                        (next() % 40) as usize
                    } else {
                        0
                    })
                    .map(|k| match next() % 12 {
                        0 => f64::NAN,
                        // Bursts every 40 minutes on some series, so
                        // episodes cross the marks' edges.
                        _ if (k / 40) % 3 == i % 3 => 0.8 + (next() % 20) as f64 / 100.0,
                        _ => (next() % 90) as f64 / 100.0,
                    })
                    .collect(),
            })
            .collect();
        let end = len as i64 * MIN;
        let mut at = || (next() % end as u64) as i64;
        let incidents: Vec<Incident> = (0..1 + round % 3)
            .map(|_| {
                let start = at();
                Incident {
                    start_ms: start,
                    end_ms: start + 5 * MIN + 7_000 * (round as i64 % 5),
                    note: None,
                }
            })
            .collect();
        let false_positives = (0..round % 3)
            .map(|r| {
                let at_ms = at();
                FalsePositive {
                    at_ms,
                    // Marks files refuse an end that is not after the start.
                    end_ms: (r == 1).then(|| at_ms + 17 * MIN + 30_000),
                    note: None,
                }
            })
            .collect();
        let marks = Marks {
            incidents,
            false_positives,
        };
        let mut p = plan(0.85, 2);
        if round % 2 == 1 {
            p.keep_firing_for = Duration { millis: 3 * 60_000 };
        }
        let t = tune(&p, grid(len), &series, &marks, &TuneOptions::default()).unwrap();
        let mode = Mode::Split(Comparison::Gt);
        for s in &t.candidates {
            let lines = replay::timelines(grid(len), &series, mode, s.candidate());
            let (delays, quiet, noise) =
                reference_score(&s.outcome, &lines, &t.incidents, &t.false_positives);
            assert_eq!(s.delays_ms, delays, "round {round} {:?}", s.candidate());
            assert_eq!(s.quiet, quiet, "round {round} {:?}", s.candidate());
            assert_eq!(s.noise_pages, noise, "round {round} {:?}", s.candidate());
        }
    }
}

fn only_the_false_positive() -> Marks {
    Marks {
        incidents: Vec::new(),
        false_positives: marks().false_positives,
    }
}

#[test]
fn with_only_a_false_positive_the_other_pages_are_kept_by_the_nearest_threshold() {
    let t = tune(
        &plan(0.8, 2),
        grid(1440),
        &day(),
        &only_the_false_positive(),
        &TuneOptions::default(),
    )
    .unwrap();
    assert_eq!(t.objective, Objective::KeepOtherPages);
    // Today: the false positive and the two unmarked bursts.
    assert_eq!(t.today().outcome.pages, 3);
    assert_eq!(t.presumed_real().count(), 2);
    assert_eq!(t.today().kept_pages, 2);
    let rec = t.recommendation().expect("a tightening is quiet at it");
    // The nearest threshold above the false positive's 0.86, today's `for`:
    // quiet there, both other pages kept, none later.
    assert_eq!(rec.candidate().threshold, Some(0.86));
    assert_eq!(rec.candidate().for_.millis, 2 * MIN as u64);
    assert_eq!(rec.quiet, vec![true]);
    assert_eq!((rec.kept_pages, rec.kept_delay_ms), (2, 0));
    assert_eq!(t.pick, Some(ThresholdPick::NearestToday));
    // Everything up to the weaker burst (0.95) keeps the same pages.
    let (lo, hi) = t.equivalent.unwrap();
    assert_eq!(lo, 0.86);
    assert!((0.92..0.95).contains(&hi), "{hi}");
    // The old objective (fewest pages) would have dropped a real page.
    let fewest = t.candidates.iter().min_by_key(|s| s.outcome.pages).unwrap();
    assert!(fewest.kept_pages < 2, "{:?}", fewest.candidate());
}

#[test]
fn with_only_a_false_positive_a_longer_for_wins_when_no_threshold_keeps_every_page() {
    // The false positive (4 minutes) is now stronger than the second burst.
    let mut series = day();
    for x in &mut series[0].values[180..184] {
        *x = 0.96;
    }
    let t = tune(
        &plan(0.8, 2),
        grid(1440),
        &series,
        &only_the_false_positive(),
        &TuneOptions::default(),
    )
    .unwrap();
    let rec = t.recommendation().unwrap();
    // A threshold above 0.96 would lose the 0.95 burst; `for: 5m` outlasts
    // the 4-minute false positive and keeps both, each 3 minutes later.
    assert_eq!(rec.candidate().threshold, Some(0.8));
    assert_eq!(rec.candidate().for_.millis, 5 * MIN as u64);
    assert_eq!((rec.kept_pages, rec.kept_delay_ms), (2, 6 * MIN as u64));
    let by_threshold = t
        .candidates
        .iter()
        .find(|s| {
            s.candidate().threshold == Some(0.96) && s.candidate().for_.millis == 2 * MIN as u64
        })
        .unwrap();
    assert_eq!((by_threshold.quiet[0], by_threshold.kept_pages), (true, 1));
}

#[test]
fn with_only_a_false_positive_that_is_the_strongest_signal_nothing_is_recommended() {
    let t = tune(
        &plan(0.8, 2),
        grid(1440),
        &day(),
        &Marks {
            incidents: Vec::new(),
            false_positives: vec![FalsePositive {
                at_ms: 850 * MIN,
                end_ms: None,
                note: None,
            }],
        },
        &TuneOptions {
            // 1 silences everything: it must not be offered.
            thresholds: Some(vec![0.9, 1.0]),
            fors: Some(vec![Duration::ZERO, Duration::from_secs(120)]),
            keep_firing_fors: None,
        },
    )
    .unwrap();
    assert_eq!(t.recommended, None);
    assert_eq!(t.conflicts, vec![Conflict::QuietOnlyWhenSilent]);
}

#[test]
fn without_marks_the_sweep_is_shown_and_nothing_recommended() {
    let t = tune(
        &plan(0.8, 2),
        grid(1440),
        &day(),
        &Marks::default(),
        &TuneOptions::default(),
    )
    .unwrap();
    assert_eq!(t.objective, Objective::Survey);
    assert_eq!((t.recommended, t.equivalent, t.pick), (None, None, None));
    assert!(t.conflicts.is_empty());
    assert_eq!(t.today_pages.len(), 3);
    assert!(!t.shortlist.is_empty());
    let max = 0.97;
    for &i in &t.shortlist {
        let s = &t.candidates[i];
        assert!(s.outcome.pages > 0, "{:?}", s.candidate());
        let th = s.candidate().threshold.unwrap();
        assert!((0.3..max).contains(&th), "{th}");
    }
}

#[test]
fn the_middle_of_a_tie_is_recommended_and_replayed_first() {
    let t = tune(
        &plan(0.8, 2),
        grid(1440),
        &day(),
        &marks(),
        &TuneOptions::default(),
    )
    .unwrap();
    let rec = t.recommendation().unwrap();
    let (lo, hi) = t.equivalent.unwrap();
    assert_eq!(t.pick, Some(ThresholdPick::Middle));
    assert_eq!(rec.candidate().threshold, Some(round_middle(lo, hi)));
    // Only two tried thresholds tie: their middle is not one of them, so it
    // is replayed, and it does the same.
    let t = tune(
        &plan(0.8, 2),
        grid(1440),
        &day(),
        &marks(),
        &TuneOptions {
            thresholds: Some(vec![0.87, 0.93]),
            fors: Some(vec![]),
            keep_firing_fors: None,
        },
    )
    .unwrap();
    let rec = t.recommendation().unwrap();
    assert_eq!(t.equivalent, Some((0.87, 0.93)));
    assert_eq!(rec.candidate().threshold, Some(0.9));
    assert_eq!(t.pick, Some(ThresholdPick::Middle));
    assert!(rec.meets_every_mark());
}

#[test]
fn middles_are_round() {
    assert_eq!(round_middle(0.98, 1.0), 0.99);
    assert_eq!(round_middle(0.86, 0.9), 0.88);
    assert_eq!(round_middle(100.0, 250.0), 175.0);
    assert_eq!(round_middle(0.001, 0.0013), 0.00115);
}

/// On generated signals with random marks of every kind: a recommendation
/// always fires; with only false positives it is a quiet tightening that
/// keeps at least as many of the other pages as any other quiet
/// tightening; no automatic threshold lies outside the observed range.
#[test]
fn recommendations_on_generated_signals_fire_and_keep_the_most_pages() {
    let mut next = replay::xorshift(0xA076_1D64_78BD_642F);
    for round in 0..30 {
        let len = 400;
        let series: Vec<Series> = (0..3)
            .map(|i| Series {
                labels: vec![("i".into(), i.to_string())],
                values: (0..len)
                    .map(|k| match next() % 10 {
                        0 => f64::NAN,
                        _ if (k / 30 + i) % 4 == 0 => 0.7 + (next() % 30) as f64 / 100.0,
                        _ => (next() % 70) as f64 / 100.0,
                    })
                    .collect(),
            })
            .collect();
        let mut at = || (next() % (len as u64 * MIN as u64)) as i64;
        let marks = Marks {
            incidents: (0..round % 3 / 2)
                .map(|_| {
                    let start_ms = at();
                    Incident {
                        start_ms,
                        end_ms: start_ms + 20 * MIN,
                        note: None,
                    }
                })
                .collect(),
            false_positives: (0..round % 3)
                .map(|_| FalsePositive {
                    at_ms: at(),
                    end_ms: None,
                    note: None,
                })
                .collect(),
        };
        let t = tune(
            &plan(0.75, 2),
            grid(len),
            &series,
            &marks,
            &TuneOptions::default(),
        )
        .unwrap();
        let finite = || {
            series
                .iter()
                .flat_map(|s| &s.values)
                .filter(|v| v.is_finite())
        };
        let max = finite().copied().fold(f64::MIN, f64::max);
        let min = finite().copied().fold(f64::MAX, f64::min);
        for s in &t.candidates[1..] {
            let th = s.candidate().threshold.unwrap();
            assert!(
                th >= min && (th < max || th == 0.75),
                "round {round}: {th} {min}..{max}"
            );
        }
        if let Some(rec) = t.recommendation() {
            assert!(rec.outcome.pages > 0, "round {round}");
        }
        if t.objective == Objective::KeepOtherPages {
            let today = t.today().candidate();
            let quiet_tightenings = t.candidates.iter().filter(|s| {
                s.quiet.iter().all(|q| *q)
                    && s.outcome.pages > 0
                    && tightens(s.candidate(), today, Some(Comparison::Gt))
            });
            let most = quiet_tightenings.map(|s| s.kept_pages).max();
            match t.recommendation() {
                Some(rec) => {
                    assert!(tightens(rec.candidate(), today, Some(Comparison::Gt)));
                    assert!(rec.quiet.iter().all(|q| *q));
                    assert_eq!(Some(rec.kept_pages), most, "round {round}");
                }
                None => assert_eq!(most, None, "round {round}"),
            }
        }
    }
}
