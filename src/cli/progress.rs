//! Fetch progress on stderr: a bar on a terminal, retry notes always
//! (unless `--quiet`), nothing on stdout.

use std::collections::HashSet;
use std::io::IsTerminal;
use std::sync::Mutex;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::history::fetch::{Observer, Retrying};

pub struct Progress {
    bar: ProgressBar,
    quiet: bool,
    /// Retry rounds already told, by number and reason: when the server is
    /// down, every worker fails the same way, and one line says it.
    told: Mutex<HashSet<(u32, String)>>,
}

impl Progress {
    pub fn new(quiet: bool) -> Progress {
        let bar = if quiet || !std::io::stderr().is_terminal() {
            ProgressBar::hidden()
        } else {
            let bar = ProgressBar::with_draw_target(Some(0), ProgressDrawTarget::stderr());
            if let Ok(style) = ProgressStyle::with_template(
                "fetching {bar:30} {percent}% of {len} points {elapsed}",
            ) {
                bar.set_style(style);
            }
            bar
        };
        Progress {
            bar,
            quiet,
            told: Mutex::new(HashSet::new()),
        }
    }

    pub fn finish(&self) {
        self.bar.finish_and_clear();
    }
}

impl Observer for Progress {
    fn planned(&self, points: u64) {
        self.bar.set_length(points);
    }

    fn request_done(&self, points: u64) {
        self.bar.inc(points);
    }

    fn retrying(&self, retry: &Retrying<'_>) {
        if self.quiet {
            return;
        }
        let new = self
            .told
            .lock()
            .map(|mut told| told.insert((retry.number, retry.reason.to_string())))
            .unwrap_or(true);
        if new {
            self.bar.suspend(|| {
                eprintln!(
                    "firedrill: {}: {}; retry {} of {} in {:.1}s",
                    retry.url,
                    retry.reason,
                    retry.number,
                    retry.of,
                    retry.wait.as_secs_f64()
                )
            });
        }
    }
}

/// The server's warnings and infos, on stderr.
pub fn print_server_warnings(warnings: &[String]) {
    for w in warnings {
        eprintln!("firedrill: warning: the server said: {w}");
    }
}
