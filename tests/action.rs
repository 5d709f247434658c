//! The GitHub Action (`action.yml`) run as a runner runs it: its steps are
//! read from action.yml, their `${{ inputs.* }}`, `${{ steps.*.outputs.* }}`
//! and `${{ github.action_path }}` expressions filled in, and each `run` is
//! executed with `bash --noprofile --norc -eo pipefail` in the environment a
//! runner sets (`GITHUB_WORKSPACE`, `GITHUB_BASE_REF`, `GITHUB_OUTPUT` per
//! step, `GITHUB_EVENT_PATH`, `RUNNER_TEMP`, ...), against a temporary git
//! repository holding a pull request. The `uses:` step (the SARIF upload,
//! GitHub's own action) cannot run here and is skipped. GitHub's REST API is
//! stood in for by a server on 127.0.0.1 that keeps what it is sent.

mod common;

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, Mutex};

use common::git::git;

const MARKER: &str = "<!-- firedrill diff -->";

fn manifest() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// One request to the API stand-in: method, path, body.
type Request = (String, String, String);

/// Answers `GET .../comments` with `existing`, anything else with 201 `{}`.
fn github_api(existing: &'static str) -> (String, Arc<Mutex<Vec<Request>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = Arc::clone(&seen);
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(stream) = stream else { continue };
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut line = String::new();
            reader.read_line(&mut line).unwrap();
            let mut parts = line.split_whitespace();
            let method = parts.next().unwrap_or("").to_string();
            let path = parts.next().unwrap_or("").to_string();
            let mut length = 0;
            loop {
                let mut header = String::new();
                reader.read_line(&mut header).unwrap();
                let header = header.trim_end();
                if header.is_empty() {
                    break;
                }
                if let Some((k, v)) = header.split_once(':') {
                    if k.eq_ignore_ascii_case("content-length") {
                        length = v.trim().parse().unwrap();
                    }
                }
            }
            let mut body = vec![0; length];
            reader.read_exact(&mut body).unwrap();
            let reply = if method == "GET" { existing } else { "{}" };
            let status = if method == "POST" {
                "201 Created"
            } else {
                "200 OK"
            };
            log.lock()
                .unwrap()
                .push((method, path, String::from_utf8(body).unwrap()));
            let mut stream = stream;
            let _ = write!(
                stream,
                "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{reply}",
                reply.len()
            );
        }
    });
    (url, seen)
}

/// A repository whose `main` (also `origin/main`) holds the shipped rules
/// plus an old alert the runbook lacks, and whose working tree, the pull
/// request, raises FPMPoolSaturation's threshold and adds a broken alert.
fn pull_request() -> tempfile::TempDir {
    let repo = tempfile::tempdir().unwrap();
    let dir = repo.path();
    let rules = dir.join("rules");
    std::fs::create_dir_all(&rules).unwrap();
    for entry in std::fs::read_dir(manifest().join("rules")).unwrap() {
        let entry = entry.unwrap();
        std::fs::copy(entry.path(), rules.join(entry.file_name())).unwrap();
    }
    std::fs::write(
        rules.join("old.yaml"),
        "groups:\n- name: old\n  rules:\n  - alert: OldAlert\n    expr: up == 0\n    for: 5m\n    labels: {severity: warning}\n    annotations: {summary: s, description: d}\n",
    )
    .unwrap();
    git(dir, &["init", "-q"]);
    git(dir, &["add", "-A"]);
    git(dir, &["commit", "-qm", "base"]);
    git(dir, &["update-ref", "refs/remotes/origin/main", "HEAD"]);
    let fpm = rules.join("prometheusrule-fpm.yaml");
    let text = std::fs::read_to_string(&fpm).unwrap();
    std::fs::write(&fpm, text.replacen("> 0.8\n", "> 0.88\n", 1)).unwrap();
    std::fs::write(
        rules.join("new.yaml"),
        "groups:\n- name: new\n  rules:\n  - alert: CheckoutSlow\n    expr: rate(http_request_seconds_sum[5m] > 1\n    for: 5m\n    labels: {severity: warning}\n    annotations: {summary: s, description: d}\n",
    )
    .unwrap();
    repo
}

/// The action's steps as action.yml lists them.
struct Step {
    id: String,
    run: Option<String>,
    uses: Option<String>,
    env: Vec<(String, String)>,
}

