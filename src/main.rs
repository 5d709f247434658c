use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    firedrill::cli::run(firedrill::cli::Cli::parse())
}
