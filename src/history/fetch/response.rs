//! Reading `/api/v1/query_range` responses as they stream in, checked
//! against the chunk that was asked for.

use std::fmt;
use std::io::Read;

use serde::de::{self, Deserializer, IgnoredAny, SeqAccess, Visitor};
use serde::Deserialize;

use super::chunk::Chunk;
use crate::history::{Labels, RawSeries};

/// A successful range query, checked.
#[derive(Debug)]
pub struct Matrix {
    pub series: Vec<RawSeries>,
    /// Prometheus's `warnings` and `infos`, and VictoriaMetrics' partial flag.
    pub warnings: Vec<String>,
    pub infos: Vec<String>,
    pub partial: bool,
}

/// Why a response body could not be used.
#[derive(Debug, Clone, PartialEq)]
pub enum BodyProblem {
    /// Not JSON, or not the API's shape (the reader's message).
    Malformed(String),
    /// The body ended early or the connection broke while reading it.
    Cut(String),
    /// `status` was not `success` although the HTTP status was 2xx.
    Error { error_type: String, error: String },
    /// The result is not a matrix of float samples.
    NotAMatrix(String),
    /// A sample outside the chunk or off its step grid.
    Misaligned { timestamp_ms: i64, labels: Labels },
    /// Samples of one series not strictly increasing in time.
    Unordered { timestamp_ms: i64, labels: Labels },
    /// The body went past [`MAX_BODY_BYTES`].
    TooLarge,
}

/// The most one response body may hold. At the default 250,000 samples per
/// request a body is about 8 MB; a server that sends gigabytes is refused
/// rather than allowed to fill memory.
pub const MAX_BODY_BYTES: u64 = 256 * 1024 * 1024;

impl fmt::Display for BodyProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BodyProblem::Malformed(m) => write!(f, "unreadable response: {m}"),
            BodyProblem::Cut(m) => write!(f, "the response was cut short: {m}"),
            BodyProblem::TooLarge => write!(
                f,
                "the response is larger than {} MiB; lower --max-samples-per-request or narrow the query",
                MAX_BODY_BYTES >> 20
            ),
            BodyProblem::Error { error_type, error } => {
                write!(f, "the server answered {error_type}: {error}")
            }
            BodyProblem::NotAMatrix(m) => write!(f, "{m}"),
            BodyProblem::Misaligned {
                timestamp_ms,
                labels,
            } => write!(
                f,
                "sample at {} ms of series {} is not on the query's step grid or is outside its window",
                timestamp_ms,
                show(labels)
            ),
            BodyProblem::Unordered {
                timestamp_ms,
                labels,
            } => write!(
                f,
                "series {} has samples out of order or twice at {} ms",
                show(labels),
                timestamp_ms
            ),
        }
    }
}

fn show(labels: &Labels) -> String {
    let inner: Vec<String> = labels.iter().map(|(k, v)| format!("{k}={v:?}")).collect();
    format!("{{{}}}", inner.join(", "))
}

/// Parses a 2xx body as it arrives and checks every sample against `chunk`.
pub fn read_matrix(body: impl Read, chunk: Chunk, step_ms: i64) -> Result<Matrix, BodyProblem> {
    read_matrix_capped(body, chunk, step_ms, MAX_BODY_BYTES)
}

fn read_matrix_capped(
    body: impl Read,
    chunk: Chunk,
    step_ms: i64,
    max_bytes: u64,
) -> Result<Matrix, BodyProblem> {
    let mut capped = Capped {
        inner: body,
        left: max_bytes,
        hit: false,
    };
    let reader = std::io::BufReader::with_capacity(1 << 16, &mut capped);
    let parsed: Result<Envelope, _> = serde_json::from_reader(reader);
    if capped.hit {
        return Err(BodyProblem::TooLarge);
    }
    let envelope = parsed.map_err(|e| {
        if e.is_io() || e.is_eof() {
            BodyProblem::Cut(with_causes(&e))
        } else {
            BodyProblem::Malformed(e.to_string())
        }
    })?;
    if envelope.status != "success" {
        return Err(BodyProblem::Error {
            error_type: envelope.error_type.unwrap_or_else(|| "an error".into()),
            error: envelope.error.unwrap_or_default(),
        });
    }
    let data = envelope
        .data
        .ok_or_else(|| BodyProblem::Malformed("no \"data\" in a successful response".into()))?;
    if data.result_type != "matrix" {
        return Err(BodyProblem::NotAMatrix(format!(
            "the result is a {:?}, not a range-query matrix",
            data.result_type
        )));
    }
    let step = step_ms.max(1);
    let mut series = Vec::with_capacity(data.result.len());
    for item in data.result {
        let mut labels: Labels = item.metric.into_iter().collect();
        labels.sort();
        if item.histograms.is_some() {
            return Err(BodyProblem::NotAMatrix(format!(
                "series {} holds native histogram samples, which an alert's signal cannot compare with a threshold",
                show(&labels)
            )));
        }
        let mut previous = i64::MIN;
        for &(t, _) in &item.values {
            if t < chunk.start_ms || t > chunk.end_ms || (t - chunk.start_ms) % step != 0 {
                return Err(BodyProblem::Misaligned {
                    timestamp_ms: t,
                    labels,
                });
            }
            if t <= previous {
                return Err(BodyProblem::Unordered {
                    timestamp_ms: t,
                    labels,
                });
            }
            previous = t;
        }
        series.push(RawSeries {
            labels,
            samples: item.values,
        });
    }
    Ok(Matrix {
        series,
        warnings: envelope.warnings,
        infos: envelope.infos,
        partial: envelope.is_partial,
    })
}

