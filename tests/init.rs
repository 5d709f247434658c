//! `firedrill init` on real rule sets (tests/corpus): the configuration it
//! writes parses, and `lint` with it finds exactly what its evidence
//! comments promise: "`team`: 31 of 33 alerts carry it" is two findings of
//! an alert without `team`, and a severity value it left out as used once
//! is one finding of a value not allowed. It never overwrites a
//! configuration unless told, never touches a rule file, and writes nothing
//! where there are no rules.

mod common;

use std::collections::BTreeMap;
use std::path::Path;

use common::*;

/// One promise of the written file: the check, the key, and how many alerts
/// lack it.
#[derive(Debug, PartialEq, Eq, PartialOrd, Ord, Clone)]
struct Promise {
    check: String,
    key: String,
    missing: u64,
}

/// The promises of a written configuration: its evidence comments under
/// each `[checks."..."]` table, and the severity values it left out.
fn promises(text: &str) -> (Vec<Promise>, Vec<String>) {
    let mut check = String::new();
    let mut out = Vec::new();
    let mut left_out = Vec::new();
    for line in text.lines() {
        if let Some(table) = line.strip_prefix("[checks.\"") {
            check = table.trim_end_matches("\"]").to_string();
            continue;
        }
        if let Some(values) = line.strip_prefix("# Used by one alert each, left out (a typo?): ") {
            left_out.extend(values.trim_end_matches('.').split(", ").map(str::to_string));
            continue;
        }
        // "# `team`: 31 of 33 ... alerts carry it (2 do not)."
        let Some(rest) = line.strip_prefix("# `") else {
            continue;
        };
        let Some((key, rest)) = rest.split_once("`: ") else {
            continue;
        };
        let mut words = rest.split(' ');
        let (Some(n), Some("of"), Some(m)) = (words.next(), words.next(), words.next()) else {
            continue;
        };
        if check.is_empty() || !rest.contains("carry it") {
            continue;
        }
        let (n, m): (u64, u64) = (n.parse().unwrap(), m.parse().unwrap());
        out.push(Promise {
            check: check.clone(),
            key: key.to_string(),
            missing: m - n,
        });
    }
    (out, left_out)
}

/// What lint with the configuration found, as promises: per check and key,
/// how many alerts lack it.
fn found(json: &serde_json::Value) -> (BTreeMap<(String, String), u64>, Vec<String>) {
    let mut missing: BTreeMap<(String, String), u64> = BTreeMap::new();
    let mut not_allowed = Vec::new();
    for d in json["diagnostics"].as_array().unwrap() {
        let check = d["check"].as_str().unwrap();
        let message = d["message"].as_str().unwrap();
        if let Some(rest) = message.strip_prefix("alert has no ") {
            if !rest.contains(".firedrill.toml requires") {
                continue;
            }
            let names = rest.split(", which").next().unwrap();
            for key in names.split('`').skip(1).step_by(2) {
                *missing
                    .entry((check.to_string(), key.to_string()))
                    .or_default() += 1;
            }
        }
        if message.ends_with("is not one of the allowed values")
            || message.contains("` is not one of the allowed values")
        {
            let value = message
                .trim_start_matches("`severity: ")
                .split('`')
                .next()
                .unwrap();
            not_allowed.push(value.to_string());
        }
    }
    (missing, not_allowed)
}

#[test]
fn lint_with_the_written_configuration_finds_what_its_comments_promise() {
    let mut checked = 0;
    for folder in [
        "kube-prometheus",
        "thanos-mixin",
        "awesome-prometheus-alerts",
        "openshift-cluster-monitoring-operator",
        "community-rules/wikimedia",
        "community-rules/jsonnet-libs",
        "community-rules/cloudnative-pg",
        "recording-chains/seznam-slo-exporter",
    ] {
        let dir = tempfile::tempdir().unwrap();
        let config = dir.path().join(".firedrill.toml");
        let rules = corpus().join(folder);
        let rules = rules.to_str().unwrap();
        let out = firedrill(&["init", rules, "--output", config.to_str().unwrap()]);
        assert_eq!(out.status.code(), Some(0), "{folder}: {}", stderr(&out));
        let text = std::fs::read_to_string(&config).unwrap();
        let (promised, left_out) = promises(&text);
        assert!(!promised.is_empty(), "{folder}: promises nothing:\n{text}");
        let (code, json) = lint_json(&[
            "--config",
            config.to_str().unwrap(),
            "--select",
            "alert/labels,alert/annotations",
            rules,
        ]);
        assert!(code == 0 || code == 1, "{folder}: {json}");
        let (missing, mut not_allowed) = found(&json);
        for p in &promised {
            let got = missing
                .get(&(p.check.clone(), p.key.clone()))
                .copied()
                .unwrap_or(0);
            assert_eq!(
                got, p.missing,
                "{folder}: the file promises {} alerts without `{}` ({}), lint found {got}\n{text}",
                p.missing, p.key, p.check
            );
            checked += 1;
        }
        not_allowed.sort();
        let mut left_out = left_out;
        left_out.sort();
        assert_eq!(not_allowed, left_out, "{folder}\n{text}");
    }
    assert!(checked > 20, "only {checked} promises checked");
}

