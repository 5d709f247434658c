//! The pre-commit hook for real, with pre-commit (Debian package
//! `pre-commit`). The hook this checkout's `.pre-commit-hooks.yaml` defines
//! runs in a temporary team repository on good and bad rule files: the
//! staged files are reported on; the rest of the repository is context, so
//! runbook coverage sees the whole rule set. One test runs the definition
//! with the binary this run built (fast); one installs it as a team would,
//! `language: rust`, with `cargo install` (cached between runs).

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use common::git::{git, git_with};

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

/// The files `cargo install` of this checkout reads (tracked, and new ones
/// not ignored), under the folders and names given.
fn build_inputs() -> Vec<String> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let listed = git(
        root,
        &[
            "ls-files",
            "-z",
            "--cached",
            "--others",
            "--exclude-standard",
            "--",
            ".pre-commit-hooks.yaml",
            "Cargo.toml",
            "Cargo.lock",
            "README.md",
            "src",
            // Cargo.toml declares the benches: cargo wants their files.
            "benches",
        ],
    );
    listed
        .split('\0')
        .filter(|n| !n.is_empty() && root.join(n).is_file())
        .map(str::to_string)
        .collect()
}

/// The files in a fresh repository at `dir`, committed with a fixed author
/// and date, so the same files give the same revision: pre-commit caches
/// an installed hook by repository and revision.
fn hook_repository(dir: &Path, files: &[String], hooks_file: Option<&str>) -> String {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    if dir.exists() {
        std::fs::remove_dir_all(dir).unwrap();
    }
    std::fs::create_dir_all(dir).unwrap();
    for name in files {
        let to = dir.join(name);
        std::fs::create_dir_all(to.parent().unwrap()).unwrap();
        std::fs::copy(root.join(name), &to).unwrap();
    }
    if let Some(text) = hooks_file {
        std::fs::write(dir.join(".pre-commit-hooks.yaml"), text).unwrap();
    }
    git(dir, &["init", "-q"]);
    git(dir, &["add", "-A"]);
    let date = "2026-01-01T00:00:00Z";
    git_with(
        dir,
        &["commit", "-q", "-m", "firedrill under test"],
        &[("GIT_AUTHOR_DATE", date), ("GIT_COMMITTER_DATE", date)],
    );
    git(dir, &["rev-parse", "HEAD"]).trim().to_string()
}

/// The real hook definition, run by the binary this test run built
/// (`language: system`): what the hook does, in seconds.
fn hooks_with_the_built_binary() -> String {
    let real = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join(".pre-commit-hooks.yaml"),
    )
    .unwrap();
    assert!(real.contains("language: rust") && real.contains("entry: firedrill "));
    real.replace("language: rust", "language: system").replace(
        "entry: firedrill ",
        &format!("entry: {} ", env!("CARGO_BIN_EXE_firedrill")),
    )
}

/// Where the real install's pieces live between runs: beside this test
/// run's own build (`target/pre-commit-hook/`), so cargo builds the hook
/// once per checkout's content, not once per run.
fn hook_cache() -> PathBuf {
    let binary = Path::new(env!("CARGO_BIN_EXE_firedrill"));
    let target = binary.parent().and_then(Path::parent).unwrap();
    target.join("pre-commit-hook")
}

struct Team {
    repo: tempfile::TempDir,
    /// pre-commit's own cache (`PRE_COMMIT_HOME`).
    home: PathBuf,
}

impl Team {
    fn new(home: PathBuf) -> Team {
        common::tools::require("pre-commit", "pre-commit");
        let repo = tempfile::tempdir().unwrap();
        git(repo.path(), &["init", "-q"]);
        Team { repo, home }
    }

