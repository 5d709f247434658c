//! Helpers shared by the end-to-end tests: run the real binary.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

pub mod alertmanager;
pub mod git;
pub mod measure;
pub mod mock;
pub mod prometheus;
pub mod promqltest;
pub mod rng;
pub mod tls;
pub mod tools;
pub mod victoria;

/// Real public rule files and runbooks, vendored with their sources and
/// licenses (tests/corpus/SOURCES.md), so a clone alone runs every test.
pub fn corpus() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus")
}

pub fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures")
}

pub fn firedrill(args: &[&str]) -> Output {
    firedrill_stdin(args, None)
}

pub fn firedrill_stdin(args: &[&str], stdin: Option<&[u8]>) -> Output {
    firedrill_with(args, stdin, &[])
}

/// The binary with extra environment variables (`COLUMNS`, say). Piped, and
/// without the caller's `COLUMNS`, output is never wrapped.
pub fn firedrill_with(args: &[&str], stdin: Option<&[u8]>, env: &[(&str, &str)]) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_firedrill"))
        .args(args)
        .env_remove("COLUMNS")
        .envs(env.iter().copied())
        .env("NO_COLOR", "1")
        // Test traffic stays on loopback even where a proxy is configured.
        .env("NO_PROXY", "127.0.0.1,localhost")
        .env("no_proxy", "127.0.0.1,localhost")
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run firedrill");
    if let Some(bytes) = stdin {
        child.stdin.take().unwrap().write_all(bytes).unwrap();
    }
    child.wait_with_output().unwrap()
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// `lint --format json` on the paths, parsed.
/// Leaves out the hygiene catalogue (policy checks such as required labels),
/// for tests about where structural findings point.
#[allow(dead_code)]
pub const STRUCTURE_ONLY: &str = "--ignore=alert,group,rule/name,promql/rate-window,promql/regex,promql/absent-labels,promql/counter,suppression";

pub fn lint_json(args: &[&str]) -> (i32, serde_json::Value) {
    let mut all = vec!["lint", "--format", "json"];
    all.extend_from_slice(args);
    let out = firedrill(&all);
    let code = out.status.code().expect("exit code");
    let json = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "bad JSON ({e}); stdout: {} stderr: {}",
            stdout(&out),
            stderr(&out)
        )
    });
    (code, json)
}

/// Lints one recording rule per expression, in one file; the `(check,
/// message)` findings of each, by its index.
pub fn lint_expressions<E: AsRef<str>>(
    exprs: &[E],
    flags: &[&str],
) -> BTreeMap<usize, Vec<(String, String)>> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("rules.yaml");
    let mut text = String::from("groups:\n- name: g\n  rules:\n");
    for (i, expr) in exprs.iter().enumerate() {
        text.push_str(&format!(
            "  - record: x:y:r{i}\n    expr: '{}'\n",
            expr.as_ref().replace('\'', "''")
        ));
    }
    std::fs::write(&path, text).unwrap();
    let mut args: Vec<&str> = flags.to_vec();
    args.push(path.to_str().unwrap());
    let (_, json) = lint_json(&args);
    let mut found: BTreeMap<usize, Vec<(String, String)>> = BTreeMap::new();
    for d in json["diagnostics"].as_array().unwrap() {
        // Rule i's `expr:` is on line 5 + 2i.
        let line = d["line"].as_u64().unwrap() as usize;
        found.entry((line - 5) / 2).or_default().push((
            d["check"].as_str().unwrap().to_string(),
            d["message"].as_str().unwrap().to_string(),
        ));
    }
    found
}

/// `(check, line, column)` of every diagnostic.
pub fn findings(json: &serde_json::Value) -> Vec<(String, u64, u64)> {
    json["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["check"].as_str().unwrap().to_string(),
                d["line"].as_u64().unwrap(),
                d["column"].as_u64().unwrap(),
            )
        })
        .collect()
}
