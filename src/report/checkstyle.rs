//! `--format checkstyle`: Checkstyle XML, which GitLab (code quality via
//! converters), Jenkins' Warnings NG and reviewdog read.

use std::io::{self, Write};

use super::xml::escape;
use crate::diagnostic::Severity;
use crate::lint::LintResult;

pub fn write(result: &LintResult, out: &mut dyn Write) -> io::Result<()> {
    writeln!(out, r#"<?xml version="1.0" encoding="UTF-8"?>"#)?;
    writeln!(out, r#"<checkstyle version="4.3">"#)?;
    let mut current: Option<&str> = None;
    for d in &result.diagnostics {
        let file = d.source.name.as_str();
        if current != Some(file) {
            if current.is_some() {
                writeln!(out, "  </file>")?;
            }
            writeln!(out, r#"  <file name="{}">"#, escape(file))?;
            current = Some(file);
        }
        let at = d.source.line_col(d.span.start);
        let severity = match d.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Info => "info",
        };
        writeln!(
            out,
            r#"    <error line="{}" column="{}" severity="{severity}" message="{}" source="firedrill.{}"/>"#,
            at.line,
            at.column,
            escape(&d.message),
            escape(d.check)
        )?;
    }
    if current.is_some() {
        writeln!(out, "  </file>")?;
    }
    writeln!(out, "</checkstyle>")
}
