//! The recording format: one Parquet file (written with polars), one row
//! per sample, self-describing and versioned.
//!
//! | column | type | meaning |
//! | --- | --- | --- |
//! | `format` | string | always `firedrill-recording` |
//! | `version` | u32 | format version, 1 |
//! | `source` | string | server URL without credentials, or generator name |
//! | `query` | string | the PromQL sent to `/api/v1/query_range` |
//! | `step_ms`, `start_ms`, `end_ms` | i64 | the query's step and window (ms since epoch) |
//! | `series` | u32, null | index of the series within the query's result |
//! | `labels` | string, null | the series' labels as a JSON object |
//! | `timestamp_ms` | i64, null | sample time |
//! | `value` | f64, null | sample value (NaN and ±Inf kept) |
//!
//! A query whose result was empty is one row with nulls from `series` on,
//! so "asked and got nothing" differs from "never asked". Repeated columns
//! cost next to nothing in Parquet (dictionary and run-length encoding).

use std::collections::BTreeMap;
use std::fs::File;
use std::path::Path;
use std::sync::Arc;

use polars::prelude::*;
use polars_parquet::parquet::metadata::FileMetadata;

use super::{QueryResult, RawSeries, Recording};
use crate::contained_panic;

mod footer;

pub const FORMAT: &str = "firedrill-recording";
pub const VERSION: u32 = 1;

#[derive(Debug, thiserror::Error)]
pub enum RecordingError {
    #[error("{path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    #[error("{path}: not a readable Parquet file (truncated or not a recording?): {message}")]
    Unreadable { path: String, message: String },
    #[error("{path}: not a firedrill recording: {message}")]
    NotRecording { path: String, message: String },
    #[error("{path}: recording format version {found}; this firedrill reads version {VERSION}")]
    Version { path: String, found: u32 },
}

/// Writes atomically: a temporary file beside the target, then a rename, so
/// an interrupted run never leaves half a recording.
pub fn write(path: &Path, recording: &Recording) -> Result<(), RecordingError> {
    let shown = path.display().to_string();
    let io = |e| RecordingError::Io {
        path: shown.clone(),
        source: e,
    };
    let encode = |e: PolarsError| RecordingError::Io {
        path: shown.clone(),
        source: std::io::Error::other(e.to_string()),
    };
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "recording".into());
    let temp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
    let result = (|| {
        let file = File::create(&temp).map_err(io)?;
        let schema = Rows::default().frame(&recording.source).map_err(encode)?;
        let mut writer = ParquetWriter::new(file)
            .with_compression(ParquetCompression::Zstd(None))
            .batched(schema.schema())
            .map_err(encode)?;
        write_frames(recording, |df| writer.write_batch(df)).map_err(encode)?;
        writer.finish().map_err(encode)?;
        std::fs::rename(&temp, path).map_err(io)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&temp);
    }
    result
}

/// Rows in each frame the writer encodes, so in each row group: polars'
/// default. The writer builds one frame at a time and the reader decodes
/// one group at a time, so neither holds a frame of the whole recording
/// (about 110 bytes a row, seven times the samples: 4 GB for 13 M samples).
const ROWS_PER_GROUP: usize = 512 * 512;

/// The columns of up to [`ROWS_PER_GROUP`] rows, borrowing the recording.
#[derive(Default)]
struct Rows<'a> {
    query: Vec<&'a str>,
    step: Vec<i64>,
    start: Vec<i64>,
    end: Vec<i64>,
    series: Vec<Option<u32>>,
    labels: Vec<Option<&'a str>>,
    ts: Vec<Option<i64>>,
    value: Vec<Option<f64>>,
}

