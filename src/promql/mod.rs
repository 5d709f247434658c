//! Helpers over `promql-parser`: parsing with Prometheus's feature gates, and
//! finding where in the expression an error is (the parser reports no
//! positions, so we locate the offending token ourselves).

pub mod analysis;
mod durations;
mod locate;
mod modifiers;
mod operators;
mod rewrite;
pub mod split;
mod tokens;
mod type_errors;
pub mod versions;

pub use operators::binary_operators;
pub use promql_parser::parser::Expr;
pub use split::Comparison;
pub use tokens::{quoted, string_value, tokenize, Token, TokenKind, GROUPING_KEYWORDS};
pub use versions::PrometheusVersion;

use crate::contained_panic;

/// What the parser returned for an expression.
pub type ParsedExpr = Result<Expr, PromqlError>;

/// A PromQL error and the byte range of the expression text it is about.
#[derive(Debug, Clone, PartialEq)]
pub struct PromqlError {
    pub message: String,
    pub start: usize,
    pub end: usize,
    /// A hint on how to fix it, when we know one.
    pub help: Option<String>,
}

/// Which Prometheus's verdict to give, and the PromQL features it gates
/// behind `--enable-feature`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ParseOptions {
    pub version: PrometheusVersion,
    /// `promql-experimental-functions`: `sort_by_label`, `limitk`, `info`, ...
    pub experimental_functions: bool,
    /// `promql-extended-range-selectors`: `anchored`, `smoothed`.
    pub extended_range_selectors: bool,
    /// `promql-binop-fill-modifiers`: `fill()`, `fill_left()`, `fill_right()`.
    pub binop_fill_modifiers: bool,
    /// `promql-duration-expr`: `[5m * 2]`, `offset (1h + 5m)`; always on
    /// since 3.14.
    pub duration_expressions: bool,
}

/// The `--enable-feature` names promtool takes (cmd/promtool/main.go);
/// the ones that change no parse are accepted and do nothing here.
pub const FEATURES: &[&str] = &[
    "promql-experimental-functions",
    "promql-extended-range-selectors",
    "promql-binop-fill-modifiers",
    // Needed by 3.13; always on since 3.14 (a no-op then, as in promtool).
    "promql-duration-expr",
    // Changes results, not what parses.
    "promql-delayed-name-removal",
];

impl ParseOptions {
    /// Prometheus 3 with every PromQL feature on: what a replay loads rules
    /// with, since the server that evaluates them is the judge there.
    pub fn every_feature() -> ParseOptions {
        ParseOptions {
            version: PrometheusVersion::NEWEST,
            experimental_functions: true,
            extended_range_selectors: true,
            binop_fill_modifiers: true,
            duration_expressions: true,
        }
    }

    /// Turns on the PromQL features of `--enable-feature` names; `Err` with
    /// the first name promtool does not know.
    pub fn enable<'a>(
        &mut self,
        features: impl IntoIterator<Item = &'a str>,
    ) -> Result<(), String> {
        for feature in features {
            match feature {
                "promql-experimental-functions" => self.experimental_functions = true,
                "promql-extended-range-selectors" => self.extended_range_selectors = true,
                "promql-binop-fill-modifiers" => self.binop_fill_modifiers = true,
                "promql-duration-expr" => self.duration_expressions = true,
                f if FEATURES.contains(&f) => {}
                other => return Err(other.to_string()),
            }
        }
        Ok(())
    }

    /// The feature flags given that change what this version parses, by
    /// their `--enable-feature` names.
    pub fn features(&self) -> Vec<&'static str> {
        let mut on = Vec::new();
        if self.experimental_functions {
            on.push("promql-experimental-functions");
        }
        if self.extended_range_selectors
            && !versions::always_on(self.version, "promql-extended-range-selectors")
        {
            on.push("promql-extended-range-selectors");
        }
        if self.binop_fill_modifiers {
            on.push("promql-binop-fill-modifiers");
        }
        if self.duration_expressions && !versions::always_on(self.version, "promql-duration-expr") {
            on.push("promql-duration-expr");
        }
        on
    }

    /// `anchored` and `smoothed` are read: flagged, or always on (3.16).
    pub fn extended_range_selectors_on(&self) -> bool {
        self.extended_range_selectors
            || versions::always_on(self.version, "promql-extended-range-selectors")
    }

    /// Duration expressions are read: flagged (3.13), or always on (3.14).
    pub fn duration_expressions_on(&self) -> bool {
        self.duration_expressions || versions::always_on(self.version, "promql-duration-expr")
    }
}

