//! Runs the binary and measures what a hostile input may blow up: wall time
//! and peak resident memory. A watchdog kills a run that hangs.
//!
//! Peak memory comes from GNU time (`/usr/bin/time`, Debian package `time`),
//! not from our own `wait4`: Linux carries a process's peak RSS across
//! `exec`, so a child spawned straight from this (large, multi-test) process
//! would report the test process's memory. time forks from a small process,
//! so its child's figure is firedrill's own.

use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

pub struct Measured {
    /// `None` when the watchdog killed it.
    pub code: Option<i32>,
    /// Killed by a signal (a stack overflow aborts with SIGABRT/SIGSEGV).
    pub signal: Option<i32>,
    pub stdout: String,
    pub stderr: String,
    pub wall: Duration,
    pub peak_rss_mib: f64,
}

impl Measured {
    /// Everything a reviewer needs when an assertion fails.
    pub fn show(&self) -> String {
        format!(
            "exit {:?}, signal {:?}, {:.2} s, {:.0} MiB peak\n--- stdout\n{}\n--- stderr\n{}",
            self.code,
            self.signal,
            self.wall.as_secs_f64(),
            self.peak_rss_mib,
            truncate(&self.stdout),
            truncate(&self.stderr)
        )
    }
}

fn truncate(s: &str) -> &str {
    let mut end = s.len().min(4000);
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

/// Runs `firedrill args` with stdin from `stdin_file` (or nothing), killing it
/// after `limit`.
pub fn run(args: &[&str], stdin_file: Option<&Path>, limit: Duration) -> Measured {
    let dir = tempfile::tempdir().unwrap();
    let out_path = dir.path().join("stdout");
    let err_path = dir.path().join("stderr");
    let stdin = match stdin_file {
        Some(p) => Stdio::from(std::fs::File::open(p).unwrap()),
        None => Stdio::null(),
    };
    let rss_path = dir.path().join("rss");
    super::tools::require("/usr/bin/time", "time");
    let started = Instant::now();
    let child = Command::new("/usr/bin/time")
        .arg("--format=%M %x")
        .arg("--output")
        .arg(&rss_path)
        .arg(env!("CARGO_BIN_EXE_firedrill"))
        .args(args)
        .env("NO_COLOR", "1")
        .env("NO_PROXY", "127.0.0.1,localhost")
        .env("no_proxy", "127.0.0.1,localhost")
        .stdin(stdin)
        .stdout(std::fs::File::create(&out_path).unwrap())
        .stderr(std::fs::File::create(&err_path).unwrap())
        // Its own process group, so the watchdog can kill time and firedrill.
        .process_group(0)
        .spawn()
        .expect("run /usr/bin/time");
    let pid = child.id() as libc::pid_t;
    let mut status = 0;
    let mut killed = false;
    loop {
        // SAFETY: WNOHANG returns at once; the pid is our own child.
        let r = unsafe { libc::waitpid(pid, &mut status, libc::WNOHANG) };
        if r == pid {
            break;
        }
        assert!(r == 0, "waitpid failed");
        if started.elapsed() > limit && !killed {
            // SAFETY: the group is the one spawned above, not yet reaped.
            unsafe { libc::kill(-pid, libc::SIGKILL) };
            killed = true;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    let wall = started.elapsed();
    // The child is reaped; `Child`'s drop does not wait.
    drop(child);
    // time writes "Command terminated by signal N" and then "<KiB> <status>".
    let report = std::fs::read_to_string(&rss_path).unwrap_or_default();
    let signal = report
        .lines()
        .find_map(|l| l.strip_prefix("Command terminated by signal "))
        .and_then(|n| n.trim().parse().ok());
    let last = report.lines().last().unwrap_or("");
    let mut fields = last.split_whitespace();
    let kib: f64 = fields
        .next()
        .and_then(|v| v.parse().ok())
        .unwrap_or(f64::NAN);
    let code: Option<i32> = fields.next().and_then(|v| v.parse().ok());
    Measured {
        code: (!killed && signal.is_none() && libc::WIFEXITED(status))
            .then_some(code)
            .flatten(),
        signal: if killed { None } else { signal },
        stdout: String::from_utf8_lossy(&std::fs::read(&out_path).unwrap()).into_owned(),
        stderr: String::from_utf8_lossy(&std::fs::read(&err_path).unwrap()).into_owned(),
        wall,
        peak_rss_mib: kib / 1024.0,
    }
}