    fn pre_commit(&self, args: &[&str]) -> (i32, String) {
        let out: Output = Command::new("pre-commit")
            .args(args)
            .current_dir(self.repo.path())
            .env("PRE_COMMIT_HOME", &self.home)
            .env("CARGO_TARGET_DIR", hook_cache().join("target"))
            // pre-commit gives cargo a fresh CARGO_HOME per install, so every
            // run compiles all dependencies again: unoptimised, that takes a
            // third of the time, and what the hook reports does not change.
            .env("CARGO_PROFILE_RELEASE_OPT_LEVEL", "0")
            .env("CARGO_PROFILE_RELEASE_CODEGEN_UNITS", "256")
            .env("NO_COLOR", "1")
            .output()
            .expect("run pre-commit");
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
    let home = tempfile::tempdir().unwrap();
    let rev = hook_repository(
        hooks.path(),
        &[".pre-commit-hooks.yaml".to_string()],
        Some(&hooks_with_the_built_binary()),
    );
    let team = Team::new(home.path().to_path_buf());
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

/// The hook as a team gets it: `language: rust`, so pre-commit runs `cargo
/// install` of this checkout. The first run on a checkout's content builds
/// it (about two minutes on 2 cores; the crates come from the registry);
/// later runs reuse pre-commit's cache under target/pre-commit-hook/.
#[test]
fn the_hook_installs_with_cargo_and_runs() {
    let cache = hook_cache();
    let rev = hook_repository(&cache.join("repo"), &build_inputs(), None);
    let team = Team::new(cache.join("home"));
    team.config(&cache.join("repo"), &rev, None);
    team.write("rules/prometheusrule-good.yaml", GOOD);
    team.write("rules/prometheusrule-other.yaml", OTHER);
    team.write("docs/runbook.md", RUNBOOK);
    git(team.repo.path(), &["add", "-A"]);
    let (code, text) = team.pre_commit(&["run", "--all-files"]);
    assert_eq!(code, 0, "{text}");
    assert!(
        text.contains("firedrill lint") && text.contains("Passed"),
        "{text}"
    );
    team.write("rules/prometheusrule-bad.yaml", BAD);
    git(team.repo.path(), &["add", "-A"]);
    let (code, text) = team.pre_commit(&["run", "--files", "rules/prometheusrule-bad.yaml"]);
    assert_eq!(code, 1, "{text}");
    assert!(text.contains("promql/syntax"), "{text}");
}

/// A repository adopting firedrill with a finding it keeps for now: a
/// summary naming a label the aggregation drops.
const KEPT: &str = "apiVersion: monitoring.coreos.com/v1
kind: PrometheusRule
metadata:
  name: kept
spec:
  groups:
    - name: kept
      rules:
        - alert: KeptAlert
          expr: sum(rate(kept_errors_total[5m])) > 1
          for: 5m
          labels:
            severity: warning
          annotations:
            summary: Kept fails on {{ $labels.instance }}.
            description: Kept is down.
            runbook_url: https://wiki.example.com/ops#keptalert
";

#[test]
fn the_hook_holds_a_baseline_and_reports_only_new_findings() {
    let hooks = tempfile::tempdir().unwrap();
    let home = tempfile::tempdir().unwrap();
    let rev = hook_repository(
        hooks.path(),
        &[".pre-commit-hooks.yaml".to_string()],
        Some(&hooks_with_the_built_binary()),
    );
    let team = Team::new(home.path().to_path_buf());
    team.write(
        ".pre-commit-config.yaml",
        &format!(
            "repos:
  - repo: {}
    rev: {rev}
    hooks:
      - id: firedrill-lint
        args: [--baseline, .firedrill-baseline.json, --fail-on, warning]
",
            hooks.path().display()
        ),
    );
    team.write("rules/prometheusrule-kept.yaml", KEPT);
    let firedrill = |args: &[&str]| {
        let out = Command::new(env!("CARGO_BIN_EXE_firedrill"))
            .current_dir(team.repo.path())
            .args(args)
            .env("NO_COLOR", "1")
            .output()
            .unwrap();
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
        )
    };
    // Without the baseline the warning fails the hook's --fail-on warning.
    let (code, text) = firedrill(&["lint", "--fail-on", "warning", "rules/"]);
    assert_eq!(code, Some(1), "{text}");
    assert!(text.contains("alert/template"), "{text}");
    let (code, text) = firedrill(&[
        "lint",
        "rules/",
        "--write-baseline",
        ".firedrill-baseline.json",
    ]);
    assert_eq!(code, Some(0), "{text}");
    assert!(text.contains("1 finding baselined"), "{text}");
    git(team.repo.path(), &["add", "-A"]);
    let (code, text) = team.pre_commit(&["run", "--all-files"]);
    assert_eq!(code, 0, "{text}");

    // Every line of the file moves (a comment block on top, the rules
    // re-indented): the kept finding is still the kept one.
    let moved: String = KEPT
        .lines()
        .map(|l| format!("  {l}\n"))
        .collect::<String>()
        .replacen(
            "  apiVersion",
            "# Owned by the kept team.\n# Paged through the kept route.\n---\napiVersion",
            1,
        );
    let moved = moved
        .lines()
        .map(|l| l.strip_prefix("  ").unwrap_or(l))
        .collect::<Vec<_>>()
        .join("\n")
        + "\n";
    assert!(moved.starts_with("# Owned"));
    team.write("rules/prometheusrule-kept.yaml", &moved);
    git(team.repo.path(), &["add", "-A"]);
    let (code, text) = team.pre_commit(&["run", "--files", "rules/prometheusrule-kept.yaml"]);
    assert_eq!(code, 0, "{text}");

    // A new finding in the same file fails, and only it is reported.
    team.write(
        "rules/prometheusrule-kept.yaml",
        &format!(
            "{moved}        - alert: NewAlert\n          expr: sum(rate(new_errors_total[5m])) > 1\n          for: 5m\n          labels:\n            severity: warning\n          annotations:\n            summary: New fails on {{{{ $labels.pod }}}}.\n            description: New is down.\n            runbook_url: https://wiki.example.com/ops#newalert\n"
        ),
    );
    git(team.repo.path(), &["add", "-A"]);
    let (code, text) = team.pre_commit(&["run", "--files", "rules/prometheusrule-kept.yaml"]);
    assert_eq!(code, 1, "{text}");
    assert!(
        text.contains("NewAlert") && !text.contains("KeptAlert"),
        "{text}"
    );
    assert!(
        text.contains("1 finding in the baseline .firedrill-baseline.json, 0 of its fixed since"),
        "{text}"
    );

    // A corrupt baseline is an error at its place, never "everything is new".
    team.write(
        ".firedrill-baseline.json",
        "{\"format\": \"firedrill-baseline\", \"layout\": }",
    );
    let (code, text) = team.pre_commit(&["run", "--files", "rules/prometheusrule-kept.yaml"]);
    assert_eq!(code, 1, "{text}");
    assert!(text.contains("exit code: 2"), "{text}");
    assert!(
        text.contains(".firedrill-baseline.json:1:44: not a firedrill baseline"),
        "{text}"
    );
}
