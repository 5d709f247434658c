//! Replays every input a fuzz target ever failed on (`fuzz/regressions/<target>/`)
//! through the same entry point the fuzzer calls (`firedrill::fuzzing`), under
//! plain `cargo test`, so a fixed crash stays fixed without a nightly
//! toolchain. The entry points panic when an invariant breaks.

use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};

type Target = fn(&[u8]);

const TARGETS: &[(&str, Target)] = &[
    ("rule_file", firedrill::fuzzing::rule_file),
    ("promql", firedrill::fuzzing::promql),
    ("template", firedrill::fuzzing::template),
    ("runbook", firedrill::fuzzing::runbook),
    ("recording", firedrill::fuzzing::recording),
    ("query_range", firedrill::fuzzing::query_range),
];

fn inputs(target: &str) -> Vec<std::path::PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fuzz/regressions")
        .join(target);
    // A target that never failed has no folder (git keeps no empty ones).
    let Ok(entries) = std::fs::read_dir(&dir) else {
        return Vec::new();
    };
    let mut files: Vec<_> = entries
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    files
}

#[test]
fn every_fuzz_target_is_replayed_here() {
    let manifest =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/Cargo.toml"))
            .unwrap();
    for (target, _) in TARGETS {
        assert!(
            manifest.contains(&format!("name = \"{target}\"")),
            "fuzz/Cargo.toml has no target {target}"
        );
    }
    let declared = manifest.matches("[[bin]]").count();
    assert_eq!(
        declared,
        TARGETS.len(),
        "a fuzz target is not replayed here"
    );
}

/// Panics anywhere in the process, caught or not: libFuzzer's hook aborts
/// on every one, so a panic that firedrill contains is still a crash to
/// the fuzzer, and must be one here too.
static PANICS: AtomicUsize = AtomicUsize::new(0);

#[test]
fn past_crash_inputs_run_clean() {
    let default_hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        PANICS.fetch_add(1, Ordering::SeqCst);
        default_hook(info);
    }));
    let mut replayed = 0;
    for (target, run) in TARGETS {
        for path in inputs(target) {
            let bytes = std::fs::read(&path).unwrap();
            let before = PANICS.load(Ordering::SeqCst);
            let outcome = std::panic::catch_unwind(|| run(&bytes));
            assert!(outcome.is_ok(), "{target}: {} fails again", path.display());
            // The recording reader contains polars' panics by design (its
            // fuzz target silences the hook); every other parser must not
            // panic at all.
            if *target != "recording" {
                assert_eq!(
                    PANICS.load(Ordering::SeqCst),
                    before,
                    "{target}: {} panics again (contained, but a panic)",
                    path.display()
                );
            }
            replayed += 1;
        }
    }
    assert!(replayed > 0, "no regression input found");
}
