//! The CI formats (SARIF, Checkstyle, JUnit, GitHub) carry exactly the
//! findings of the JSON format, at the same places, in well-formed output;
//! `--fail-on` gives the same exit status whatever the format.

mod common;

use std::collections::BTreeSet;

use common::{firedrill, lint_json, stdout};
use quick_xml::events::Event;
use quick_xml::Reader;

/// Two errors (PromQL syntax, an unknown field) and a warning (a duplicate rule).
const RULES: &str = "groups:
- name: g
  rules:
  - alert: Broken
    expr: rate(http_requests_total[5m] > 1
    labels: {severity: warning}
    annotations: {summary: s, description: d}
  - alert: Typo
    expr: up == 0
    fro: 5m
    labels: {severity: warning}
    annotations: {summary: s, description: d}
  - alert: Twice
    expr: up == 0
    labels: {severity: warning}
    annotations: {summary: s, description: d}
  - alert: Twice
    expr: up == 0
    labels: {severity: warning}
    annotations: {summary: s, description: d}
";

type Place = (String, String, u64, u64);

fn setup() -> (tempfile::TempDir, String, BTreeSet<Place>) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("rules & <more>.yml");
    std::fs::write(&path, RULES).unwrap();
    let path = path.display().to_string();
    let (code, json) = lint_json(&[&path]);
    assert_eq!(code, 1);
    let expected: BTreeSet<Place> = json["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["check"].as_str().unwrap().to_string(),
                d["file"].as_str().unwrap().to_string(),
                d["line"].as_u64().unwrap(),
                d["column"].as_u64().unwrap(),
            )
        })
        .collect();
    let checks: BTreeSet<&str> = expected.iter().map(|p| p.0.as_str()).collect();
    assert!(
        checks.contains("promql/syntax")
            && checks.contains("structure/unknown-field")
            && checks.contains("rule/duplicate"),
        "{expected:?}"
    );
    (dir, path, expected)
}

fn attributes(e: &quick_xml::events::BytesStart) -> Vec<(String, String)> {
    e.attributes()
        .map(|a| {
            let a = a.expect("well-formed attribute");
            (
                String::from_utf8(a.key.as_ref().to_vec()).unwrap(),
                a.unescape_value().expect("valid escapes").into_owned(),
            )
        })
        .collect()
}

/// Every start/empty element with its attributes; panics unless the whole
/// document is well-formed.
fn elements(xml: &str) -> Vec<(String, Vec<(String, String)>)> {
    let mut reader = Reader::from_str(xml);
    let mut out = Vec::new();
    let mut depth = 0i32;
    loop {
        match reader.read_event().expect("well-formed XML") {
            Event::Start(e) => {
                depth += 1;
                out.push((
                    String::from_utf8(e.name().as_ref().to_vec()).unwrap(),
                    attributes(&e),
                ));
            }
            Event::Empty(e) => {
                out.push((
                    String::from_utf8(e.name().as_ref().to_vec()).unwrap(),
                    attributes(&e),
                ));
            }
            Event::End(_) => depth -= 1,
            Event::Eof => break,
            _ => {}
        }
    }
    assert_eq!(depth, 0, "unbalanced XML");
    out
}

fn get<'a>(attrs: &'a [(String, String)], key: &str) -> &'a str {
    attrs
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
        .unwrap_or_else(|| panic!("no attribute {key} in {attrs:?}"))
}

#[test]
fn sarif_carries_every_finding_with_its_rule() {
    let (_dir, path, expected) = setup();
    let out = firedrill(&["lint", "--format", "sarif", &path]);
    assert_eq!(out.status.code(), Some(1));
    let log: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(log["version"], "2.1.0");
    let run = &log["runs"][0];
    let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
    let ids: Vec<&str> = rules.iter().map(|r| r["id"].as_str().unwrap()).collect();
    let mut got = BTreeSet::new();
    for r in run["results"].as_array().unwrap() {
        let id = r["ruleId"].as_str().unwrap();
        assert_eq!(ids[r["ruleIndex"].as_u64().unwrap() as usize], id);
        assert!(["error", "warning", "note"].contains(&r["level"].as_str().unwrap()));
        assert!(!r["message"]["text"].as_str().unwrap().is_empty());
        let location = &r["locations"][0]["physicalLocation"];
        let uri = location["artifactLocation"]["uri"].as_str().unwrap();
        assert!(
            !uri.contains(['<', '>', ' ', '&']),
            "not a URI reference: {uri}"
        );
        got.insert((
            id.to_string(),
            path.clone(),
            location["region"]["startLine"].as_u64().unwrap(),
            location["region"]["startColumn"].as_u64().unwrap(),
        ));
    }
    assert_eq!(got, expected);
}

#[test]
fn checkstyle_carries_every_finding() {
    let (_dir, path, expected) = setup();
    let out = firedrill(&["lint", "--format", "checkstyle", &path]);
    assert_eq!(out.status.code(), Some(1));
    let mut file = String::new();
    let mut got = BTreeSet::new();
    for (name, attrs) in elements(&stdout(&out)) {
        match name.as_str() {
            "file" => file = get(&attrs, "name").to_string(),
            "error" => {
                got.insert((
                    get(&attrs, "source")
                        .trim_start_matches("firedrill.")
                        .to_string(),
                    file.clone(),
                    get(&attrs, "line").parse().unwrap(),
                    get(&attrs, "column").parse().unwrap(),
                ));
            }
            _ => {}
        }
    }
    assert_eq!(got, expected);
}

