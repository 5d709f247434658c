//! Range queries against a live server: split into chunks the server
//! accepts, fetched concurrently (bounded), retried on transient faults,
//! checked sample by sample, and handed to a consumer chunk by chunk, so a
//! replay need not hold the whole window's raw samples.
//!
//! A run either delivers every chunk of every query or fails: a chunk that
//! cannot be fetched stops the run with the server's own message, and a
//! response the server marks partial is an error (Thanos is asked for
//! `partial_response=false`).

pub mod chunk;
pub mod response;
pub mod retry;
pub mod server;

use std::io::Read;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

pub use chunk::Chunk;
pub use retry::RetryPolicy;
pub use server::{Auth, Secret, Server, ServerError, Tls};

use super::{QueryResult, RawSeries};
use response::BodyProblem;

/// Prometheus refuses range queries of more points per series than this.
pub const PROMETHEUS_MAX_POINTS: u64 = 11_000;

/// Samples per response by default: 4 MB of parsed samples each. Measured
/// against Prometheus (benches/live_fetch.sh), smaller responses were both
/// leaner and faster than 1 M-sample ones.
pub const DEFAULT_MAX_SAMPLES: u64 = 250_000;

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

#[derive(Debug, Clone)]
pub struct FetchOptions {
    /// Points per series per request (at most 11,000 for Prometheus).
    pub max_points: u64,
    /// Samples one response should hold at most (points × series), which
    /// bounds memory in flight to about `concurrency × max_samples × 16`
    /// bytes; the first request of each query is a probe that learns how
    /// many series it returns.
    pub max_samples: u64,
    /// The longest range one request may span (Thanos/Mimir query limits).
    pub max_range_ms: Option<i64>,
    /// Requests in flight at once.
    pub concurrency: usize,
    /// One request's time limit.
    pub timeout: Duration,
    /// The whole run's time limit.
    pub deadline: Duration,
    pub retry: RetryPolicy,
}

impl Default for FetchOptions {
    fn default() -> Self {
        FetchOptions {
            max_points: PROMETHEUS_MAX_POINTS,
            max_samples: DEFAULT_MAX_SAMPLES,
            max_range_ms: None,
            concurrency: 4,
            timeout: Duration::from_secs(120),
            deadline: Duration::from_secs(1800),
            retry: RetryPolicy::default(),
        }
    }
}

/// One range query over one window: `start`, `end` on the `step` grid.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Job {
    pub query: String,
    pub start_ms: i64,
    pub end_ms: i64,
    pub step_ms: i64,
}

/// Told about progress; called from worker threads.
pub trait Observer: Sync {
    /// The run will fetch this many points per series, over all queries.
    fn planned(&self, _points: u64) {}
    /// A request for this many points per series has been answered.
    fn request_done(&self, _points: u64) {}
    /// A transient failure that will be retried.
    fn retrying(&self, _retry: &Retrying<'_>) {}
}

/// A request that failed for a reason that may pass, about to be retried.
#[derive(Debug, Clone)]
pub struct Retrying<'a> {
    /// The server, without credentials.
    pub url: &'a str,
    pub reason: &'a str,
    pub wait: Duration,
    /// This retry's number (1 for the first) and how many are allowed.
    pub number: u32,
    pub of: u32,
}

/// An observer that ignores everything.
pub struct Quiet;
impl Observer for Quiet {}

/// What a whole run did besides delivering data.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FetchReport {
    /// The server's `warnings` and `infos`, each once, with the query they came from.
    pub warnings: Vec<String>,
    pub requests: usize,
    pub retries: usize,
}

#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    #[error(transparent)]
    Server(#[from] ServerError),
    #[error("{url}: {reason} (query {query:?}, {window}; gave up after {attempts} attempts)")]
    Unreachable {
        url: String,
        query: String,
        window: String,
        attempts: u32,
        reason: String,
    },
    #[error("{url}: {reason} (query {query:?}, {window}; not retried)")]
    Transport {
        url: String,
        reason: String,
        query: String,
        window: String,
    },
    #[error("{url} answered HTTP {status}{detail} (query {query:?}, {window})")]
    Refused {
        url: String,
        status: u16,
        /// `: bad_data: parse error ...` when the body is the API's error JSON.
        detail: String,
        query: String,
        window: String,
    },
    #[error("{url}: {problem} (query {query:?}, {window})")]
    Body {
        url: String,
        problem: BodyProblem,
        query: String,
        window: String,
    },
    #[error("{url} returned partial data for query {query:?} ({window}); refusing to replay an incomplete history")]
    Partial {
        url: String,
        query: String,
        window: String,
    },
    #[error("the run's deadline ({0:?}) passed with requests left; raise --deadline or narrow the window")]
    Deadline(Duration),
    #[error("{0}")]
    Consumer(String),
}

