//! Hostile inputs, as a pull request could carry them: each must end with a
//! clear diagnostic at its place (or be read as valid), a normal exit status,
//! bounded memory, and no hang. Peak memory comes from `wait4` for the one
//! child; a watchdog turns a hang into a failure. Time is measured by
//! `cargo bench --bench adversarial`, not asserted here; the measurements
//! print with `--nocapture` for docs/reliability.md.

mod common;

use std::path::{Path, PathBuf};
use std::time::Duration;

use common::measure::{self, Measured};
use serde_json::Value;

/// Far above any case's normal time: only a hang gets here.
const HANG: Duration = Duration::from_secs(30);
/// A process that reads a few MB of input needs no more.
const RSS_MIB: f64 = 256.0;

struct Case {
    dir: tempfile::TempDir,
}

impl Case {
    fn new() -> Case {
        Case {
            dir: tempfile::tempdir().unwrap(),
        }
    }

    fn file(&self, name: &str, bytes: impl AsRef<[u8]>) -> PathBuf {
        let path = self.dir.path().join(name);
        std::fs::write(&path, bytes).unwrap();
        path
    }
}

fn lint(name: &str, path: &Path, extra: &[&str]) -> (Measured, Option<Value>) {
    let mut args = vec![
        "lint",
        "--config=/dev/null",
        "--format=json",
        path.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    let m = measure::run(&args, None, HANG);
    report(name, &m);
    let json = serde_json::from_str(&m.stdout).ok();
    (m, json)
}

fn report(name: &str, m: &Measured) {
    eprintln!(
        "adversarial\t{name}\t{:.3} s\t{:.1} MiB\texit {:?}",
        m.wall.as_secs_f64(),
        m.peak_rss_mib,
        m.code
    );
    assert!(
        m.code.is_some(),
        "{name}: hung, or killed by a signal: {}",
        m.show()
    );
    assert!(
        matches!(m.code, Some(0..=2)),
        "{name}: exit status outside 0-2 (a panic?): {}",
        m.show()
    );
    assert!(
        !m.stderr.contains("panicked"),
        "{name}: panicked: {}",
        m.show()
    );
    assert!(
        m.peak_rss_mib < RSS_MIB,
        "{name}: peak memory {:.0} MiB: {}",
        m.peak_rss_mib,
        m.show()
    );
}

/// The one finding of `check`, with its line and column.
fn finding<'a>(json: &'a Option<Value>, check: &str) -> &'a Value {
    let json = json.as_ref().expect("JSON output");
    let found: Vec<&Value> = json["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["check"] == check)
        .collect();
    assert_eq!(found.len(), 1, "{check}: {json:#}");
    found[0]
}

fn place(d: &Value) -> (u64, u64) {
    (d["line"].as_u64().unwrap(), d["column"].as_u64().unwrap())
}

fn rule(expr: &str) -> String {
    format!(
        "groups:\n- name: g\n  rules:\n  - alert: A\n    expr: {expr}\n    labels:\n      severity: warning\n    annotations:\n      summary: s\n      description: d\n"
    )
}

#[test]
fn a_yaml_alias_bomb_is_refused_at_the_alias() {
    let case = Case::new();
    let mut text = String::from("a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n");
    for i in 1..10 {
        let refs = vec![format!("*a{}", i - 1); 10].join(", ");
        text.push_str(&format!("a{i}: &a{i} [{refs}]\n"));
    }
    text.push_str("groups: []\n");
    let path = case.file("bomb.yaml", &text);
    let (m, json) = lint("alias bomb (10^10 nodes)", &path, &[]);
    assert_eq!(m.code, Some(1), "{}", m.show());
    let d = finding(&json, "yaml/parse");
    assert!(d["message"].as_str().unwrap().contains("alias bomb"), "{d}");
    // Expansion passes the budget on one of the later lines' aliases.
    assert!(place(d).0 >= 2, "{d}");
}

#[test]
fn a_100_mb_rule_file_is_refused_before_it_is_read() {
    let case = Case::new();
    let one = rule("sum by (job) (rate(http_requests_total{code=~\"5..\"}[5m])) > 0.05");
    let body = one.strip_prefix("groups:\n").unwrap();
    let text = format!(
        "groups:\n{}",
        body.repeat(100 * 1024 * 1024 / body.len() + 1)
    );
    assert!(text.len() > 100 * 1024 * 1024);
    let path = case.file("huge.yaml", &text);
    let (m, _) = lint("100 MB rule file", &path, &[]);
    assert_eq!(m.code, Some(2), "{}", m.show());
    assert!(m.stderr.contains("huge.yaml"), "{}", m.show());
    assert!(m.stderr.contains("larger than 8 MiB"), "{}", m.show());
    // The same bytes on standard input: read up to the limit, then refused.
    let m = measure::run(&["lint", "--config=/dev/null", "-"], Some(&path), HANG);
    report("100 MB on stdin", &m);
    assert_eq!(m.code, Some(2), "{}", m.show());
    assert!(m.stderr.contains("larger than 8 MiB"), "{}", m.show());
}

