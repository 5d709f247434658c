//! Go `text/template` syntax as Prometheus uses it in alert labels and
//! annotations: enough of a parser to give the verdicts `template.Parse`
//! gives (unclosed actions, undefined variables and functions, unbalanced
//! control blocks), with positions, and to list `$labels.X` references.
//!
//! It is a linear scan with an explicit block stack: no recursion on input,
//! no backtracking, so hostile input cannot make it hang.

/// A parse error and the byte range of the template text it is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TemplateError {
    pub message: String,
    pub start: usize,
    pub end: usize,
}

/// What a template refers to.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Analysis {
    pub errors: Vec<TemplateError>,
    /// `$labels.name` references: the label name and its byte range.
    pub label_refs: Vec<(String, usize, usize)>,
    /// Whether `$value` or `.Value` is used.
    pub uses_value: bool,
    /// Actions that print `$value` (or `.Value`) as it is, with no function:
    /// `{{ $value }}`. Their byte ranges.
    pub raw_values: Vec<(usize, usize)>,
    /// The PromQL of `query "..."` calls (a literal argument): the query's
    /// text and the literal's byte range.
    pub queries: Vec<(String, usize, usize)>,
    /// `$value` (or `.Value`), a number, piped into a function that takes a
    /// query's result (`first`, `label`, `sortByLabel`): the function's name
    /// and byte range.
    pub value_as_query: Vec<(String, usize, usize)>,
    /// Commands that are `nil` alone (`{{ nil }}`, `{{ nil | printf }}`),
    /// which Go's templates refuse when they run ("nil is not a command").
    pub nil_commands: Vec<(usize, usize)>,
}

/// Functions of Prometheus's templates that take a query's result.
const TAKES_A_QUERY_RESULT: &[&str] = &["first", "label", "sortByLabel", "value", "strvalue"];

/// A Go string literal's value (`"..."` with escapes, or a raw `` `...` ``).
fn literal_value(raw: &str) -> Option<String> {
    crate::promql::string_value(raw)
}

/// Variables Prometheus defines before every alert template.
const PREDEFINED: &[&str] = &["$", "$labels", "$externalLabels", "$externalURL", "$value"];

