//! `--format json`: a stable, documented schema (see docs/json-format.md).
//! Later versions add fields; they never rename or remove one.

use std::io::{self, Write};

use serde::Serialize;

use crate::diagnostic::{RuleName, Severity};
use crate::lint::LintResult;

/// Bumped only on an incompatible change.
pub const SCHEMA_VERSION: u32 = 1;

#[derive(Serialize)]
struct Output<'a> {
    version: u32,
    diagnostics: Vec<JsonDiagnostic<'a>>,
    summary: Summary,
}

#[derive(Serialize)]
struct JsonDiagnostic<'a> {
    check: &'static str,
    severity: Severity,
    message: &'a str,
    file: &'a str,
    line: usize,
    column: usize,
    end_line: usize,
    end_column: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    group: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    alertname: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    record: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    help: Option<&'a str>,
}

#[derive(Serialize)]
struct Summary {
    files: usize,
    rules: usize,
    errors: usize,
    warnings: usize,
    infos: usize,
    /// Findings silenced by `# firedrill disable` comments (not in `diagnostics`).
    suppressed: usize,
    /// Runbook coverage, when a runbook was given.
    #[serde(skip_serializing_if = "Option::is_none")]
    runbook: Option<crate::lint::RunbookSummary>,
    /// Whose verdict on PromQL: the Prometheus version and the feature
    /// flags given.
    prometheus: Prometheus,
    /// With `--baseline`: the file, the findings it held back (`diagnostics`
    /// has only new ones) and those it holds that are fixed.
    #[serde(skip_serializing_if = "Option::is_none")]
    baseline: Option<crate::lint::BaselineSummary>,
}

#[derive(Serialize)]
struct Prometheus {
    version: String,
    features: Vec<&'static str>,
}

pub fn write(result: &LintResult, out: &mut dyn Write) -> io::Result<()> {
    let diagnostics = result
        .diagnostics
        .iter()
        .map(|d| {
            let start = d.source.line_col(d.span.start);
            let end = d.source.line_col(d.span.end);
            let (alertname, record) = match &d.rule {
                Some(RuleName::Alert(n)) => (Some(n.as_str()), None),
                Some(RuleName::Record(n)) => (None, Some(n.as_str())),
                None => (None, None),
            };
            JsonDiagnostic {
                check: d.check,
                severity: d.severity,
                message: &d.message,
                file: &d.source.name,
                line: start.line,
                column: start.column,
                end_line: end.line,
                end_column: end.column,
                group: d.group.as_deref(),
                alertname,
                record,
                help: d.help.as_deref(),
            }
        })
        .collect();
    let output = Output {
        version: SCHEMA_VERSION,
        diagnostics,
        summary: Summary {
            files: result
                .rules
                .files
                .iter()
                .filter(|f| f.not_rules.is_none())
                .count(),
            rules: result.rule_count(),
            errors: result.count(Severity::Error),
            warnings: result.count(Severity::Warning),
            infos: result.count(Severity::Info),
            suppressed: result.suppressed,
            runbook: result.runbook_summary(),
            prometheus: Prometheus {
                version: result.promql.version.to_string(),
                features: result.promql.features(),
            },
            baseline: result.baseline.clone(),
        },
    };
    serde_json::to_writer_pretty(&mut *out, &output)?;
    out.write_all(b"\n")
}
