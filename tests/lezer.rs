//! A second opinion on PromQL syntax: Prometheus's own grammar for its UI,
//! `@prometheus-io/lezer-promql` 0.315 (npm), on generated expressions of
//! Prometheus 3.15's syntax (duration expressions, `anchored`/`smoothed`,
//! `fill()` modifiers, subqueries, `@`, `offset`), half of them broken by a
//! random edit. Lezer knows syntax only, not types or values, so the
//! property is one-sided where firedrill knows more: whatever lezer refuses,
//! firedrill refuses; what is generated valid, both accept; and where lezer
//! accepts and firedrill refuses, firedrill's reason is one of the
//! Prometheus parse-time checks the grammar leaves out (listed below).
//!
//! Needs node and npm (Debian packages `nodejs`, `npm`); the package is
//! installed once, from `tests/lezer/package-lock.json`, under the target
//! folder.

mod common;

use std::collections::BTreeMap;
use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};

use common::rng::Rng;
use common::*;

/// The folder with lezer-promql installed, installing it the first time.
fn lezer() -> PathBuf {
    common::tools::require("node", "nodejs");
    common::tools::require("npm", "npm");
    let source = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/lezer");
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("lezer-promql");
    std::fs::create_dir_all(&dir).unwrap();
    let lock = std::fs::read(source.join("package-lock.json")).unwrap();
    let installed = std::fs::read(dir.join("package-lock.json")).ok() == Some(lock)
        && dir
            .join("node_modules/@prometheus-io/lezer-promql")
            .is_dir();
    for file in ["package.json", "package-lock.json", "verdict.cjs"] {
        std::fs::copy(source.join(file), dir.join(file)).unwrap();
    }
    if !installed {
        let out = Command::new("npm")
            .args(["ci", "--silent", "--no-audit", "--no-fund"])
            .current_dir(&dir)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "npm ci of lezer-promql failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    dir
}

/// Lezer's verdict on each expression: true when it parses.
fn lezer_accepts(exprs: &[String]) -> Vec<bool> {
    let dir = lezer();
    let mut child = Command::new("node")
        .arg("verdict.cjs")
        .current_dir(&dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let input: String = exprs
        .iter()
        .map(|e| serde_json::to_string(e).unwrap() + "\n")
        .collect();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    let verdicts: Vec<bool> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| l == "OK")
        .collect();
    assert_eq!(verdicts.len(), exprs.len());
    verdicts
}

/// firedrill's syntax error on each expression (every feature on), if any.
fn firedrill_refusals(exprs: &[String]) -> BTreeMap<usize, String> {
    lint_expressions(
        exprs,
        &[
            "--select=promql/syntax",
            "--enable-feature=promql-extended-range-selectors,promql-binop-fill-modifiers,promql-experimental-functions",
        ],
    )
    .into_iter()
    .map(|(i, found)| (i, found[0].1.clone()))
    .collect()
}

struct Gen(Rng);

impl Gen {
    fn pick<'a>(&mut self, options: &[&'a str]) -> &'a str {
        options[self.0.below(options.len() as u64) as usize]
    }

    fn chance(&mut self, percent: u64) -> bool {
        self.0.below(100) < percent
    }

    fn selector(&mut self) -> String {
        self.pick(&[
            "http_requests_total",
            "up{job=\"api\"}",
            "node_cpu_seconds_total{mode!=\"idle\",cpu=~\"0|1\"}",
            "{__name__=\"errors_total\"}",
        ])
        .to_string()
    }

    /// A positive duration, literal or computed.
    fn duration(&mut self, depth: u32) -> String {
        let literal = self.pick(&["5m", "30s", "1h", "90", "1h30m", "250ms", "2"]);
        if depth > 2 || self.chance(45) {
            return literal.to_string();
        }
        match self.0.below(7) {
            0 => format!(
                "{literal} {} {}",
                self.pick(&["+", "*", "-", "/", "%", "^"]),
                self.duration(depth + 1)
            ),
            1 => "step()".to_string(),
            2 => format!("max_of(step(), {})", self.duration(depth + 1)),
            3 => format!(
                "min_of({}, {})",
                self.duration(depth + 1),
                self.duration(depth + 1)
            ),
            4 => format!("({})", self.duration(depth + 1)),
            5 => format!("{} + range()", self.duration(depth + 1)),
            _ => format!("{literal}*{}", self.pick(&["2", "0.5", "(1+1)"])),
        }
    }

    fn offset(&mut self) -> String {
        match self.0.below(7) {
            0 => self.pick(&["5m", "-5m", "100", "0"]).to_string(),
            1 => format!("({})", self.duration(1)),
            2 => format!("-({})", self.duration(1)),
            3 => self.pick(&["step()", "-step()", "range()"]).to_string(),
            4 => format!(
                "{}({}, 1s)",
                self.pick(&["min_of", "-max_of", "+min_of"]),
                self.duration(2)
            ),
            _ => "1h".to_string(),
        }
    }

    fn vector(&mut self, depth: u32) -> String {
        if depth > 3 {
            return self.selector();
        }
        match self.0.below(10) {
            0 => self.selector(),
            1 | 2 => {
                let function = self.pick(&[
                    "rate",
                    "increase",
                    "delta",
                    "changes",
                    "resets",
                    "deriv",
                    "max_over_time",
                ]);
                let modifier = match (function, self.0.below(4)) {
                    ("rate" | "increase" | "delta", 0) => " anchored",
                    ("rate" | "increase" | "delta", 1) => " smoothed",
                    ("changes" | "resets", 0) => " anchored",
                    _ => "",
                };
                let offset = if self.chance(20) {
                    format!(" offset {}", self.offset())
                } else {
                    String::new()
                };
                format!(
                    "{function}({}[{}]{offset}{modifier})",
                    self.selector(),
                    self.duration(0)
                )
            }
            3 => format!(
                "{} by (job) ({})",
                self.pick(&["sum", "max", "count", "avg"]),
                self.vector(depth + 1)
            ),
            4 | 5 => {
                let lhs = self.vector(depth + 1);
                let rhs = self.vector(depth + 1);
                let (op, modifier) = match self.0.below(4) {
                    0 => (
                        self.pick(&["and", "or", "unless"]),
                        self.pick(&["", "on(job) ", "ignoring(instance) "]),
                    ),
                    1 => (
                        self.pick(&["==", "!=", ">", "<=", ">="]),
                        self.pick(&["", "bool ", "on(job) ", "bool fill(0) ", "fill_left(1) "]),
                    ),
                    _ => (
                        self.pick(&["+", "-", "*", "/", "%", "^", "atan2"]),
                        self.pick(&[
                            "",
                            "on(job) ",
                            "ignoring(instance) group_left ",
                            "fill(0) ",
                            "on(job) fill_left(1) fill_right(2) ",
                            "on(job) group_left(team) fill_right(0) ",
                        ]),
                    ),
                };
                format!("{lhs} {op} {modifier}{rhs}")
            }
            6 => format!("({})", self.vector(depth + 1)),
            7 => format!("{} offset {}", self.selector(), self.offset()),
            8 => format!(
                "max_over_time(({})[{}:{}])",
                self.vector(depth + 1),
                self.duration(0),
                self.duration(1)
            ),
            _ => format!(
                "({} {})",
                self.selector(),
                self.pick(&[
                    "@ 100",
                    "@ start()",
                    "smoothed",
                    "> 0.5",
                    "offset 1m @ end()"
                ])
            ),
        }
    }

    /// One random edit: a character deleted, or a token inserted.
    fn break_it(&mut self, expr: &str) -> String {
        let chars: Vec<char> = expr.chars().collect();
        let at = self.0.below(chars.len() as u64 + 1) as usize;
        let mut out: String = chars[..at].iter().collect();
        if self.chance(40) && at < chars.len() {
            out.extend(&chars[at + 1..]);
            return out;
        }
        out.push_str(self.pick(&[
            "(",
            ")",
            "[",
            "]",
            "+",
            ",",
            " offset ",
            " 5m",
            " anchored",
            "{",
            "}",
            ":",
            " by ",
            " fill(1)",
            "step()",
        ]));
        out.extend(&chars[at..]);
        out
    }
}