/// Functions available to alert templates: Go's builtins plus Prometheus's.
const FUNCTIONS: &[&str] = &[
    // text/template builtins
    "and",
    "call",
    "html",
    "index",
    "slice",
    "js",
    "len",
    "not",
    "or",
    "print",
    "printf",
    "println",
    "urlquery",
    "eq",
    "ge",
    "gt",
    "le",
    "lt",
    "ne",
    // Prometheus template functions
    "query",
    "first",
    "label",
    "value",
    "strvalue",
    "args",
    "reReplaceAll",
    "safeHtml",
    "match",
    "title",
    "toUpper",
    "toLower",
    "graphLink",
    "tableLink",
    "sortByLabel",
    "stripPort",
    "stripDomain",
    "humanize",
    "humanize1024",
    "humanizeDuration",
    "humanizePercentage",
    "humanizeTimestamp",
    "toTime",
    "toDuration",
    "now",
    "pathPrefix",
    "externalURL",
    "parseDuration",
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tok {
    Identifier,
    Keyword,
    Field,
    Variable,
    Literal,
    Pipe,
    Open,
    Close,
    Declare,
    Assign,
    Comma,
    Bad,
}

#[derive(Debug, Clone, Copy)]
struct Token {
    kind: Tok,
    start: usize,
    end: usize,
}

#[derive(Debug)]
struct Block {
    keyword: &'static str,
    start: usize,
    end: usize,
    scope_len: usize,
    seen_else: bool,
}

/// Checks a template and collects what it references.
pub fn analyze(text: &str) -> Analysis {
    let mut out = Analysis::default();
    let mut scope: Vec<String> = PREDEFINED.iter().map(|s| s.to_string()).collect();
    let mut blocks: Vec<Block> = Vec::new();
    let mut pos = 0;
    while let Some(found) = text[pos..].find("{{") {
        let open = pos + found;
        let mut body_start = open + 2;
        if text[body_start..].starts_with("- ")
            || text[body_start..].starts_with("-\t")
            || text[body_start..].starts_with("-\n")
        {
            body_start += 1;
        }
        if text[body_start..].trim_start().starts_with("/*") {
            let Some(close) = text[body_start..].find("*/") else {
                out.errors.push(err("unclosed comment", open, text.len()));
                return out;
            };
            let after = body_start + close + 2;
            let rest = &text[after..];
            let trimmed = rest.trim_start_matches([' ', '\t', '\n', '\r']);
            let rest = trimmed
                .strip_prefix('-')
                .map(|r| r.trim_start_matches([' ', '\t', '\n', '\r']))
                .unwrap_or(trimmed);
            if !rest.starts_with("}}") {
                out.errors
                    .push(err("comment ends before closing delimiter", open, after));
                return out;
            }
            pos = text.len() - rest.len() + 2;
            continue;
        }
        let (tokens, close_at) = match lex_action(text, body_start) {
            Ok(v) => v,
            Err(e) => {
                out.errors.push(e);
                return out;
            }
        };
        let action_end = close_at + 2;
        action(
            text,
            &tokens,
            open,
            action_end,
            &mut scope,
            &mut blocks,
            &mut out,
        );
        if out.errors.len() > 20 {
            break;
        }
        pos = action_end;
    }
    if let Some(b) = blocks.last() {
        out.errors.push(err(
            &format!("unexpected EOF: {{{{{}}}}} has no {{{{end}}}}", b.keyword),
            b.start,
            b.end,
        ));
    }
    out
}

/// Renders a template whose actions only print labels (`{{ $labels.job }}`,
/// `{{ .Labels.job }}`), as Prometheus renders an alerting rule's labels for
/// one series: a label the series lacks prints as nothing, and `{{-`/`-}}`
/// trim the space beside them as Go's `text/template` does. `None` when
/// the template needs more than the labels (`$value`, a function, a
/// pipeline), or does not parse.
pub fn render_with_labels(
    text: &str,
    labels: &std::collections::BTreeMap<String, String>,
) -> Option<String> {
    if !text.contains("{{") {
        return Some(text.to_string());
    }
    let space = [' ', '\t', '\r', '\n'];
    let mut out = String::new();
    let mut pos = 0;
    while let Some(found) = text[pos..].find("{{") {
        let open = pos + found;
        out.push_str(&text[pos..open]);
        let mut body_start = open + 2;
        if text[body_start..].starts_with("- ")
            || text[body_start..].starts_with("-\t")
            || text[body_start..].starts_with("-\n")
        {
            body_start += 1;
            out.truncate(out.trim_end_matches(space).len());
        }
        let (tokens, close_at) = lex_action(text, body_start).ok()?;
        let trims_after = text[..close_at].ends_with('-');
        let (first, last) = (tokens.first()?, tokens.last()?);
        let action = &text[first.start..last.end];
        let name = action
            .strip_prefix("$labels.")
            .or_else(|| action.strip_prefix(".Labels."))?;
        if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            return None;
        }
        out.push_str(labels.get(name).map_or("", String::as_str));
        pos = close_at + 2;
        if trims_after {
            pos = text.len() - text[pos..].trim_start_matches(space).len();
        }
    }
    out.push_str(&text[pos..]);
    Some(out)
}

fn err(message: &str, start: usize, end: usize) -> TemplateError {
    TemplateError {
        message: message.to_string(),
        start,
        end,
    }
}

