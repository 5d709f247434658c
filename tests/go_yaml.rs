//! YAML as go-yaml v3 reads it: Prometheus loads rule files with go-yaml,
//! which is more lenient than the YAML 1.2 spec in places real files rely on,
//! and stricter in others. Each case is a rule file; promtool (Debian package
//! `prometheus`) gives Prometheus's verdict, and firedrill must give the same
//! (and, where it accepts, read the same values).

mod common;

use std::process::Command;

use common::*;

/// (what the case shows, rule file text)
fn cases() -> Vec<(&'static str, String)> {
    let rule = |annotations: &str| {
        format!("groups:\n- name: g\n  rules:\n  - alert: A\n    expr: up == 0\n    annotations:\n{annotations}")
    };
    vec![
        (
            "double-quoted continuation at its key's indentation",
            rule("      description: \"first line,\n      continued at the key's indentation\"\n"),
        ),
        (
            "double-quoted continuation at column 0",
            rule("      description: \"first line,\ncontinued at column 0\"\n"),
        ),
        (
            "single-quoted continuation left of its key",
            rule("      description: 'first line,\n  continued left of the key'\n"),
        ),
        (
            "double-quoted continuation with an escaped quote and a blank line",
            rule("      description: \"say \\\"hi\\\",\n\n    then go\"\n"),
        ),
        (
            "a document marker at column 0 inside a quoted scalar",
            rule("      description: \"first line,\n---\n      more\"\n"),
        ),
        (
            "a document end marker at column 0 inside a quoted scalar",
            rule("      description: 'first line,\n...\n      more'\n"),
        ),
        (
            "plain multi-line continuation at its key's indentation",
            rule("      description: first line\n      continued\n"),
        ),
        (
            "plain multi-line continuation deeper than its key",
            rule("      description: first line\n        continued\n"),
        ),
        (
            "a tab in indentation",
            rule("      description: x\n\t  summary: y\n"),
        ),
        ("a byte order mark", format!("\u{feff}{}", rule("      summary: s\n"))),
        (
            "YAML 1.1 words as label values",
            "groups:\n- name: g\n  rules:\n  - alert: A\n    expr: up == 0\n    labels:\n      page: yes\n      night: on\n      tiny: 0x1F\n".to_string(),
        ),
        (
            "a backslash-quote escape in a double-quoted scalar",
            rule("      description: \"it\\'s down\"\n"),
        ),
        (
            "an escape neither YAML nor go-yaml knows",
            rule("      description: \"path \\d\"\n"),
        ),
        (
            "a mapping key repeated",
            rule("      summary: a\n      summary: b\n"),
        ),
        (
            "a simple key over 1024 characters",
            rule(&format!("      {}: long\n", "k".repeat(1100))),
        ),
    ]
}

fn promtool_accepts(dir: &std::path::Path) -> (bool, String) {
    let out = Command::new("promtool")
        .args(["check", "rules", "rules.yaml"])
        .current_dir(dir)
        .output()
        .unwrap();
    (
        out.status.success(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

#[test]
fn every_case_gets_prometheus_verdict() {
    common::tools::require("promtool", "prometheus");
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("rules.yaml");
    let mut differ = Vec::new();
    for (what, text) in cases() {
        std::fs::write(&path, &text).unwrap();
        let (prometheus, said) = promtool_accepts(dir.path());
        let (_, json) = lint_json(&[
            "--select=yaml,structure,promql/syntax",
            path.to_str().unwrap(),
        ]);
        let errors: Vec<String> = json["diagnostics"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|d| d["severity"] == "error")
            .map(|d| format!("{}:{} {}", d["line"], d["column"], d["message"]))
            .collect();
        let firedrill = errors.is_empty();
        if firedrill != prometheus {
            differ.push(format!(
                "{what}: promtool {}, firedrill {}\n{text}\npromtool: {said}\nfiredrill: {errors:?}",
                verdict(prometheus),
                verdict(firedrill)
            ));
        }
    }
    assert!(differ.is_empty(), "{}", differ.join("\n\n"));
}

fn verdict(accepts: bool) -> &'static str {
    if accepts {
        "accepts"
    } else {
        "refuses"
    }
}

/// Where go-yaml accepts a quoted scalar the spec refuses, the value is the
/// one go-yaml reads (line breaks fold to a space, leading blanks dropped),
/// and positions still point into the file as written.
#[test]
fn a_leniently_indented_quoted_scalar_reads_as_go_yaml_reads_it() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("rules.yaml");
    let text = "groups:\n- name: g\n  rules:\n  - alert: A\n    expr: sum by (job) (up) == 0\n    annotations:\n      summary: \"{{ $labels.job }} is down,\n      and {{ $labels.instance }} too\"\n";
    std::fs::write(&path, text).unwrap();
    let (_, json) = lint_json(&["--select=alert/template", path.to_str().unwrap()]);
    let found = json["diagnostics"].as_array().unwrap();
    assert_eq!(found.len(), 1, "{json}");
    // `$labels.instance`, on line 8 as written, at its column.
    assert_eq!(
        (found[0]["line"].as_u64(), found[0]["column"].as_u64()),
        (Some(8), Some(14)),
        "{json}"
    );
}