impl<'a> Rows<'a> {
    /// A row of `result`: one sample of its series `index` with `labels`,
    /// or (`None`) the row saying the query returned nothing.
    fn push(&mut self, result: &'a QueryResult, sample: Option<(u32, &'a str, i64, f64)>) {
        self.query.push(&result.query);
        self.step.push(result.step_ms);
        self.start.push(result.start_ms);
        self.end.push(result.end_ms);
        self.series.push(sample.map(|s| s.0));
        self.labels.push(sample.map(|s| s.1));
        self.ts.push(sample.map(|s| s.2));
        self.value.push(sample.map(|s| s.3));
    }

    /// The rows so far as a frame; leaves `self` empty.
    fn frame(&mut self, source: &str) -> PolarsResult<DataFrame> {
        let n = self.query.len();
        let rows = std::mem::take(self);
        DataFrame::new_infer_height(vec![
            Column::new("format".into(), vec![FORMAT; n]),
            Column::new("version".into(), vec![VERSION; n]),
            Column::new("source".into(), vec![source; n]),
            Column::new("query".into(), rows.query),
            Column::new("step_ms".into(), rows.step),
            Column::new("start_ms".into(), rows.start),
            Column::new("end_ms".into(), rows.end),
            Column::new("series".into(), rows.series),
            Column::new("labels".into(), rows.labels),
            Column::new("timestamp_ms".into(), rows.ts),
            Column::new("value".into(), rows.value),
        ])
    }
}

/// Hands `write` the recording's rows as frames of [`ROWS_PER_GROUP`] rows
/// (the last one shorter; one empty frame for an empty recording).
fn write_frames(
    recording: &Recording,
    mut write: impl FnMut(&DataFrame) -> PolarsResult<()>,
) -> PolarsResult<()> {
    // Each series' labels once, which its rows borrow.
    let labels: Vec<Vec<String>> = recording
        .results
        .iter()
        .map(|r| r.series.iter().map(|s| labels_json(&s.labels)).collect())
        .collect();
    let mut rows = Rows::default();
    for (result, labels) in recording.results.iter().zip(&labels) {
        if result.series.iter().all(|s| s.samples.is_empty()) {
            rows.push(result, None);
        }
        for (i, (series, json)) in result.series.iter().zip(labels).enumerate() {
            for &(t, v) in &series.samples {
                rows.push(result, Some((i as u32, json, t, v)));
                if rows.query.len() == ROWS_PER_GROUP {
                    write(&rows.frame(&recording.source)?)?;
                }
            }
        }
    }
    // Every query gives at least one row: only an empty recording has
    // none, and it still needs a frame for the file's schema.
    if !rows.query.is_empty() || recording.results.is_empty() {
        write(&rows.frame(&recording.source)?)?;
    }
    Ok(())
}

fn labels_json(labels: &[(String, String)]) -> String {
    let map: BTreeMap<&str, &str> = labels
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    serde_json::to_string(&map).expect("string map serialises")
}

pub fn read(path: &Path) -> Result<Recording, RecordingError> {
    let shown = path.display().to_string();
    let bytes = std::fs::read(path).map_err(|e| RecordingError::Io {
        path: shown.clone(),
        source: e,
    })?;
    read_owned(&shown, bytes)
}

/// Reads a recording held in memory; `name` is what errors call it.
pub fn read_bytes(name: &str, bytes: &[u8]) -> Result<Recording, RecordingError> {
    read_owned(name, bytes.to_vec())
}

/// The page check reads through a polars buffer, which owns its bytes:
/// taking the file's `Vec` avoids a second copy of a large recording.
fn read_owned(name: &str, bytes: Vec<u8>) -> Result<Recording, RecordingError> {
    let unreadable = |message: String| RecordingError::Unreadable {
        path: name.to_string(),
        message,
    };
    let buffer = polars_buffer::Buffer::from_vec(bytes);
    // polars asserts on some malformed input (its footer reader, bitmaps,
    // columns shorter than the frame; found by fuzzing): contain that as an
    // unreadable file, not a crash. (After a panic the buffer is only
    // dropped, so no state it holds is seen half-changed.) Decoding stays on
    // this thread, where a contained panic prints nothing.
    let decoded = contained_panic::catch(|| {
        let metadata = Arc::new(check_pages(&buffer).map_err(unreadable)?);
        // One row group at a time (a slice polars maps to that group, and
        // skips the pages of the others): see `Decoder`.
        let mut slices: Vec<Option<(usize, usize)>> = Vec::new();
        let mut first = 0;
        for group in &metadata.row_groups {
            slices.push(Some((first, group.num_rows())));
            first += group.num_rows();
        }
        if slices.is_empty() {
            slices.push(None);
        }
        let mut decoder = Decoder::new(name);
        for slice in slices {
            let mut reader = ParquetReader::new(std::io::Cursor::new(&buffer[..]))
                .read_parallel(ParallelStrategy::None)
                .with_slice(slice);
            reader.set_metadata(metadata.clone());
            let df = reader.finish().map_err(|e| unreadable(e.to_string()))?;
            decoder.add(&df, slice.map_or(0, |(first, _)| first))?;
        }
        decoder.finish()
    });
    decoded.unwrap_or_else(|| {
        Err(unreadable(
            "polars failed while decoding it (a damaged footer, page or column)".into(),
        ))
    })
}