fn window_text(chunk: Chunk) -> String {
    format!(
        "{} to {}",
        crate::time::format_utc(chunk.start_ms),
        crate::time::format_utc(chunk.end_ms)
    )
}

fn seconds(ms: i64) -> String {
    if ms % 1000 == 0 {
        (ms / 1000).to_string()
    } else {
        format!("{:.3}", ms as f64 / 1000.0)
    }
}

/// Fetches every job, chunk by chunk, `options.concurrency` requests at a
/// time, and gives each chunk's series to `consume(job index, chunk,
/// series)` as it arrives (chunks of one job may arrive in any order).
/// Stops at the first error, from the server or from `consume`.
pub fn fetch<F>(
    server: &Server,
    jobs: &[Job],
    options: &FetchOptions,
    observer: &dyn Observer,
    consume: F,
) -> Result<FetchReport, FetchError>
where
    F: Fn(usize, Chunk, Vec<RawSeries>) -> Result<(), String> + Sync,
{
    let client = server.client()?;
    let schedule = Mutex::new(chunk::Schedule::new(
        jobs.iter().map(|j| (j.start_ms, j.end_ms, j.step_ms)),
        options.max_points,
        options.max_range_ms,
        options.max_samples,
    ));
    let answered = Condvar::new();
    observer.planned(lock(&schedule).total_points());
    let deadline = Instant::now() + options.deadline;
    let stop = AtomicBool::new(false);
    let failure: Mutex<Option<FetchError>> = Mutex::new(None);
    let report = Mutex::new(FetchReport::default());
    let fail = |e: FetchError| {
        lock(&failure).get_or_insert(e);
        // Under the schedule's lock, so a worker about to wait sees the stop.
        let _schedule = lock(&schedule);
        stop.store(true, Ordering::SeqCst);
        answered.notify_all();
    };
    // The next chunk to fetch, waiting while every query left waits for its probe.
    let take = || -> Option<(usize, Chunk)> {
        let mut schedule = lock(&schedule);
        loop {
            if stop.load(Ordering::SeqCst) {
                return None;
            }
            match schedule.take() {
                chunk::Next::Fetch { job, chunk } => return Some((job, chunk)),
                chunk::Next::Done => return None,
                chunk::Next::Wait => {
                    schedule = answered.wait(schedule).unwrap_or_else(|p| p.into_inner());
                }
            }
        }
    };
    let workers = options.concurrency.max(1);
    std::thread::scope(|scope| {
        for _ in 0..workers {
            scope.spawn(|| {
                while let Some((j, chunk)) = take() {
                    let request = Request {
                        client: &client,
                        server,
                        job: &jobs[j],
                        chunk,
                        options,
                        deadline,
                        stop: &stop,
                        observer,
                    };
                    match request.run() {
                        Ok((matrix, retries)) => {
                            lock(&schedule).answered(j, matrix.series.len());
                            answered.notify_all();
                            {
                                let mut r = lock(&report);
                                r.requests += 1;
                                r.retries += retries as usize;
                                for w in matrix.warnings.iter().chain(&matrix.infos) {
                                    let line = format!("{w} (query {:?})", jobs[j].query);
                                    if !r.warnings.contains(&line) {
                                        r.warnings.push(line);
                                    }
                                }
                            }
                            if let Err(e) = consume(j, chunk, matrix.series) {
                                fail(FetchError::Consumer(e));
                                return;
                            }
                            observer.request_done(chunk.points(jobs[j].step_ms.max(1)) as u64);
                        }
                        Err(Some(e)) => {
                            fail(e);
                            return;
                        }
                        // Stopped because another worker failed.
                        Err(None) => return,
                    }
                }
            });
        }
    });
    if let Some(e) = failure.into_inner().unwrap_or_else(|p| p.into_inner()) {
        return Err(e);
    }
    Ok(report.into_inner().unwrap_or_else(|p| p.into_inner()))
}

