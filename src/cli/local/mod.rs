//! The commands that work on the server's database from the command line: `migrate`,
//! `bootstrap`, `keys …`. They refuse a database that does not exist and a master key that is
//! not the server's, rather than create new ones and report success.

mod database;
mod keys;

use chrono::Utc;
use serde_json::json;

use crate::app;
use crate::audit::Actor;
use crate::config::Settings;
use crate::domain::clients::creation;
use crate::keys::MasterKey;
use crate::storage::Db;

pub use database::migrate;
pub use keys::{revoke, rotate};

/// The server's database and master key, both required to exist.
fn open_with_master_key(settings: &Settings) -> Result<(Db, MasterKey), String> {
    let db = database::open_existing(settings)?;
    let master = database::master_key(settings, &db)?;
    Ok((db, master))
}

/// `castellan bootstrap`: another admin service account, its credentials printed once.
pub fn bootstrap(
    settings: &Settings,
    name: &str,
    as_json: bool,
    org: Option<&str>,
    create_org: bool,
) -> Result<(), String> {
    let (db, master) = open_with_master_key(settings)?;
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