/// An error and its causes ("... body error: operation timed out"), each
/// message once.
fn with_causes(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        let message = s.to_string();
        if !text.contains(&message) {
            text.push_str(": ");
            text.push_str(&message);
        }
        source = s.source();
    }
    text
}

/// A reader that fails once more than `left` bytes arrive.
struct Capped<R> {
    inner: R,
    left: u64,
    hit: bool,
}

impl<R: Read> Read for Capped<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.left == 0 {
            // One byte more tells a body of exactly the limit from a bigger one.
            let mut probe = [0u8; 1];
            if self.inner.read(&mut probe)? == 0 {
                return Ok(0);
            }
            self.hit = true;
            return Err(std::io::Error::other("response body too large"));
        }
        let want = buf.len().min(self.left.min(usize::MAX as u64) as usize);
        let n = self.inner.read(&mut buf[..want])?;
        self.left -= n as u64;
        Ok(n)
    }
}

/// `errorType` and `error` of an error body, when it is the API's JSON.
pub fn error_fields(body: &str) -> Option<(String, String)> {
    #[derive(Deserialize)]
    struct ErrorBody {
        #[serde(rename = "errorType")]
        error_type: Option<String>,
        error: Option<String>,
    }
    let parsed: ErrorBody = serde_json::from_str(body).ok()?;
    Some((parsed.error_type?, parsed.error.unwrap_or_default()))
}

#[derive(Deserialize)]
struct Envelope {
    status: String,
    #[serde(default)]
    data: Option<Data>,
    #[serde(default, rename = "errorType")]
    error_type: Option<String>,
    #[serde(default)]
    error: Option<String>,
    #[serde(default)]
    warnings: Vec<String>,
    #[serde(default)]
    infos: Vec<String>,
    #[serde(default, rename = "isPartial")]
    is_partial: bool,
}

#[derive(Deserialize)]
struct Data {
    #[serde(rename = "resultType")]
    result_type: String,
    #[serde(default, deserialize_with = "result_list")]
    result: Vec<Item>,
}

/// A scalar or string result is not a list; leave it for the type check.
fn result_list<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<Item>, D::Error> {
    struct ListOrOther;
    impl<'de> Visitor<'de> for ListOrOther {
        type Value = Vec<Item>;
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("a list of series")
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Vec<Item>, A::Error> {
            let mut out = Vec::new();
            while let Some(item) = seq.next_element()? {
                out.push(item);
            }
            Ok(out)
        }
        fn visit_str<E: de::Error>(self, _: &str) -> Result<Vec<Item>, E> {
            Ok(Vec::new())
        }
        fn visit_f64<E: de::Error>(self, _: f64) -> Result<Vec<Item>, E> {
            Ok(Vec::new())
        }
    }
    d.deserialize_any(ListOrOther)
}

#[derive(Deserialize)]
struct Item {
    #[serde(default)]
    metric: std::collections::BTreeMap<String, String>,
    #[serde(default, deserialize_with = "samples")]
    values: Vec<(i64, f64)>,
    #[serde(default)]
    histograms: Option<IgnoredAny>,
}

/// `[[1700000000.123, "0.5"], ...]` into `(ms, value)` pairs without
/// allocating a string per sample.
fn samples<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<(i64, f64)>, D::Error> {
    struct Samples;
    impl<'de> Visitor<'de> for Samples {
        type Value = Vec<(i64, f64)>;
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("a list of [timestamp, \"value\"] pairs")
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
            let mut out = Vec::with_capacity(seq.size_hint().unwrap_or(256));
            while let Some(Sample(t, v)) = seq.next_element()? {
                out.push((t, v));
            }
            // Growth by doubling leaves up to half unused; chunks wait in memory.
            out.shrink_to_fit();
            Ok(out)
        }
    }
    d.deserialize_seq(Samples)
}

struct Sample(i64, f64);

impl<'de> Deserialize<'de> for Sample {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Pair;
        impl<'de> Visitor<'de> for Pair {
            type Value = Sample;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("[timestamp, \"value\"]")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Sample, A::Error> {
                let t: f64 = seq
                    .next_element()?
                    .ok_or_else(|| de::Error::invalid_length(0, &self))?;
                let SampleValue(v) = seq
                    .next_element()?
                    .ok_or_else(|| de::Error::invalid_length(1, &self))?;
                if seq.next_element::<IgnoredAny>()?.is_some() {
                    return Err(de::Error::invalid_length(3, &self));
                }
                if !t.is_finite() {
                    return Err(de::Error::custom("a sample timestamp is not a number"));
                }
                Ok(Sample((t * 1000.0).round() as i64, v))
            }
        }
        d.deserialize_seq(Pair)
    }
}