/// Parses `text` as Prometheus would for a rule's `expr`.
pub fn parse(text: &str, options: ParseOptions) -> ParsedExpr {
    if let Some(error) = refused_before_parsing(text, options.version) {
        return Err(error);
    }
    // What promql-parser does not read yet is rewritten for it; the rule
    // keeps its own text.
    let edits = prometheus_3_edits(text, options)?;
    let rewritten = (!edits.is_empty()).then(|| rewrite::apply(text, edits));
    let parsed_text = rewritten.as_ref().map_or(text, |r| r.text.as_str());
    // The parser's lexer and grammar work on arbitrary input, but a bug in a
    // dependency must not take the whole run down: contain it and report it.
    let result = contained_panic::catch(|| promql_parser::parser::parse(parsed_text));
    let parsed = match result {
        Some(Ok(expr)) => expr,
        Some(Err(message)) => {
            let mut error = locate::locate(parsed_text, &message);
            if let Some(r) = &rewritten {
                error.start = r.original(error.start);
                error.end = r.original(error.end).max(error.start);
            }
            if options.version.is_2() && durations::might_fold(text) {
                error.help = Some("duration expressions (`[5m * 2]`, `offset (1h + 5m)`) came with Prometheus 3 (on by default since 3.14)".into());
            }
            return Err(error);
        }
        None => {
            return Err(PromqlError {
                message: "the PromQL parser failed on this expression (a bug in promql-parser)"
                    .into(),
                start: 0,
                end: text.len(),
                help: None,
            })
        }
    };
    let fill_gated = !options.binop_fill_modifiers || options.version.is_2();
    // One walk over the tree for the gates.
    let gates = gated(&parsed, options.version);
    if let Some(name) = gates.unknown {
        return Err(unknown_function(text, &name, options.version));
    }
    if !options.experimental_functions {
        if let Some(error) = first_experimental(text, gates.experimental, options.version) {
            return Err(error);
        }
    }
    if fill_gated && gates.fill {
        return Err(fill_not_enabled(text, options.version));
    }
    Ok(parsed)
}

/// The significant tokens of `text`.
fn significant_tokens(text: &str) -> Vec<Token> {
    tokenize(text)
        .into_iter()
        .filter(|t| t.kind != TokenKind::Comment)
        .collect()
}

/// The rewrites that let promql-parser read Prometheus 3 syntax, or the
/// parse error Prometheus gives for it.
fn prometheus_3_edits(
    text: &str,
    options: ParseOptions,
) -> Result<Vec<rewrite::Edit>, PromqlError> {
    let fold = durations::might_fold(text);
    let modify = modifiers::might_have(text);
    let renamed = options.version.is_2() && text.contains("holt_winters");
    if !fold && !modify && !renamed {
        return Ok(Vec::new());
    }
    let tokens = significant_tokens(text);
    let mut edits = Vec::new();
    if options.version.is_2() {
        // Prometheus 3 renamed it (and gated it as experimental).
        edits.extend(
            tokens
                .iter()
                .filter(|t| t.kind == TokenKind::Identifier && t.text(text) == "holt_winters")
                .map(|t| rewrite::Edit::new(t.start, t.end, "double_exponential_smoothing")),
        );
        return Ok(edits);
    }
    if fold {
        let folded = durations::fold(text, &tokens)?;
        if let Some(&(start, end)) = folded.expressions.first() {
            if !options.duration_expressions_on() {
                // promql/parser/parse.go, experimentalDurationExpr (3.13).
                return Err(PromqlError {
                    message: "experimental duration expression is not enabled".into(),
                    start,
                    end,
                    help: Some(format!(
                        "Prometheus {} reads duration expressions only with --enable-feature=promql-duration-expr (always on since 3.14); pass the same to firedrill",
                        options.version
                    )),
                });
            }
        }
        edits.extend(folded.edits);
    }
    if modify {
        let found = modifiers::find(text, &tokens);
        edits.extend(modifiers::rewrite(
            &found,
            options.extended_range_selectors_on(),
        )?);
        edits.extend(modifiers::names(text, &tokens));
    }
    Ok(edits)
}

