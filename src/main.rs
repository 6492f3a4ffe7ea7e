//! `castellan`: dispatches the command line.

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    // Text by default; JSON when CASTELLAN_LOG_FORMAT=json, or once the settings say so.
    castellan::telemetry::init_logging();
    castellan::cli::run(castellan::cli::Cli::parse())
}
