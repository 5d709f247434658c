//! `--format github`: GitHub Actions workflow commands, which GitHub turns
//! into annotations on the pull request's diff.

use std::io::{self, Write};

use crate::diagnostic::Severity;
use crate::lint::LintResult;

/// Escapes a message (data) as the workflow-command parser expects.
fn escape_data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Escapes a property value, which also may not contain `:` or `,`.
fn escape_property(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}

pub fn write(result: &LintResult, out: &mut dyn Write) -> io::Result<()> {
    for d in &result.diagnostics {
        let command = match d.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Info => "notice",
        };
        let start = d.source.line_col(d.span.start);
        let end = d.source.line_col(d.span.end);
        let mut message = d.message.clone();
        if let Some(help) = &d.help {
            message.push_str("\nhelp: ");
            message.push_str(help);
        }
        let mut props = format!(
            "file={},line={},col={}",
            escape_property(&d.source.name),
            start.line,
            start.column
        );
        if end.line == start.line && end.column > start.column {
            props.push_str(&format!(",endColumn={}", end.column));
        } else if end.line > start.line {
            props.push_str(&format!(",endLine={}", end.line));
        }
        props.push_str(&format!(
            ",title={}",
            escape_property(&format!("firedrill {}", d.check))
        ));
        writeln!(out, "::{command} {props}::{}", escape_data(&message))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_like_the_runner_expects() {
        assert_eq!(escape_data("50% a\nb"), "50%25 a%0Ab");
        assert_eq!(escape_property("a:b,c"), "a%3Ab%2Cc");
    }
}
