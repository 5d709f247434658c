//! End-to-end behaviour of `firedrill lint` as a user runs it: inputs,
//! formats, selection, exit statuses, and bad input of every kind.

mod common;

use std::io::Write;

use common::*;

fn fixture(name: &str) -> String {
    fixtures().join(name).display().to_string()
}

fn temp_file(name: &str, bytes: &[u8]) -> (tempfile::TempDir, String) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(name);
    std::fs::File::create(&path)
        .unwrap()
        .write_all(bytes)
        .unwrap();
    (dir, path.display().to_string())
}

const GOOD: &str = "groups:\n- name: g\n  rules:\n  - alert: Up\n    expr: up == 0\n    for: 5m\n    labels: {severity: critical}\n    annotations: {summary: down, description: \"{{ $labels.instance }} is down\"}\n";

#[test]
fn clean_file_exits_zero_with_summary() {
    let (_d, path) = temp_file("good.yaml", GOOD.as_bytes());
    let out = firedrill(&["lint", &path]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stdout(&out).contains("All checks passed: 1 file (1 rule); Prometheus 3.16's verdict."));
}

#[test]
fn multi_document_helm_output_loads_every_prometheusrule() {
    let (code, json) = lint_json(&[STRUCTURE_ONLY, &fixture("lint/helm-template-output.yaml")]);
    assert_eq!(code, 1);
    assert_eq!(
        json["summary"]["rules"], 2,
        "both PrometheusRule documents, not the ConfigMap"
    );
    assert_eq!(findings(&json), [("promql/syntax".to_string(), 41, 17)]);
    assert_eq!(json["diagnostics"][0]["alertname"], "AppSlow");
    assert_eq!(json["diagnostics"][0]["group"], "latency.rules");
}

#[test]
fn rules_in_a_configmaps_literal_block_are_linted_at_their_lines() {
    let (code, json) = lint_json(&[STRUCTURE_ONLY, &fixture("lint/configmap-rules.yaml")]);
    assert_eq!(code, 1);
    assert_eq!(
        json["summary"]["rules"], 2,
        "the rule file, not prometheus.yml"
    );
    assert_eq!(findings(&json), [("promql/syntax".to_string(), 20, 19)]);
    assert_eq!(json["diagnostics"][0]["alertname"], "AppErrors");
}

#[test]
fn stdin_is_named_stdin() {
    let text = std::fs::read(fixture("lint/helm-template-output.yaml")).unwrap();
    let out = firedrill_stdin(&["lint", "--format", "json", "-"], Some(&text));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["diagnostics"][0]["file"], "<stdin>");
    assert_eq!(out.status.code(), Some(1));
}

#[test]
fn crlf_folded_expression_error_points_at_the_token() {
    let (_, json) = lint_json(&[STRUCTURE_ONLY, &fixture("lint/crlf-folded-expr.yaml")]);
    assert_eq!(findings(&json), [("promql/syntax".to_string(), 8, 18)]);
}

#[test]
fn json_schema_has_the_documented_fields() {
    let (_, json) = lint_json(&[
        STRUCTURE_ONLY,
        &corpus()
            .join("promtool-testdata/rules-bad.yml")
            .display()
            .to_string(),
    ]);
    assert_eq!(json["version"], 1);
    let d = &json["diagnostics"][0];
    for key in [
        "check",
        "severity",
        "message",
        "file",
        "line",
        "column",
        "end_line",
        "end_column",
        "group",
        "alertname",
    ] {
        assert!(d.get(key).is_some(), "missing {key} in {d}");
    }
    assert_eq!(d["check"], "structure/template");
    assert_eq!(d["severity"], "error");
    assert_eq!(
        (d["line"].as_u64(), d["column"].as_u64()),
        (Some(12), Some(33))
    );
    for key in ["files", "rules", "errors", "warnings", "infos"] {
        assert!(json["summary"].get(key).is_some(), "summary lacks {key}");
    }
}