fn steps_and_defaults() -> (Vec<Step>, BTreeMap<String, String>) {
    let text = std::fs::read_to_string(manifest().join("action.yml")).unwrap();
    let stream = firedrill::yaml::parse_stream(&text);
    assert!(stream.error.is_none(), "{:?}", stream.error);
    let root = &stream.documents[0].root;
    let mut defaults = BTreeMap::new();
    for pair in root.get("inputs").unwrap().as_map().unwrap() {
        let name = pair.key.as_str().unwrap().to_string();
        let default = pair
            .value
            .get("default")
            .and_then(|d| d.as_str())
            .unwrap_or("");
        defaults.insert(name, default.to_string());
    }
    let runs = root.get("runs").unwrap();
    assert_eq!(
        runs.get("using").and_then(|u| u.as_str()),
        Some("composite")
    );
    let steps = runs
        .get("steps")
        .unwrap()
        .as_seq()
        .unwrap()
        .iter()
        .map(|s| Step {
            id: s.get("id").and_then(|v| v.as_str()).unwrap().to_string(),
            run: s.get("run").and_then(|v| v.as_str()).map(str::to_string),
            uses: s.get("uses").and_then(|v| v.as_str()).map(str::to_string),
            env: s
                .get("env")
                .and_then(|e| e.as_map())
                .unwrap_or(&[])
                .iter()
                .map(|p| {
                    (
                        p.key.as_str().unwrap().to_string(),
                        p.value.as_str().unwrap_or("").to_string(),
                    )
                })
                .collect(),
        })
        .collect();
    (steps, defaults)
}

/// Fills in `${{ ... }}` as the runner would.
fn expand(
    text: &str,
    inputs: &BTreeMap<String, String>,
    outputs: &BTreeMap<String, BTreeMap<String, String>>,
) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(start) = rest.find("${{") {
        out.push_str(&rest[..start]);
        let end = rest[start..].find("}}").unwrap() + start;
        let expr = rest[start + 3..end].trim();
        let value = if expr == "github.action_path" {
            manifest().display().to_string()
        } else if expr == "github.token" {
            "test-token".to_string()
        } else if let Some(name) = expr.strip_prefix("inputs.") {
            inputs.get(name).cloned().unwrap_or_default()
        } else if let Some(path) = expr.strip_prefix("steps.") {
            let (id, key) = path.split_once(".outputs.").unwrap();
            outputs
                .get(id)
                .and_then(|o| o.get(key))
                .cloned()
                .unwrap_or_default()
        } else {
            panic!("expression the test does not know: {expr}")
        };
        out.push_str(&value);
        rest = &rest[end + 2..];
    }
    out.push_str(rest);
    out
}

/// What a run of the action did.
struct Run {
    /// Step id → (exit status, stdout and stderr); steps after a failure
    /// are not run, as on a runner.
    steps: Vec<(String, i32, String)>,
    outputs: BTreeMap<String, BTreeMap<String, String>>,
    summary: String,
    /// RUNNER_TEMP, where the outputs' files are; removed with the run.
    _temp: tempfile::TempDir,
}