#[test]
fn many_files_each_under_the_limit_are_refused_together_before_any_is_read() {
    // Nine files of 7.5 MiB: each is allowed, together they pass 64 MiB.
    // Sparse files: the refusal comes from their sizes, before reading.
    let case = Case::new();
    for i in 0..9 {
        let file = std::fs::File::create(case.dir.path().join(format!("part{i}.yaml"))).unwrap();
        file.set_len(15 * 512 * 1024).unwrap();
    }
    let (m, json) = lint("9 files of 7.5 MiB", case.dir.path(), &[]);
    assert_eq!(m.code, Some(2), "{}", m.show());
    assert!(json.is_none(), "no partial report: {}", m.show());
    assert!(
        m.stderr
            .contains("9 files hold 67 MiB of rules, more than the 64 MiB"),
        "{}",
        m.show()
    );
}

#[test]
fn a_rule_file_just_under_the_limit_is_read_whole() {
    // Not hostile, just big: 7 MB of real-looking rules, every one checked.
    let case = Case::new();
    let mut text = String::from("groups:\n- name: big\n  rules:\n");
    let mut n = 0;
    while text.len() < 7 * 1024 * 1024 {
        text.push_str(&format!(
            "  - alert: HighErrorRate{n}\n    expr: sum by (job) (rate(http_requests_total{{code=~\"5..\",job=\"api{n}\"}}[5m])) > 0.05\n    for: 10m\n    labels:\n      severity: warning\n    annotations:\n      summary: Errors on {{{{ $labels.job }}}}\n      description: '{{{{ $value | humanizePercentage }}}} fail.'\n"
        ));
        n += 1;
    }
    let path = case.file("big.yaml", &text);
    let m = measure::run(
        &[
            "lint",
            "--config=/dev/null",
            "--format=json",
            path.to_str().unwrap(),
        ],
        None,
        HANG,
    );
    // Memory grows with the rules read: this one may use more than the
    // hostile cases, but stays bounded by the file-size limit.
    eprintln!(
        "adversarial\t7 MB valid rule file ({n} rules)\t{:.3} s\t{:.1} MiB\texit {:?}",
        m.wall.as_secs_f64(),
        m.peak_rss_mib,
        m.code
    );
    assert_eq!(m.code, Some(0), "{}", m.show());
    assert!(m.peak_rss_mib < 1024.0, "{}", m.show());
    let json: Value = serde_json::from_str(&m.stdout).unwrap();
    assert_eq!(json["summary"]["rules"], n);
}

#[test]
fn yaml_nested_10000_deep_is_refused_where_it_passes_the_limit() {
    let case = Case::new();
    let flow = case.file(
        "flow.yaml",
        format!("{}{}\n", "[".repeat(10_000), "]".repeat(10_000)),
    );
    let (m, json) = lint("YAML flow nesting 10,000 deep", &flow, &[]);
    assert_eq!(m.code, Some(1), "{}", m.show());
    assert_eq!(place(finding(&json, "yaml/parse")).0, 1);

    let block = case.file("block.yaml", format!("{}x\n", "- ".repeat(10_000)));
    let (m, json) = lint("YAML block nesting 10,000 deep", &block, &[]);
    assert_eq!(m.code, Some(1), "{}", m.show());
    let d = finding(&json, "yaml/parse");
    assert!(
        d["message"].as_str().unwrap().contains("deeper than 256"),
        "{d}"
    );
    // Two characters per level: the 257th `- ` starts at column 513.
    assert_eq!(place(d), (1, 513));
}

