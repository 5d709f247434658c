//! A real Prometheus for the tests: history written as OpenMetrics,
//! backfilled with `promtool tsdb create-blocks-from openmetrics`, served by
//! `prometheus` on 127.0.0.1 with a free port (Debian package `prometheus`;
//! `.ci/run` installs it). Stopped when dropped.

use std::fmt::Write as _;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub struct Prometheus {
    pub url: String,
    child: Child,
    dir: tempfile::TempDir,
}

/// One series for OpenMetrics: labels and `(unix seconds, value)` samples.
pub struct Series {
    pub metric: String,
    pub labels: Vec<(String, String)>,
    pub samples: Vec<(i64, f64)>,
}

/// The OpenMetrics text of the series (grouped by metric family, as the
/// format requires), ending with `# EOF`.
pub fn openmetrics(series: &[Series]) -> String {
    let mut families: Vec<&str> = series.iter().map(|s| s.metric.as_str()).collect();
    families.sort();
    families.dedup();
    let mut out = String::new();
    for family in families {
        writeln!(out, "# TYPE {family} gauge").unwrap();
        for s in series.iter().filter(|s| s.metric == family) {
            let labels: Vec<String> = s
                .labels
                .iter()
                .map(|(k, v)| format!("{k}=\"{v}\""))
                .collect();
            for (t, v) in &s.samples {
                writeln!(out, "{}{{{}}} {} {}", s.metric, labels.join(","), v, t).unwrap();
            }
        }
    }
    out.push_str("# EOF\n");
    out
}

/// `promtool` or `prometheus`, both from the Debian package `prometheus`.
pub fn require(tool: &str) {
    super::tools::require(tool, "prometheus");
}

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port on 127.0.0.1")
}

impl Prometheus {
    /// Backfills the series and starts Prometheus on them.
    pub fn start(series: &[Series]) -> Prometheus {
        require("promtool");
        require("prometheus");
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("history.om");
        std::fs::write(&data, openmetrics(series)).unwrap();
        let tsdb = dir.path().join("tsdb");
        let out = Command::new("promtool")
            .args(["tsdb", "create-blocks-from", "openmetrics"])
            .arg(&data)
            .arg(&tsdb)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "backfill failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let (url, child) = serve(dir.path());
        Prometheus { url, child, dir }
    }

    /// Stops the server and starts it again on the same data (to load
    /// blocks added to `tsdb/` meanwhile).
    pub fn restart(&mut self) {
        self.kill();
        let (url, child) = serve(self.dir.path());
        self.url = url;
        self.child = child;
    }

    /// Kills the server now (SIGKILL), as a crash or an OOM kill would.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("prometheus.log")).unwrap_or_default()
    }

    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// `firedrill simulate --format json` of `rules` on this server over
    /// `[start, end)` (unix seconds), with `extra` flags; panics on failure.
    pub fn simulate(
        &self,
        rules: &Path,
        start: i64,
        end: i64,
        extra: &[&str],
    ) -> serde_json::Value {
        simulate_on(&self.url, rules, start, end, extra)
    }
}

/// `firedrill simulate --format json` of `rules` on any server speaking
/// Prometheus's API at `url`; panics on failure.
pub fn simulate_on(
    url: &str,
    rules: &Path,
    start: i64,
    end: i64,
    extra: &[&str],
) -> serde_json::Value {
    let (start, end) = (start.to_string(), end.to_string());
    let mut args = vec![
        "simulate",
        rules.to_str().unwrap(),
        "--prometheus",
        url,
        "--start",
        &start,
        "--end",
        &end,
        "--format",
        "json",
        "-q",
    ];
    args.extend_from_slice(extra);
    let out = super::firedrill(&args);
    assert!(
        out.status.success(),
        "firedrill {args:?}: {}",
        super::stderr(&out)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// Starts `prometheus` on `dir/tsdb`, on a free port of 127.0.0.1.
fn serve(dir: &Path) -> (String, Child) {
    let tsdb = dir.join("tsdb");
    let config = dir.join("prometheus.yml");
    std::fs::write(
        &config,
        "global:\n  scrape_interval: 1m\nscrape_configs: []\n",
    )
    .unwrap();
    let log_path = dir.join("prometheus.log");
    let mut last_error = String::new();
    // A port found free may be taken before Prometheus binds it: try again.
    for _ in 0..5 {
        let port = free_port();
        let log = std::fs::File::create(&log_path).unwrap();
        let mut child = Command::new("prometheus")
            .arg(format!("--config.file={}", config.display()))
            .arg(format!("--storage.tsdb.path={}", tsdb.display()))
            .arg("--storage.tsdb.retention.time=100y")
            .arg(format!("--web.listen-address=127.0.0.1:{port}"))
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("start prometheus");
        let url = format!("http://127.0.0.1:{port}");
        match wait_ready(&url, &mut child, &log_path) {
            Ok(()) => return (url, child),
            Err(e) => {
                last_error = e;
                let _ = child.kill();
                let _ = child.wait();
            }
        }
    }
    panic!("prometheus did not start: {last_error}");
}

pub fn wait_ready(url: &str, child: &mut Child, log: &Path) -> Result<(), String> {
    let client = reqwest::blocking::Client::builder()
        .no_proxy()
        .timeout(Duration::from_secs(2))
        .build()
        .unwrap();
    let log_text = || std::fs::read_to_string(log).unwrap_or_default();
    let until = Instant::now() + Duration::from_secs(60);
    while Instant::now() < until {
        if let Ok(Some(status)) = child.try_wait() {
            return Err(format!("exited with {status}: {}", log_text()));
        }
        if client
            .get(format!("{url}/-/ready"))
            .send()
            .is_ok_and(|r| r.status().is_success())
        {
            return Ok(());
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    Err(format!("not ready after 60 s: {}", log_text()))
}

impl Drop for Prometheus {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
