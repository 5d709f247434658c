//! A pull request's view of a change, in a real git repository with two
//! commits of `rules/` (the shipped Wecare rules): one alert's threshold
//! changed, one added, one removed, and an untouched rule with an old
//! finding. `lint --changed-since` reports only the added and changed
//! rules' findings; `diff` replays exactly the added and changed alerts, and
//! its before/after counts equal separate replays of each version.

mod common;

use std::path::Path;
use std::process::{Command, Output};

use common::git::git;
use common::{fixtures, stderr, stdout};

fn firedrill_in(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_firedrill"))
        .current_dir(dir)
        .args(args)
        .env("NO_COLOR", "1")
        .env_remove("PROMETHEUS_URL")
        .output()
        .unwrap()
}

fn json(out: &Output) -> serde_json::Value {
    assert_eq!(out.status.code(), Some(0), "{}", stderr(out));
    serde_json::from_slice(&out.stdout).unwrap()
}

/// Today's rule's (pages, firing seconds) in a `simulate --format json` run of one alert.
fn replayed(dir: &Path, file: &str, alert: &str, recording: &str) -> (u64, f64) {
    let out = json(&firedrill_in(
        dir,
        &[
            "simulate", file, "--alert", alert, "--data", recording, "--format", "json",
        ],
    ));
    let current = &out["rules"][0]["candidates"][0];
    assert_eq!(current["current"], true);
    (
        current["pages"].as_u64().unwrap(),
        current["firing_seconds"].as_f64().unwrap(),
    )
}

const LEGACY: &str = "apiVersion: monitoring.coreos.com/v1
kind: PrometheusRule
metadata:
  name: legacy