#[test]
fn init_never_overwrites_and_never_touches_a_rule_file() {
    let dir = tempfile::tempdir().unwrap();
    let rules = dir.path().join("rules");
    std::fs::create_dir(&rules).unwrap();
    for entry in std::fs::read_dir(corpus().join("kube-prometheus")).unwrap() {
        let path = entry.unwrap().path();
        std::fs::copy(&path, rules.join(path.file_name().unwrap())).unwrap();
    }
    let before: BTreeMap<String, Vec<u8>> = std::fs::read_dir(&rules)
        .unwrap()
        .map(|e| {
            let p = e.unwrap().path();
            (p.display().to_string(), std::fs::read(&p).unwrap())
        })
        .collect();
    let config = dir.path().join(".firedrill.toml");
    std::fs::write(&config, "[lint]\nenable = [\"alert/for\"]\n").unwrap();
    let run = |args: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_firedrill"))
            .current_dir(dir.path())
            .args(args)
            .output()
            .unwrap()
    };
    // An existing configuration stays, unless --force.
    let out = run(&["init", "rules"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("--force"), "{}", stderr(&out));
    assert_eq!(
        std::fs::read_to_string(&config).unwrap(),
        "[lint]\nenable = [\"alert/for\"]\n"
    );
    let out = run(&["init", "rules", "--force"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = std::fs::read_to_string(&config).unwrap();
    assert!(
        text.starts_with("# .firedrill.toml, written by `firedrill init rules`"),
        "{text}"
    );
    // Found from the working directory, it configures lint there.
    let out = run(&["lint", "rules"]);
    assert!(
        out.status.code() == Some(0) || out.status.code() == Some(1),
        "{}",
        stderr(&out)
    );
    // No rule file was written.
    for (path, bytes) in &before {
        assert_eq!(&std::fs::read(path).unwrap(), bytes, "{path} changed");
    }
    assert_eq!(std::fs::read_dir(&rules).unwrap().count(), before.len());

    // Where there are no rules, nothing is written, and it says so.
    let empty = dir.path().join("docs");
    std::fs::create_dir(&empty).unwrap();
    std::fs::write(empty.join("values.yaml"), "replicas: 2\n").unwrap();
    let out = run(&["init", "docs", "--output", "docs/.firedrill.toml"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("no rule files under docs"),
        "{}",
        stderr(&out)
    );
    assert!(!Path::new(&empty.join(".firedrill.toml")).exists());
}

#[test]
fn generated_files_are_named_and_left_for_the_team_to_exclude() {
    // Sloth's output says it is generated; the excluded file is then not linted.
    let dir = tempfile::tempdir().unwrap();
    let rules = dir.path().join("rules");
    std::fs::create_dir(&rules).unwrap();
    std::fs::copy(
        corpus().join("recording-chains/sloth-getting-started.yml"),
        rules.join("sloth.yml"),
    )
    .unwrap();
    std::fs::copy(
        corpus().join("kube-prometheus/grafana-prometheusRule.yaml"),
        rules.join("grafana.yaml"),
    )
    .unwrap();
    let run = |args: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_firedrill"))
            .current_dir(dir.path())
            .args(args)
            .output()
            .unwrap()
    };
    let out = run(&["init", "rules"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = std::fs::read_to_string(dir.path().join(".firedrill.toml")).unwrap();
    assert!(text.contains("# exclude = [\"rules/sloth.yml\"]"), "{text}");
    // Confirmed by the team (uncommented), lint leaves the file out.
    std::fs::write(
        dir.path().join(".firedrill.toml"),
        text.replace("# exclude = ", "exclude = "),
    )
    .unwrap();
    let out = run(&["lint", "rules", "--format", "json"]);
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["summary"]["files"], 1, "{json}");
}