/// Fetches every job whole: the chunks stitched in time order.
pub fn fetch_results(
    server: &Server,
    jobs: &[Job],
    options: &FetchOptions,
    observer: &dyn Observer,
) -> Result<(Vec<QueryResult>, FetchReport), FetchError> {
    type Parts = Vec<(Chunk, Vec<RawSeries>)>;
    let parts: Vec<Mutex<Parts>> = jobs.iter().map(|_| Mutex::new(Vec::new())).collect();
    let report = fetch(server, jobs, options, observer, |j, chunk, series| {
        lock(&parts[j]).push((chunk, series));
        Ok(())
    })?;
    let mut results = Vec::with_capacity(jobs.len());
    for (job, parts) in jobs.iter().zip(parts) {
        let mut parts = parts.into_inner().unwrap_or_else(|p| p.into_inner());
        parts.sort_by_key(|(c, _)| c.start_ms);
        let mut by_labels: std::collections::BTreeMap<super::Labels, Vec<(i64, f64)>> =
            std::collections::BTreeMap::new();
        for (chunk, series) in parts {
            for s in series {
                let samples = by_labels.entry(s.labels.clone()).or_default();
                if let (Some(last), Some(first)) = (samples.last(), s.samples.first()) {
                    if first.0 <= last.0 {
                        return Err(FetchError::Body {
                            url: server.display_url(),
                            problem: BodyProblem::Unordered {
                                timestamp_ms: first.0,
                                labels: s.labels,
                            },
                            query: job.query.clone(),
                            window: window_text(chunk),
                        });
                    }
                }
                samples.extend(s.samples);
            }
        }
        results.push(QueryResult {
            query: job.query.clone(),
            step_ms: job.step_ms,
            start_ms: job.start_ms,
            end_ms: job.end_ms,
            series: by_labels
                .into_iter()
                .map(|(labels, samples)| RawSeries { labels, samples })
                .collect(),
        });
    }
    Ok((results, report))
}

struct Request<'a> {
    client: &'a reqwest::blocking::Client,
    server: &'a Server,
    job: &'a Job,
    chunk: Chunk,
    options: &'a FetchOptions,
    deadline: Instant,
    stop: &'a AtomicBool,
    observer: &'a dyn Observer,
}

/// One attempt's failure: retry it (after at least `wait`), or give up.
enum Attempt {
    Transient {
        reason: String,
        wait: Option<Duration>,
    },
    Fatal(FetchError),
}