/// Most rows a recording may hold: 1,000 series × 30 days at 15 s is
/// 173 million; beyond this a file is refused rather than decoded.
pub const MAX_ROWS: usize = 500_000_000;
/// Largest page (compressed or not) a recording's column may hold.
const MAX_PAGE_BYTES: usize = 1 << 30;

/// polars sizes its buffers from the counts in a file's footer and page
/// headers without checking them against each other, so a damaged or
/// forged file can make it allocate exabytes, which aborts the process.
/// Walk every page header first and refuse counts that cannot be true.
/// Returns the footer, which the reader then uses as read here.
fn check_pages(buffer: &polars_buffer::Buffer<u8>) -> Result<FileMetadata, String> {
    use polars_parquet::parquet::page::CompressedPage;
    use polars_parquet::parquet::read::{get_page_iterator, read_metadata};

    let bytes: &[u8] = buffer;
    footer::check(bytes)?;
    let mut cursor = std::io::Cursor::new(bytes);
    let metadata = read_metadata(&mut cursor).map_err(|e| e.to_string())?;
    if metadata.num_rows > MAX_ROWS {
        return Err(format!(
            "it claims {} rows, more than the {MAX_ROWS} firedrill reads",
            metadata.num_rows
        ));
    }
    let mut rows = 0usize;
    for group in &metadata.row_groups {
        let group_rows = group.num_rows();
        rows = rows.saturating_add(group_rows);
        if rows > metadata.num_rows {
            return Err("its row groups hold more rows than its footer says".into());
        }
        for column in group.parquet_columns() {
            let values = usize::try_from(column.num_values()).unwrap_or(usize::MAX);
            if values > group_rows {
                return Err("a column holds more values than its row group has rows".into());
            }
            let range = column.byte_range();
            if range.end > bytes.len() as u64 || range.start > range.end {
                return Err("a column lies outside the file".into());
            }
            let pages = get_page_iterator(
                column,
                std::io::Cursor::new(buffer.clone()),
                Vec::new(),
                MAX_PAGE_BYTES,
            )
            .map_err(|e| e.to_string())?;
            let mut seen = 0usize;
            for page in pages {
                if let CompressedPage::Data(page) = page.map_err(|e| e.to_string())? {
                    seen = seen.saturating_add(page.num_values());
                    if seen > values || page.uncompressed_size() > MAX_PAGE_BYTES {
                        return Err("a page holds more values than its column".into());
                    }
                }
            }
        }
    }
    Ok(metadata)
}

/// Turns a recording's rows into query results, one frame at a time: the
/// reader hands it each row group in turn, so memory holds the samples and
/// one decoded group, not a frame of the whole file (about 110 bytes a row
/// across the eleven columns, seven times the samples themselves).
struct Decoder<'a> {
    path: &'a str,
    /// The first row's source; `None` until a row is read.
    source: Option<String>,
    results: Vec<QueryResult>,
    by_query: BTreeMap<String, (usize, BTreeMap<u32, usize>)>,
    /// Rows of one series come together: the last one's query, result,
    /// series index and slot skip the lookups.
    last: Option<(String, usize, Option<u32>, usize)>,
}

impl<'a> Decoder<'a> {
    fn new(path: &'a str) -> Self {
        Decoder {
            path,
            source: None,
            results: Vec::new(),
            by_query: BTreeMap::new(),
            last: None,
        }
    }

