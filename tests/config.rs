//! `.firedrill.toml`: found by walking up from the working directory or
//! named with `--config`; its server URL is used when no flag or
//! environment variable names one; a mistake in it stops the run at its place.

mod common;

use std::path::Path;
use std::process::{Command, Output};

use common::mock::{Mock, Reply};
use common::{stderr, stdout};

const RULES: &str = "groups:\n- name: faults\n  rules:\n  - alert: FaultSignalHigh\n    expr: fault_signal > 5\n    for: 1m\n";

/// firedrill in `cwd`, with no server in its environment.
fn firedrill_in(cwd: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_firedrill"))
        .args(args)
        .current_dir(cwd)
        .env("NO_COLOR", "1")
        .env_remove("PROMETHEUS_URL")
        .env("NO_PROXY", "127.0.0.1,localhost")
        .env("no_proxy", "127.0.0.1,localhost")
        .output()
        .unwrap()
}

fn simulate(cwd: &Path, extra: &[&str]) -> Output {
    let mut args = vec![
        "simulate",
        "rules.yml",
        "--start",
        "1793491200",
        "--end",
        "1793491800",
        "--format",
        "json",
        "-q",
    ];
    args.extend_from_slice(extra);
    firedrill_in(cwd, &args)
}

#[test]
fn the_server_url_comes_from_the_nearest_config_file() {
    let mock = Mock::start(vec![Reply::ok()]);
    let repo = tempfile::tempdir().unwrap();
    std::fs::write(
        repo.path().join(".firedrill.toml"),
        format!(
            "# the team's server\n[prometheus]\nurl = \"{}\"\n",
            mock.url
        ),
    )
    .unwrap();
    let rules = repo.path().join("alerts");
    std::fs::create_dir(&rules).unwrap();
    std::fs::write(rules.join("rules.yml"), RULES).unwrap();

    // Run from a folder below the config file.
    let out = simulate(&rules, &[]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let json: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(json["source"], mock.url.as_str());
    assert_eq!(json["rules"][0]["candidates"][0]["pages"], 1);
    assert!(!mock.requests().is_empty());

    // --prometheus wins over the file.
    let other = Mock::start(vec![Reply::ok()]);
    let out = simulate(&rules, &["--prometheus", &other.url]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let json: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(json["source"], other.url.as_str());

    // A recording given is replayed; the file's server is not asked.
    let before = mock.requests().len();
    let recording = common::fixtures().join("wecare-7d.parquet");
    let rules_dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("rules");
    let out = firedrill_in(
        &rules,
        &[
            "simulate",
            rules_dir.to_str().unwrap(),
            "--data",
            recording.to_str().unwrap(),
            "--format",
            "json",
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(mock.requests().len(), before);
}

#[test]
fn without_any_server_the_message_names_every_way_to_give_one() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("rules.yml"), RULES).unwrap();
    let out = simulate(dir.path(), &[]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(
        err.contains("--data") && err.contains("PROMETHEUS_URL") && err.contains(".firedrill.toml"),
        "{err}"
    );
}

#[test]
fn a_mistake_in_the_config_stops_the_run_at_its_place() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("rules.yml"), RULES).unwrap();
    std::fs::write(
        dir.path().join(".firedrill.toml"),
        "[prometheus]\nurll = \"http://127.0.0.1:9\"\n",
    )
    .unwrap();
    for args in [
        vec!["lint", "rules.yml"],
        vec!["simulate", "rules.yml", "--range", "1h"],
    ] {
        let out = firedrill_in(dir.path(), &args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let err = stderr(&out);
        assert!(err.contains(".firedrill.toml:2:1"), "{err}");
        assert!(err.contains("unknown field `urll`"), "{err}");
        assert!(stdout(&out).is_empty());
    }

    // --config names another file, which is read instead.
    let good = dir.path().join("good.toml");
    std::fs::write(&good, "[prometheus]\n").unwrap();
    let out = firedrill_in(
        dir.path(),
        &["--config", good.to_str().unwrap(), "lint", "rules.yml"],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let out = firedrill_in(
        dir.path(),
        &["lint", "--config", "missing.toml", "rules.yml"],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("missing.toml"), "{}", stderr(&out));
}

/// The documented example `.firedrill.toml` (docs/configuration.md) is a
/// valid file that does what its comments say: paths relative to it, the
/// stricter label policy applied.
#[test]
fn the_documented_example_config_is_valid_and_applied() {
    let readme = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/configuration.md"),
    )
    .unwrap();
    let section = readme.find("# Configuration").unwrap();
    let start = readme[section..].find("```toml\n").unwrap() + section + 8;
    let end = readme[start..].find("```").unwrap() + start;
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join(".firedrill.toml"), &readme[start..end]).unwrap();
    std::fs::create_dir_all(dir.path().join("docs/runbooks")).unwrap();
    std::fs::write(
        dir.path().join("docs/runbooks/index.md"),
        "# Runbooks\n\n| Alert | Section |\n| --- | --- |\n| FaultSignalHigh | [x](#fault-signal) |\n\n## Fault signal\n",
    )
    .unwrap();
    // `[alertmanager] config`: lint reads it too (and finds nothing in it).
    std::fs::create_dir_all(dir.path().join("deploy")).unwrap();
    std::fs::write(
        dir.path().join("deploy/alertmanager.yml"),
        "route:\n  receiver: oncall-pagerduty\nreceivers:\n  - name: oncall-pagerduty\n    pagerduty_configs: [{routing_key: x}]\n",
    )
    .unwrap();
    let rules = dir.path().join("rules");
    std::fs::create_dir_all(&rules).unwrap();
    let faults = "groups:\n- name: faults\n  rules:\n  - alert: FaultSignalHigh\n    expr: fault_signal > 5\n    for: 1m\n    labels: {severity: warning}\n    annotations: {summary: s, description: d, runbook_url: 'https://runbooks.example.com/index#fault-signal'}\n";
    // `[lint] baseline`: written when the rule still had its team.
    std::fs::write(
        rules.join("faults.yaml"),
        faults.replace("severity: warning", "severity: warning, team: db"),
    )
    .unwrap();
    let out = firedrill_in(
        &rules,
        &[
            "lint",
            "faults.yaml",
            "--write-baseline",
            "../.firedrill-baseline.json",
        ],
    );
    assert!(
        stdout(&out).contains("0 findings baselined"),
        "{}",
        stderr(&out)
    );
    std::fs::write(rules.join("faults.yaml"), faults).unwrap();
    // Run from the rules folder: the config is found above it, its paths resolved beside it.
    let out = firedrill_in(&rules, &["lint", "--format=json", "faults.yaml"]);
    let json: serde_json::Value =
        serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", stderr(&out)));
    let messages: Vec<&str> = json["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["message"].as_str().unwrap())
        .collect();
    assert_eq!(
        messages,
        ["alert has no `team` label, which .firedrill.toml requires"],
        "{json}"
    );
    assert_eq!(json["summary"]["baseline"]["baselined"], 0, "{json}");
}