/// The errors Prometheus raises at every evaluation of `text` as a rule,
/// though it parses: a duration expression that comes to nothing
/// (`rate(x[step()])`), a range modifier given to a function that cannot
/// read it (`deriv(x[5m] anchored)`). Meant for expressions that parse.
pub fn evaluation_errors(text: &str) -> Vec<PromqlError> {
    let fold = durations::might_fold(text);
    let modify = modifiers::might_have(text);
    if !fold && !modify {
        return Vec::new();
    }
    let tokens = significant_tokens(text);
    let mut errors = Vec::new();
    if fold {
        if let Ok(durations) = durations::fold(text, &tokens) {
            errors.extend(durations.at_evaluation);
        }
    }
    if modify {
        errors.extend(modifiers::at_evaluation(&modifiers::find(text, &tokens)));
    }
    errors.sort_by_key(|e| e.start);
    errors
}

/// Most operators (binary, unary, matchers) an expression may hold. The
/// parser's time grows with the square of a chain's length (8,000 `+`s take
/// half a second, 100,000 minutes, then overflow the stack); real rules use
/// a few dozen.
pub const MAX_OPERATORS: usize = 1_000;
/// Deepest nesting of parentheses, braces and brackets.
pub const MAX_NESTING: usize = 256;

/// Refuses, before parsing, an expression too big to parse in bounded time
/// and stack: the answer must not depend on the machine's luck.
fn refused_before_parsing(text: &str, version: PrometheusVersion) -> Option<PromqlError> {
    // Each bracket and operator is at least one byte, so a text this short
    // is within both complexity limits.
    let count = text.len() > MAX_NESTING.min(MAX_OPERATORS);
    let mut operators = 0;
    let mut open: Vec<TokenKind> = Vec::new();
    // The two significant tokens before this one (comments skipped).
    let mut before: [Option<Token>; 2] = [None, None];
    let tokens = significant_tokens(text);
    for (i, &token) in tokens.iter().enumerate() {
        if let Some(place) = duration_place(text, &before, &open) {
            // Only a literal that is the whole duration is judged alone:
            // `[0 + 5m]` is a duration expression of 5m.
            let whole = place == Place::Offset
                || tokens
                    .get(i + 1)
                    .is_some_and(|t| matches!(t.kind, TokenKind::RightBracket | TokenKind::Colon));
            if let Some(error) = duration_refused(text, token, place, whole, version) {
                return Some(error);
            }
        }
        before = [Some(token), before[0]];
        let counted = match token.kind {
            TokenKind::Operator => true,
            TokenKind::Identifier => matches!(token.text(text), "and" | "or" | "unless"),
            TokenKind::LeftParen | TokenKind::LeftBrace | TokenKind::LeftBracket => {
                open.push(token.kind);
                if count && open.len() > MAX_NESTING {
                    return Some(PromqlError {
                        message: format!(
                            "the expression nests deeper than {MAX_NESTING} levels; firedrill does not parse it"
                        ),
                        start: token.start,
                        end: token.end,
                        help: Some("Prometheus may accept it, but no rule needs this depth: split it into recording rules".into()),
                    });
                }
                false
            }
            TokenKind::RightParen | TokenKind::RightBrace | TokenKind::RightBracket => {
                open.pop();
                false
            }
            _ => false,
        };
        if counted && count {
            operators += 1;
            if operators > MAX_OPERATORS {
                return Some(PromqlError {
                    message: format!(
                        "the expression has more than {MAX_OPERATORS} operators; firedrill does not parse it"
                    ),
                    start: token.start,
                    end: token.end,
                    help: Some("Prometheus may accept it, but no rule needs this many: split it into recording rules".into()),
                });
            }
        }
    }
    None
}

/// Where PromQL reads a duration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Place {
    /// `[5m]`
    Range,
    /// `[1h:5m]`
    Step,
    /// `offset 5m`, `offset -5m`
    Offset,
}