#[test]
fn github_format_emits_workflow_commands() {
    let path = corpus()
        .join("prometheus-rulefmt-testdata/bad_field.bad.yaml")
        .display()
        .to_string();
    let out = firedrill(&["lint", "--format", "github", STRUCTURE_ONLY, &path]);
    let text = stdout(&out);
    let line = text.lines().next().unwrap();
    assert!(
        line.starts_with(&format!("::error file={path},line=8,col=9,")),
        "{line}"
    );
    assert!(
        line.contains("title=firedrill structure/unknown-field::"),
        "{line}"
    );
    assert_eq!(out.status.code(), Some(1));
}

#[test]
fn human_output_has_snippet_and_caret_without_color() {
    let path = corpus()
        .join("prometheus-rulefmt-testdata/bad_expr.bad.yaml")
        .display()
        .to_string();
    let out = firedrill(&["lint", &path]);
    let text = stdout(&out);
    // At the argument of the wrong type, where promtool points.
    assert!(text.contains(&format!("{path}:5:20")), "{text}");
    assert!(text.contains("expr: rate(hi)"), "{text}");
    assert!(text.contains("^|"), "{text}");
    assert!(!text.contains('\u{1b}'), "NO_COLOR must give plain output");
}

#[test]
fn select_and_ignore_take_ids_and_prefixes() {
    let path = corpus()
        .join("prometheus-rulefmt-testdata")
        .display()
        .to_string();
    let (_, all) = lint_json(&[&path]);
    let (_, only) = lint_json(&["--select", "structure,promql/syntax", &path]);
    let (_, ignored) = lint_json(&["--ignore", "structure", &path]);
    let checks = |j: &serde_json::Value| findings(j).into_iter().map(|f| f.0).collect::<Vec<_>>();
    assert!(checks(&all).iter().any(|c| c == "rule/duplicate"));
    assert!(checks(&only)
        .iter()
        .all(|c| c.starts_with("structure/") || c == "promql/syntax"));
    assert!(!checks(&only).is_empty());
    assert!(checks(&ignored)
        .iter()
        .all(|c| !c.starts_with("structure/")));
    let out = firedrill(&["lint", "--select", "promql/syntx", &path]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("did you mean \"promql/syntax\""),
        "{}",
        stderr(&out)
    );
}

#[test]
fn fail_on_warning_turns_warnings_into_exit_one() {
    let path = corpus()
        .join("promtool-testdata/rules_duplicates.yml")
        .display()
        .to_string();
    assert_eq!(firedrill(&["lint", &path]).status.code(), Some(0));
    assert_eq!(
        firedrill(&["lint", "--fail-on", "warning", &path])
            .status
            .code(),
        Some(1)
    );
}

#[test]
fn checks_and_explain_come_from_the_registry() {
    let out = firedrill(&["checks"]);
    let text = stdout(&out);
    for id in [
        "yaml/parse",
        "structure/unknown-field",
        "promql/syntax",
        "rule/duplicate",
    ] {
        assert!(text.contains(id), "{id} missing from `firedrill checks`");
    }
    // Checks that are off by default say so.
    let line = |id: &str| {
        text.lines()
            .find(|l| l.starts_with(id))
            .unwrap()
            .to_string()
    };
    assert!(
        line("runbook/url-missing").split_whitespace().nth(2) == Some("off"),
        "{text}"
    );
    assert!(
        line("promql/syntax").split_whitespace().nth(2) == Some("on"),
        "{text}"
    );
    assert!(text.contains("--extend-select"), "{text}");
    let out = firedrill(&["explain", "promql/syntax"]);
    let text = stdout(&out);
    assert!(
        text.contains("## What it does")
            && text.contains("## Why is this bad?")
            && text.contains("## Example")
    );
    assert_eq!(firedrill(&["explain", "nope/nope"]).status.code(), Some(2));
}

// ---- bad input: a clear message with file:line:col, exit 1 or 2, never a panic or hang ----