    /// Adds the rows of `df`, which start at row `first` of the file.
    fn add(&mut self, df: &DataFrame, first: usize) -> Result<(), RecordingError> {
        let path = self.path;
        let bad = |message: String| not_recording(path, message);
        let column = |name: &str| {
            df.column(name)
                .map_err(|_| bad(format!("column `{name}` is missing")))
        };
        let typed = |e: PolarsError| bad(e.to_string());
        let format = column("format")?.str().map_err(typed)?;
        if format.iter().any(|f| f != Some(FORMAT)) {
            return Err(bad(format!("column `format` is not {FORMAT:?}")));
        }
        let version = column("version")?.u32().map_err(typed)?;
        if let Some(found) = version.iter().flatten().find(|v| *v != VERSION) {
            return Err(RecordingError::Version {
                path: self.path.to_string(),
                found,
            });
        }
        let source = column("source")?.str().map_err(typed)?;
        let query = column("query")?.str().map_err(typed)?;
        let step = column("step_ms")?.i64().map_err(typed)?;
        let start = column("start_ms")?.i64().map_err(typed)?;
        let end = column("end_ms")?.i64().map_err(typed)?;
        let series = column("series")?.u32().map_err(typed)?;
        let labels = column("labels")?.str().map_err(typed)?;
        let ts = column("timestamp_ms")?.i64().map_err(typed)?;
        let value = column("value")?.f64().map_err(typed)?;
        if df.height() > 0 && self.source.is_none() {
            self.source = Some(source.get(0).unwrap_or_default().to_string());
        }

        for i in 0..df.height() {
            let row = first + i;
            let q = query
                .get(i)
                .ok_or_else(|| bad(format!("row {row}: no query")))?;
            let index = series.get(i);
            let (Some(t), Some(v)) = (ts.get(i), value.get(i)) else {
                if index.is_some() {
                    return Err(bad(format!(
                        "row {row}: a series row without timestamp or value"
                    )));
                }
                let results = &mut self.results;
                self.by_query.entry(q.to_string()).or_insert_with(|| {
                    results.push(QueryResult {
                        query: q.to_string(),
                        step_ms: step.get(i).unwrap_or(0),
                        start_ms: start.get(i).unwrap_or(0),
                        end_ms: end.get(i).unwrap_or(0),
                        series: Vec::new(),
                    });
                    (results.len() - 1, BTreeMap::new())
                });
                continue;
            };
            if let Some((lq, result_at, li, slot)) = &self.last {
                if lq == q && *li == index {
                    self.results[*result_at].series[*slot].samples.push((t, v));
                    continue;
                }
            }
            let (step, start, end) = match (step.get(i), start.get(i), end.get(i)) {
                (Some(a), Some(b), Some(c)) => (a, b, c),
                _ => return Err(bad(format!("row {row}: step or window missing"))),
            };
            let results = &mut self.results;
            let entry = self.by_query.entry(q.to_string()).or_insert_with(|| {
                results.push(QueryResult {
                    query: q.to_string(),
                    step_ms: step,
                    start_ms: start,
                    end_ms: end,
                    series: Vec::new(),
                });
                (results.len() - 1, BTreeMap::new())
            });
            let result_at = entry.0;
            let result = &mut results[result_at];
            if (result.step_ms, result.start_ms, result.end_ms) != (step, start, end) {
                return Err(bad(format!(
                    "query {q:?} has rows with different steps or windows"
                )));
            }
            let Some(index) = index else { continue };
            let slot = match entry.1.get(&index) {
                Some(&slot) => slot,
                None => {
                    let json = labels
                        .get(i)
                        .ok_or_else(|| bad(format!("row {row}: no labels")))?;
                    let map: BTreeMap<String, String> =
                        serde_json::from_str(json).map_err(|e| {
                            bad(format!(
                                "row {row}: labels are not a JSON object of strings: {e}"
                            ))
                        })?;
                    result.series.push(RawSeries {
                        labels: map.into_iter().collect(),
                        samples: Vec::new(),
                    });
                    entry.1.insert(index, result.series.len() - 1);
                    result.series.len() - 1
                }
            };
            result.series[slot].samples.push((t, v));
            self.last = Some((q.to_string(), result_at, Some(index), slot));
        }
        Ok(())
    }

    fn finish(self) -> Result<Recording, RecordingError> {
        let Some(source) = self.source else {
            return Err(not_recording(self.path, "it has no rows".into()));
        };
        Ok(Recording {
            source,
            results: self.results,
        })
    }
}

