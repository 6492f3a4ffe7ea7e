//! The `castellan` command line.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::app::Application;
use crate::config::Settings;
use crate::keys::{self, Switch};

pub mod admin;
mod local;

/// Castellan: an OAuth 2.0 authorization server for machine identities.
#[derive(Debug, Parser)]
#[command(name = "castellan", version, about)]
pub struct Cli {
    /// A TOML configuration file (the shipped defaults are in config/default.toml).
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Start the server.
    Serve,
    /// Apply pending migrations and exit. The database must exist: on SQLite the file (and
    /// Castellan's tables in it), unless --create; on PostgreSQL the database, whose tables are
    /// created when it has none.
    Migrate {
        /// Create the SQLite database, or Castellan's tables in an empty one.
        #[arg(long)]
        create: bool,
    },
    /// Create an admin service account and print its credentials once.
    Bootstrap {
        /// Its display name.
        #[arg(long)]
        name: String,
        /// Print one JSON object {"client_id", "client_secret"}.
        #[arg(long)]
        json: bool,
        /// The slug of the organization it administers (with those below it); default root.
        #[arg(long, value_name = "SLUG")]
        org: Option<String>,
        /// Create the organization (below root) when no organization has that slug.
        #[arg(long, requires = "org")]
        create_org: bool,
    },
    /// Signing keys.
    Keys {
        /// What to do with them.
        #[command(subcommand)]
        command: KeysCommand,
    },
    /// The admin API of a running server, over HTTP (docs/cli.md); reads no configuration file.
    Admin {
        /// The server, the credentials, and what to do.
        #[command(flatten)]
        args: Box<admin::AdminArgs>,
    },
}

/// `castellan keys …`.
#[derive(Debug, Subcommand)]
pub enum KeysCommand {
    /// Publish a new signing key now and switch to it after a delay (default 60 s), so that
    /// verifiers caching the JWKS hold it first; the old one stays published until its tokens
    /// expire.
    Rotate {
        /// Switch at once (verifiers that cached the JWKS refuse its tokens until they
        /// refetch); for a compromised key use `keys revoke`.
        #[arg(long)]
        now: bool,
        /// Seconds the new key is published before it signs (0 to 86400).
        #[arg(long, value_name = "SECONDS", conflicts_with = "now",
              value_parser = clap::value_parser!(i64).range(0..=keys::MAX_ROTATION_DELAY_SECONDS))]
        delay: Option<i64>,
    },
    /// Revoke a (compromised) key: it stops signing and verifying and leaves the JWKS at once;
    /// if it was the current key, a new one takes over. Revoking a revoked key changes nothing.
    Revoke {
        /// The key id (as in the JWKS and `GET /admin/v1/keys`); a kid may begin with `-`.
        #[arg(allow_hyphen_values = true)]
        kid: String,
    },
}

/// Runs a parsed command line.
pub fn run(cli: Cli) -> ExitCode {
    // The admin client talks to a server over HTTP: it loads no server settings.
    if let Command::Admin { args } = cli.command {
        return admin::run(*args, cli.config.as_deref());
    }
    let settings = match Settings::load(cli.config.as_deref()) {
        Ok(s) => s,
        Err(e) => return fail(&e.to_string()),
    };
    let result = match cli.command {
        Command::Serve => serve(settings),
        Command::Migrate { create } => local::migrate(&settings, create),
        Command::Bootstrap {
            name,
            json,
            org,
            create_org,
        } => local::bootstrap(&settings, &name, json, org.as_deref(), create_org),
        Command::Keys {
            command: KeysCommand::Rotate { now, delay },
        } => rotation_switch(now, delay).and_then(|switch| local::rotate(&settings, switch)),
        Command::Keys {
            command: KeysCommand::Revoke { kid },
        } => local::revoke(&settings, &kid),
        Command::Admin { .. } => Err("castellan admin is dispatched before the settings".into()),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => fail(&e),
    }
}

fn fail(message: &str) -> ExitCode {
    eprintln!("castellan: {message}");
    ExitCode::FAILURE
}

fn serve(settings: Settings) -> Result<(), String> {
    actix_web::rt::System::new().block_on(async move {
        let app = Application::build(settings)
            .await
            .map_err(|e| e.to_string())?;
        app.run_until_stopped().await.map_err(|e| e.to_string())
    })
}

/// When `keys rotate` switches: `--now`, `--delay SECONDS` (0 is now), or the default delay.
fn rotation_switch(now: bool, delay: Option<i64>) -> Result<Switch, String> {
    match (now, delay) {
        (true, _) => Ok(Switch::Now),
        (false, Some(seconds)) => Switch::after_seconds(seconds).map_err(|e| e.to_string()),
        (false, None) => Ok(Switch::default()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_command_line_is_well_formed() {
        Cli::command().debug_assert();
    }
}
