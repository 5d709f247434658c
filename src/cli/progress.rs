//! Fetch progress on stderr: a bar on a terminal, retry notes always
//! (unless `--quiet`), nothing on stdout.

use std::io::IsTerminal;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::history::fetch::Observer;

pub struct Progress {
    bar: ProgressBar,
    quiet: bool,
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
        Progress { bar, quiet }
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

    fn retrying(&self, what: &str, wait: Duration) {
        if !self.quiet {
            self.bar
                .suspend(|| eprintln!("firedrill: retrying in {:.1}s: {what}", wait.as_secs_f64()));
        }
    }
}

/// The server's warnings and infos, on stderr.
pub fn print_server_warnings(warnings: &[String]) {
    for w in warnings {
        eprintln!("firedrill: warning: the server said: {w}");
    }
}