/// Whether the next token is where PromQL reads a duration.
fn duration_place(text: &str, before: &[Option<Token>; 2], open: &[TokenKind]) -> Option<Place> {
    let is_offset = |t: &Option<Token>| {
        t.is_some_and(|t| {
            t.kind == TokenKind::Identifier && t.text(text).eq_ignore_ascii_case("offset")
        })
    };
    match before[0] {
        Some(t) if t.kind == TokenKind::LeftBracket => Some(Place::Range),
        Some(t) if t.kind == TokenKind::Colon => {
            (open.last() == Some(&TokenKind::LeftBracket)).then_some(Place::Step)
        }
        Some(t) if t.kind == TokenKind::Operator && matches!(t.text(text), "-" | "+") => {
            is_offset(&before[1]).then_some(Place::Offset)
        }
        _ => is_offset(&before[0]).then_some(Place::Offset),
    }
}

/// Prometheus keeps durations in a Go `time.Duration`, 2^63 - 1 ns (about
/// 292 years), and refuses longer ones ("duration out of range"). The
/// parser does not: it took `[293y]`, and panicked on `[1e30]` and
/// `offset Inf` (found by the `promql` fuzz target). `whole`: the token is
/// all of the duration, not the start of an expression.
fn duration_refused(
    text: &str,
    token: Token,
    place: Place,
    whole: bool,
    version: PrometheusVersion,
) -> Option<PromqlError> {
    let literal = token.text(text);
    const LIMIT_NANOS: u128 = i64::MAX as u128;
    let error = |message: &str, help: &str| PromqlError {
        message: message.into(),
        start: token.start,
        end: token.end,
        help: Some(help.into()),
    };
    let out_of_range = || {
        error(
            "duration out of range",
            "Prometheus's longest duration is 292 years (2^63 nanoseconds)",
        )
    };
    if !matches!(token.kind, TokenKind::Number | TokenKind::Identifier) {
        return None;
    }
    // `Inf` and `NaN` are numbers to the parser.
    if let Ok(seconds) = literal.parse::<f64>() {
        if version.is_2() {
            // Prometheus 2 reads a duration only with a unit (2.42's words).
            let message = match place {
                Place::Range => "missing unit character in duration".to_string(),
                Place::Step => format!("unexpected number {literal:?} in subquery selector, expected duration or \"]\""),
                Place::Offset => format!("unexpected number {literal:?} in offset, expected duration"),
            };
            return Some(error(
                &message,
                "Prometheus 3 reads a number there as seconds; Prometheus 2 needs a unit: `5m`, `30s`",
            ));
        }
        let within = seconds.is_finite() && seconds.abs() * 1e9 <= LIMIT_NANOS as f64;
        if !within {
            return Some(out_of_range());
        }
        if !whole {
            return None;
        }
        // promql-parser takes `[0]` and `[0.0001]` as numbers of seconds,
        // but prints them as `0s`, which it then refuses (found by fuzzing);
        // Prometheus 3 refuses a range or step of 0, and takes an offset of 0.
        if seconds == 0.0 {
            return (place != Place::Offset).then(|| {
                error(
                    "duration must be greater than 0",
                    "a range or step of 0 is refused by Prometheus",
                )
            });
        }
        return (seconds.abs() < 0.001).then(|| {
            error(
                "duration under 1ms",
                "Prometheus counts time in milliseconds: write at least `1ms`",
            )
        });
    }
    let (nanos, largest) = unit_duration(literal)?;
    if nanos > LIMIT_NANOS {
        return Some(out_of_range());
    }
    // promql-parser reads each number of a duration into 32 bits and, past
    // that, wrongly says the duration is 0; Prometheus takes it.
    (largest > u128::from(u32::MAX)).then(|| {
        error(
            "firedrill cannot read a duration number above 4294967295",
            "Prometheus accepts it, but firedrill's PromQL parser does not: write it with a larger unit (`9000000000ms` is `104d4h`)",
        )
    })
}

