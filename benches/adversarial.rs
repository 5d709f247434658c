//! Time of the hostile inputs of tests/adversarial.rs, through the library
//! as `firedrill lint --format json` runs them (load, every default check,
//! the report). The tests prove the diagnostics and bound memory; this
//! proves the time. Run: `cargo bench --bench adversarial`.

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion};
use firedrill::input::Input;
use firedrill::lint::{self, LintOptions};
use firedrill::report::{self, Format, Style};

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn rule(expr: &str) -> String {
    format!(
        "groups:\n- name: g\n  rules:\n  - alert: A\n    expr: {expr}\n    labels:\n      severity: warning\n    annotations:\n      summary: s\n      description: d\n"
    )
}

fn cases() -> Vec<(&'static str, String)> {
    let mut bomb = String::from("a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n");
    for i in 1..10 {
        let refs = vec![format!("*a{}", i - 1); 10].join(", ");
        bomb.push_str(&format!("a{i}: &a{i} [{refs}]\n"));
    }
    let body = rule("up == 0");
    let body = body.strip_prefix("groups:\n").unwrap();
    vec![
        ("alias_bomb", bomb),
        (
            "file_100mb",
            format!(
                "groups:\n{}",
                body.repeat(100 * 1024 * 1024 / body.len() + 1)
            ),
        ),
        ("yaml_nesting_10000", format!("{}x\n", "- ".repeat(10_000))),
        (
            "promql_parens_10000",
            rule(&format!(
                "'{}up{} > 1'",
                "(".repeat(10_000),
                ")".repeat(10_000)
            )),
        ),
        (
            "promql_or_chain_100000",
            rule(&format!("'{}'", vec!["up"; 100_000].join(" or "))),
        ),
        (
            "line_6mb",
            rule(&format!("'up{{job=\"{}\"}} > > 1'", "x".repeat(6 << 20))),
        ),
        (
            "label_value_1mb",
            rule("up == 0").replace(
                "severity: warning",
                &format!("severity: warning\n      team: {}", "t".repeat(1 << 20)),
            ),
        ),
        (
            "template_nesting_10000",
            rule("up == 0").replace(
                "summary: s",
                &format!(
                    "summary: '{}x{}'",
                    "{{ if . }}".repeat(10_000),
                    "{{ end }}".repeat(10_000)
                ),
            ),
        ),
    ]
}

fn run(inputs: &[Input], options: &LintOptions) {
    // A file past the size limit is an error before any work: that is the case.
    let Ok(result) = lint::lint(inputs, options) else {
        return;
    };
    let mut out = Vec::new();
    let style = Style {
        color: false,
        unicode: true,
        width: 100,
    };
    report::write(&result, Format::Json, style, &mut out).unwrap();
    black_box(out);
}

fn bench(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let options = LintOptions::default();
    for (name, text) in cases() {
        let path = dir.path().join(format!("{name}.yaml"));
        std::fs::write(&path, text).unwrap();
        let inputs = vec![Input::File(path)];
        c.bench_function(&format!("adversarial/{name}"), |b| {
            b.iter(|| run(black_box(&inputs), &options));
        });
    }
    // A runbook page with a 100,000-row index, against two alerts.
    let mut page = String::from("# Incident response\n\n| Alert | Triage |\n| --- | --- |\n");
    for i in 0..100_000 {
        page.push_str(&format!("| Alert{i} | [triage](#alert{i}) |\n"));
    }
    let runbook = dir.path().join("runbook.md");
    std::fs::write(&runbook, page).unwrap();
    let rules = dir.path().join("rules.yaml");
    std::fs::write(
        &rules,
        rule("up == 0").replace("alert: A", "alert: Alert99999"),
    )
    .unwrap();
    let inputs = vec![Input::File(rules)];
    let options = LintOptions {
        runbooks: vec![runbook.display().to_string()],
        ..LintOptions::default()
    };
    c.bench_function("adversarial/runbook_100000_rows", |b| {
        b.iter(|| run(black_box(&inputs), &options));
    });
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(10);
    targets = bench
}
criterion_main!(benches);
