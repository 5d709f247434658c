//! The pre-commit hook for real: pre-commit (Debian package `pre-commit`,
//! which `.ci/run` installs) installs the hook this checkout's
//! `.pre-commit-hooks.yaml` defines — `language: rust`, so with `cargo
//! install` — into a temporary team repository, and runs it on good and bad
//! rule files. The staged files are reported on; the rest of the repository
//! is context, so runbook coverage sees the whole rule set.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use common::git::git;

const GOOD: &str = "apiVersion: monitoring.coreos.com/v1
kind: PrometheusRule
metadata:
  name: good
spec:
  groups:
  - name: good
    rules:
    - alert: GoodAlert
      expr: up{job=\"api\"} == 0
      for: 5m
      labels:
        severity: critical
      annotations:
        summary: The API is down.
        runbook_url: https://wiki.example.com/ops#goodalert
";

const OTHER: &str = "apiVersion: monitoring.coreos.com/v1
kind: PrometheusRule
metadata:
  name: other
spec:
  groups:
  - name: other
    rules:
    - alert: OtherAlert
      expr: rate(errors_total[5m]) > 1
      labels:
        severity: warning
      annotations:
        summary: Errors.
        runbook_url: https://wiki.example.com/ops#otheralert
";

/// A PromQL syntax error (promql/syntax, an error).
const BAD: &str = "apiVersion: monitoring.coreos.com/v1
kind: PrometheusRule
metadata:
  name: bad
spec:
  groups:
  - name: bad
    rules:
    - alert: BadAlert
      expr: rate(errors_total[5m] > 1
";

/// Both alerts have an entry: with only one rule file seen, the other's
/// entry would look stale.
const RUNBOOK: &str = "# Ops

| Alert | Section |
| --- | --- |
| GoodAlert | [API down](#goodalert) |
| OtherAlert | [Errors](#otheralert) |

## GoodAlert

Check the pods.

## OtherAlert

Check the logs.
";

/// A plain Prometheus rule file with a misspelt key (structure/unknown-field).
const PLAIN_BAD: &str = "groups:
- name: plain
  rules:
  - alert: PlainAlert
    expr: up == 0
    fro: 5m
";

/// This checkout's files (tracked, and new ones not ignored), committed in a
/// fresh repository, as pre-commit needs a repository and a revision.
fn hook_repository(dir: &Path) -> String {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let listed = git(
        root,
        &[
            "ls-files",
            "-z",
            "--cached",
            "--others",
            "--exclude-standard",
        ],
    );
    for name in listed.split('\0').filter(|n| !n.is_empty()) {
        let from = root.join(name);
        if !from.is_file() {
            continue; // deleted in the working tree
        }
        let to = dir.join(name);
        std::fs::create_dir_all(to.parent().unwrap()).unwrap();
        std::fs::copy(&from, &to).unwrap();
    }
    git(dir, &["init", "-q"]);
    git(dir, &["add", "-A"]);
    git(dir, &["commit", "-q", "-m", "firedrill under test"]);
    git(dir, &["rev-parse", "HEAD"]).trim().to_string()
}

/// Where cargo builds the hook: beside this test run's own build, so the
/// dependencies compile once per machine, not once per run.
fn hook_target_dir() -> PathBuf {
    let binary = Path::new(env!("CARGO_BIN_EXE_firedrill"));
    let target = binary.parent().and_then(Path::parent).unwrap();
    target.join("pre-commit-hook")
}

struct Team {
    repo: tempfile::TempDir,
    home: tempfile::TempDir,
}

impl Team {
    fn pre_commit(&self, args: &[&str]) -> (i32, String) {
        let out: Output = Command::new("pre-commit")
            .args(args)
            .current_dir(self.repo.path())
            .env("PRE_COMMIT_HOME", self.home.path())
            .env("CARGO_TARGET_DIR", hook_target_dir())
            // pre-commit gives cargo a fresh CARGO_HOME per install, so every
            // run compiles all dependencies again: unoptimised, that takes a
            // third of the time, and what the hook reports does not change.
            .env("CARGO_PROFILE_RELEASE_OPT_LEVEL", "0")
            .env("CARGO_PROFILE_RELEASE_CODEGEN_UNITS", "256")
            .env("NO_COLOR", "1")
            .output()
            .expect("pre-commit is installed (Debian package `pre-commit`; .ci/run installs it)");
        let text = String::from_utf8_lossy(&out.stdout).into_owned()
            + &String::from_utf8_lossy(&out.stderr);
        (out.status.code().unwrap_or(-1), text)
    }

    fn write(&self, name: &str, text: &str) {
        let path = self.repo.path().join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }

    fn config(&self, hook_repo: &Path, rev: &str, files: Option<&str>) {
        let files = files.map_or(String::new(), |f| format!("        files: '{f}'\n"));
        self.write(
            ".pre-commit-config.yaml",
            &format!(
                "repos:
  - repo: {}
    rev: {rev}
    hooks:
      - id: firedrill-lint
        args: [--runbook, docs/runbook.md, --runbook-map, 'https://wiki.example.com/ops=docs/runbook.md']
{files}",
                hook_repo.display()
            ),
        );
    }
}

#[test]
fn the_hook_lints_the_staged_rule_files_against_the_whole_set() {
    let hooks = tempfile::tempdir().unwrap();
    let rev = hook_repository(hooks.path());
    let team = Team {
        repo: tempfile::tempdir().unwrap(),
        home: tempfile::tempdir().unwrap(),
    };
    git(team.repo.path(), &["init", "-q"]);
    team.config(hooks.path(), &rev, None);
    team.write("rules/prometheusrule-good.yaml", GOOD);
    team.write("rules/prometheusrule-other.yaml", OTHER);
    team.write("docs/runbook.md", RUNBOOK);
    // Not a rule file, and not matched by the hook's pattern.
    team.write("deploy/values.yaml", "replicas: 2\n");
    git(team.repo.path(), &["add", "-A"]);

    // Every matching file: both pass, and each alert's runbook entry is found.
    let (code, text) = team.pre_commit(&["run", "--all-files"]);
    assert_eq!(code, 0, "{text}");
    assert!(
        text.contains("firedrill lint") && text.contains("Passed"),
        "{text}"
    );

    // A broken file fails the hook, with the check and the place.
    team.write("rules/prometheusrule-bad.yaml", BAD);
    git(team.repo.path(), &["add", "-A"]);
    let (code, text) = team.pre_commit(&["run", "--files", "rules/prometheusrule-bad.yaml"]);
    assert_eq!(code, 1, "{text}");
    assert!(text.contains("Failed"), "{text}");
    assert!(text.contains("promql/syntax"), "{text}");
    assert!(text.contains("rules/prometheusrule-bad.yaml:10:"), "{text}");

    // Only the good file staged: the broken one is context, not reported, and
    // OtherAlert's runbook entry is not stale although its file was not passed.
    let (code, text) = team.pre_commit(&["run", "--files", "rules/prometheusrule-good.yaml"]);
    assert_eq!(code, 0, "{text}");
    assert!(!text.contains("promql/syntax"), "{text}");
    assert!(!text.contains("runbook/stale"), "{text}");

    // Without the context, the same run would call OtherAlert's entry stale:
    // what the context is for.
    let firedrill = env!("CARGO_BIN_EXE_firedrill");
    let alone = Command::new(firedrill)
        .current_dir(team.repo.path())
        .args([
            "lint",
            "--runbook",
            "docs/runbook.md",
            "--runbook-map",
            "https://wiki.example.com/ops=docs/runbook.md",
            "rules/prometheusrule-good.yaml",
        ])
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    assert!(
        String::from_utf8_lossy(&alone.stdout).contains("runbook/stale"),
        "{}",
        String::from_utf8_lossy(&alone.stdout)
    );

    // Plain rule files by a pattern of the team's own.
    team.config(
        hooks.path(),
        &rev,
        Some(r"(^|/)(prometheusrule-[^/]*|alerts/[^/]*)\.ya?ml$"),
    );
    std::fs::remove_file(team.repo.path().join("rules/prometheusrule-bad.yaml")).unwrap();
    team.write("alerts/app.yml", PLAIN_BAD);
    git(team.repo.path(), &["add", "-A"]);
    let (code, text) = team.pre_commit(&["run", "--all-files"]);
    assert_eq!(code, 1, "{text}");
    assert!(text.contains("structure/unknown-field"), "{text}");
    assert!(text.contains("alerts/app.yml:6:"), "{text}");
    assert!(!text.contains("deploy/values.yaml"), "{text}");
}