/// Prometheus writes values as strings: `"0.5"`, `"NaN"`, `"+Inf"`, `"-Inf"`.
struct SampleValue(f64);

impl<'de> Deserialize<'de> for SampleValue {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Text;
        impl<'de> Visitor<'de> for Text {
            type Value = SampleValue;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a sample value as a string")
            }
            fn visit_str<E: de::Error>(self, s: &str) -> Result<SampleValue, E> {
                s.parse::<f64>()
                    .map(SampleValue)
                    .map_err(|_| E::custom(format!("{s:?} is not a sample value")))
            }
        }
        d.deserialize_str(Text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CHUNK: Chunk = Chunk {
        start_ms: 1_700_000_000_000,
        end_ms: 1_700_000_120_000,
    };

    #[test]
    fn reads_a_matrix_with_special_values_and_warnings() {
        let body = r#"{"status":"success","data":{"resultType":"matrix","result":[
            {"metric":{"job":"a","__name__":"up"},"values":[[1700000000,"1"],[1700000060.000,"NaN"],[1700000120,"+Inf"]]},
            {"metric":{},"values":[[1700000060,"-Inf"]]}]},
            "warnings":["PromQL info: metric might not be a counter"],"infos":["x"]}"#;
        let m = read_matrix(body.as_bytes(), CHUNK, 60_000).unwrap();
        assert_eq!(m.series.len(), 2);
        assert_eq!(
            m.series[0].labels,
            vec![("__name__".into(), "up".into()), ("job".into(), "a".into())]
        );
        let v: Vec<f64> = m.series[0].samples.iter().map(|s| s.1).collect();
        assert_eq!(v[0], 1.0);
        assert!(v[1].is_nan());
        assert_eq!(v[2], f64::INFINITY);
        assert_eq!(
            m.series[1].samples,
            vec![(1_700_000_060_000, f64::NEG_INFINITY)]
        );
        assert_eq!(m.warnings.len(), 1);
        assert!(!m.partial);
    }

    #[test]
    fn a_body_past_the_cap_is_refused_and_one_at_the_cap_is_read() {
        let body = r#"{"status":"success","data":{"resultType":"matrix","result":[]}}"#;
        let exact = body.len() as u64;
        assert!(read_matrix_capped(body.as_bytes(), CHUNK, 60_000, exact).is_ok());
        assert_eq!(
            read_matrix_capped(body.as_bytes(), CHUNK, 60_000, exact - 1).unwrap_err(),
            BodyProblem::TooLarge
        );
        // An endless body stops at the cap instead of filling memory.
        let endless = std::io::repeat(b' ');
        assert_eq!(
            read_matrix_capped(endless, CHUNK, 60_000, 1 << 20).unwrap_err(),
            BodyProblem::TooLarge
        );
    }

    #[test]
    fn refuses_what_it_cannot_use() {
        let problem = |body: &str| read_matrix(body.as_bytes(), CHUNK, 60_000).unwrap_err();
        assert!(matches!(
            problem(
                r#"{"status":"success","data":{"resultType":"matrix","result":[{"metric":{},"values":[[1700000030,"1"]]}]}}"#
            ),
            BodyProblem::Misaligned { .. }
        ));
        assert!(matches!(
            problem(
                r#"{"status":"success","data":{"resultType":"matrix","result":[{"metric":{},"values":[[1700000060,"1"],[1700000060,"2"]]}]}}"#
            ),
            BodyProblem::Unordered { .. }
        ));
        assert!(matches!(
            problem(
                r#"{"status":"success","data":{"resultType":"matrix","result":[{"metric":{},"values":[[1700000000,"1"]"#
            ),
            BodyProblem::Cut(_)
        ));
        assert!(matches!(
            problem(r#"{"status":"success","data":{"resultType":"vector","result":[]}}"#),
            BodyProblem::NotAMatrix(_)
        ));
        assert!(matches!(
            problem(
                r#"{"status":"success","data":{"resultType":"matrix","result":[{"metric":{},"histograms":[[1700000000,{"count":"1"}]]}]}}"#
            ),
            BodyProblem::NotAMatrix(_)
        ));
        assert!(matches!(
            problem(r#"{"status":"error","errorType":"bad_data","error":"parse error"}"#),
            BodyProblem::Error { .. }
        ));
        assert!(matches!(
            problem("<html>proxy</html>"),
            BodyProblem::Malformed(_)
        ));
        assert_eq!(
            error_fields(r#"{"status":"error","errorType":"bad_data","error":"1:5: parse error"}"#),
            Some(("bad_data".into(), "1:5: parse error".into()))
        );
    }
}
