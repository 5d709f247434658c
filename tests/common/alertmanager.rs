//! A real Alertmanager for the tests (Debian package
//! `prometheus-alertmanager`, 0.25), on 127.0.0.1 with clustering off, and
//! a webhook receiver on loopback that records what it is sent and when.
//! Both stop when dropped.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};

use super::prometheus::{free_port, wait_ready};

pub struct Alertmanager {
    pub url: String,
    child: Child,
    _dir: tempfile::TempDir,
}

impl Alertmanager {
    /// Starts Alertmanager on `config` (YAML text).
    pub fn start(config: &str) -> Alertmanager {
        super::tools::require("prometheus-alertmanager", "prometheus-alertmanager");
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("alertmanager.yml");
        std::fs::write(&file, config).unwrap();
        let port = free_port();
        let log = dir.path().join("alertmanager.log");
        let mut child = Command::new("prometheus-alertmanager")
            .arg(format!("--config.file={}", file.display()))
            .arg(format!(
                "--storage.path={}",
                dir.path().join("data").display()
            ))
            .arg(format!("--web.listen-address=127.0.0.1:{port}"))
            // Clustering off: it binds and gossips nowhere else.
            .arg("--cluster.listen-address=")
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .expect("start prometheus-alertmanager");
        let url = format!("http://127.0.0.1:{port}");
        if let Err(e) = wait_ready(&url, &mut child, &log) {
            panic!("alertmanager did not start: {e}");
        }
        Alertmanager {
            url,
            child,
            _dir: dir,
        }
    }

    /// Posts alerts to `/api/v2/alerts`, as Prometheus's notifier does.
    pub fn post(&self, alerts: &serde_json::Value) {
        let client = reqwest::blocking::Client::builder()
            .no_proxy()
            .build()
            .unwrap();
        let r = client
            .post(format!("{}/api/v2/alerts", self.url))
            .header("content-type", "application/json")
            .body(alerts.to_string())
            .send()
            .expect("post alerts");
        assert!(r.status().is_success(), "{:?}", r.text());
    }
}

impl Drop for Alertmanager {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A webhook body and the Unix time (ms) it arrived.
#[derive(Debug, Clone)]
pub struct Received {
    pub at_ms: i64,
    pub body: serde_json::Value,
}

/// An HTTP server on 127.0.0.1 that answers every POST with 200 and keeps
/// its body.
pub struct Webhook {
    pub url: String,
    received: Arc<Mutex<Vec<Received>>>,
}

pub fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
}

impl Webhook {
    pub fn start() -> Webhook {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let received = Arc::new(Mutex::new(Vec::new()));
        let sink = Arc::clone(&received);
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(stream) = stream else { continue };
                let sink = Arc::clone(&sink);
                std::thread::spawn(move || {
                    let mut reader = BufReader::new(stream.try_clone().unwrap());
                    let mut writer = stream;
                    // Keep-alive: one request after another on the connection.
                    loop {
                        let mut length = 0usize;
                        let mut line = String::new();
                        let mut first = true;
                        loop {
                            line.clear();
                            if reader.read_line(&mut line).unwrap_or(0) == 0 {
                                return;
                            }
                            if first {
                                first = false;
                                continue;
                            }
                            let l = line.trim_end();
                            if l.is_empty() {
                                break;
                            }
                            if let Some((k, v)) = l.split_once(':') {
                                if k.eq_ignore_ascii_case("content-length") {
                                    length = v.trim().parse().unwrap_or(0);
                                }
                            }
                        }
                        let mut body = vec![0; length];
                        if reader.read_exact(&mut body).is_err() {
                            return;
                        }
                        let at_ms = now_ms();
                        if let Ok(body) = serde_json::from_slice(&body) {
                            sink.lock().unwrap().push(Received { at_ms, body });
                        }
                        let reply = b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n";
                        if writer.write_all(reply).is_err() {
                            return;
                        }
                    }
                });
            }
        });
        Webhook { url, received }
    }

    pub fn received(&self) -> Vec<Received> {
        self.received.lock().unwrap().clone()
    }
}
