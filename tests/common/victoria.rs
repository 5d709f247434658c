//! A real VictoriaMetrics for the tests (Debian package `victoria-metrics`,
//! 1.79) on 127.0.0.1 with a free port: history goes in through its import
//! API (`/api/v1/import`, JSON lines), `/internal/force_flush` makes it
//! searchable at once. Stopped when dropped.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use super::prometheus::{free_port, Series};

pub struct VictoriaMetrics {
    pub url: String,
    child: Child,
    _dir: tempfile::TempDir,
}

impl VictoriaMetrics {
    /// Starts VictoriaMetrics with `flags` and imports the series.
    pub fn start(series: &[Series], flags: &[&str]) -> VictoriaMetrics {
        super::tools::require("victoria-metrics", "victoria-metrics");
        let dir = tempfile::tempdir().unwrap();
        let port = free_port();
        let child = Command::new("victoria-metrics")
            .arg(format!("-httpListenAddr=127.0.0.1:{port}"))
            .arg(format!(
                "-storageDataPath={}",
                dir.path().join("data").display()
            ))
            // History from 2026 must not fall outside the default one month.
            .arg("-retentionPeriod=100y")
            .args(flags)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start victoria-metrics");
        let vm = VictoriaMetrics {
            url: format!("http://127.0.0.1:{port}"),
            child,
            _dir: dir,
        };
        let client = reqwest::blocking::Client::builder()
            .no_proxy()
            .timeout(Duration::from_secs(10))
            .build()
            .unwrap();
        let until = Instant::now() + Duration::from_secs(60);
        while !client
            .get(format!("{}/health", vm.url))
            .send()
            .is_ok_and(|r| r.status().is_success())
        {
            assert!(Instant::now() < until, "victoria-metrics did not start");
            std::thread::sleep(Duration::from_millis(100));
        }
        let lines: String = series
            .iter()
            .map(|s| {
                let mut metric = serde_json::Map::new();
                metric.insert("__name__".into(), s.metric.clone().into());
                for (k, v) in &s.labels {
                    metric.insert(k.clone(), v.clone().into());
                }
                let line = serde_json::json!({
                    "metric": metric,
                    "values": s.samples.iter().map(|(_, v)| *v).collect::<Vec<_>>(),
                    "timestamps": s.samples.iter().map(|(t, _)| t * 1000).collect::<Vec<_>>(),
                });
                format!("{line}\n")
            })
            .collect();
        let r = client
            .post(format!("{}/api/v1/import", vm.url))
            .body(lines)
            .send()
            .unwrap();
        assert!(r.status().is_success(), "import: {:?}", r.text());
        let r = client
            .get(format!("{}/internal/force_flush", vm.url))
            .send()
            .unwrap();
        assert!(r.status().is_success());
        vm
    }
}

impl Drop for VictoriaMetrics {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