fn run_action(workspace: &Path, inputs: &[(&str, &str)], api: &str) -> Run {
    let (steps, mut values) = steps_and_defaults();
    for (k, v) in inputs {
        assert!(values.contains_key(*k), "action.yml has no input {k}");
        values.insert(k.to_string(), v.to_string());
    }
    // `${{ github.token }}` in a default is the job's token.
    for v in values.values_mut() {
        *v = expand(v, &BTreeMap::new(), &BTreeMap::new());
    }
    let temp = tempfile::tempdir().unwrap();
    let event = temp.path().join("event.json");
    std::fs::write(&event, r#"{"pull_request": {"number": 7}}"#).unwrap();
    let summary = temp.path().join("summary.md");
    let bin = manifest().join("target/release");
    let bin = Path::new(env!("CARGO_BIN_EXE_firedrill"))
        .parent()
        .unwrap_or(&bin)
        .to_path_buf();
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let mut steps_run = Vec::new();
    let mut outputs_of: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
    for step in steps {
        let Some(script) = &step.run else {
            assert!(step.uses.is_some());
            continue;
        };
        let output_file = temp.path().join(format!("output-{}", step.id));
        std::fs::write(&output_file, "").unwrap();
        let script = expand(script, &values, &outputs_of);
        let out = Command::new("bash")
            .args(["--noprofile", "--norc", "-eo", "pipefail", "-c", &script])
            .current_dir(workspace)
            .env("PATH", &path)
            .env("NO_COLOR", "1")
            .env("GITHUB_ACTIONS", "true")
            .env("GITHUB_WORKSPACE", workspace)
            .env("GITHUB_ACTION_PATH", manifest())
            .env("GITHUB_EVENT_NAME", "pull_request")
            .env("GITHUB_EVENT_PATH", &event)
            .env("GITHUB_BASE_REF", "main")
            .env("GITHUB_REPOSITORY", "wecare/alerts")
            .env("GITHUB_API_URL", api)
            .env("GITHUB_OUTPUT", &output_file)
            .env("GITHUB_STEP_SUMMARY", &summary)
            .env("GITHUB_PATH", temp.path().join("path"))
            .env("RUNNER_TEMP", temp.path())
            .env("NO_PROXY", "127.0.0.1")
            .envs(
                step.env
                    .iter()
                    .map(|(k, v)| (k.clone(), expand(v, &values, &outputs_of))),
            )
            .output()
            .unwrap();
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        let outputs = std::fs::read_to_string(&output_file)
            .unwrap()
            .lines()
            .filter_map(|l| l.split_once('='))
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        outputs_of.insert(step.id.clone(), outputs);
        let status = out.status.code().unwrap_or(-1);
        steps_run.push((step.id.clone(), status, text));
        if status != 0 {
            break;
        }
    }
    Run {
        steps: steps_run,
        outputs: outputs_of,
        summary: std::fs::read_to_string(&summary).unwrap_or_default(),
        _temp: temp,
    }
}

fn data() -> String {
    manifest()
        .join("fixtures/wecare-7d.parquet")
        .display()
        .to_string()
}

#[test]
fn the_action_gates_the_pull_request_and_comments_its_pages() {
    let repo = pull_request();
    let (api, seen) = github_api("[]");
    let data = data();
    let run = run_action(
        repo.path(),
        &[
            ("paths", "rules/"),
            ("runbook", "rules/runbook.md"),
            (
                "runbook-map",
                "https://docs.wecare.example/ops/incident-response=rules/runbook.md",
            ),
            ("data", &data),
            ("alertmanager", "rules/alertmanager.yml"),
        ],
        &api,
    );
    let ids: Vec<(&str, i32)> = run
        .steps
        .iter()
        .map(|(id, status, _)| (id.as_str(), *status))
        .collect();
    let log = |id: &str| {
        run.steps
            .iter()
            .find(|(s, _, _)| s == id)
            .map(|(_, _, t)| t.clone())
            .unwrap_or_default()
    };
    // Every step ran; the gate fails the job, after the comment is posted.
    assert_eq!(
        ids,
        [
            ("install", 0),
            ("lint", 0),
            ("diff", 0),
            ("comment", 0),
            ("gate", 1)
        ],
        "{}",
        run.steps
            .iter()
            .map(|(i, _, t)| format!("--- {i}\n{t}"))
            .collect::<String>()
    );
    assert!(
        log("install").contains("already installed"),
        "{}",
        log("install")
    );

    // Lint: only the pull request's rules, in SARIF and as annotations.
    let lint = &run.outputs["lint"];
    let sarif: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&lint["sarif"]).unwrap()).unwrap();
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    assert_eq!(lint["findings"], results.len().to_string());
    assert!(!results.is_empty());
    for r in results {
        let uri = r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
            .as_str()
            .unwrap();
        assert!(uri.ends_with("rules/new.yaml"), "{r}");
    }
    assert_eq!(lint["status"], "1");
    assert!(
        log("lint").contains("::error file=rules/new.yaml"),
        "{}",
        log("lint")
    );
    assert!(!log("lint").contains("OldAlert"));

    // Diff: the changed alert on the recorded week, through Alertmanager.
    let diff = std::fs::read_to_string(&run.outputs["diff"]["diff"]).unwrap();
    assert!(diff.contains("threshold `> 0.8` → `> 0.88`"), "{diff}");
    assert!(diff.contains("pages `pager`"), "{diff}");
    assert!(
        diff.contains("Not replayed, their expression does not parse"),
        "{diff}"
    );
    assert!(run.summary.contains(&diff));

    // The comment: looked for, then posted once with the diff.
    let requests = seen.lock().unwrap().clone();
    assert_eq!(requests.len(), 2, "{requests:?}");
    assert_eq!(requests[0].0, "GET");
    assert!(requests[0]
        .1
        .starts_with("/repos/wecare/alerts/issues/7/comments"));
    assert_eq!(requests[1].0, "POST");
    assert_eq!(requests[1].1, "/repos/wecare/alerts/issues/7/comments");
    let body: serde_json::Value = serde_json::from_str(&requests[1].2).unwrap();
    let text = body["body"].as_str().unwrap();
    assert!(text.starts_with(MARKER));
    assert!(text.contains(&diff));
}

