//! `castellan`: dispatches the command line.

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("info")).init();
    castellan::cli::run(castellan::cli::Cli::parse())
}