#[test]
fn promql_nested_or_chained_10000_deep_is_refused_at_the_token() {
    let case = Case::new();
    let parens = format!("'{}up{} > 1'", "(".repeat(10_000), ")".repeat(10_000));
    let path = case.file("parens.yaml", rule(&parens));
    let (m, json) = lint("PromQL parentheses 10,000 deep", &path, &[]);
    assert_eq!(m.code, Some(1), "{}", m.show());
    let d = finding(&json, "promql/syntax");
    assert!(
        d["message"].as_str().unwrap().contains("deeper than 256"),
        "{d}"
    );
    // `    expr: '` is 11 columns; the 257th parenthesis is column 268.
    assert_eq!(place(d), (5, 268));

    let chain = format!("'{}'", vec!["up"; 100_000].join(" or "));
    let path = case.file("chain.yaml", rule(&chain));
    let (m, json) = lint("PromQL chain of 100,000 `or`", &path, &[]);
    assert_eq!(m.code, Some(1), "{}", m.show());
    let d = finding(&json, "promql/syntax");
    assert!(
        d["message"]
            .as_str()
            .unwrap()
            .contains("more than 1000 operators"),
        "{d}"
    );
    assert_eq!(place(d).0, 5);
}

#[test]
fn go_templates_nested_10000_deep_are_read() {
    let case = Case::new();
    let text = rule("up == 0").replace(
        "summary: s",
        &format!(
            "summary: '{}{{{{ $labels.job }}}}{}'",
            "{{ if . }}".repeat(10_000),
            "{{ end }}".repeat(10_000)
        ),
    );
    let path = case.file("template.yaml", text);
    let (m, json) = lint("Go template: 10,000 nested if", &path, &[]);
    // `up == 0` keeps `job`: nothing to report.
    assert_eq!(m.code, Some(0), "{} {json:?}", m.show());

    let unclosed = rule("up == 0").replace(
        "summary: s",
        &format!("summary: '{}x'", "{{ if . }}".repeat(10_000)),
    );
    let path = case.file("unclosed.yaml", unclosed);
    let (m, json) = lint("Go template: 10,000 unclosed if", &path, &[]);
    assert_eq!(m.code, Some(1), "{}", m.show());
    let d = finding(&json, "structure/template");
    assert_eq!(place(d).0, 9, "{d}");
}

#[test]
fn a_6_mb_line_is_read_and_a_finding_on_it_stays_short() {
    let case = Case::new();
    let value = "x".repeat(6 * 1024 * 1024);
    // A broken expression on the long line: the report must not echo 6 MB.
    let path = case.file("long.yaml", rule(&format!("'up{{job=\"{value}\"}} > > 1'")));
    let (m, json) = lint("6 MB line with a PromQL error", &path, &[]);
    assert_eq!(m.code, Some(1), "{}", m.show());
    assert_eq!(place(finding(&json, "promql/syntax")).0, 5);
    let human = measure::run(
        &["lint", "--config=/dev/null", path.to_str().unwrap()],
        None,
        HANG,
    );
    report("6 MB line, human output", &human);
    assert_eq!(human.code, Some(1));
    assert!(
        human.stdout.len() < 64 * 1024,
        "the human report is {} bytes long",
        human.stdout.len()
    );
}

#[test]
fn nul_bytes_invalid_utf8_and_tabs_are_reported_where_they_are() {
    let case = Case::new();
    let nul = case.file("nul.yaml", "groups:\n- name: a\0b\n  rules: []\n");
    let (m, json) = lint("NUL byte", &nul, &[]);
    assert_eq!(m.code, Some(1), "{}", m.show());
    assert_eq!(place(finding(&json, "yaml/parse")).0, 2);

    let mut bytes = rule("up == 0").into_bytes();
    let at = bytes.windows(7).position(|w| w == b"summary").unwrap();
    bytes[at + 2] = 0xff;
    let bad = case.file("latin1.yaml", &bytes);
    let (m, json) = lint("invalid UTF-8", &bad, &[]);
    assert_eq!(m.code, Some(1), "{}", m.show());
    let d = finding(&json, "yaml/parse");
    assert!(d["message"].as_str().unwrap().contains("UTF-8"), "{d}");
    // `      summary`: the bad byte is the third letter, column 9.
    assert_eq!(place(d), (9, 9));

    let tabs = case.file(
        "tabs.yaml",
        "groups:\n- name: g\n  rules:\n\t- alert: A\n\t  expr: up == 0\n",
    );
    let (m, json) = lint("tab indentation", &tabs, &[]);
    assert_eq!(m.code, Some(1), "{}", m.show());
    assert_eq!(place(finding(&json, "yaml/parse")).0, 4);
}