/// Lexes an action body starting at `start`; returns its tokens and the
/// offset of the closing `}}` (after any ` -` trim marker).
fn lex_action(text: &str, start: usize) -> Result<(Vec<Token>, usize), TemplateError> {
    let bytes = text.as_bytes();
    let mut tokens = Vec::new();
    let mut i = start;
    loop {
        let Some(&c) = bytes.get(i) else {
            return Err(err("unclosed action", start.saturating_sub(2), text.len()));
        };
        let s = i;
        let kind = match c {
            b' ' | b'\t' | b'\r' | b'\n' => {
                // " -}}" trims the following text; "-" alone is not special.
                if text[i..]
                    .trim_start_matches([' ', '\t', '\r', '\n'])
                    .starts_with("-}}")
                {
                    let dash = i + text[i..].find('-').unwrap_or(0);
                    return Ok((tokens, dash + 1));
                }
                i += 1;
                continue;
            }
            b'}' if text[i..].starts_with("}}") => return Ok((tokens, i)),
            b'"' | b'`' | b'\'' => {
                i += 1;
                loop {
                    match bytes.get(i) {
                        None => return Err(err("unterminated quoted string", s, text.len())),
                        Some(b'\\') if c != b'`' => i += 2,
                        Some(b'\n') if c != b'`' => {
                            return Err(err("unterminated quoted string", s, i))
                        }
                        Some(&q) if q == c => {
                            i += 1;
                            break;
                        }
                        Some(_) => i += 1,
                    }
                }
                Tok::Literal
            }
            b'|' => {
                i += 1;
                Tok::Pipe
            }
            b'(' => {
                i += 1;
                Tok::Open
            }
            b')' => {
                i += 1;
                Tok::Close
            }
            b',' => {
                i += 1;
                Tok::Comma
            }
            b':' if bytes.get(i + 1) == Some(&b'=') => {
                i += 2;
                Tok::Declare
            }
            b'=' => {
                i += 1;
                Tok::Assign
            }
            b'$' => {
                i += 1;
                while i < bytes.len()
                    && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'_' || bytes[i] >= 0x80)
                {
                    i += 1;
                }
                Tok::Variable
            }
            b'.' if !bytes.get(i + 1).is_some_and(u8::is_ascii_digit) => {
                i += 1;
                while i < bytes.len()
                    && (bytes[i].is_ascii_alphanumeric()
                        || bytes[i] == b'_'
                        || bytes[i] == b'.'
                        || bytes[i] >= 0x80)
                {
                    i += 1;
                }
                Tok::Field
            }
            b'0'..=b'9' | b'+' | b'-' | b'.' => {
                i += 1;
                while i < bytes.len()
                    && (bytes[i].is_ascii_alphanumeric()
                        || matches!(bytes[i], b'.' | b'_' | b'+' | b'-'))
                {
                    i += 1;
                }
                Tok::Literal
            }
            c if c.is_ascii_alphabetic() || c == b'_' || c >= 0x80 => {
                while i < bytes.len()
                    && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'_' || bytes[i] >= 0x80)
                {
                    i += 1;
                }
                match &text[s..i] {
                    "if" | "else" | "end" | "range" | "with" | "define" | "template" | "block"
                    | "break" | "continue" => Tok::Keyword,
                    "true" | "false" | "nil" => Tok::Literal,
                    _ => Tok::Identifier,
                }
            }
            _ => {
                i += text[i..].chars().next().map_or(1, char::len_utf8);
                Tok::Bad
            }
        };
        tokens.push(Token {
            kind,
            start: s,
            end: i,
        });
    }
}

