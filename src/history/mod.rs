//! Where history comes from: what a range query returned, per query, and
//! recordings of it on disk (Parquet). Knows nothing of alert semantics.

pub mod fetch;
pub mod recording;

/// Label pairs sorted by name.
pub type Labels = Vec<(String, String)>;

/// One series of a range-query result.
#[derive(Debug, Clone, PartialEq)]
pub struct RawSeries {
    pub labels: Labels,
    /// `(timestamp ms, value)` in the order the server returned them.
    pub samples: Vec<(i64, f64)>,
}

/// What `/api/v1/query_range` returned for one query over one window.
#[derive(Debug, Clone, PartialEq)]
pub struct QueryResult {
    pub query: String,
    pub step_ms: i64,
    pub start_ms: i64,
    pub end_ms: i64,
    pub series: Vec<RawSeries>,
}

/// Where a replay's history comes from: one value that `simulate`,
/// `tune`, `diff` and `record` all take.
#[derive(Debug, Clone)]
pub enum Source {
    /// A recording on disk (Parquet), read when history is asked of it.
    Recording(std::path::PathBuf),
    /// A live server, how to fetch from it, and the window `[from, to]` in ms.
    Server {
        server: Box<fetch::Server>,
        options: fetch::FetchOptions,
        window: (i64, i64),
    },
}

/// A set of query results, and where they came from.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Recording {
    /// The server URL without credentials, or a generator's name.
    pub source: String,
    pub results: Vec<QueryResult>,
}

impl Recording {
    /// The result recorded for a query and step, if any.
    pub fn find(&self, query: &str) -> Option<&QueryResult> {
        self.results.iter().find(|r| r.query == query)
    }
}
