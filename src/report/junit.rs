//! `--format junit`: JUnit XML, which most CI systems show as test results.
//! One test suite per file, one test case per finding (failed); a run with
//! no finding is one passing test case, so the report is never empty.

use std::io::{self, Write};

use super::xml::escape;
use crate::diagnostic::Severity;
use crate::lint::LintResult;

pub fn write(result: &LintResult, out: &mut dyn Write) -> io::Result<()> {
    let mut files: Vec<&str> = result
        .diagnostics
        .iter()
        .map(|d| d.source.name.as_str())
        .collect();
    files.dedup();
    let total = result.diagnostics.len().max(1);
    writeln!(out, r#"<?xml version="1.0" encoding="UTF-8"?>"#)?;
    writeln!(
        out,
        r#"<testsuites name="firedrill lint" tests="{total}" failures="{}" errors="0">"#,
        result.diagnostics.len()
    )?;
    if result.diagnostics.is_empty() {
        let files = result.rules.files.len();
        writeln!(
            out,
            r#"  <testsuite name="firedrill lint" tests="1" failures="0" errors="0" skipped="0">"#
        )?;
        writeln!(
            out,
            r#"    <testcase name="no findings in {files} files" classname="firedrill"/>"#
        )?;
        writeln!(out, "  </testsuite>")?;
    }
    for file in files {
        let findings: Vec<_> = result
            .diagnostics
            .iter()
            .filter(|d| d.source.name == file)
            .collect();
        writeln!(
            out,
            r#"  <testsuite name="{}" tests="{n}" failures="{n}" errors="0" skipped="0">"#,
            escape(file),
            n = findings.len()
        )?;
        for d in findings {
            let at = d.source.line_col(d.span.start);
            let place = format!("{file}:{}:{}", at.line, at.column);
            let kind = match d.severity {
                Severity::Error => "error",
                Severity::Warning => "warning",
                Severity::Info => "info",
            };
            let mut text = format!("{place}: {kind} [{}] {}", d.check, d.message);
            if let Some(help) = &d.help {
                text.push_str("\nhelp: ");
                text.push_str(help);
            }
            writeln!(
                out,
                r#"    <testcase name="{} {}" classname="{}">"#,
                escape(d.check),
                escape(&place),
                escape(file),
            )?;
            writeln!(
                out,
                r#"      <failure message="{}" type="{}">{}</failure>"#,
                escape(&d.message),
                escape(d.check),
                escape(&text)
            )?;
            writeln!(out, "    </testcase>")?;
        }
        writeln!(out, "  </testsuite>")?;
    }
    writeln!(out, "</testsuites>")
}