fn action(
    text: &str,
    tokens: &[Token],
    open: usize,
    end: usize,
    scope: &mut Vec<String>,
    blocks: &mut Vec<Block>,
    out: &mut Analysis,
) {
    let word = |t: &Token| &text[t.start..t.end];
    // Dot is the alert (`.Labels`, `.Value`) outside `range` and `with`,
    // which rebind it; the pipeline of a `with` itself still sees the alert.
    let dot_is_alert = !blocks
        .iter()
        .any(|b| b.keyword == "range" || b.keyword == "with");
    let Some(first) = tokens.first() else {
        out.errors.push(err("missing value for command", open, end));
        return;
    };
    let mut rest = tokens;
    if first.kind == Tok::Keyword {
        rest = &tokens[1..];
        match word(first) {
            "end" => {
                match blocks.pop() {
                    Some(b) => scope.truncate(b.scope_len),
                    None => out.errors.push(err("unexpected {{end}}", open, end)),
                }
                return;
            }
            "else" => {
                match blocks.last_mut() {
                    Some(b)
                        if !b.seen_else
                            || rest
                                .first()
                                .is_some_and(|t| word(t) == "if" || word(t) == "with") =>
                    {
                        if rest.is_empty() {
                            b.seen_else = true;
                        }
                        scope.truncate(b.scope_len);
                    }
                    Some(_) => out
                        .errors
                        .push(err("expected end; found {{else}}", open, end)),
                    None => out.errors.push(err("unexpected {{else}}", open, end)),
                }
                if rest
                    .first()
                    .is_some_and(|t| word(t) == "if" || word(t) == "with")
                {
                    rest = &rest[1..];
                } else {
                    return;
                }
            }
            "if" | "range" | "with" | "define" | "block" => {
                let keyword = match word(first) {
                    "if" => "if",
                    "range" => "range",
                    "with" => "with",
                    "define" => "define",
                    _ => "block",
                };
                if rest.is_empty() {
                    out.errors
                        .push(err(&format!("missing value for {keyword}"), open, end));
                }
                blocks.push(Block {
                    keyword,
                    start: open,
                    end,
                    scope_len: scope.len(),
                    seen_else: false,
                });
                if keyword == "define" {
                    return;
                }
                if keyword == "block" {
                    rest = &rest[1.min(rest.len())..];
                }
            }
            "template" => {
                rest = &rest[1.min(rest.len())..];
            }
            "break" | "continue" => {
                if !blocks.iter().any(|b| b.keyword == "range") {
                    out.errors.push(err(
                        &format!("{{{{{}}}}} outside {{{{range}}}}", word(first)),
                        open,
                        end,
                    ));
                }
                return;
            }
            _ => {}
        }
    }
    pipeline(text, rest, open, end, scope, dot_is_alert, out);
}

