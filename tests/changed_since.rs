//! `lint --changed-since REF` in a real git repository: only findings on
//! rules added or changed since REF, compared by rule identity, not by line.

mod common;

use std::path::Path;
use std::process::Command;

use common::git::git;

fn lint(dir: &Path, extra: &[&str]) -> (i32, Vec<(String, String)>) {
    let out = Command::new(env!("CARGO_BIN_EXE_firedrill"))
        .current_dir(dir)
        .args(["lint", "--format", "json", "rules/"])
        .args(extra)
        .output()
        .unwrap();
    let code = out.status.code().unwrap();
    if code == 2 {
        return (
            2,
            vec![(
                String::from_utf8_lossy(&out.stderr).into_owned(),
                String::new(),
            )],
        );
    }
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let found = json["diagnostics"]
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
    (code, found)
}

const BEFORE: &str = "groups:
- name: app
  rules:
  - alert: Untouched
    expr: up == 0
    fro: 5m
  - alert: Threshold
    expr: errors > 1
  - alert: Removed
    expr: up == 0
";

const AFTER: &str = "groups:
- name: app
  rules:
  - alert: Added
    expr: rate(errors[5m] > 1
  - alert: Threshold
    expr: errors > 2
    annotations:
      summary: '{{ $labels.job '
  - alert: Untouched
    expr: |
      up
        == 0
    fro: 5m
";

#[test]
fn only_added_and_changed_rules_are_reported() {
    let dir = tempfile::tempdir().unwrap();
    let repo = dir.path();
    std::fs::create_dir(repo.join("rules")).unwrap();
    git(repo, &["init", "-q", "-b", "main"]);
    std::fs::write(repo.join("rules/app.yml"), BEFORE).unwrap();
    git(repo, &["add", "."]);
    git(repo, &["commit", "-q", "-m", "before"]);
    std::fs::write(repo.join("rules/app.yml"), AFTER).unwrap();
    git(repo, &["commit", "-q", "-am", "after"]);

    let (code, all) = lint(repo, &[]);
    assert_eq!(code, 1);
    assert!(
        all.contains(&("structure/unknown-field".into(), "Untouched".into())),
        "{all:?}"
    );

    let (code, changed) = lint(repo, &["--changed-since", "HEAD~1"]);
    assert_eq!(code, 1);
    let mut alerts: Vec<&str> = changed.iter().map(|(_, a)| a.as_str()).collect();
    alerts.sort();
    alerts.dedup();
    // Untouched moved and was re-indented, but it is the same rule: its old finding stays quiet.
    assert_eq!(alerts, ["Added", "Threshold"], "{changed:?} all: {all:?}");
    assert!(changed.contains(&("promql/syntax".into(), "Added".into())));
    assert!(
        changed.contains(&("structure/template".into(), "Threshold".into())),
        "{changed:?}"
    );

    // Since HEAD nothing changed: no findings, exit 0.
    let (code, none) = lint(repo, &["--changed-since", "HEAD"]);
    assert_eq!((code, none.len()), (0, 0), "{none:?}");

    let (code, err) = lint(repo, &["--changed-since", "no-such-ref"]);
    assert_eq!(code, 2);
    assert!(err[0].0.contains("not a commit"), "{err:?}");
}