/// The parse-time checks Prometheus makes beyond its grammar (types,
/// values, modifiers on the wrong operand), which lezer does not make.
const BEYOND_GRAMMAR: &[&str] = &[
    "expected type",
    "duration must be greater than 0",
    "division by zero",
    "modulo by zero",
    "duration out of range",
    "not supported for subqueries",
    "modifier not implemented",
    "cannot be used together",
    "ranges only allowed for vector selectors",
    "no offset modifiers allowed before range",
    "no @ modifiers allowed before range",
    "offset may not be set multiple times",
    "@ <timestamp> may not be set multiple times",
    "vector matching only allowed between",
    "bool modifier can only be used on comparison operators",
    "no grouping allowed",
    "set operations must only use many-to-many",
    "must be a number",
    "illegal regex",
    "unknown function",
    "binary expression must contain only scalar and instant vector types",
    "comparisons between scalars must use BOOL modifier",
    "label",
];

fn number_ending_in_a_dot(expr: &str) -> bool {
    let b = expr.as_bytes();
    (1..b.len()).any(|i| {
        b[i] == b'.'
            && b[i - 1].is_ascii_digit()
            && b.get(i + 1).is_none_or(|c| !c.is_ascii_digit())
    })
}

#[test]
fn firedrill_and_prometheus_grammar_agree_on_generated_expressions() {
    let mut generate = Gen(Rng(0x5eed_cafe_f00d));
    let mut exprs = Vec::new();
    let mut broken = Vec::new();
    for i in 0..2000 {
        let expr = generate.vector(0);
        let expr = if i % 2 == 1 {
            generate.break_it(&expr)
        } else {
            expr
        };
        broken.push(i % 2 == 1);
        exprs.push(expr);
    }
    let lezer = lezer_accepts(&exprs);
    let refused = firedrill_refusals(&exprs);
    let mut wrong = Vec::new();
    let mut agreed_refusals = 0;
    for (i, expr) in exprs.iter().enumerate() {
        let firedrill = refused.get(&i);
        match (lezer[i], firedrill) {
            (true, None) => {}
            (false, Some(_)) => agreed_refusals += 1,
            // Lezer refuses `5.`, which Prometheus's lexer reads as 5
            // (promql/parser/parse_test.go, input "5.").
            (false, None) if number_ending_in_a_dot(expr) => {}
            (false, None) => wrong.push(format!("lezer refuses, firedrill accepts: {expr}")),
            (true, Some(message))
                if broken[i] && BEYOND_GRAMMAR.iter().any(|m| message.contains(m)) => {}
            (true, Some(message)) => wrong.push(format!(
                "lezer accepts, firedrill refuses: {expr}\n    {message}"
            )),
        }
    }
    assert!(
        wrong.is_empty(),
        "{} of {}:\n{}",
        wrong.len(),
        exprs.len(),
        wrong.join("\n")
    );
    // The edits break most expressions: the property is not vacuous.
    assert!(
        agreed_refusals > 400,
        "only {agreed_refusals} refused by both"
    );
}
