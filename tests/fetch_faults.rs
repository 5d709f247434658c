//! Faults a real server will not produce on demand, from a scripted local
//! HTTP server: each gives the documented retry, or a clear error naming
//! the server, the query and the window, and exit status 2.

mod common;

use std::time::Duration;

use common::mock::{Mock, Reply};
use common::{firedrill, stderr, stdout};

/// 2026-11-01T00:00:00Z; ten minutes of one-minute evaluations.
const START: &str = "1793491200";
const END: &str = "1793491800";

fn rules() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("rules.yml"),
        "groups:\n- name: faults\n  rules:\n  - alert: FaultSignalHigh\n    expr: fault_signal > 5\n    for: 1m\n",
    )
    .unwrap();
    dir
}

/// The arguments of `simulate` over `rules` against `url`, then `extra`.
fn simulate_args(rules: &std::path::Path, url: &str, extra: &[&str]) -> Vec<String> {
    let mut args: Vec<String> = [
        "simulate",
        rules.to_str().unwrap(),
        "--prometheus",
        url,
        "--start",
        START,
        "--end",
        END,
        "--concurrency",
        "1",
        "--format",
        "json",
    ]
    .map(String::from)
    .to_vec();
    args.extend(extra.iter().map(|a| a.to_string()));
    args
}

/// `simulate` against `url` with extra flags; returns (exit code, stdout, stderr).
fn simulate(url: &str, extra: &[&str]) -> (i32, String, String) {
    let dir = rules();
    let args = simulate_args(&dir.path().join("rules.yml"), url, extra);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = firedrill(&args);
    (out.status.code().unwrap(), stdout(&out), stderr(&out))
}

/// The replay of the mock's matrix: value 10 > 5 at every evaluation, so
/// one page that is still firing at the end. The window [START, END) is
/// ten minutes: ten evaluations, pending at the first, firing for nine.
fn assert_complete(out: &str) {
    let json: serde_json::Value = serde_json::from_str(out).unwrap();
    let current = &json["rules"][0]["candidates"][0];
    assert_eq!(json["rules"][0]["evaluations"], 10);
    assert_eq!(current["pages"], 1);
    assert_eq!(current["firing_seconds"], 540.0);
}

/// A loopback address nothing listens on: the port was free a moment ago.
fn refusing_url() -> String {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    format!("http://127.0.0.1:{port}")
}

#[test]
fn connection_refused_is_retried_then_reported() {
    let url = refusing_url();
    let (code, out, err) = simulate(&url, &["--retries", "1"]);
    assert_eq!(code, 2, "{err}");
    assert!(out.is_empty(), "no partial answer on stdout: {out}");
    assert!(err.contains("could not connect"), "{err}");
    assert!(err.contains("gave up after 2 attempts"), "{err}");
    assert!(err.contains("fault_signal"), "names the query: {err}");
}

