//! Entry points for the fuzz targets in `fuzz/` and for the regression
//! test that replays every input they ever crashed on
//! (`tests/fuzz_regressions.rs`). Each takes arbitrary bytes, runs one
//! parser the way the CLI does, and checks what must hold for any input:
//! no panic, every diagnostic points inside its file on character
//! boundaries, and every output format renders (JSON that parses).
//!
//! A broken invariant panics, which is what a fuzzer reports.

use std::io::Cursor;
use std::sync::Arc;

use crate::checks;
use crate::diagnostic::Diagnostic;
use crate::history::fetch::{response, Chunk};
use crate::history::recording;
use crate::input;
use crate::lint::{self, LintOptions, LintResult, Selection};
use crate::promql::{self, analysis, split, ParseOptions};
use crate::report::{self, Format, Style};
use crate::rules::{self, LoadOptions, RuleSet};
use crate::runbook::RunbookSet;
use crate::source::SourceFile;
use crate::template;

/// Every check on, the pedantic ones too: the fuzzer should reach them all.
fn all_checks() -> LintOptions {
    LintOptions {
        selection: Selection {
            extend_select: checks::registry()
                .iter()
                .map(|c| c.info().id.to_string())
                .collect(),
            ..Selection::default()
        },
        ..LintOptions::default()
    }
}

fn lint_text(name: &str, text: String, runbooks: RunbookSet) -> LintResult {
    let read = input::from_bytes(name.into(), text.into_bytes());
    lint_read(read, runbooks)
}

fn lint_read(read: input::ReadInput, runbooks: RunbookSet) -> LintResult {
    let file = match read.invalid_utf8_at {
        Some(at) => rules::not_utf8(read.source, at),
        None => rules::load(read.source, LoadOptions::default()),
    };
    lint::check(RuleSet { files: vec![file] }, runbooks, &all_checks())
}

/// What must hold of any lint result.
fn assert_sound(result: &LintResult) {
    for d in &result.diagnostics {
        assert_in_bounds(d);
    }
    let style = Style {
        color: false,
        unicode: true,
        width: 100,
    };
    for format in [
        Format::Human,
        Format::Github,
        Format::Checkstyle,
        Format::Junit,
    ] {
        let mut out = Vec::new();
        report::write(result, format, style, &mut out).expect("writing to memory");
    }
    // SARIF's rule list (every check's docs, three times) is the same for
    // any input and cost half of each run: only the results are rendered.
    let sarif = serde_json::to_vec(&report::sarif::results(result)).expect("writing to memory");
    serde_json::from_slice::<serde_json::Value>(&sarif).expect("SARIF results are JSON");
    let mut out = Vec::new();
    report::write(result, Format::Json, style, &mut out).expect("writing to memory");
    serde_json::from_slice::<serde_json::Value>(&out).expect("--format json is JSON");
}

fn assert_in_bounds(d: &Diagnostic) {
    let text = &d.source.text;
    let spans = std::iter::once(d.span).chain(d.related.iter().map(|(s, _)| *s));
    for span in spans {
        assert!(
            span.start <= span.end && span.end <= text.len(),
            "{}: span {}..{} outside a {}-byte file",
            d.check,
            span.start,
            span.end,
            text.len()
        );
        assert!(
            text.is_char_boundary(span.start) && text.is_char_boundary(span.end),
            "{}: span {}..{} splits a character",
            d.check,
            span.start,
            span.end
        );
    }
}

/// The rule-file loader and every check: bytes → diagnostics → reports.
pub fn rule_file(bytes: &[u8]) {
    let read = input::from_bytes("fuzz.yaml".into(), bytes.to_vec());
    assert_sound(&lint_read(read, RunbookSet::default()));
}

/// A YAML block scalar holding `text`, indented under a key at `indent`.
fn block_scalar(text: &str, indent: usize) -> String {
    let pad = " ".repeat(indent);
    let mut out = String::from("|-\n");
    for line in text.lines() {
        out.push_str(&pad);
        out.push_str(line);
        out.push('\n');
    }
    out
}