#[test]
fn junit_has_a_failed_case_per_finding_and_a_passing_case_when_clean() {
    let (dir, path, expected) = setup();
    let out = firedrill(&["lint", "--format", "junit", &path]);
    assert_eq!(out.status.code(), Some(1));
    let found = elements(&stdout(&out));
    let cases = found.iter().filter(|(n, _)| n == "testcase").count();
    let failures: Vec<_> = found.iter().filter(|(n, _)| n == "failure").collect();
    assert_eq!(cases, expected.len());
    assert_eq!(failures.len(), expected.len());
    let suites = &found.iter().find(|(n, _)| n == "testsuites").unwrap().1;
    assert_eq!(get(suites, "failures"), expected.len().to_string());

    let clean = dir.path().join("clean.yml");
    std::fs::write(
        &clean,
        "groups:\n- name: g\n  rules:\n  - record: job:up:sum\n    expr: sum by (job) (up)\n",
    )
    .unwrap();
    let out = firedrill(&["lint", "--format", "junit", clean.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0));
    let clean_found = elements(&stdout(&out));
    assert_eq!(
        clean_found.iter().filter(|(n, _)| n == "testcase").count(),
        1
    );
    assert!(clean_found.iter().all(|(n, _)| n != "failure"));
}

#[test]
fn fail_on_gives_the_same_status_in_every_format() {
    let (dir, _, _) = setup();
    // Only a warning (a duplicate rule).
    let warn = dir.path().join("warn.yml");
    std::fs::write(
        &warn,
        "groups:\n- name: g\n  rules:\n  - alert: Twice\n    expr: up == 0\n  - alert: Twice\n    expr: up == 0\n",
    )
    .unwrap();
    let warn = warn.to_str().unwrap();
    for format in ["human", "json", "github", "sarif", "checkstyle", "junit"] {
        let default = firedrill(&["lint", "--format", format, warn]);
        assert_eq!(default.status.code(), Some(0), "{format}");
        let strict = firedrill(&["lint", "--format", format, "--fail-on", "warning", warn]);
        assert_eq!(strict.status.code(), Some(1), "{format}");
    }
}

/// Validates with a real validator (Debian packages python3-jsonschema and
/// libxml2-utils).
fn validate(program: &str, args: &[&str]) -> (bool, String) {
    if program == "xmllint" {
        common::tools::require("xmllint", "libxml2-utils");
    }
    let out = std::process::Command::new(program)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("could not run {program}: {e}"));
    let text =
        String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    (out.status.success(), text)
}

/// The Python that has jsonschema: Debian's, or the one on PATH.
fn python() -> &'static str {
    common::tools::python_with("jsonschema", "python3-jsonschema")
}

fn schema(name: &str) -> String {
    format!("{}/fixtures/schemas/{name}", env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn sarif_and_junit_are_valid_against_their_schemas() {
    let (dir, path, _) = setup();
    let clean = dir.path().join("clean.yml");
    std::fs::write(
        &clean,
        "groups:\n- name: g\n  rules:\n  - record: job:up:sum\n    expr: sum by (job) (up)\n",
    )
    .unwrap();
    for (name, target) in [
        ("findings", path.as_str()),
        ("clean", clean.to_str().unwrap()),
    ] {
        let sarif = dir.path().join(format!("{name}.sarif"));
        std::fs::write(
            &sarif,
            stdout(&firedrill(&["lint", "--format", "sarif", target])),
        )
        .unwrap();
        let (ok, text) = validate(
            python(),
            &[
                "-c",
                "import json, sys, jsonschema\n\
                 schema = json.load(open(sys.argv[1]))\n\
                 log = json.load(open(sys.argv[2]))\n\
                 jsonschema.validators.validator_for(schema)(schema).validate(log)\n\
                 print(len(log['runs'][0]['results']), 'results valid')",
                &schema("sarif-2.1.0.json"),
                sarif.to_str().unwrap(),
            ],
        );
        assert!(
            ok,
            "{name}: SARIF is not valid against the 2.1.0 schema:\n{text}"
        );

        let junit = dir.path().join(format!("{name}.xml"));
        std::fs::write(
            &junit,
            stdout(&firedrill(&["lint", "--format", "junit", target])),
        )
        .unwrap();
        let (ok, text) = validate(
            "xmllint",
            &[
                "--noout",
                "--schema",
                &schema("junit.xsd"),
                junit.to_str().unwrap(),
            ],
        );
        assert!(
            ok,
            "{name}: JUnit is not valid against Jenkins' junit-10.xsd:\n{text}"
        );
    }

    // The validators do refuse what breaks the schemas.
    let broken = dir.path().join("broken.sarif");
    std::fs::write(
        &broken,
        r#"{"version": "2.1.0", "runs": [{"results": []}]}"#,
    )
    .unwrap();
    let (ok, _) = validate(
        python(),
        &[
            "-c",
            "import json, sys, jsonschema\n\
             schema = json.load(open(sys.argv[1]))\n\
             jsonschema.validators.validator_for(schema)(schema).validate(json.load(open(sys.argv[2])))",
            &schema("sarif-2.1.0.json"),
            broken.to_str().unwrap(),
        ],
    );
    assert!(!ok, "a run without its tool must be refused");
    let broken = dir.path().join("broken.xml");
    std::fs::write(
        &broken,
        r#"<testsuites><testsuite name="x"><testcase/></testsuite></testsuites>"#,
    )
    .unwrap();
    let (ok, _) = validate(
        "xmllint",
        &[
            "--noout",
            "--schema",
            &schema("junit.xsd"),
            broken.to_str().unwrap(),
        ],
    );
    assert!(!ok, "a suite without counts must be refused");
}