/// Every worker fails the same way when the server is down: one line per
/// retry round, naming the server, not one per request.
#[test]
fn a_refusing_server_gets_one_line_per_retry_round() {
    let url = refusing_url();
    let rules = format!("{}/rules", env!("CARGO_MANIFEST_DIR"));
    let out = firedrill(&[
        "simulate",
        &rules,
        "--prometheus",
        &url,
        "--range",
        "1h",
        "--retries",
        "2",
        "--concurrency",
        "4",
    ]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    let retries: Vec<&str> = err.lines().filter(|l| l.contains("; retry ")).collect();
    assert_eq!(retries.len(), 2, "{err}");
    for (i, line) in retries.iter().enumerate() {
        assert!(
            line.starts_with(&format!("firedrill: {url}: could not connect")),
            "{line}"
        );
        assert!(line.contains(&format!("retry {} of 2", i + 1)), "{line}");
    }
    assert_eq!(
        err.lines().count(),
        3,
        "two retry rounds and the error: {err}"
    );
}

#[test]
fn server_error_then_success_is_retried() {
    let mock = Mock::start(vec![Reply::status(500, "oops"), Reply::ok()]);
    let (code, out, err) = simulate(&mock.url, &[]);
    assert_eq!(code, 0, "{err}");
    assert_complete(&out);
    assert_eq!(mock.requests().len(), 2);
    assert!(
        err.contains("retry 1 of 4") && err.contains("HTTP 500"),
        "{err}"
    );
}

#[test]
fn too_many_requests_waits_as_long_as_retry_after_says() {
    let mock = Mock::start(vec![
        Reply::Status {
            code: 429,
            headers: vec![("Retry-After".into(), "2".into())],
            body: String::new(),
        },
        Reply::ok(),
    ]);
    let (code, out, err) = simulate(&mock.url, &[]);
    assert_eq!(code, 0, "{err}");
    assert_complete(&out);
    let seen = mock.requests();
    assert_eq!(seen.len(), 2);
    // Our own first backoff is at most 0.5 s; the server asked for 2 s.
    assert!(seen[1].at - seen[0].at >= Duration::from_secs(2));
    assert!(err.contains(": HTTP 429"), "{err}");
    assert!(err.contains("retry 1 of 4 in 2.0s"), "{err}");
}

#[test]
fn bad_data_is_reported_with_the_servers_message_and_never_retried() {
    let mock = Mock::start(vec![Reply::status(
        400,
        r#"{"status":"error","errorType":"bad_data","error":"invalid parameter \"query\": 1:14: parse error: unexpected end of input"}"#,
    )]);
    let (code, out, err) = simulate(&mock.url, &[]);
    assert_eq!(code, 2, "{err}");
    assert!(out.is_empty());
    assert!(
        err.contains("HTTP 400: bad_data: invalid parameter \"query\": 1:14: parse error"),
        "{err}"
    );
    assert!(err.contains("query \"fault_signal\""), "{err}");
    assert!(
        err.contains("2026-11-01T00:00:00Z to 2026-11-01T00:10:00Z"),
        "{err}"
    );
    assert_eq!(mock.requests().len(), 1);
}

#[test]
fn a_body_cut_halfway_is_retried_and_reported_when_it_persists() {
    let mock = Mock::start(vec![Reply::Cut, Reply::ok()]);
    let (code, out, err) = simulate(&mock.url, &[]);
    assert_eq!(code, 0, "{err}");
    assert_complete(&out);
    assert_eq!(mock.requests().len(), 2);

    let mock = Mock::start(vec![Reply::Cut]);
    let (code, out, err) = simulate(&mock.url, &["--retries", "1"]);
    assert_eq!(code, 2, "{err}");
    assert!(out.is_empty());
    assert!(err.contains("cut short"), "{err}");
    assert_eq!(mock.requests().len(), 2);
}

#[test]
fn a_slow_server_times_out() {
    let mock = Mock::start(vec![Reply::Slow(Duration::from_secs(5))]);
    let (code, out, err) = simulate(&mock.url, &["--timeout", "1s", "--retries", "0"]);
    assert_eq!(code, 2, "{err}");
    assert!(out.is_empty());
    assert!(err.contains("timed out"), "{err}");
}

#[test]
fn the_deadline_bounds_the_whole_run() {
    let mock = Mock::start(vec![Reply::Status {
        code: 503,
        headers: vec![("Retry-After".into(), "60".into())],
        body: String::new(),
    }]);
    let (code, _, err) = simulate(&mock.url, &["--deadline", "3s"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("would pass the deadline"), "{err}");
    assert_eq!(mock.requests().len(), 1);
}

#[test]
fn misaligned_timestamps_are_an_error() {
    let mock = Mock::start(vec![Reply::Misaligned]);
    let (code, out, err) = simulate(&mock.url, &[]);
    assert_eq!(code, 2, "{err}");
    assert!(out.is_empty());
    assert!(err.contains("not on the query's step grid"), "{err}");
    assert_eq!(mock.requests().len(), 1, "not retried");
}

#[test]
fn partial_data_is_refused() {
    let mock = Mock::start(vec![Reply::Matrix {
        warnings: vec![],
        partial: true,
    }]);
    let (code, out, err) = simulate(&mock.url, &[]);
    assert_eq!(code, 2, "{err}");
    assert!(out.is_empty());
    assert!(err.contains("partial data"), "{err}");
}

#[test]
fn server_warnings_are_shown() {
    let warning = "PromQL info: metric might not be a counter";
    let mock = Mock::start(vec![Reply::Matrix {
        warnings: vec![warning.into()],
        partial: false,
    }]);
    let (code, out, err) = simulate(&mock.url, &[]);
    assert_eq!(code, 0, "{err}");
    assert_complete(&out);
    assert!(err.contains(warning), "{err}");
    let json: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert!(json["warnings"][0].as_str().unwrap().contains(warning));
}

#[test]
fn credentials_are_sent_and_never_shown() {
    let dir = tempfile::tempdir().unwrap();
    let token = dir.path().join("token");
    std::fs::write(&token, "s3cr3t-t0ken\n").unwrap();
    let mock = Mock::start(vec![Reply::status(401, "unauthorized: s3cr3t? no")]);
    let (code, _, err) = simulate(
        &mock.url,
        &[
            "--bearer-token-file",
            token.to_str().unwrap(),
            "--header",
            "X-Scope-OrgID: tenant-1",
        ],
    );
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("HTTP 401"), "{err}");
    assert!(!err.contains("s3cr3t-t0ken"), "the token leaked: {err}");
    let head = mock.requests()[0].head.to_ascii_lowercase();
    assert!(
        head.contains("authorization: bearer s3cr3t-t0ken"),
        "{head}"
    );
    assert!(head.contains("x-scope-orgid: tenant-1"), "{head}");

    // Basic auth from the URL: sent, and stripped from every message.
    let mock = Mock::start(vec![Reply::status(403, "")]);
    let url = mock.url.replace("http://", "http://alice:pa55word@");
    let (code, _, err) = simulate(&url, &[]);
    assert_eq!(code, 2, "{err}");
    assert!(!err.contains("pa55word"), "the password leaked: {err}");
    assert!(err.contains(&mock.url), "{err}");
    let head = mock.requests()[0].head.to_ascii_lowercase();
    assert!(
        head.contains("authorization: basic ywxpy2u6cge1nxdvcmq="),
        "{head}"
    );
}

#[test]
fn a_record_that_fails_leaves_no_file() {
    let dir = rules();
    let out_file = dir.path().join("never.parquet");
    let mock = Mock::start(vec![Reply::ok(), Reply::Misaligned]);
    let rules = dir.path().join("rules.yml");
    std::fs::write(
        &rules,
        "groups:\n- name: two\n  rules:\n  - alert: A\n    expr: fault_signal > 5\n  - alert: B\n    expr: fault_signal < 1\n",
    )
    .unwrap();
    // Two chunks: the first succeeds, the second is broken.
    let out = firedrill(&[
        "record",
        rules.to_str().unwrap(),
        "--prometheus",
        &mock.url,
        "--start",
        START,
        "--end",
        END,
        "--max-points",
        "6",
        "--concurrency",
        "1",
        "--out",
        out_file.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(!out_file.exists());
    assert!(std::fs::read_dir(dir.path()).unwrap().all(|e| !e
        .unwrap()
        .file_name()
        .to_string_lossy()
        .contains("parquet")));
}

/// Runs `simulate` under a watchdog: a fault that hangs the client fails
/// the test instead of the CI job.
fn simulate_bounded(url: &str, extra: &[&str]) -> common::measure::Measured {
    let dir = rules();
    let args = simulate_args(&dir.path().join("rules.yml"), url, extra);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    common::measure::run(&args, None, Duration::from_secs(60))
}

#[test]
fn a_server_that_trickles_bytes_for_ever_times_out() {
    let mock = Mock::start(vec![Reply::Trickle]);
    let m = simulate_bounded(&mock.url, &["--timeout", "2s", "--retries", "1"]);
    assert_eq!(m.code, Some(2), "{}", m.show());
    assert!(m.stdout.is_empty(), "{}", m.show());
    assert!(m.stderr.contains("timed out"), "{}", m.show());
    assert_eq!(mock.requests().len(), 2, "one retry");
}

#[test]
fn an_error_body_under_http_200_is_an_error() {
    let mock = Mock::start(vec![Reply::status(
        200,
        r#"{"status":"error","errorType":"execution","error":"query processing would load too many samples into memory"}"#,
    )]);
    let (code, out, err) = simulate(&mock.url, &[]);
    assert_eq!(code, 2, "{err}");
    assert!(out.is_empty());
    assert!(
        err.contains("execution: query processing would load too many samples"),
        "{err}"
    );
    assert_eq!(mock.requests().len(), 1, "not retried");
}

/// `fault_signal{pod="a"}` over 11 steps with special values, as Prometheus
/// writes them ("NaN", "+Inf", "-Inf"), and Go's other spelling "Inf".
fn special_values(start: f64, end: f64, step: f64) -> String {
    let cycle = [
        "10", "NaN", "10", "+Inf", "+Inf", "-Inf", "10", "10", "NaN", "Inf", "10",
    ];
    let mut values = Vec::new();
    let mut t = start;
    let first = START.parse::<f64>().unwrap();
    while t <= end {
        let i = ((t - first) / step) as usize;
        values.push(format!("[{t},\"{}\"]", cycle[i % cycle.len()]));
        t += step;
    }
    format!(
        r#"{{"status":"success","data":{{"resultType":"matrix","result":[{{"metric":{{"__name__":"fault_signal","pod":"a"}},"values":[{}]}}]}}}}"#,
        values.join(",")
    )
}

#[test]
fn nan_and_infinities_compare_as_prometheus_compares_them() {
    let mock = Mock::start(vec![Reply::Body(special_values)]);
    let (code, out, err) = simulate(&mock.url, &[]);
    assert_eq!(code, 0, "{err}");
    let json: serde_json::Value = serde_json::from_str(&out).unwrap();
    // `> 5` holds for 10 and +Inf, never for NaN or -Inf. With `for: 1m`:
    // pending t0, reset t1 (NaN), pending t2, firing t3 (+Inf), t4, resolved
    // t5 (-Inf), pending t6, firing t7, resolved t8 (NaN), pending t9 (Inf):
    // two pages in the ten evaluations of [START, END).
    assert_eq!(json["rules"][0]["evaluations"], 10);
    assert_eq!(json["rules"][0]["candidates"][0]["pages"], 2, "{out}");
}

fn duplicate_series(start: f64, end: f64, step: f64) -> String {
    let mut values = Vec::new();
    let mut t = start;
    while t <= end {
        values.push(format!("[{t},\"10\"]"));
        t += step;
    }
    let series = format!(
        r#"{{"metric":{{"__name__":"fault_signal","pod":"a"}},"values":[{}]}}"#,
        values.join(",")
    );
    format!(
        r#"{{"status":"success","data":{{"resultType":"matrix","result":[{series},{series}]}}}}"#
    )
}

#[test]
fn a_series_sent_twice_is_an_error_not_a_double_count() {
    let mock = Mock::start(vec![Reply::Body(duplicate_series)]);
    let (code, out, err) = simulate(&mock.url, &[]);
    assert_eq!(code, 2, "{err}");
    assert!(out.is_empty());
    assert!(err.contains("pod=\"a\""), "{err}");
    assert!(err.contains("two samples at"), "{err}");
}

/// Two chunks: `pod="a"` only in the first, `pod="b"` only in the second,
/// and `pod="c"` in both with its labels in a different order.
fn churning_series(start: f64, end: f64, step: f64) -> String {
    let first_chunk = start == START.parse::<f64>().unwrap();
    let mut values = Vec::new();
    let mut t = start;
    while t <= end {
        values.push(format!("[{t},\"10\"]"));
        t += step;
    }
    let values = values.join(",");
    let (churned, c) = if first_chunk {
        ("a", r#"{"__name__":"fault_signal","pod":"c"}"#)
    } else {
        ("b", r#"{"pod":"c","__name__":"fault_signal"}"#)
    };
    format!(
        r#"{{"status":"success","data":{{"resultType":"matrix","result":[{{"metric":{{"__name__":"fault_signal","pod":"{churned}"}},"values":[{values}]}},{{"metric":{c},"values":[{values}]}}]}}}}"#
    )
}

#[test]
fn series_that_come_and_go_between_chunks_are_joined_by_label_set() {
    let mock = Mock::start(vec![Reply::Body(churning_series)]);
    let (code, out, err) = simulate(&mock.url, &["--max-points", "6"]);
    assert_eq!(code, 0, "{err}");
    assert!(mock.requests().len() >= 2, "two chunks");
    let json: serde_json::Value = serde_json::from_str(&out).unwrap();
    // a: t0-t5, one page; b: t6-t10, one page; c: all along, one page (two
    // if its reordered labels had split it).
    assert_eq!(json["rules"][0]["candidates"][0]["pages"], 3, "{out}");
}

#[test]
fn a_redirect_to_another_host_is_refused_and_carries_no_credentials() {
    let dir = tempfile::tempdir().unwrap();
    let token = dir.path().join("token");
    std::fs::write(&token, "t0ken-that-must-stay\n").unwrap();
    let elsewhere = Mock::start(vec![Reply::ok()]);
    let mock = Mock::start(vec![Reply::Status {
        code: 302,
        headers: vec![(
            "Location".into(),
            format!("{}/api/v1/query_range", elsewhere.url),
        )],
        body: String::new(),
    }]);
    let (code, out, err) = simulate(
        &mock.url,
        &[
            "--bearer-token-file",
            token.to_str().unwrap(),
            "--header",
            "X-Scope-OrgID: tenant-secret",
        ],
    );
    assert_eq!(code, 2, "{err}");
    assert!(out.is_empty());
    assert!(
        err.contains(&format!("redirected to {}", elsewhere.url)),
        "{err}"
    );
    assert!(err.contains("not retried"), "{err}");
    assert!(elsewhere.requests().is_empty(), "the request followed");
    assert_eq!(mock.requests().len(), 1);
    assert!(
        !err.contains("t0ken") && !err.contains("tenant-secret"),
        "{err}"
    );

    // Within the same origin a redirect is followed, credentials and all.
    let same = Mock::start(vec![Reply::RedirectSamePath, Reply::ok()]);
    let (code, out, err) = simulate(&same.url, &["--bearer-token-file", token.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    assert_complete(&out);
    let seen = same.requests();
    assert!(
        seen[1].head.starts_with("GET /moved/api/v1/query_range?"),
        "{}",
        seen[1].head
    );
    assert!(seen[1]
        .head
        .to_ascii_lowercase()
        .contains("authorization: bearer t0ken-that-must-stay"));
}

#[test]
fn a_certificate_the_client_does_not_trust_is_refused_at_once() {
    let fixtures = common::fixtures().join("tls");
    let trusted = fixtures.join("localhost.pem");
    // Self-signed, not in the system's roots.
    let server = common::tls::TlsServer::start("localhost");
    let (code, out, err) = simulate(&server.url, &[]);
    assert_eq!(code, 2, "{err}");
    assert!(out.is_empty());
    assert!(err.contains("certificate"), "{err}");
    assert!(err.contains("not retried"), "{err}");
    // The same server, trusted with --ca-file: the query goes through.
    let (code, _, err) = simulate(&server.url, &["--ca-file", trusted.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    // A trusted issuer, but a certificate for another host name.
    let wrong = common::tls::TlsServer::start("wrong-host");
    let (code, _, err) = simulate(
        &wrong.url,
        &[
            "--ca-file",
            fixtures.join("wrong-host.pem").to_str().unwrap(),
        ],
    );
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("certificate"), "{err}");
    assert!(err.contains("not retried"), "{err}");
}