/// Checks `[$a[, $b] :=|=] command (| command)*` and records references.
fn pipeline(
    text: &str,
    tokens: &[Token],
    open: usize,
    end: usize,
    scope: &mut Vec<String>,
    dot_is_alert: bool,
    out: &mut Analysis,
) {
    let word = |t: &Token| &text[t.start..t.end];
    let mut body = tokens;
    // Declarations: `$x :=`, `$i, $e :=`, or assignments `$x =`.
    if let Some(op) = tokens
        .iter()
        .position(|t| t.kind == Tok::Declare || t.kind == Tok::Assign)
    {
        let head = &tokens[..op];
        let is_decl_list = !head.is_empty()
            && head
                .iter()
                .all(|t| t.kind == Tok::Variable || t.kind == Tok::Comma);
        if is_decl_list {
            for v in head.iter().filter(|t| t.kind == Tok::Variable) {
                let name = word(v).to_string();
                if tokens[op].kind == Tok::Assign && !scope.contains(&name) {
                    out.errors.push(err(
                        &format!("undefined variable \"{name}\""),
                        v.start,
                        v.end,
                    ));
                }
                scope.push(name);
            }
            body = &tokens[op + 1..];
        }
    }
    if body.is_empty() {
        out.errors.push(err("missing value for command", open, end));
        return;
    }
    // Each command of the pipeline: a lone `nil` is not one.
    for command in body.split(|t| t.kind == Tok::Pipe) {
        if let [only] = command {
            if only.kind == Tok::Literal && word(only) == "nil" {
                out.nil_commands.push((only.start, only.end));
            }
        }
    }
    if let [only] = body {
        let w = word(only);
        if (only.kind == Tok::Variable && w == "$value")
            || (only.kind == Tok::Field && w == ".Value")
        {
            out.raw_values.push((open, end));
        }
    }
    let mut depth = 0i32;
    let mut expect_operand = true;
    for (k, t) in body.iter().enumerate() {
        match t.kind {
            Tok::Open => {
                depth += 1;
                expect_operand = true;
            }
            Tok::Close => {
                depth -= 1;
                if depth < 0 {
                    out.errors
                        .push(err("unexpected right paren", t.start, t.end));
                    return;
                }
            }
            Tok::Pipe => {
                if expect_operand && k > 0 && body[k - 1].kind != Tok::Close {
                    out.errors
                        .push(err("missing command before `|`", t.start, t.end));
                }
                if k + 1 == body.len() {
                    out.errors
                        .push(err("missing command after `|`", t.start, t.end));
                }
                expect_operand = true;
            }
            Tok::Identifier => {
                let name = word(t);
                if name == "query" {
                    if let Some(arg) = body.get(k + 1).filter(|n| n.kind == Tok::Literal) {
                        if let Some(q) = literal_value(word(arg))
                            .filter(|_| word(arg).starts_with('"') || word(arg).starts_with('`'))
                        {
                            out.queries.push((q, arg.start, arg.end));
                        }
                    }
                }
                // `$value | first`: a number where a query's result goes.
                if TAKES_A_QUERY_RESULT.contains(&name) && k >= 2 && body[k - 1].kind == Tok::Pipe {
                    let before = &body[..k - 1];
                    let piped_value = match before {
                        [only] => {
                            let w = word(only);
                            (only.kind == Tok::Variable && w == "$value")
                                || (only.kind == Tok::Field && w == ".Value")
                        }
                        _ => false,
                    };
                    if piped_value {
                        out.value_as_query.push((name.to_string(), t.start, t.end));
                    }
                }
                if !FUNCTIONS.contains(&name) {
                    out.errors.push(err(
                        &format!("function \"{name}\" not defined"),
                        t.start,
                        t.end,
                    ));
                }
                expect_operand = false;
            }
            Tok::Variable => {
                let full = word(t);
                let name = full.split('.').next().unwrap_or(full);
                // `$labels.instance` lexes as `$labels` then field `.instance`.
                if !scope.iter().any(|v| v == name) {
                    out.errors.push(err(
                        &format!("undefined variable \"{name}\""),
                        t.start,
                        t.end,
                    ));
                }
                if name == "$value" {
                    out.uses_value = true;
                }
                if name == "$labels" {
                    if let Some(next) = body
                        .get(k + 1)
                        .filter(|n| n.kind == Tok::Field && n.start == t.end)
                    {
                        let label = word(next).trim_start_matches('.');
                        let label = label.split('.').next().unwrap_or(label);
                        out.label_refs.push((label.to_string(), t.start, next.end));
                    }
                }
                expect_operand = false;
            }
            Tok::Field => {
                if word(t) == ".Value" {
                    out.uses_value = true;
                }
                // `{{ .Labels.job }}`, the alert's labels through dot; not a
                // field of something before it (`$e.Labels.job`).
                let on_dot = k == 0 || body[k - 1].end != t.start;
                if let Some(label) = word(t)
                    .strip_prefix(".Labels.")
                    .filter(|_| dot_is_alert && on_dot)
                {
                    let label = label.split('.').next().unwrap_or(label);
                    out.label_refs.push((label.to_string(), t.start, t.end));
                }
                expect_operand = false;
            }
            Tok::Literal => expect_operand = false,
            Tok::Keyword => {
                out.errors.push(err(
                    &format!("unexpected <{}> in command", word(t)),
                    t.start,
                    t.end,
                ));
                return;
            }
            Tok::Declare | Tok::Assign | Tok::Comma => {
                out.errors.push(err(
                    &format!("unexpected \"{}\" in command", word(t)),
                    t.start,
                    t.end,
                ));
                return;
            }
            Tok::Bad => {
                out.errors.push(err(
                    &format!("unexpected bad character {:?} in command", word(t)),
                    t.start,
                    t.end,
                ));
                return;
            }
        }
    }
    if depth > 0 {
        out.errors.push(err("unclosed left paren", open, end));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn label_templates_render_as_prometheus_renders_them() {
        let labels: std::collections::BTreeMap<String, String> =
            [("job", "api"), ("instance", "a:1")]
                .into_iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect();
        for (template, expected) in [
            ("static", Some("static")),
            ("{{ $labels.job }}", Some("api")),
            ("{{$labels.job}}-{{ .Labels.instance }}", Some("api-a:1")),
            ("x {{- $labels.job -}} y", Some("xapiy")),
            ("{{ $labels.missing }}!", Some("!")),
            ("{{ $value }}", None),
            ("{{ $labels.job | toUpper }}", None),
            ("{{ $labels.job", None),
        ] {
            assert_eq!(
                render_with_labels(template, &labels).as_deref(),
                expected,
                "{template}"
            );
        }
    }

    fn errors(text: &str) -> Vec<String> {
        analyze(text)
            .errors
            .into_iter()
            .map(|e| e.message)
            .collect()
    }

    #[test]
    fn accepts_what_alert_templates_use() {
        for ok in [
            "Instance {{ $labels.instance }} down",
            "{{ $value | humanizePercentage }} of {{ $labels.job }}",
            "{{ printf \"%.2f\" $value }}",
            "{{- if gt $value 1.0 -}}high{{- else -}}low{{- end }}",
            "{{ with $x := $labels.pod }}{{ $x }}{{ end }}",
            "{{ range $i, $e := query \"up\" }}{{ $e.Labels.job }}{{ end }}",
            "{{/* a comment */}}text",
            "{{ $labels.instance | reReplaceAll \":.*\" \"\" }}",
            "{{ humanize (index $labels \"x\") }}",
            "no templates at all",
        ] {
            assert_eq!(errors(ok), Vec::<String>::new(), "{ok}");
        }
    }

    #[test]
    fn rejects_what_go_rejects() {
        assert_eq!(
            errors("{{ $label.foo }}"),
            vec!["undefined variable \"$label\""]
        );
        assert_eq!(
            errors("{{ nosuch $value }}"),
            vec!["function \"nosuch\" not defined"]
        );
        assert_eq!(errors("{{ $labels.x "), vec!["unclosed action"]);
        assert_eq!(
            errors("{{ if $value }}x"),
            vec!["unexpected EOF: {{if}} has no {{end}}"]
        );
        assert_eq!(errors("{{ end }}"), vec!["unexpected {{end}}"]);
        assert_eq!(errors("{{ }}"), vec!["missing value for command"]);
        assert_eq!(errors("{{ \"abc }}"), vec!["unterminated quoted string"]);
        assert_eq!(
            errors("{{ (humanize $value }}"),
            vec!["unclosed left paren"]
        );
    }

    #[test]
    fn collects_label_references() {
        let a = analyze("{{ $labels.instance }} / {{ $labels.job }} {{ $value }}");
        let names: Vec<_> = a.label_refs.iter().map(|r| r.0.as_str()).collect();
        assert_eq!(names, ["instance", "job"]);
        assert!(a.uses_value);
        // Through dot, as Go templates also write it; not where `range` or
        // `with` rebinds dot, nor as a field of another value.
        let names =
            |t: &str| -> Vec<String> { analyze(t).label_refs.into_iter().map(|r| r.0).collect() };
        assert_eq!(
            names("{{ .Labels.pod }} on {{ .Labels.node.x }}"),
            ["pod", "node"]
        );
        assert!(names("{{ with query \"up\" }}{{ .Labels.job }}{{ end }}").is_empty());
        assert!(names("{{ range $i, $e := query \"up\" }}{{ $e.Labels.job }}{{ end }}").is_empty());
        assert_eq!(names("{{ with $labels.pod }}{{ . }}{{ end }}"), ["pod"]);
    }

    #[test]
    fn hostile_input_finishes() {
        let text = "{{".repeat(100_000);
        assert!(!analyze(&text).errors.is_empty());
        let text = "{{ if 1 }}".repeat(10_000);
        assert!(!analyze(&text).errors.is_empty());
    }
}
