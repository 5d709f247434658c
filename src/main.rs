use std::process::ExitCode;

use clap::Parser;

/// Loading builds many small strings and vectors; mimalloc frees them
/// several times faster than glibc's allocator (see benches/lint.rs).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    firedrill::contained_panic::install_hook();
    firedrill::cli::run(firedrill::cli::Cli::parse())
}