#[test]
fn a_bom_and_crlf_line_ends_read_as_the_same_rules() {
    let case = Case::new();
    // A finding on line 5 (bad duration) shows where it is, whatever the
    // line ends and a leading byte-order mark.
    let text = rule("up == 0").replace("    labels:", "    for: 5 minutes\n    labels:");
    let plain = case.file("plain.yaml", &text);
    let crlf = case.file("crlf.yaml", text.replace('\n', "\r\n"));
    let bom = case.file(
        "bom.yaml",
        format!("\u{feff}{}", text.replace('\n', "\r\n")),
    );
    let mut places = Vec::new();
    for (name, path) in [("LF", &plain), ("CRLF", &crlf), ("BOM + CRLF", &bom)] {
        let (m, json) = lint(name, path, &[]);
        assert_eq!(m.code, Some(1), "{}", m.show());
        places.push(place(finding(&json, "structure/duration")));
    }
    assert_eq!(places, vec![(6, 10); 3]);
}

#[test]
fn huge_and_overflowing_durations_are_refused_as_prometheus_refuses_them() {
    common::prometheus::require("promtool");
    let case = Case::new();
    // Prometheus keeps durations as int64 milliseconds: the edges of that
    // range, and numbers far past it.
    for value in [
        "99999999999999999999999y",
        "292y",
        "293y",
        "292277024y",
        "9223372036854775807ms",
        "9223372036854775808ms",
        "106751991167d",
        "106751991168d",
        "2562047h",
        "1y1y",
    ] {
        let text =
            rule("up == 0").replace("    labels:", &format!("    for: {value}\n    labels:"));
        let path = case.file("for.yaml", &text);
        let promtool = std::process::Command::new("promtool")
            .args(["check", "rules", path.to_str().unwrap()])
            .output()
            .unwrap();
        let (m, json) = lint(&format!("for: {value}"), &path, &["--select=structure"]);
        let firedrill_refuses = json.as_ref().unwrap()["diagnostics"]
            .as_array()
            .unwrap()
            .iter()
            .any(|d| d["check"] == "structure/duration");
        assert_eq!(
            firedrill_refuses,
            !promtool.status.success(),
            "for: {value}: promtool says {}{}; firedrill: {}",
            String::from_utf8_lossy(&promtool.stdout),
            String::from_utf8_lossy(&promtool.stderr),
            m.show()
        );
    }
}

#[test]
fn durations_in_expressions_past_prometheus_range_are_refused_as_promtool_refuses_them() {
    common::prometheus::require("promtool");
    let case = Case::new();
    // Ranges, subquery steps and offsets (promql-parser took 293y, and
    // panicked on numbers of seconds past 2^64, found by fuzzing).
    let mut compared = 0;
    for value in [
        "292y",
        "293y",
        "106751d",
        "106752d",
        "9223372036854ms",
        "9223372036855ms",
        "99999999999999999999999y",
        "1y15250w",
    ] {
        for expr in [
            format!("rate(up[{value}]) > 0"),
            format!("max_over_time(up[1h:{value}]) > 0"),
            format!("up offset {value} > 0"),
            format!("up offset -{value} > 0"),
        ] {
            let path = case.file("range.yaml", rule(&format!("'{expr}'")));
            let promtool = std::process::Command::new("promtool")
                .args(["check", "rules", path.to_str().unwrap()])
                .output()
                .unwrap();
            let (m, json) = lint(&expr, &path, &["--select=promql/syntax"]);
            let refusal = json.as_ref().unwrap()["diagnostics"]
                .as_array()
                .unwrap()
                .iter()
                .find(|d| d["check"] == "promql/syntax")
                .map(|d| d["message"].as_str().unwrap().to_string());
            if value == "9223372036854ms" {
                // The one known difference: promql-parser reads each number
                // of a duration into 32 bits. Prometheus accepts this;
                // firedrill says plainly that it cannot read it.
                assert!(promtool.status.success(), "{expr}");
                assert!(
                    refusal.as_deref().is_some_and(
                        |r| r.contains("cannot read a duration number above 4294967295")
                    ),
                    "{expr}: {}",
                    m.show()
                );
                compared += 1;
                continue;
            }
            let firedrill_refuses = refusal.is_some();
            assert_eq!(
                firedrill_refuses,
                !promtool.status.success(),
                "{expr}: promtool says {}{}; firedrill: {}",
                String::from_utf8_lossy(&promtool.stdout),
                String::from_utf8_lossy(&promtool.stderr),
                m.show()
            );
            compared += 1;
        }
    }
    assert_eq!(compared, 32);
}

