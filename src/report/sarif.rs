//! `--format sarif`: SARIF 2.1.0 for GitHub code scanning
//! (`github/codeql-action/upload-sarif`) and other SARIF viewers. Every
//! check is listed as a rule with its docs, whether it fired or not.

use std::io::{self, Write};

use serde_json::{json, Value};

use crate::checks;
use crate::diagnostic::Severity;
use crate::lint::LintResult;

fn level(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info => "note",
    }
}

/// A relative path as a URI reference: unreserved characters and `/` kept,
/// everything else percent-encoded (`<stdin>` → `%3Cstdin%3E`).
pub fn uri(path: &str) -> String {
    let mut out = String::new();
    for b in path.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~/".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

pub fn write(result: &LintResult, out: &mut dyn Write) -> io::Result<()> {
    let rules: Vec<Value> = checks::registry()
        .iter()
        .map(|c| {
            let info = c.info();
            json!({
                "id": info.id,
                "name": info.id.replace('/', "_"),
                "shortDescription": {"text": info.summary},
                "fullDescription": {"text": info.docs},
                "help": {"text": info.docs, "markdown": info.docs},
                "defaultConfiguration": {"level": level(info.severity), "enabled": info.default_enabled},
            })
        })
        .collect();
    let log = json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "firedrill",
                "version": env!("CARGO_PKG_VERSION"),
                "rules": rules,
            }},
            "columnKind": "unicodeCodePoints",
            "results": results(result),
        }]
    });
    serde_json::to_writer_pretty(&mut *out, &log)?;
    out.write_all(b"\n")
}

/// The part of the log that depends on the findings: one result per
/// diagnostic. (The rule list above is the same for every run, which is why
/// the fuzz harness renders only this.)
pub fn results(result: &LintResult) -> Vec<Value> {
    let registry = checks::registry();
    result
        .diagnostics
        .iter()
        .map(|d| {
            let start = d.source.line_col(d.span.start);
            let end = d.source.line_col(d.span.end.max(d.span.start));
            let mut message = d.message.clone();
            if let Some(help) = &d.help {
                message.push_str("\nhelp: ");
                message.push_str(help);
            }
            let mut region = json!({
                "startLine": start.line,
                "startColumn": start.column,
            });
            if (end.line, end.column) > (start.line, start.column) {
                region["endLine"] = json!(end.line);
                region["endColumn"] = json!(end.column);
            }
            let mut r = json!({
                "ruleId": d.check,
                "level": level(d.severity),
                "message": {"text": message},
                "locations": [{
                    "physicalLocation": {
                        "artifactLocation": {"uri": uri(&d.source.name)},
                        "region": region,
                    }
                }],
            });
            if let Some(index) = registry.iter().position(|c| c.info().id == d.check) {
                r["ruleIndex"] = json!(index);
            }
            r
        })
        .collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn paths_become_uri_references() {
        assert_eq!(super::uri("rules/a b.yaml"), "rules/a%20b.yaml");
        assert_eq!(super::uri("<stdin>"), "%3Cstdin%3E");
    }
}
