//! Prometheus's own PromQL test data (`fixtures/promqltest/`, copied from
//! `promql/promqltest/testdata/`): its `eval` expressions and what it
//! expects of them.

/// An `eval` of a .test file: the expression, whether Prometheus ran it as
/// an instant query (a rule's evaluation is one), and the evaluation error
/// it expects (`expect fail msg: ...`).
pub struct Eval {
    pub file: String,
    pub line: usize,
    pub expr: String,
    pub instant: bool,
    pub fails_with: Option<String>,
}

/// Every `eval` of the files (paths under `fixtures/promqltest/`).
pub fn evals(files: &[&str]) -> Vec<Eval> {
    let mut out = Vec::new();
    for file in files {
        let path = super::fixtures().join("promqltest").join(file);
        let text = std::fs::read_to_string(&path).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        for (i, line) in lines.iter().enumerate() {
            let Some(rest) = line.strip_prefix("eval ") else {
                continue;
            };
            let words: Vec<&str> = rest.splitn(8, ' ').collect();
            let (instant, expr) = match words[0] {
                // eval instant at 50m EXPR
                "instant" => (true, rest.splitn(4, ' ').nth(3).unwrap()),
                // eval range from 0 to 20m step 5m EXPR
                "range" => (false, rest.splitn(8, ' ').nth(7).unwrap()),
                other => panic!("{file}:{}: unknown eval kind {other}", i + 1),
            };
            let fails_with = lines[i + 1..]
                .iter()
                .take_while(|l| l.starts_with(|c: char| c.is_whitespace()) && !l.trim().is_empty())
                .find_map(|l| l.trim().strip_prefix("expect fail msg: "))
                .map(str::to_string);
            out.push(Eval {
                file: file.to_string(),
                line: i + 1,
                expr: expr.trim().to_string(),
                instant,
                fails_with,
            });
        }
    }
    out
}