fn not_recording(path: &str, message: String) -> RecordingError {
    RecordingError::NotRecording {
        path: path.to_string(),
        message,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Recording {
        Recording {
            source: "test".into(),
            results: vec![
                QueryResult {
                    query: "up".into(),
                    step_ms: 60_000,
                    start_ms: 0,
                    end_ms: 120_000,
                    series: vec![RawSeries {
                        labels: vec![("job".into(), "a".into())],
                        samples: vec![(0, 1.0), (60_000, f64::NAN), (120_000, f64::INFINITY)],
                    }],
                },
                QueryResult {
                    query: "absent(x)".into(),
                    step_ms: 60_000,
                    start_ms: 0,
                    end_ms: 120_000,
                    series: vec![],
                },
            ],
        }
    }

    #[test]
    fn round_trips_including_empty_results_and_nan() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("r.parquet");
        write(&path, &sample()).unwrap();
        let back = read(&path).unwrap();
        assert_eq!(back.results.len(), 2);
        assert_eq!(back.find("absent(x)").unwrap().series.len(), 0);
        let s = &back.find("up").unwrap().series[0];
        assert_eq!(s.labels, vec![("job".to_string(), "a".to_string())]);
        assert!(s.samples[1].1.is_nan());
        assert_eq!(s.samples[2].1, f64::INFINITY);
        let leftovers: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
        assert_eq!(leftovers.len(), 1, "no temporary file left behind");
    }

    #[test]
    fn a_recording_of_many_row_groups_reads_back_whole() {
        // Reading goes one row group at a time: a series that crosses a
        // group's end, and queries that begin in a later group, must come
        // back as written.
        let long = |job: &str, n: i64| RawSeries {
            labels: vec![("job".into(), job.into())],
            samples: (0..n).map(|i| (i * 15_000, (i % 97) as f64)).collect(),
        };
        let window = |query: &str, series: Vec<RawSeries>| QueryResult {
            query: query.into(),
            step_ms: 15_000,
            start_ms: 0,
            end_ms: 15_000 * 700_000,
            series,
        };
        let recording = Recording {
            source: "test".into(),
            results: vec![
                window("a", vec![long("x", 400_000), long("y", 300_000)]),
                window("empty", vec![]),
                window("b", vec![long("z", 250_000)]),
            ],
        };
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("r.parquet");
        write(&path, &recording).unwrap();
        let bytes = std::fs::read(&path).unwrap();
        let groups =
            polars_parquet::parquet::read::read_metadata(&mut std::io::Cursor::new(&bytes))
                .unwrap()
                .row_groups
                .len();
        assert!(
            groups >= 3,
            "{groups} row groups: the test reads no boundary"
        );
        let back = read(&path).unwrap();
        assert_eq!(back.source, "test");
        assert_eq!(back.results.len(), 3);
        for (read, written) in back.results.iter().zip(&recording.results) {
            assert_eq!(read.query, written.query);
            assert_eq!(read.series.len(), written.series.len(), "{}", read.query);
            for (r, w) in read.series.iter().zip(&written.series) {
                assert_eq!(r.labels, w.labels);
                assert!(r.samples == w.samples, "{}: samples differ", read.query);
            }
        }
    }

    #[test]
    fn truncated_and_foreign_files_are_clear_errors() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("r.parquet");
        write(&path, &sample()).unwrap();
        let bytes = std::fs::read(&path).unwrap();
        let cut = dir.path().join("cut.parquet");
        std::fs::write(&cut, &bytes[..bytes.len() / 2]).unwrap();
        assert!(matches!(read(&cut), Err(RecordingError::Unreadable { .. })));
        let text = dir.path().join("t.parquet");
        std::fs::write(&text, "not parquet").unwrap();
        assert!(matches!(
            read(&text),
            Err(RecordingError::Unreadable { .. })
        ));
    }

    #[test]
    fn a_forged_footer_list_is_refused_before_polars_allocates_for_it() {
        // Found by fuzzing: polars asked for 3.9 GB for the row groups, and
        // 4.6 GB for schema elements read from a field of another type.
        for name in [
            "footer-list-count-past-its-bytes.parquet",
            "footer-field-read-as-a-list-it-is-not.parquet",
        ] {
            let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("fuzz/regressions/recording")
                .join(name);
            let bytes = std::fs::read(path).unwrap();
            match read_bytes("forged.parquet", &bytes) {
                Err(RecordingError::Unreadable { message, .. }) => {
                    assert!(message.contains("its footer"), "{name}: {message}")
                }
                other => panic!("{name}: {other:?}"),
            }
        }
    }
}