/// `1y2w3d4h5m6s7ms` in nanoseconds (saturating) and its largest number, or
/// `None` when the text is not a duration of units (the parser then says
/// what is wrong with it).
fn unit_duration(literal: &str) -> Option<(u128, u128)> {
    const UNITS: [(&str, u128); 7] = [
        ("y", 365 * 86_400 * 1_000_000_000),
        ("w", 7 * 86_400 * 1_000_000_000),
        ("d", 86_400 * 1_000_000_000),
        ("h", 3_600 * 1_000_000_000),
        ("ms", 1_000_000),
        ("m", 60 * 1_000_000_000),
        ("s", 1_000_000_000),
    ];
    let mut rest = literal;
    let mut total: u128 = 0;
    let mut largest: u128 = 0;
    while !rest.is_empty() {
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 {
            return None;
        }
        let number = rest[..digits].bytes().fold(0u128, |n, d| {
            n.saturating_mul(10).saturating_add(u128::from(d - b'0'))
        });
        rest = &rest[digits..];
        let (unit, nanos) = UNITS.iter().find(|(unit, _)| rest.starts_with(unit))?;
        rest = &rest[unit.len()..];
        total = total.saturating_add(number.saturating_mul(*nanos));
        largest = largest.max(number);
    }
    Some((total, largest))
}

/// What the feature gates find in a parsed expression.
#[derive(Debug, Default)]
struct Gates {
    /// The first experimental function or aggregation.
    experimental: Option<String>,
    /// The first function the release does not have yet.
    unknown: Option<String>,
    /// A binary operator has a fill modifier.
    fill: bool,
}

/// Walks `expr` once for every gate, as `version` has them (Prometheus 2
/// knew no `double_exponential_smoothing`: it is `holt_winters` there).
fn gated(expr: &Expr, version: PrometheusVersion) -> Gates {
    use versions::FunctionStatus;
    let mut gates = Gates::default();
    walk(expr, &mut |e| match e {
        Expr::Call(call) if version.is_2() && call.func.name == "double_exponential_smoothing" => {}
        Expr::Call(call) => {
            let experimental = match versions::function(version, call.func.name) {
                _ if version.is_2() => call.func.experimental,
                FunctionStatus::AsParsed => call.func.experimental,
                FunctionStatus::Experimental => true,
                FunctionStatus::Stable => false,
                FunctionStatus::Unknown => {
                    gates
                        .unknown
                        .get_or_insert_with(|| call.func.name.to_string());
                    false
                }
            };
            if experimental && gates.experimental.is_none() {
                gates.experimental = Some(call.func.name.to_string());
            }
        }
        Expr::Aggregate(agg) if gates.experimental.is_none() => {
            let op = agg.op.to_string();
            if op == "limitk" || op == "limit_ratio" {
                gates.experimental = Some(op);
            }
        }
        Expr::Binary(b) => {
            gates.fill |= b
                .modifier
                .as_ref()
                .is_some_and(|m| m.fill_values.lhs.is_some() || m.fill_values.rhs.is_some());
        }
        _ => {}
    });
    gates
}

/// A function the release does not have, as Prometheus's parser says it.
fn unknown_function(text: &str, name: &str, version: PrometheusVersion) -> PromqlError {
    let (start, end) = tokenize(text)
        .into_iter()
        .find(|t| t.kind == TokenKind::Identifier && t.text(text) == name)
        .map_or((0, text.len()), |t| (t.start, t.end));
    let since = versions::CHANGES.iter().find_map(|r| match r.change {
        versions::Change::FunctionAdded { name: n, .. } if n == name => Some(r.since),
        _ => None,
    });
    PromqlError {
        message: format!("unknown function with name {name:?}"),
        start,
        end,
        help: Some(match since {
            Some(since) => format!("Prometheus {version} does not have it; it came with {since}"),
            None => format!("Prometheus {version} does not have it"),
        }),
    }
}

/// The error for the first use of a feature Prometheus keeps behind
/// `promql-experimental-functions` (promtool rejects it by default).
fn first_experimental(
    text: &str,
    found: Option<String>,
    version: PrometheusVersion,
) -> Option<PromqlError> {
    let tokens = || {
        tokenize(text)
            .into_iter()
            .filter(|t| t.kind == TokenKind::Identifier)
    };
    if version.is_2() {
        // The parser got it for `holt_winters`; written out, Prometheus 2 does not know it.
        if let Some(t) = tokens().find(|t| t.text(text) == "double_exponential_smoothing") {
            return Some(PromqlError {
                message: "unknown function with name \"double_exponential_smoothing\"".into(),
                start: t.start,
                end: t.end,
                help: Some("Prometheus 2 calls it holt_winters".into()),
            });
        }
    }
    let name = found?;
    let (start, end) = tokens()
        .find(|t| t.text(text) == name)
        .map_or((0, text.len()), |t| (t.start, t.end));
    Some(PromqlError {
        message: format!("function \"{name}\" is experimental and not enabled"),
        start,
        end,
        help: Some("Prometheus accepts it only with --enable-feature=promql-experimental-functions; pass the same to firedrill".into()),
    })
}

