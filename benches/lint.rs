//! Lint speed. Run: `cargo bench --bench lint`.
//!
//! - `lint/rules_large`: promtool's 10,002-rule testdata file, load + every check.
//! - `lint/corpus`: every rule file of tests/corpus.
//! - `load/rules_large`: YAML + model + PromQL parse only.

use std::hint::black_box;
use std::path::PathBuf;

use criterion::{criterion_group, criterion_main, Criterion};
use firedrill::input::{self, Input};
use firedrill::lint::{self, LintOptions};

/// The same allocator as the `firedrill` binary, so the figures are its figures.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn corpus() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/corpus")
}

fn bench(c: &mut Criterion) {
    let large = vec![Input::File(
        corpus().join("promtool-testdata/rules_large.yml"),
    )];
    let options = LintOptions::default();
    c.bench_function("lint/rules_large", |b| {
        b.iter(|| black_box(lint::lint(black_box(&large), &options).unwrap()));
    });
    c.bench_function("load/rules_large", |b| {
        b.iter(|| black_box(lint::load_inputs(black_box(&large), options.load).unwrap()));
    });
    let everything = input::expand(&[corpus().display().to_string()]).unwrap();
    c.bench_function("lint/corpus", |b| {
        b.iter(|| black_box(lint::lint(black_box(&everything), &options).unwrap()));
    });
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(20);
    targets = bench
}
criterion_main!(benches);