spec:
  groups:
    - name: legacy
      rules:
        - alert: LegacyMariaDBDown
          expr: mysql_up{namespace=\"ecommercen-clients-wecare-infrastructure\"} == 0
          fro: 5m
";

const ADDED: &str = "        - alert: FPMListenQueueBacklogHigh
          expr: |
            max by (namespace, pod) (phpfpm_listen_queue{namespace=\"ecommercen-clients-wecare\"}) > 10
          for: 2m
          labels:
            severity: critical
          annotations:
            summary: \"{{ $value }} requests wait in the queue of {{ $labels.pod \"
";

#[test]
fn a_pull_request_sees_only_its_own_rules_and_their_history() {
    let repo = tempfile::tempdir().unwrap();
    let root = repo.path();
    let rules = root.join("rules");
    std::fs::create_dir(&rules).unwrap();
    let shipped = Path::new(env!("CARGO_MANIFEST_DIR")).join("rules");
    for entry in std::fs::read_dir(&shipped).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "yaml") {
            std::fs::copy(&path, rules.join(path.file_name().unwrap())).unwrap();
        }
    }
    std::fs::write(rules.join("prometheusrule-legacy.yaml"), LEGACY).unwrap();
    git(root, &["init", "-q"]);
    git(root, &["add", "-A"]);
    git(root, &["commit", "-q", "-m", "before"]);

    // The change: FPMPoolSaturation's threshold 0.8 → 0.7, FPMListenQueueBacklog
    // replaced by FPMListenQueueBacklogHigh (with a broken template).
    let fpm_path = rules.join("prometheusrule-fpm.yaml");
    let fpm = std::fs::read_to_string(&fpm_path).unwrap();
    let cut = fpm.find("        - alert: FPMListenQueueBacklog").unwrap();
    let changed = fpm[..cut].replace("> 0.8", "> 0.7") + ADDED;
    assert_ne!(changed, fpm[..cut]);
    std::fs::write(&fpm_path, changed).unwrap();
    git(root, &["commit", "-q", "-am", "after"]);

    // The gate: the added rule's finding, not the untouched legacy rule's.
    let out = firedrill_in(
        root,
        &[
            "lint",
            "rules/",
            "--format",
            "json",
            "--changed-since",
            "HEAD~1",
        ],
    );
    let findings: Vec<(String, String)> = serde_json::from_slice::<serde_json::Value>(&out.stdout)
        .unwrap()["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["check"].as_str().unwrap().to_string(),
                d["alertname"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect();
    assert!(
        findings.contains(&(
            "structure/template".to_string(),
            "FPMListenQueueBacklogHigh".to_string()
        )),
        "{findings:?}"
    );
    assert!(
        findings
            .iter()
            .all(|(_, alert)| alert == "FPMListenQueueBacklogHigh"),
        "{findings:?}"
    );
    let all = firedrill_in(root, &["lint", "rules/", "--format", "json"]);
    assert!(
        stdout(&all).contains("LegacyMariaDBDown"),
        "the old finding exists: {}",
        stdout(&all)
    );

    // The diff on the shipped recording.
    let recording = fixtures().join("wecare-7d.parquet");
    let recording = recording.to_str().unwrap();
    let diff = json(&firedrill_in(
        root,
        &[
            "diff", "rules/", "--base", "HEAD~1", "--data", recording, "--format", "json",
        ],
    ));
    let alerts = diff["alerts"].as_array().unwrap();
    let names: Vec<(&str, &str)> = alerts
        .iter()
        .map(|a| {
            (
                a["alertname"].as_str().unwrap(),
                a["status"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        names,
        vec![
            ("FPMListenQueueBacklogHigh", "added"),
            ("FPMPoolSaturation", "changed")
        ]
    );
    assert_eq!(diff["removed"][0]["alertname"], "FPMListenQueueBacklog");
    assert_eq!(diff["removed"].as_array().unwrap().len(), 1);
    // 15 alerts before + LegacyMariaDBDown, minus the two replayed.
    assert_eq!(diff["unchanged"], 14);

    let counts = |v: &serde_json::Value| {
        (
            v["pages"].as_u64().unwrap(),
            v["firing_seconds"].as_f64().unwrap(),
        )
    };
    let saturation = &alerts[1];
    assert_eq!(saturation["changes"][0], "threshold `> 0.8` → `> 0.7`");
    let old_dir = tempfile::tempdir().unwrap();
    let old_fpm = old_dir.path().join("prometheusrule-fpm.yaml");
    std::fs::write(
        &old_fpm,
        git(root, &["show", "HEAD~1:rules/prometheusrule-fpm.yaml"]),
    )
    .unwrap();
    let before = replayed(
        root,
        old_fpm.to_str().unwrap(),
        "FPMPoolSaturation",
        recording,
    );
    let after = replayed(
        root,
        "rules/prometheusrule-fpm.yaml",
        "FPMPoolSaturation",
        recording,
    );
    assert_eq!(counts(&saturation["before"]), before);
    assert_eq!(counts(&saturation["after"]), after);
    assert!(
        after.1 > before.1,
        "a lower threshold fires longer: {before:?} {after:?}"
    );

    let added = &alerts[0];
    assert!(added["before"].is_null());
    assert_eq!(
        counts(&added["after"]),
        replayed(
            root,
            "rules/prometheusrule-fpm.yaml",
            "FPMListenQueueBacklogHigh",
            recording
        )
    );

    // The same as Markdown for the pull request.
    let out = firedrill_in(
        root,
        &["diff", "rules/", "--base", "HEAD~1", "--data", recording],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = stdout(&out);
    let before_text = match before.0 {
        1 => "once".to_string(),
        n => format!("{n} times"),
    };
    assert!(
        text.contains(&format!("fired {before_text} before, {} after", after.0)),
        "{text}"
    );
    assert!(text.contains("wecare-7d.parquet, recorded from "), "{text}");
    assert!(text.contains("Removed: `FPMListenQueueBacklog`"), "{text}");

    // No change: nothing is replayed, so not even the recording is read.
    let out = firedrill_in(
        root,
        &[
            "diff",
            "rules/",
            "--base",
            "HEAD",
            "--data",
            "no-such.parquet",
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("No alert was added or changed"),
        "{}",
        stdout(&out)
    );

    // A ref that is not a commit is a usage error.
    let out = firedrill_in(
        root,
        &[
            "diff",
            "rules/",
            "--base",
            "no-such-ref",
            "--data",
            recording,
        ],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("no-such-ref"), "{}", stderr(&out));
}