fn assert_no_panic(out: &std::process::Output) {
    let err = stderr(out);
    assert!(!err.contains("panicked"), "panic: {err}");
}

#[test]
fn empty_file_is_an_error() {
    let (_d, path) = temp_file("empty.yaml", b"");
    let (code, json) = lint_json(&[&path]);
    assert_eq!(code, 1);
    assert_eq!(findings(&json), [("yaml/empty".to_string(), 1, 1)]);
}

#[test]
fn directory_without_rule_files_is_a_usage_error() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("README.md"), "no rules").unwrap();
    let out = firedrill(&["lint", dir.path().to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("no *.yaml or *.yml files"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn missing_path_is_a_usage_error() {
    let out = firedrill(&["lint", "/nonexistent/rules.yaml"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("/nonexistent/rules.yaml: no such file"));
}

#[test]
fn only_non_rule_documents_is_a_usage_error() {
    let (_d, path) = temp_file("cm.yaml", b"apiVersion: v1\nkind: ConfigMap\ndata: {}\n");
    let out = firedrill(&["lint", &path]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("no rule files among the inputs"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn an_alertmanager_configuration_given_as_rules_says_where_it_goes() {
    let config = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("rules/alertmanager.yml");
    let out = firedrill(&["lint", config.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("(an Alertmanager configuration: give it with --alertmanager)"),
        "{}",
        stderr(&out)
    );
    // No "All checks passed" over nothing.
    assert!(
        out.stdout.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
}

#[test]
fn a_yaml_marks_file_beside_the_rules_is_not_a_rule_file() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("incidents.yaml"),
        "incidents:\n  - start: 2026-11-17T14:00Z\n    duration: 40m\nfalse_positives: []\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("rules.yaml"),
        "groups:\n- name: g\n  rules:\n  - alert: A\n    expr: up == 0\n",
    )
    .unwrap();
    let (code, json) = lint_json(&[STRUCTURE_ONLY, dir.path().to_str().unwrap()]);
    assert_eq!(code, 0, "{json}");
    assert!(findings(&json).is_empty(), "{json}");
}

#[test]
fn binary_garbage_and_invalid_utf8_are_reported_at_their_byte() {
    let mut bytes = b"groups:\n- name: x\n  rules: []\n# caf".to_vec();
    bytes.extend_from_slice(&[0xff, 0xfe, 0x00, 0x01]);
    let (_d, path) = temp_file("bad.yaml", &bytes);
    let (code, json) = lint_json(&[&path]);
    assert_eq!(code, 1);
    assert_eq!(findings(&json), [("yaml/parse".to_string(), 4, 6)]);
    assert!(json["diagnostics"][0]["message"]
        .as_str()
        .unwrap()
        .contains("UTF-8"));

    let garbage: Vec<u8> = (0..4096u32)
        .map(|i| (i.wrapping_mul(2654435761) >> 13) as u8)
        .collect();
    let (_d2, path) = temp_file("garbage.yaml", &garbage);
    let out = firedrill(&["lint", &path]);
    assert_no_panic(&out);
    assert_eq!(out.status.code(), Some(1));
}

#[test]
fn nul_bytes_are_a_yaml_error() {
    let (_d, path) = temp_file("nul.yaml", b"groups:\n- name: \0x\n  rules: []\n");
    let out = firedrill(&["lint", &path]);
    assert_no_panic(&out);
    assert_eq!(out.status.code(), Some(1));
}

#[test]
fn alias_bomb_is_refused_quickly() {
    let mut text = String::from("a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n");
    for i in 1..12 {
        let p = format!("*a{}", i - 1);
        text.push_str(&format!("a{i}: &a{i} [{}]\n", [p.as_str(); 9].join(", ")));
    }
    text.push_str("groups: []\n");
    let (_d, path) = temp_file("bomb.yaml", text.as_bytes());
    let (code, json) = lint_json(&[&path]);
    assert_eq!(code, 1);
    let d = &json["diagnostics"][0];
    assert_eq!(d["check"], "yaml/parse");
    assert!(d["message"].as_str().unwrap().contains("alias bomb"));
}

#[test]
fn deep_nesting_is_refused() {
    let text = format!("groups: {}{}\n", "[".repeat(10_000), "]".repeat(10_000));
    let (_d, path) = temp_file("deep.yaml", text.as_bytes());
    let (code, json) = lint_json(&[&path]);
    assert_eq!(code, 1);
    assert_eq!(json["diagnostics"][0]["check"], "yaml/parse");
}

#[test]
fn wrong_types_point_at_the_value() {
    let text = "groups:\n- name: g\n  rules:\n  - alert: A\n    expr: up\n    for: [1]\n";
    let (_d, path) = temp_file("types.yaml", text.as_bytes());
    let (code, json) = lint_json(&[STRUCTURE_ONLY, &path]);
    assert_eq!(code, 1);
    assert_eq!(findings(&json), [("structure/type".to_string(), 6, 10)]);
}

#[test]
fn tabs_for_indentation_are_reported_at_the_tab() {
    let text = "groups:\n- name: g\n  rules:\n\t- alert: A\n";
    let (_d, path) = temp_file("tabs.yaml", text.as_bytes());
    let (code, json) = lint_json(&[&path]);
    assert_eq!(code, 1);
    assert_eq!(findings(&json), [("yaml/parse".to_string(), 4, 1)]);
}

#[test]
fn liquid_template_gets_a_clear_error() {
    let out = firedrill(&["lint", &fixture("lint/liquid-template.yml")]);
    assert_no_panic(&out);
    assert_eq!(out.status.code(), Some(1));
    let text = stdout(&out);
    assert!(text.contains("liquid-template.yml:4:2"), "{text}");
    assert!(text.contains("looks like a template"), "{text}");
}

#[test]
fn fifty_megabyte_file_is_refused_with_a_clear_message() {
    // Far past any real rule file; linting it would take seconds and GBs
    // (docs/reliability.md). A file under the limit is linted whole
    // (tests/adversarial.rs).
    let mut text = String::from("groups:\n- name: big\n  rules:\n");
    let mut i = 0;
    while text.len() < 50 * 1024 * 1024 {
        text.push_str(&format!(
            "  - record: job:big_{i}:sum\n    expr: sum by (job) (rate(big_{i}_total[5m]))\n"
        ));
        i += 1;
    }
    let (_d, path) = temp_file("big.yaml", text.as_bytes());
    let out = firedrill(&["lint", &path]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(err.contains("big.yaml"), "{err}");
    assert!(err.contains("larger than 8 MiB"), "{err}");
    assert!(stdout(&out).is_empty());
}

#[test]
fn broken_pipe_is_not_a_crash() {
    use std::process::{Command, Stdio};
    let path = corpus().join("promtool-testdata").display().to_string();
    let mut child = Command::new(env!("CARGO_BIN_EXE_firedrill"))
        .args(["lint", &path])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take()); // the reader goes away, like `| head -0`
    let out = child.wait_with_output().unwrap();
    assert_no_panic(&out);
    assert!(
        matches!(out.status.code(), Some(0) | Some(1)),
        "{:?}",
        out.status
    );
}

#[test]
fn the_docs_check_table_is_generated_from_the_registry() {
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/checks.md")).unwrap();
    let start = readme
        .find("<!-- checks:start -->\n")
        .expect("start marker")
        + "<!-- checks:start -->\n".len();
    let end = readme.find("<!-- checks:end -->").expect("end marker");
    assert_eq!(
        readme[start..end].trim(),
        firedrill::checks::markdown_table().trim(),
        "docs/checks.md's table is stale: regenerate it with `firedrill checks --markdown`"
    );
}

#[test]
fn shipped_example_is_clean() {
    let rules = concat!(env!("CARGO_MANIFEST_DIR"), "/rules");
    let (code, json) = lint_json(&[rules]);
    assert_eq!(code, 0, "{json}");
    assert_eq!(json["summary"]["files"], 8);
    assert_eq!(json["summary"]["rules"], 15);
    assert!(json["diagnostics"].as_array().unwrap().is_empty());
}

/// Tests that need a system tool say, in one line, which Debian package to
/// install, and never read as if the tool were there.
#[test]
fn a_missing_system_tool_is_named_with_its_debian_package() {
    let caught = std::panic::catch_unwind(|| {
        common::tools::require("firedrill-no-such-tool", "firedrill-no-such-package")
    });
    let payload = caught.expect_err("a missing tool fails the test");
    let message = payload
        .downcast_ref::<String>()
        .cloned()
        .unwrap_or_default();
    assert_eq!(
        message,
        "this test runs `firedrill-no-such-tool`, which is not installed: apt-get install firedrill-no-such-package"
    );
    // An absolute path that is missing, as /usr/bin/time may be.
    assert!(
        std::panic::catch_unwind(|| common::tools::require("/nonexistent/time", "time")).is_err()
    );
    // A present one passes.
    common::tools::require("sh", "dash");
}

/// Every flag and argument of every subcommand says what it is for.
#[test]
fn every_flag_has_help_text() {
    use clap::CommandFactory;
    fn walk(command: &clap::Command, path: &str, missing: &mut Vec<String>) {
        for arg in command.get_arguments() {
            let id = arg.get_id().as_str();
            if id == "help" || id == "version" {
                continue;
            }
            let help = arg.get_help().map(|h| h.to_string()).unwrap_or_default();
            if help.trim().is_empty() {
                missing.push(format!("{path} --{}", arg.get_long().unwrap_or(id)));
            }
        }
        for sub in command.get_subcommands() {
            if sub.get_about().is_none() {
                missing.push(format!("{path} {} (no about)", sub.get_name()));
            }
            walk(sub, &format!("{path} {}", sub.get_name()), missing);
        }
    }
    let mut missing = Vec::new();
    walk(&firedrill::cli::Cli::command(), "firedrill", &mut missing);
    assert!(missing.is_empty(), "without help: {missing:#?}");
}

/// `explain` shows, for every check, an example it reports and the same
/// example fixed, each as a code block.
#[test]
fn every_check_explains_a_bad_and_a_fixed_example() {
    let list = stdout(&firedrill(&["checks"]));
    let ids: Vec<&str> = list
        .lines()
        .take_while(|l| !l.is_empty())
        .filter_map(|l| l.split_whitespace().next())
        .collect();
    assert!(ids.len() > 30, "{list}");
    for id in ids {
        let text = stdout(&firedrill(&["explain", id]));
        let example = text
            .find("## Example")
            .unwrap_or_else(|| panic!("{id}: no example"));
        let fixed = text
            .find("## Fixed")
            .unwrap_or_else(|| panic!("{id}: no fixed example"));
        assert!(example < fixed, "{id}");
        assert!(
            text[example..fixed].contains("```"),
            "{id}: the example has no code"
        );
        assert!(text[fixed..].contains("```"), "{id}: the fix has no code");
    }
}

/// The bash completion script, sourced into a real bash, completes
/// subcommands and flags.
#[test]
fn completions_complete_in_a_real_bash() {
    common::tools::require("bash", "bash");
    let script = stdout(&firedrill(&["completions", "bash"]));
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("firedrill.bash");
    std::fs::write(&path, script).unwrap();
    let complete = |words: &[&str]| {
        let line = words.join(" ");
        let program = format!(
            "source {}\nCOMP_WORDS=({line})\nCOMP_CWORD={}\nCOMP_LINE='{line}'\nCOMP_POINT={}\n_firedrill firedrill {} {}\nprintf '%s\\n' \"${{COMPREPLY[@]}}\"\n",
            path.display(),
            words.len() - 1,
            line.len(),
            words[words.len() - 1],
            words[words.len() - 2],
        );
        let out = std::process::Command::new("bash")
            .args(["--norc", "--noprofile", "-c", &program])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .map(str::to_string)
            .collect::<Vec<_>>()
    };
    assert_eq!(complete(&["firedrill", "si"]), ["simulate"]);
    assert!(complete(&["firedrill", "tune", "--ale"]).contains(&"--alert".to_string()));
    assert_eq!(
        firedrill(&["completions", "tcsh"]).status.code(),
        Some(2),
        "an unknown shell is a usage error"
    );
}

#[test]
fn man_pages_come_from_the_command_line_definitions() {
    let top = stdout(&firedrill(&["man"]));
    assert!(top.contains(".TH firedrill 1"), "{top}");
    for sub in ["lint", "simulate", "tune", "diff", "record"] {
        assert!(
            top.contains(&format!("firedrill\\-{sub}(1)")),
            "{sub}: {top}"
        );
    }
    let lint = stdout(&firedrill(&["man", "lint"]));
    assert!(lint.contains(".TH firedrill-lint 1"), "{lint}");
    assert!(lint.contains("runbook\\-map"), "{lint}");
    let out = firedrill(&["man", "lnt"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("did you mean \"lint\""),
        "{}",
        stderr(&out)
    );
}

#[test]
fn the_docs_option_reference_is_generated_from_the_checks() {
    let page = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/docs/configuration.md"
    ))
    .unwrap();
    let start = page.find("<!-- options:start -->\n").expect("start marker")
        + "<!-- options:start -->\n".len();
    let end = page.find("<!-- options:end -->").expect("end marker");
    let expected = firedrill::checks::all_options_markdown();
    assert_eq!(
        page[start..end].trim(),
        expected.trim(),
        "docs/configuration.md's option reference is stale; it should read:\n{expected}"
    );
}

#[test]
fn a_baseline_that_cannot_be_read_is_an_error_never_a_guess() {
    let dir = tempfile::tempdir().unwrap();
    let rules = dir.path().join("rules.yaml");
    std::fs::write(
        &rules,
        "groups:\n- name: g\n  rules:\n  - alert: A\n    expr: sum(rate(x_total[5m])) > 1\n    for: 5m\n    annotations: {summary: 'on {{ $labels.pod }}'}\n",
    )
    .unwrap();
    let rules = rules.to_str().unwrap();
    let baseline = dir.path().join("baseline.json");
    let baseline = baseline.to_str().unwrap();
    // Missing: said, with how to write one.
    let out = firedrill(&["lint", rules, "--baseline", baseline]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("not found; write one with"),
        "{}",
        stderr(&out)
    );
    // Written, then held: no new finding, exit 0, and the JSON says so.
    let out = firedrill(&["lint", rules, "--write-baseline", baseline]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let (code, json) = lint_json(&[rules, "--baseline", baseline]);
    assert_eq!(code, 0);
    assert_eq!(json["diagnostics"], serde_json::json!([]));
    assert_eq!(json["summary"]["baseline"]["baselined"], 1);
    assert_eq!(json["summary"]["baseline"]["fixed"], 0);
    // Another version's baseline, and one that is not a baseline.
    let text = std::fs::read_to_string(baseline).unwrap();
    std::fs::write(
        baseline,
        text.replace(env!("CARGO_PKG_VERSION"), "0.0.0-other"),
    )
    .unwrap();
    let out = firedrill(&["lint", rules, "--baseline", baseline]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("written by firedrill 0.0.0-other"),
        "{}",
        stderr(&out)
    );
    std::fs::write(baseline, "[1, 2]").unwrap();
    let out = firedrill(&["lint", rules, "--baseline", baseline]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("baseline.json:1:"),
        "{}",
        stderr(&out)
    );
    // A partial view cannot be a baseline of the whole.
    let out = firedrill(&["lint", rules, "--partial", "--write-baseline", baseline]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("whole rule sets"), "{}", stderr(&out));
}
