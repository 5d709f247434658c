//! A credential given by flag, environment or file never comes back out:
//! not on stdout or stderr, not in `--format json`, not in a recording, in
//! success and in every failure (refused, server error with retries,
//! connection refused). Each case also checks that the mock received the
//! credential, so a test that sent nothing cannot pass.

mod common;

use std::path::Path;
use std::process::{Command, Output, Stdio};

use common::mock::{Mock, Reply};

const TOKEN: &str = "tok-3f9a1c-SECRET";
const PASSWORD: &str = "pw-77b2e0-SECRET";
const TENANT: &str = "tenant-5d1e-SECRET";
/// base64("alice:pw-77b2e0-SECRET"), what basic auth puts on the wire.
const BASIC: &str = "YWxpY2U6cHctNzdiMmUwLVNFQ1JFVA==";
const START: &str = "1793491200";
const END: &str = "1793491800";

/// How a credential reaches firedrill.
struct Given {
    name: &'static str,
    /// Flags after `--prometheus URL` (`{url}` is the server's URL).
    args: Vec<String>,
    env: Vec<(&'static str, String)>,
    /// Whether the URL itself carries `alice:password@`.
    in_url: bool,
    /// What the request must carry, lowercased.
    sent: String,
}

fn ways(dir: &Path) -> Vec<Given> {
    let token_file = dir.join("token");
    std::fs::write(&token_file, format!("{TOKEN}\n")).unwrap();
    let password_file = dir.join("password");
    std::fs::write(&password_file, PASSWORD).unwrap();
    let bearer = format!("authorization: bearer {TOKEN}").to_ascii_lowercase();
    let basic = format!("authorization: basic {BASIC}").to_ascii_lowercase();
    vec![
        Given {
            name: "bearer token file",
            args: vec![
                "--bearer-token-file".into(),
                token_file.display().to_string(),
            ],
            env: vec![],
            in_url: false,
            sent: bearer.clone(),
        },
        Given {
            name: "bearer token in PROMETHEUS_BEARER_TOKEN",
            args: vec![],
            env: vec![("PROMETHEUS_BEARER_TOKEN", TOKEN.into())],
            in_url: false,
            sent: bearer,
        },
        Given {
            name: "basic auth password file",
            args: vec![
                "--basic-auth-user".into(),
                "alice".into(),
                "--basic-auth-password-file".into(),
                password_file.display().to_string(),
            ],
            env: vec![],
            in_url: false,
            sent: basic.clone(),
        },
        Given {
            name: "basic auth password in PROMETHEUS_PASSWORD",
            args: vec!["--basic-auth-user".into(), "alice".into()],
            env: vec![("PROMETHEUS_PASSWORD", PASSWORD.into())],
            in_url: false,
            sent: basic.clone(),
        },
        Given {
            name: "user:password@ in --prometheus",
            args: vec![],
            env: vec![],
            in_url: true,
            sent: basic,
        },
        Given {
            name: "tenant header by --header",
            args: vec!["--header".into(), format!("X-Scope-OrgID: {TENANT}")],
            env: vec![],
            in_url: false,
            sent: format!("x-scope-orgid: {TENANT}").to_ascii_lowercase(),
        },
    ]
}

fn with_credentials(url: &str, given: &Given) -> String {
    if given.in_url {
        url.replacen("http://", &format!("http://alice:{PASSWORD}@"), 1)
    } else {
        url.to_string()
    }
}

fn run(command: &str, url: &str, given: &Given, rules: &Path, extra: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_firedrill"))
        .args([command, rules.to_str().unwrap(), "--prometheus", url])
        .args(&given.args)
        .args(["--start", START, "--end", END, "--retries", "1"])
        .args(extra)
        .envs(given.env.iter().map(|(k, v)| (*k, v.as_str())))
        .env("NO_PROXY", "127.0.0.1")
        .env("RUST_BACKTRACE", "1")
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

fn assert_clean(what: &str, bytes: &[u8]) {
    let text = String::from_utf8_lossy(bytes);
    for secret in [TOKEN, PASSWORD, TENANT, BASIC] {
        assert!(!text.contains(secret), "{what}: {secret} leaked:\n{text}");
    }
}

fn assert_sent(given: &Given, mock: &Mock) {
    let seen = mock.requests();
    assert!(!seen.is_empty(), "{}: no request", given.name);
    for request in &seen {
        assert!(
            request.head.to_ascii_lowercase().contains(&given.sent),
            "{}: the credential was not sent: {}",
            given.name,
            request.head
        );
    }
}

#[test]
fn credentials_never_leave_through_output_json_or_recordings() {
    let dir = tempfile::tempdir().unwrap();
    let rules = dir.path().join("rules.yml");
    std::fs::write(
        &rules,
        "groups:\n- name: s\n  rules:\n  - alert: SecretHigh\n    expr: fault_signal > 5\n    for: 1m\n",
    )
    .unwrap();
    for given in ways(dir.path()) {
        let name = given.name;

        // Success: the JSON report, and a recording of the same window.
        let mock = Mock::start(vec![Reply::ok()]);
        let url = with_credentials(&mock.url, &given);
        let out = run("simulate", &url, &given, &rules, &["--format", "json"]);
        assert_eq!(out.status.code(), Some(0), "{name}: {out:?}");
        assert_sent(&given, &mock);
        assert_clean(&format!("{name}: simulate stdout"), &out.stdout);
        assert_clean(&format!("{name}: simulate stderr"), &out.stderr);
        let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(json["rules"][0]["candidates"][0]["pages"], 1, "{name}");

        let recording = dir.path().join("r.parquet");
        let out = run(
            "record",
            &url,
            &given,
            &rules,
            &["--out", recording.to_str().unwrap()],
        );
        assert_eq!(out.status.code(), Some(0), "{name}: {out:?}");
        assert_clean(&format!("{name}: record stdout"), &out.stdout);
        assert_clean(&format!("{name}: record stderr"), &out.stderr);
        // The file's bytes, and (since Parquet may compress) what it decodes to.
        assert_clean(
            &format!("{name}: recording bytes"),
            &std::fs::read(&recording).unwrap(),
        );
        let decoded = firedrill::history::recording::read(&recording).unwrap();
        assert_clean(
            &format!("{name}: recording contents"),
            format!("{decoded:?}").as_bytes(),
        );
        assert_eq!(
            decoded.source, mock.url,
            "{name}: source without credentials"
        );
        std::fs::remove_file(&recording).unwrap();

        // Failures: refused, a server error retried then given up, and no
        // server at all; human and JSON formats.
        for (reply, code) in [
            (Reply::status(401, "unauthorized"), 2),
            (Reply::status(503, "overloaded"), 2),
        ] {
            let mock = Mock::start(vec![reply]);
            let url = with_credentials(&mock.url, &given);
            for format in ["human", "json"] {
                let out = run("simulate", &url, &given, &rules, &["--format", format]);
                assert_eq!(out.status.code(), Some(code), "{name}: {out:?}");
                assert_clean(&format!("{name}: failure stdout"), &out.stdout);
                assert_clean(&format!("{name}: failure stderr"), &out.stderr);
            }
            assert_sent(&given, &mock);
        }
        let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let dead = format!("http://{}", closed.local_addr().unwrap());
        drop(closed);
        let out = run(
            "simulate",
            &with_credentials(&dead, &given),
            &given,
            &rules,
            &["--timeout", "2s"],
        );
        assert_eq!(out.status.code(), Some(2), "{name}: {out:?}");
        assert_clean(&format!("{name}: unreachable stderr"), &out.stderr);
    }
}

#[test]
fn debug_output_of_the_server_settings_hides_every_credential() {
    // What a panic message or a debug log would print.
    let server = firedrill::history::fetch::Server::parse(&format!(
        "https://alice:{PASSWORD}@prometheus.example/prefix"
    ))
    .unwrap();
    let mut server = server;
    server.headers.push((
        "X-Scope-OrgID".into(),
        firedrill::history::fetch::Secret::new(TENANT),
    ));
    assert_clean("Server debug", format!("{server:?}").as_bytes());
    server.auth =
        firedrill::history::fetch::Auth::Bearer(firedrill::history::fetch::Secret::new(TOKEN));
    assert_clean("Server debug", format!("{server:?}").as_bytes());

    use clap::Parser;
    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        server: firedrill::cli::history_args::ServerArgs,
    }
    let cli = Cli::parse_from([
        "x",
        "--prometheus",
        &format!("http://alice:{PASSWORD}@127.0.0.1:9090"),
        "--header",
        &format!("X-Scope-OrgID: {TENANT}"),
    ]);
    let shown = format!("{:?}", cli.server);
    assert_clean("ServerArgs debug", shown.as_bytes());
    assert!(shown.contains("X-Scope-OrgID"), "{shown}");
}
