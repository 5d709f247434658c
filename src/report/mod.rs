//! Rendering findings. Every format reads the same [`LintResult`].

pub mod checkstyle;
pub mod diff;
pub mod github;
pub mod human;
pub mod json;
pub mod junit;
pub mod pages;
pub mod sarif;
pub mod simulate;
pub mod table;
pub mod tune;
mod xml;

use std::io::{self, Write};

use crate::lint::LintResult;

/// Output formats of `firedrill lint --format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Human,
    Json,
    Github,
    Sarif,
    Checkstyle,
    Junit,
}

/// How the human format draws.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Style {
    pub color: bool,
    pub unicode: bool,
    pub width: usize,
}

/// Writes the result. A closed pipe (`firedrill lint | head`) is not an error.
pub fn write(
    result: &LintResult,
    format: Format,
    style: Style,
    out: &mut dyn Write,
) -> io::Result<()> {
    let written = match format {
        Format::Human => human::write(result, style, out),
        Format::Json => json::write(result, out),
        Format::Github => github::write(result, out),
        Format::Sarif => sarif::write(result, out),
        Format::Checkstyle => checkstyle::write(result, out),
        Format::Junit => junit::write(result, out),
    };
    match written.and_then(|()| out.flush()) {
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Ok(()),
        other => other,
    }
}

/// A query as written may span lines (`expr: |`); reports show it on one.
pub fn one_line(query: &str) -> String {
    query.split_whitespace().collect::<Vec<_>>().join(" ")
}
