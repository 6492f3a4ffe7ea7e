//! Start-up: the master key, the store, keys and clients loaded, the first admin service
//! account created when there is none.

use std::path::Path;
use std::sync::Arc;

use chrono::Utc;

use crate::audit::Actor;
use crate::config::Settings;
use crate::domain::clients::creation;
use crate::domain::clients::ClientRegistry;
use crate::domain::directory::Directory;
use crate::domain::Core;
use crate::keys::{self, KeyPolicy, KeyRing, MasterKey};
use crate::storage::clients as client_rows;
use crate::storage::{self, Db, StartLock};

use super::StartError;

fn start_err(context: &str) -> impl Fn(String) -> StartError + '_ {
    move |e| StartError(format!("{context}: {e}"))
}

/// The master key: configured, or kept in (and on first start created in) the key file.
pub fn master_key(settings: &Settings) -> Result<MasterKey, StartError> {
    match &settings.master_key {
        Some(key) => MasterKey::from_base64(key.expose()).map_err(|e| StartError(e.to_string())),
        None => {
            let path = Path::new(&settings.master_key_file);
            let (key, created) =
                MasterKey::load_or_create(path).map_err(|e| StartError(e.to_string()))?;
            if created {
                log::info!("created the master key in {} (owner-only)", path.display());
            }
            Ok(key)
        }
    }
}

/// Credentials of an admin service account created at start-up, to show once.
pub struct Bootstrapped {
    /// client_id
    pub client_id: String,
    /// client_secret
    pub client_secret: String,
}

/// Refuses an issuer no client can reach (`Settings::check_issuer`), then opens the store, loads
/// keys and clients, creates the first admin service account when none exists. Migrating, the
/// first signing key and the bootstrap admin happen under the start-up lock, so that nodes
/// starting at once on one database do each exactly once. Blocking: call before the HTTP server
/// runs.
pub fn prepare(settings: Settings) -> Result<(Core, Option<Bootstrapped>), StartError> {
    // Before anything is created: an issuer no client can reach is refused, not announced.
    settings
        .check_issuer()
        .map_err(|e| StartError(e.to_string()))?;
    keys::provider::install();
    let db = Db::open(&settings.database_url).map_err(|e| start_err("database")(e.to_string()))?;
    let master = Arc::new(master_key(&settings)?);
    let policy = KeyPolicy::from_settings(&settings).map_err(|e| StartError(e.to_string()))?;
    // Held until `drop(conn)` below.
    let mut conn = db
        .conn()
        .and_then(StartLock::acquire)
        .map_err(|e| start_err("database")(e.to_string()))?;
    storage::migrate(&mut conn).map_err(|e| start_err("database")(e.to_string()))?;
    // Read after the lock: a node that waited must see the key the first one made as active.
    let now = Utc::now();
    let ring = KeyRing::load(&mut conn, master.clone(), policy, now)
        .map_err(|e| start_err("signing keys")(e.to_string()))?
        .with_store(db.clone());

    // Configured clients first: one of them may be the admin service account.
    let configured = crate::domain::clients::configured::sync(
        &mut conn,
        &master,
        &settings.clients,
        settings.token.max_ttl_seconds,
        now,
    )
    .map_err(|e| StartError(e.to_string()))?;
    let mut bootstrapped = None;
    let has_admin =
        client_rows::admin_exists(&mut conn).map_err(|e| start_err("database")(e.to_string()))?;
    if !has_admin {
        let (id, secret) = match (
            &settings.bootstrap_client_id,
            &settings.bootstrap_client_secret,
        ) {
            (Some(id), Some(secret)) => (Some(id.clone()), Some(secret.expose().to_string())),
            _ => (None, None),
        };
        let client =
            creation::admin_service_account(id, "Bootstrap admin", &settings.admin.audience, now);
        let created = creation::create(
            &mut conn,
            &master,
            client,
            secret.clone(),
            &crate::domain::clients::ClientRules {
                max_ttl_seconds: settings.token.max_ttl_seconds,
                admin_audience: settings.admin.audience.clone(),
            },
            &Actor::system(),
            now,
        )
        .map_err(|e| start_err("creating the bootstrap admin service account")(e.to_string()))?;
        if secret.is_none() {
            if let Some((_, plain)) = created.secret {
                bootstrapped = Some(Bootstrapped {
                    client_id: created.client.client_id.clone(),
                    client_secret: plain,
                });
            }
        } else {
            log::info!(
                "created the admin service account {} from CASTELLAN_BOOTSTRAP_CLIENT_ID",
                created.client.client_id
            );
        }
    }
    let clients = ClientRegistry::load(&mut conn, master.clone())
        .map_err(|e| start_err("loading clients")(e.to_string()))?;
    clients
        .set_configured_secrets(&mut conn, configured)
        .map_err(|e| start_err("loading clients")(e.to_string()))?;
    clients.put_builtin(&crate::domain::people::console_client(
        &settings.issuer(),
        &settings.admin.audience,
    ));
    let directory = Directory::load(&mut conn)
        .map_err(|e| start_err("loading organizations and groups")(e.to_string()))?;
    drop(conn);
    let outside = crate::resource::OutsideKeys::new(crate::resource::RemoteJwksOptions::default())
        .map_err(|e| start_err("setting up the outside issuers' keys")(e.to_string()))?;
    let state = Core {
        issuer: settings.issuer(),
        settings,
        db,
        master,
        keys: Arc::new(ring),
        clients: Arc::new(clients),
        directory: Arc::new(directory),
        outside: Arc::new(outside),
    };
    Ok((state, bootstrapped))
}

/// Prints generated admin credentials once, on standard error, where a person sees them.
pub fn announce_bootstrap(b: &Bootstrapped) {
    let line = "=".repeat(78);
    eprintln!(
        "\n{line}\n  Castellan created an admin service account. Its secret is shown ONLY NOW:\n\n    \
         client_id:     {}\n    client_secret: {}\n\n  Store it safely; it cannot be shown again \
         (rotate it through the admin API).\n{line}\n",
        b.client_id, b.client_secret
    );
}