#[test]
fn a_later_push_updates_the_comment_and_a_clean_change_passes() {
    let repo = pull_request();
    // The broken rule fixed: nothing to report, the gate passes.
    std::fs::write(
        repo.path().join("rules/new.yaml"),
        "groups:\n- name: new\n  rules:\n  - alert: FPMListenQueueLong\n    expr: max by (namespace, pod) (phpfpm_listen_queue{namespace=\"ecommercen-clients-wecare\"}) > 5\n    for: 10m\n    labels: {severity: warning}\n    annotations: {summary: s, description: d, runbook_url: 'https://docs.wecare.example/ops/incident-response#php-fpm-saturated'}\n",
    )
    .unwrap();
    let (api, seen) = github_api(
        r#"[{"id": 41, "body": "an unrelated review"}, {"id": 42, "body": "<!-- firedrill diff -->\nold"}]"#,
    );
    let data = data();
    let run = run_action(
        repo.path(),
        &[
            ("paths", "rules/prometheusrule-fpm.yaml rules/new.yaml"),
            ("data", &data),
        ],
        &api,
    );
    let statuses: Vec<i32> = run.steps.iter().map(|(_, s, _)| *s).collect();
    assert_eq!(statuses, [0, 0, 0, 0, 0], "{:?}", run.steps);
    assert_eq!(run.outputs["lint"]["findings"], "0");
    let requests = seen.lock().unwrap().clone();
    assert_eq!(requests.len(), 2, "{requests:?}");
    assert_eq!(requests[1].0, "PATCH");
    assert_eq!(requests[1].1, "/repos/wecare/alerts/issues/comments/42");
}

#[test]
fn a_baseline_holds_back_the_findings_a_team_kept() {
    // The base branch kept a finding on OldAlert (its summary names a label
    // the aggregation drops) in a baseline; the pull request moves every
    // line of the file and changes the alert's threshold, so lint looks at
    // the rule again. Only what is new may fail the gate.
    let repo = tempfile::tempdir().unwrap();
    let dir = repo.path();
    let rules = dir.join("rules");
    std::fs::create_dir_all(&rules).unwrap();
    let old = "groups:\n- name: old\n  rules:\n  - alert: OldAlert\n    expr: sum(rate(old_errors_total[5m])) > 1\n    for: 5m\n    labels: {severity: warning}\n    annotations: {summary: 'Errors on {{ $labels.instance }}', description: d}\n";
    std::fs::write(rules.join("old.yaml"), old).unwrap();
    let firedrill = |args: &[&str]| {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_firedrill"))
            .current_dir(dir)
            .args(args)
            .output()
            .unwrap();
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    firedrill(&[
        "lint",
        "rules/",
        "--write-baseline",
        "firedrill-baseline.json",
    ]);
    git(dir, &["init", "-q"]);
    git(dir, &["add", "-A"]);
    git(dir, &["commit", "-qm", "base"]);
    git(dir, &["update-ref", "refs/remotes/origin/main", "HEAD"]);
    let moved = format!(
        "# Old alerts, kept for the old team.\n\n{}",
        old.replace("> 1\n", "> 2\n")
    );
    std::fs::write(rules.join("old.yaml"), &moved).unwrap();
    let (api, _) = github_api("[]");
    let inputs = [
        ("paths", "rules/"),
        ("baseline", "firedrill-baseline.json"),
        ("fail-on", "warning"),
        ("comment", "false"),
    ];
    let run = run_action(dir, &inputs, &api);
    let statuses: Vec<(&str, i32)> = run.steps.iter().map(|(i, s, _)| (i.as_str(), *s)).collect();
    assert_eq!(statuses.last(), Some(&("gate", 0)), "{:?}", run.steps);
    assert_eq!(run.outputs["lint"]["findings"], "0");

    // The same change with a second summary naming a dropped label: that one
    // is new, and the gate fails on it alone.
    std::fs::write(
        rules.join("old.yaml"),
        moved.replace("description: d}", "description: 'on {{ $labels.pod }}'}"),
    )
    .unwrap();
    let run = run_action(dir, &inputs, &api);
    assert_eq!(run.outputs["lint"]["findings"], "1", "{:?}", run.steps);
    assert_eq!(run.steps.last().map(|s| s.1), Some(1), "{:?}", run.steps);
}