impl Request<'_> {
    /// The chunk's matrix and the retries it took; `Err(None)` when stopped.
    fn run(&self) -> Result<(response::Matrix, u32), Option<FetchError>> {
        let mut retries = 0u32;
        loop {
            let remaining = self.deadline.saturating_duration_since(Instant::now());
            if remaining.is_zero() {
                return Err(Some(FetchError::Deadline(self.options.deadline)));
            }
            let (why, wait) = match self.attempt(self.options.timeout.min(remaining)) {
                Ok(matrix) => return Ok((matrix, retries)),
                Err(Attempt::Fatal(e)) => return Err(Some(e)),
                Err(Attempt::Transient { reason, wait }) => {
                    if retries >= self.options.retry.retries {
                        return Err(Some(FetchError::Unreachable {
                            url: self.server.display_url(),
                            query: self.job.query.clone(),
                            window: window_text(self.chunk),
                            attempts: retries + 1,
                            reason,
                        }));
                    }
                    let backoff = self.options.retry.backoff(retries);
                    // The server's Retry-After wins over our own backoff.
                    let wait = wait.unwrap_or(backoff);
                    if Instant::now() + wait >= self.deadline {
                        return Err(Some(FetchError::Unreachable {
                            url: self.server.display_url(),
                            query: self.job.query.clone(),
                            window: window_text(self.chunk),
                            attempts: retries + 1,
                            reason: format!(
                                "{reason}; the next attempt ({wait:?} away) would pass the deadline"
                            ),
                        }));
                    }
                    (reason, wait)
                }
            };
            self.observer.retrying(&Retrying {
                url: &self.server.display_url(),
                reason: &why,
                wait,
                number: retries + 1,
                of: self.options.retry.retries,
            });
            if !self.sleep(wait) {
                return Err(None);
            }
            retries += 1;
        }
    }

    /// Sleeps in short slices so a failure elsewhere stops this worker soon.
    fn sleep(&self, wait: Duration) -> bool {
        let until = Instant::now() + wait;
        while Instant::now() < until {
            if self.stop.load(Ordering::SeqCst) {
                return false;
            }
            std::thread::sleep((until - Instant::now()).min(Duration::from_millis(50)));
        }
        !self.stop.load(Ordering::SeqCst)
    }

    fn attempt(&self, timeout: Duration) -> Result<response::Matrix, Attempt> {
        let url = self.server.query_range_url();
        let sent = self
            .client
            .get(url)
            .query(&[
                ("query", self.job.query.as_str()),
                ("start", &seconds(self.chunk.start_ms)),
                ("end", &seconds(self.chunk.end_ms)),
                ("step", &seconds(self.job.step_ms)),
                ("partial_response", "false"),
                // VictoriaMetrics otherwise moves start and end to multiples
                // of the step (for its cache) once a query returns 50 or
                // more points, and the points off the evaluation grid.
                ("nocache", "1"),
            ])
            .timeout(timeout)
            .send();
        let response = match sent {
            Ok(r) => r,
            Err(e) => {
                let reason = describe(&e);
                // Neither a refused redirect nor a certificate the client
                // does not trust gets better by asking again.
                if e.is_redirect() || reason.contains("certificate") {
                    return Err(Attempt::Fatal(FetchError::Transport {
                        url: self.server.display_url(),
                        reason,
                        query: self.job.query.clone(),
                        window: window_text(self.chunk),
                    }));
                }
                return Err(Attempt::Transient { reason, wait: None });
            }
        };
        let status = response.status().as_u16();
        if response.status().is_success() {
            let step = self.job.step_ms;
            // The request's timeout covers the body too: a server trickling
            // bytes for ever times out (tests/fetch_faults.rs).
            return match response::read_matrix(response, self.chunk, step) {
                Ok(m) if m.partial => Err(Attempt::Fatal(FetchError::Partial {
                    url: self.server.display_url(),
                    query: self.job.query.clone(),
                    window: window_text(self.chunk),
                })),
                Ok(m) => Ok(m),
                // A body cut short is a network fault: try again.
                Err(problem @ BodyProblem::Cut(_)) => Err(Attempt::Transient {
                    reason: problem.to_string(),
                    wait: None,
                }),
                Err(problem) => Err(Attempt::Fatal(FetchError::Body {
                    url: self.server.display_url(),
                    problem,
                    query: self.job.query.clone(),
                    window: window_text(self.chunk),
                })),
            };
        }
        let retry_after = response
            .headers()
            .get(reqwest::header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| retry::retry_after(v, now_ms()));
        let mut body = String::new();
        let _ = response.take(64 * 1024).read_to_string(&mut body);
        let detail = match response::error_fields(&body) {
            Some((kind, text)) => format!(": {kind}: {text}"),
            None if body.trim().is_empty() => String::new(),
            None => format!(": {}", first_line(&body)),
        };
        if retry::retryable_status(status) {
            return Err(Attempt::Transient {
                reason: format!("HTTP {status}{detail}"),
                wait: retry_after,
            });
        }
        Err(Attempt::Fatal(FetchError::Refused {
            url: self.server.display_url(),
            status,
            detail,
            query: self.job.query.clone(),
            window: window_text(self.chunk),
        }))
    }
}

fn first_line(body: &str) -> String {
    let line = body.trim().lines().next().unwrap_or("");
    let mut short: String = line.chars().take(200).collect();
    if short.len() < line.len() {
        short.push('…');
    }
    short
}

/// A transport error in a sentence, without the URL (whose query string
/// repeats the query) and without any header.
fn describe(e: &reqwest::Error) -> String {
    let kind = if e.is_timeout() {
        "timed out"
    } else if e.is_connect() {
        "could not connect"
    } else if e.is_body() || e.is_decode() {
        "the response was cut short"
    } else {
        "request failed"
    };
    let mut cause = String::new();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        cause = s.to_string();
        source = s.source();
    }
    if cause.is_empty() {
        kind.to_string()
    } else {
        format!("{kind}: {cause}")
    }
}

use crate::time::now_ms;
