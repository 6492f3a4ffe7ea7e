//! The `castellan` command line.

use std::path::PathBuf;
use std::process::ExitCode;

use chrono::Utc;
use clap::{Parser, Subcommand};
use serde_json::json;

use crate::app::{self, Application};
use crate::audit::Actor;
use crate::config::Settings;
use crate::domain::clients::creation;
use crate::keys::{self, KeyPolicy};
use crate::storage::Db;

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
    /// Apply pending migrations and exit.
    Migrate,
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
}

/// `castellan keys …`.
#[derive(Debug, Subcommand)]
pub enum KeysCommand {
    /// Make a new signing key current; the old one stays published until its tokens expire.
    Rotate,
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
    let settings = match Settings::load(cli.config.as_deref()) {
        Ok(s) => s,
        Err(e) => return fail(&e.to_string()),
    };
    let result = match cli.command {
        Command::Serve => serve(settings),
        Command::Migrate => migrate(&settings),
        Command::Bootstrap {
            name,
            json,
            org,
            create_org,
        } => bootstrap(&settings, &name, json, org.as_deref(), create_org),
        Command::Keys {
            command: KeysCommand::Rotate,
        } => rotate_keys(&settings),
        Command::Keys {
            command: KeysCommand::Revoke { kid },
        } => revoke_key(&settings, &kid),
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

fn migrate(settings: &Settings) -> Result<(), String> {
    let db = Db::open(&settings.database_url).map_err(|e| e.to_string())?;
    let applied = db.migrate().map_err(|e| e.to_string())?;
    eprintln!(
        "castellan: {} database is up to date ({applied} migrations applied)",
        db.backend_name()
    );
    Ok(())
}

fn bootstrap(
    settings: &Settings,
    name: &str,
    as_json: bool,
    org: Option<&str>,
    create_org: bool,
) -> Result<(), String> {
    let db = Db::connect(&settings.database_url).map_err(|e| e.to_string())?;
    let master = app::master_key(settings).map_err(|e| e.to_string())?;
    let mut conn = db.conn().map_err(|e| e.to_string())?;
    let now = Utc::now();
    let mut client = creation::admin_service_account(None, name, &settings.admin.audience, now);
    if let Some(slug) = org {
        client.org_id = creation::org_for_bootstrap(&mut conn, slug, create_org, now)
            .map_err(|e| e.to_string())?;
    }
    let created = creation::create(
        &mut conn,
        &master,
        client,
        None,
        &crate::domain::clients::ClientRules {
            max_ttl_seconds: settings.token.max_ttl_seconds,
            admin_audience: settings.admin.audience.clone(),
        },
        &Actor::system(),
        now,
    )
    .map_err(|e| e.to_string())?;
    let secret = created
        .secret
        .map(|(_, plain)| plain)
        .ok_or("no secret was created")?;
    if as_json {
        println!(
            "{}",
            json!({"client_id": created.client.client_id, "client_secret": secret})
        );
    } else {
        app::announce_bootstrap(&app::Bootstrapped {
            client_id: created.client.client_id,
            client_secret: secret,
        });
    }
    Ok(())
}

fn rotate_keys(settings: &Settings) -> Result<(), String> {
    keys::provider::install();
    let db = Db::connect(&settings.database_url).map_err(|e| e.to_string())?;
    let master = app::master_key(settings).map_err(|e| e.to_string())?;
    let policy = KeyPolicy::from_settings(settings).map_err(|e| e.to_string())?;
    let mut conn = db.conn().map_err(|e| e.to_string())?;
    let now = Utc::now();
    let kid = keys::rotate(&mut conn, &master, &policy, now, &Actor::system())
        .map_err(|e| e.to_string())?;
    eprintln!(
        "castellan: the new signing key is {kid}; running servers sign with it within a second"
    );
    Ok(())
}

fn revoke_key(settings: &Settings, kid: &str) -> Result<(), String> {
    keys::provider::install();
    let db = Db::connect(&settings.database_url).map_err(|e| e.to_string())?;
    let master = app::master_key(settings).map_err(|e| e.to_string())?;
    let policy = KeyPolicy::from_settings(settings).map_err(|e| e.to_string())?;
    let mut conn = db.conn().map_err(|e| e.to_string())?;
    let revocation = keys::revoke(
        &mut conn,
        &master,
        &policy,
        kid,
        Utc::now(),
        &Actor::system(),
    )
    .map_err(|e| match e {
        keys::KeyError::Store(crate::storage::StoreError::NotFound) => {
            format!("no signing key has the kid {kid}")
        }
        other => other.to_string(),
    })?;
    if !revocation.revoked_now {
        eprintln!("castellan: key {kid} was already revoked");
        return Ok(());
    }
    match revocation.replaced_by {
        Some(new_kid) => eprintln!(
            "castellan: revoked key {kid}; the new signing key is {new_kid}; running servers drop the old one within a second"
        ),
        None => eprintln!("castellan: revoked key {kid}; running servers drop it within a second"),
    }
    Ok(())
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
