//! `castellan`: dispatches the command line.

use std::io::Write;
use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("info"))
        // env_logger's own layout, plus the id of the request being handled, when there is one.
        .format(|buf, record| {
            let level = buf.default_level_style(record.level());
            write!(
                buf,
                "[{} {level}{:<5}{level:#} {}]",
                buf.timestamp(),
                record.level(),
                record.target()
            )?;
            castellan::telemetry::with_request_id(|id| write!(buf, " [{id}]")).unwrap_or(Ok(()))?;
            writeln!(buf, " {}", record.args())
        })
        .init();
    castellan::cli::run(castellan::cli::Cli::parse())
}