/// The PromQL helpers over promql-parser (parse, error location, split into
/// signal and threshold, label flow, tokens), then the same text as a
/// rule's `expr` through every check.
pub fn promql(bytes: &[u8]) {
    let Ok(text) = std::str::from_utf8(bytes) else {
        return;
    };
    for tok in promql::tokenize(text) {
        assert!(tok.start <= tok.end && tok.end <= text.len());
        let _ = tok.text(text);
    }
    let everything = ParseOptions {
        experimental_functions: true,
        extended_range_selectors: true,
        binop_fill_modifiers: true,
        ..ParseOptions::default()
    };
    let prometheus_2 = ParseOptions {
        version: promql::PrometheusVersion::V2,
        ..ParseOptions::default()
    };
    let _ = promql::evaluation_errors(text);
    for options in [ParseOptions::default(), everything, prometheus_2] {
        match promql::parse(text, options) {
            Err(e) => {
                assert!(e.start <= e.end && e.end <= text.len(), "{e:?}");
                assert!(text.is_char_boundary(e.start) && text.is_char_boundary(e.end));
            }
            Ok(expr) => {
                let _ = analysis::result_labels(&expr);
                let _ = analysis::absent_calls(&expr);
                let _ = analysis::filters(&expr, &|name| name.len() % 2 == 0);
                if let Ok(s) = split::split(&expr) {
                    // The signal must be PromQL that parses again.
                    assert!(
                        promql::parse(&s.signal, everything).is_ok(),
                        "split gave a signal that does not parse: {:?}",
                        s.signal
                    );
                }
            }
        }
    }
    let rules = format!(
        "groups:\n- name: fuzz\n  rules:\n  - alert: Fuzz\n    expr: {}    for: 5m\n    labels:\n      severity: warning\n    annotations:\n      summary: \"{{{{ $labels.instance }}}} {{{{ $value | humanize }}}}\"\n  - record: fuzz:signal:rate5m\n    expr: {}",
        block_scalar(text, 6),
        block_scalar(text, 6),
    );
    assert_sound(&lint_text("fuzz.yaml", rules, RunbookSet::default()));
}

/// The Go-template reader, alone and as an alert's annotation and label.
pub fn template(bytes: &[u8]) {
    let Ok(text) = std::str::from_utf8(bytes) else {
        return;
    };
    let analysis = template::analyze(text);
    for (_, start, end) in &analysis.label_refs {
        assert!(start <= end && *end <= text.len() && text.is_char_boundary(*start));
    }
    for (start, end) in &analysis.raw_values {
        assert!(start <= end && *end <= text.len() && text.is_char_boundary(*start));
    }
    let rules = format!(
        "groups:\n- name: fuzz\n  rules:\n  - alert: Fuzz\n    expr: sum by (job) (rate(errors_total[5m])) > 1\n    labels:\n      severity: warning\n      team: {}    annotations:\n      summary: {}      description: ok\n",
        block_scalar(text, 8),
        block_scalar(text, 8),
    );
    assert_sound(&lint_text("fuzz.yaml", rules, RunbookSet::default()));
}

/// The runbook Markdown reader: the page's headings, anchors and tables,
/// then coverage and link checks of a few alerts against it.
pub fn runbook(bytes: &[u8]) {
    let text = String::from_utf8_lossy(bytes).into_owned();
    let len = text.len();
    let mut runbooks = RunbookSet::default();
    let source = Arc::new(SourceFile::new("runbook.md", text));
    runbooks.push(source, "runbook.md".into(), true);
    let page = &runbooks.pages[0];
    // `push` parsed the page; parsing it a second time here cost 6% of each run.
    for table in &page.doc.tables {
        for cell in table.header.iter().chain(table.rows.iter().flatten()) {
            assert!(cell.span.end <= len);
        }
    }
    for alert in ["KubePodCrashLooping", "TargetDown", "Watchdog", ""] {
        let _ = runbooks.coverage(alert);
    }
    let links: Vec<String> = page
        .doc
        .tables
        .iter()
        .flat_map(|t| t.rows.iter().flatten())
        .flat_map(|c| c.links.iter().map(|l| l.dest.clone()))
        .collect();
    for dest in &links {
        let _ = runbooks.resolve_link(page, dest);
        let _ = runbooks.resolve_url(dest);
    }
    let rules = "groups:\n- name: fuzz\n  rules:\n  - alert: KubePodCrashLooping\n    expr: up == 0\n    labels:\n      severity: warning\n    annotations:\n      summary: s\n      description: d\n      runbook_url: runbook.md#kubepodcrashlooping\n  - alert: TargetDown\n    expr: up == 0\n    labels:\n      severity: warning\n    annotations:\n      summary: s\n      description: d\n".to_string();
    assert_sound(&lint_text("fuzz.yaml", rules, runbooks));
}

/// The recording reader on arbitrary Parquet bytes.
pub fn recording(bytes: &[u8]) {
    if let Ok(rec) = recording::read_bytes("fuzz.parquet", bytes) {
        for result in &rec.results {
            for series in &result.series {
                assert!(series.samples.len() as u64 <= bytes.len() as u64 * 8 + 8);
            }
        }
    }
}

/// The `query_range` response decoder, as the fetcher runs it on a body.
pub fn query_range(bytes: &[u8]) {
    let chunk = Chunk {
        start_ms: 0,
        end_ms: 3_600_000,
    };
    if let Ok(matrix) = response::read_matrix(Cursor::new(bytes), chunk, 60_000) {
        for series in &matrix.series {
            for &(t, _) in &series.samples {
                assert!((0..=3_600_000).contains(&t) && t % 60_000 == 0);
            }
        }
    }
    if let Ok(text) = std::str::from_utf8(bytes) {
        let _ = response::error_fields(text);
    }
}