#[test]
fn a_catastrophic_regex_costs_nothing_and_a_huge_one_is_an_error() {
    let case = Case::new();
    // Exponential in a backtracking engine; Rust's and Go's are linear, and
    // lint never matches them against data anyway.
    let evil = case.file(
        "evil.yaml",
        rule(&format!(
            "'up{{job=~\"(a+)+$\",instance=~\"(x+x+)+y{}\"}} == 0'",
            "x".repeat(10_000)
        )),
    );
    let (m, _) = lint("catastrophic regex", &evil, &[]);
    assert!(matches!(m.code, Some(0 | 1)), "{}", m.show());

    // A pattern that compiles to a gigantic program: refused at its place.
    let huge = case.file(
        "huge.yaml",
        rule("'up{job=~\"((a{1000}){1000}){1000}\"} > 1'"),
    );
    let (m, json) = lint("regex with 10^9 repetitions", &huge, &[]);
    assert_eq!(m.code, Some(1), "{}", m.show());
    assert_eq!(place(finding(&json, "promql/syntax")).0, 5);

    // The same kind of pattern in the team's config, checked against a 1 MB
    // annotation.
    let config = case.file(
        "firedrill.toml",
        "[checks.\"alert/annotations\"]\npatterns = { summary = \"(a|aa)+(b|c)*$\" }\n",
    );
    let annotation = case.file(
        "annotation.yaml",
        rule("up == 0").replace("summary: s", &format!("summary: {}c!", "a".repeat(1 << 20))),
    );
    let m = measure::run(
        &[
            "lint",
            "--format=json",
            "--config",
            config.to_str().unwrap(),
            annotation.to_str().unwrap(),
        ],
        None,
        HANG,
    );
    report("config pattern against a 1 MB annotation", &m);
    // A warning: reported, exit 0 under the default --fail-on=error.
    assert_eq!(m.code, Some(0), "{}", m.show());
    assert!(m.stdout.contains("alert/annotations"), "{}", m.show());
}

#[test]
fn a_label_value_of_1_mb_is_read() {
    let case = Case::new();
    let text = rule("up == 0").replace(
        "severity: warning",
        &format!("severity: warning\n      team: {}", "t".repeat(1 << 20)),
    );
    let path = case.file("label.yaml", text);
    let (m, json) = lint("1 MB label value", &path, &[]);
    assert_eq!(m.code, Some(0), "{}", m.show());
    assert_eq!(json.unwrap()["summary"]["rules"], 1);
}

#[test]
fn a_runbook_with_100000_rows_is_indexed() {
    let case = Case::new();
    let mut page = String::from("# Incident response\n\n| Alert | Triage |\n| --- | --- |\n");
    for i in 0..100_000 {
        page.push_str(&format!("| Alert{i} | [triage](#alert{i}) |\n"));
    }
    page.push_str("\n## Alert99999\n\nCheck the thing.\n");
    let runbook = case.file("runbook.md", &page);
    let rules = case.file(
        "rules.yaml",
        rule("up == 0").replace("alert: A", "alert: Alert99999")
            + "  - alert: NotInTheRunbook\n    expr: up == 0\n    labels:\n      severity: warning\n    annotations:\n      summary: s\n      description: d\n",
    );
    let (m, json) = lint(
        "runbook with 100,000 rows",
        &rules,
        &["--runbook", runbook.to_str().unwrap(), "--select=runbook"],
    );
    assert_eq!(m.code, Some(1), "{}", m.show());
    let d = finding(&json, "runbook/missing");
    assert!(
        d["message"].as_str().unwrap().contains("NotInTheRunbook"),
        "{d}"
    );
}

#[test]
fn a_damaged_recording_is_an_error_without_a_panic_message() {
    // The inputs the `recording` fuzz target found: polars asserts on some
    // of them, which firedrill contains; the user must see the one error
    // naming the file, not a "thread panicked" report above it.
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let dir = root.join("fuzz/regressions/recording");
    let rules = root.join("rules");
    let mut damaged: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    damaged.sort();
    assert!(
        damaged.len() >= 2,
        "no damaged recordings in {}",
        dir.display()
    );
    for path in &damaged {
        let m = measure::run(
            &[
                "simulate",
                "--config=/dev/null",
                rules.to_str().unwrap(),
                "--data",
                path.to_str().unwrap(),
            ],
            None,
            HANG,
        );
        let name = path.file_name().unwrap().to_string_lossy();
        report(&name, &m);
        assert_eq!(m.code, Some(2), "{name}: {}", m.show());
        let lines: Vec<&str> = m.stderr.lines().filter(|l| !l.is_empty()).collect();
        assert_eq!(lines.len(), 1, "{name}: more than the error: {}", m.show());
        assert!(
            lines[0].contains(path.to_str().unwrap())
                && lines[0].contains("not a readable Parquet file"),
            "{name}: {}",
            m.show()
        );
    }
}
