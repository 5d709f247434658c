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

use polars::prelude::*;

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
    let mut df = to_frame(recording).map_err(|e| RecordingError::Unreadable {
        path: shown.clone(),
        message: e.to_string(),
    })?;
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
        ParquetWriter::new(file)
            .with_compression(ParquetCompression::Zstd(None))
            .finish(&mut df)
            .map_err(|e| RecordingError::Io {
                path: shown.clone(),
                source: std::io::Error::other(e.to_string()),
            })?;
        std::fs::rename(&temp, path).map_err(io)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&temp);
    }
    result
}

fn to_frame(recording: &Recording) -> PolarsResult<DataFrame> {
    let rows: usize = recording
        .results
        .iter()
        .map(|r| {
            r.series
                .iter()
                .map(|s| s.samples.len())
                .sum::<usize>()
                .max(1)
        })
        .sum();
    let mut query = Vec::with_capacity(rows);
    let mut step = Vec::with_capacity(rows);
    let mut start = Vec::with_capacity(rows);
    let mut end = Vec::with_capacity(rows);
    let mut series = Vec::with_capacity(rows);
    let mut labels = Vec::with_capacity(rows);
    let mut ts = Vec::with_capacity(rows);
    let mut value = Vec::with_capacity(rows);
    for r in &recording.results {
        let mut wrote = false;
        for (i, s) in r.series.iter().enumerate() {
            let json = labels_json(&s.labels);
            for &(t, v) in &s.samples {
                query.push(r.query.as_str());
                step.push(r.step_ms);
                start.push(r.start_ms);
                end.push(r.end_ms);
                series.push(Some(i as u32));
                labels.push(Some(json.clone()));
                ts.push(Some(t));
                value.push(Some(v));
                wrote = true;
            }
        }
        if !wrote {
            query.push(r.query.as_str());
            step.push(r.step_ms);
            start.push(r.start_ms);
            end.push(r.end_ms);
            series.push(None);
            labels.push(None);
            ts.push(None);
            value.push(None);
        }
    }
    let n = query.len();
    DataFrame::new_infer_height(vec![
        Column::new("format".into(), vec![FORMAT; n]),
        Column::new("version".into(), vec![VERSION; n]),
        Column::new("source".into(), vec![recording.source.as_str(); n]),
        Column::new("query".into(), query),
        Column::new("step_ms".into(), step),
        Column::new("start_ms".into(), start),
        Column::new("end_ms".into(), end),
        Column::new("series".into(), series),
        Column::new("labels".into(), labels),
        Column::new("timestamp_ms".into(), ts),
        Column::new("value".into(), value),
    ])
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
        check_pages(&buffer).map_err(unreadable)?;
        let df = ParquetReader::new(std::io::Cursor::new(&buffer[..]))
            .read_parallel(ParallelStrategy::None)
            .finish()
            .map_err(|e| unreadable(e.to_string()))?;
        from_frame(&df, name)
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
fn check_pages(buffer: &polars_buffer::Buffer<u8>) -> Result<(), String> {
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
    Ok(())
}

fn from_frame(df: &DataFrame, path: &str) -> Result<Recording, RecordingError> {
    let bad = |message: String| RecordingError::NotRecording {
        path: path.to_string(),
        message,
    };
    let column = |name: &str| {
        df.column(name)
            .map_err(|_| bad(format!("column `{name}` is missing")))
    };
    let typed = |e: PolarsError| bad(e.to_string());
    let format = column("format")?.str().map_err(typed)?;
    if df.height() == 0 {
        return Err(bad("it has no rows".into()));
    }
    if format.iter().any(|f| f != Some(FORMAT)) {
        return Err(bad(format!("column `format` is not {FORMAT:?}")));
    }
    let version = column("version")?.u32().map_err(typed)?;
    if let Some(found) = version.iter().flatten().find(|v| *v != VERSION) {
        return Err(RecordingError::Version {
            path: path.to_string(),
            found,
        });
    }
    let source = column("source")?
        .str()
        .map_err(typed)?
        .get(0)
        .unwrap_or_default()
        .to_string();
    let query = column("query")?.str().map_err(typed)?;
    let step = column("step_ms")?.i64().map_err(typed)?;
    let start = column("start_ms")?.i64().map_err(typed)?;
    let end = column("end_ms")?.i64().map_err(typed)?;
    let series = column("series")?.u32().map_err(typed)?;
    let labels = column("labels")?.str().map_err(typed)?;
    let ts = column("timestamp_ms")?.i64().map_err(typed)?;
    let value = column("value")?.f64().map_err(typed)?;

    let mut results: Vec<QueryResult> = Vec::new();
    let mut by_query: BTreeMap<String, (usize, BTreeMap<u32, usize>)> = BTreeMap::new();
    // Rows of one series come together: remember the last one to skip lookups.
    let mut last: Option<(String, usize, Option<u32>, usize)> = None;
    for row in 0..df.height() {
        let q = query
            .get(row)
            .ok_or_else(|| bad(format!("row {row}: no query")))?;
        let index = series.get(row);
        let (Some(t), Some(v)) = (ts.get(row), value.get(row)) else {
            if index.is_some() {
                return Err(bad(format!(
                    "row {row}: a series row without timestamp or value"
                )));
            }
            by_query.entry(q.to_string()).or_insert_with(|| {
                results.push(QueryResult {
                    query: q.to_string(),
                    step_ms: step.get(row).unwrap_or(0),
                    start_ms: start.get(row).unwrap_or(0),
                    end_ms: end.get(row).unwrap_or(0),
                    series: Vec::new(),
                });
                (results.len() - 1, BTreeMap::new())
            });
            continue;
        };
        if let Some((lq, result_at, li, slot)) = &last {
            if lq == q && *li == index {
                results[*result_at].series[*slot].samples.push((t, v));
                continue;
            }
        }
        let (step, start, end) = match (step.get(row), start.get(row), end.get(row)) {
            (Some(a), Some(b), Some(c)) => (a, b, c),
            _ => return Err(bad(format!("row {row}: step or window missing"))),
        };
        let entry = by_query.entry(q.to_string()).or_insert_with(|| {
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
                    .get(row)
                    .ok_or_else(|| bad(format!("row {row}: no labels")))?;
                let map: BTreeMap<String, String> = serde_json::from_str(json).map_err(|e| {
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
        last = Some((q.to_string(), result_at, Some(index), slot));
    }
    Ok(Recording { source, results })
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