/// A `fill()`, `fill_left()` or `fill_right()` binary-operator modifier,
/// which Prometheus keeps behind `promql-binop-fill-modifiers`
/// (`newBinaryExpression` in promql/parser/parse.go), at its place.
fn fill_not_enabled(text: &str, version: PrometheusVersion) -> PromqlError {
    let tokens = significant_tokens(text);
    let at = tokens.windows(2).find(|w| {
        w[1].kind == TokenKind::LeftParen
            && w[0].kind == TokenKind::Identifier
            && matches!(
                w[0].text(text).to_ascii_lowercase().as_str(),
                "fill" | "fill_left" | "fill_right"
            )
    });
    let (start, end) = at.map_or((0, text.len()), |w| (w[0].start, w[0].end));
    PromqlError {
        message: "binop fill modifiers are experimental and not enabled".into(),
        start,
        end,
        help: Some(if version.is_2() {
            "Prometheus 2 has no fill modifiers".into()
        } else {
            "Prometheus accepts them only with --enable-feature=promql-binop-fill-modifiers; pass the same to firedrill".into()
        }),
    }
}

/// Visits every node of the expression, parents before children, including
/// the vector selectors inside range selectors and subqueries.
pub fn walk<'a>(expr: &'a Expr, visit: &mut dyn FnMut(&'a Expr)) {
    let mut stack = vec![expr];
    while let Some(e) = stack.pop() {
        visit(e);
        match e {
            Expr::Aggregate(a) => {
                if let Some(p) = &a.param {
                    stack.push(p);
                }
                stack.push(&a.expr);
            }
            Expr::Unary(u) => stack.push(&u.expr),
            Expr::Binary(b) => {
                stack.push(&b.rhs);
                stack.push(&b.lhs);
            }
            Expr::Paren(p) => stack.push(&p.expr),
            Expr::Subquery(s) => stack.push(&s.expr),
            Expr::Call(c) => {
                for arg in c.args.args.iter().rev() {
                    stack.push(arg);
                }
            }
            Expr::NumberLiteral(_)
            | Expr::StringLiteral(_)
            | Expr::VectorSelector(_)
            | Expr::MatrixSelector(_)
            | Expr::Extension(_) => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn error_at(text: &str) -> (String, &str) {
        let e = parse(text, ParseOptions::default()).unwrap_err();
        (e.message.clone(), &text[e.start..e.end])
    }

    #[test]
    fn valid_expressions_parse() {
        for ok in [
            "up == 0",
            "sum by (job) (rate(x_total[5m])) > 0.05",
            "absent(up{job=\"a\"})",
            "vector(1)",
            // A duration expression, Prometheus 3.14 on.
            "x[1m * 2]",
        ] {
            assert!(parse(ok, ParseOptions::default()).is_ok(), "{ok}");
        }
    }

    #[test]
    fn errors_point_at_the_offending_token() {
        assert_eq!(error_at("rate(hi)").1, "hi");
        assert_eq!(error_at("sum(x) by (job").1, "(");
        assert_eq!(error_at("sum(x) )").1, ")");
        assert_eq!(error_at("foo{a=\"b}").1, "\"b}");
        assert_eq!(error_at("holt_winters(x[5m], 0.1, 0.2)").1, "holt_winters");
        assert_eq!(error_at("foo bar").1, "bar");
        assert_eq!(error_at("1 +* 2").1, "*");
        assert_eq!(error_at("test +").1, "+");
    }

    #[test]
    fn an_aggregated_range_is_named_in_prometheus_words_at_the_range() {
        let (message, at) = error_at("sum(rate(x[5m])) by (job) / sum(y{a=\"b\"}[5m]) by (job)");
        assert_eq!(
            message,
            "expected type instant vector in aggregation expression, got range vector"
        );
        assert_eq!(at, "y{a=\"b\"}[5m]");
        assert_eq!(error_at("sum by (job) (z[1m])").1, "z[1m]");
    }

    #[test]
    fn experimental_functions_need_the_feature() {
        let (message, at) = error_at("sort_by_label(up, \"instance\")");
        assert!(message.contains("experimental"));
        assert_eq!(at, "sort_by_label");
        let options = ParseOptions {
            experimental_functions: true,
            ..ParseOptions::default()
        };
        assert!(parse("sort_by_label(up, \"instance\")", options).is_ok());
    }

    #[test]
    fn walk_reaches_selectors_inside_functions() {
        let expr = parse("sum(rate(a[5m])) / on(job) b", ParseOptions::default()).unwrap();
        let mut n = 0;
        walk(&expr, &mut |e| {
            if matches!(e, Expr::MatrixSelector(_) | Expr::VectorSelector(_)) {
                n += 1;
            }
        });
        assert_eq!(n, 2);
    }

    #[test]
    fn expressions_past_the_limits_are_refused_before_parsing() {
        let at_limit = vec!["up"; MAX_OPERATORS + 1].join(" + ");
        assert!(parse(&at_limit, ParseOptions::default()).is_ok());
        let chain = vec!["up"; 100_000].join(" or ");
        let (message, at) = error_at(&chain);
        assert!(message.contains("more than 1000 operators"), "{message}");
        assert_eq!(at, "or");
        let deep = format!("{}up{}", "(".repeat(10_000), ")".repeat(10_000));
        let (message, at) = error_at(&deep);
        assert!(message.contains("deeper than 256"), "{message}");
        assert_eq!(at, "(");
        // The shortest text past the nesting limit is still scanned.
        let (message, _) = error_at(&"(".repeat(MAX_NESTING + 1));
        assert!(message.contains("deeper than 256"), "{message}");
        let nested_ok = format!("{}up{}", "(".repeat(MAX_NESTING), ")".repeat(MAX_NESTING));
        assert!(parse(&nested_ok, ParseOptions::default()).is_ok());
    }

    #[test]
    fn durations_past_292_years_are_out_of_range_as_in_prometheus() {
        // promtool check rules (2.42): 292y parses, 293y is "duration out of range".
        for ok in [
            "rate(up[292y])",
            "up offset 292y",
            "up offset -292y",
            "max_over_time(up[1h:1m])",
            "up[1e9]",
            // Prometheus 3 takes an offset of 0 (offset_duration_expr in
            // generated_parser.y); 2.42 refused it.
            "up offset 0",
            "up offset 0s",
            "rate(up[0 + 5m])",
        ] {
            assert!(parse(ok, ParseOptions::default()).is_ok(), "{ok}");
        }
        for (bad, at) in [
            ("rate(up[293y])", "293y"),
            ("up offset 293y", "293y"),
            ("up offset -293y", "293y"),
            ("up[1y15250w]", "1y15250w"),
            ("up[99999999999999999999999999999999999999999999s]", "99999999999999999999999999999999999999999999s"),
            // These panicked inside promql-parser.
            ("rate(up[1e30])", "1e30"),
            ("up[5m:1e30]", "1e30"),
            ("up offset 1e30", "1e30"),
            ("up offset -1e30", "1e30"),
            ("up[5m] offset Inf", "Inf"),
            ("rate(up[0000000000000000000000800000000000000000000000200:000000000005m]) + fill(0) rate(down[1m])",
             "0000000000000000000000800000000000000000000000200"),
        ] {
            let (message, found) = error_at(bad);
            assert_eq!((message.as_str(), found), ("duration out of range", at), "{bad}");
        }
        for (zero, at, says) in [
            ("rate(up[0])", "0", "greater than 0"),
            ("rate(up[0.0])", "0.0", "greater than 0"),
            ("max_over_time(up[5m:0.0001])", "0.0001", "under 1ms"),
        ] {
            let (message, found) = error_at(zero);
            assert!(message.contains(says), "{zero}: {message}");
            assert_eq!(found, at, "{zero}");
        }
        assert!(parse("rate(up[0.5])", ParseOptions::default()).is_ok());
        let (message, found) = error_at("rate(up[9000000000ms])");
        assert!(
            message.contains("cannot read a duration number above"),
            "{message}"
        );
        assert_eq!(found, "9000000000ms");
        // A string or a comment holding such text is not a duration.
        assert!(parse("up{path=\"[293y]\"} # offset 1e30", ParseOptions::default()).is_ok());
    }
}
