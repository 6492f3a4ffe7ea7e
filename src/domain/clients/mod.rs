//! Clients and their secrets: every change is one write transaction that reads what it
//! changes, checks the caller's powers and the client's rules against what it read, writes
//! its audit events, and then updates the token endpoint's in-memory entry for that client
//! alone (in commit order).

mod commands;
pub mod configured;
pub mod creation;
mod jwks_rules;
mod model;
mod patch;
pub mod registry;
pub mod secret_values;
mod secrets;
mod validate;

use std::sync::Arc;

use chrono::{DateTime, Utc};

pub use jwks_rules::check_jwks;
pub use model::*;
pub use patch::ClientPatch;
pub use registry::{AuthMethod, CachedClient, ClientRegistry};
pub use secrets::NewSecret;
pub use validate::valid_scope_token;

use crate::keys::MasterKey;
use crate::storage::clients::{self as client_rows, ClientRow, SecretRow};
use crate::storage::{Db, DbConnection};

use super::{Acting, DomainError};

/// What the rules of a client depend on in the server's configuration.
#[derive(Debug, Clone)]
pub struct ClientRules {
    /// The longest token lifetime a client may be given.
    pub max_ttl_seconds: i64,
    /// The admin API's audience.
    pub admin_audience: String,
}

/// The client service: cheap to clone.
#[derive(Clone)]
pub struct ClientService {
    db: Db,
    master: Arc<MasterKey>,
    registry: Arc<ClientRegistry>,
    rules: ClientRules,
}

/// A client as stored, with its live secrets: what the in-memory entry is built from.
#[derive(Debug)]
pub struct Stored {
    /// The row.
    pub row: ClientRow,
    /// Its live secrets.
    pub secrets: Vec<SecretRow>,
}

impl Stored {
    fn read(conn: &mut DbConnection, id: &str) -> Result<Self, DomainError> {
        let row = client_rows::find(conn, id).map_err(DomainError::not_found("client"))?;
        let secrets = client_rows::live_secrets(conn, id)?;
        Ok(Stored { row, secrets })
    }
}

/// The result of a change, with the client as stored after it.
#[derive(Debug)]
pub struct Changed<T> {
    /// What the command answers.
    pub value: T,
    /// The client after the change (None when it was deleted).
    pub stored: Option<Stored>,
    /// The client_id, for the cache.
    pub client_id: String,
}

impl<T> Changed<T> {
    /// A change that leaves the client in place: its state as stored now goes to the cache.
    fn kept(
        conn: &mut DbConnection,
        id: &str,
        client_id: String,
        value: T,
    ) -> Result<Self, DomainError> {
        Ok(Changed {
            value,
            stored: Some(Stored::read(conn, id)?),
            client_id,
        })
    }
}

/// A client just created or promoted: the one secret to show once.
#[derive(Debug)]
pub struct WithSecret {
    /// The client.
    pub client: Client,
    /// The new secret's metadata and plaintext.
    pub secret: Option<(SecretRow, String)>,
}

impl ClientService {
    /// A service over the store and the token endpoint's registry.
    pub fn new(
        db: Db,
        master: Arc<MasterKey>,
        registry: Arc<ClientRegistry>,
        rules: ClientRules,
    ) -> Self {
        ClientService {
            db,
            master,
            registry,
            rules,
        }
    }

    /// Runs one command as a write transaction and applies its result to the registry.
    async fn change<T, F>(&self, command: F) -> Result<T, DomainError>
    where
        F: FnOnce(&mut DbConnection) -> Result<Changed<T>, DomainError> + Send + 'static,
        T: Send + 'static,
    {
        let registry = self.registry.clone();
        let changed = self
            .db
            .write(command, move |changed: &Changed<T>| match &changed.stored {
                Some(s) => registry.upsert(&s.row, &s.secrets),
                None => registry.remove(&changed.client_id),
            })
            .await?;
        Ok(changed.value)
    }

    /// A page of clients, oldest first.
    pub async fn list(&self, limit: i64, offset: i64) -> Result<Vec<Client>, DomainError> {
        let rows = self
            .db
            .run(move |conn| client_rows::list(conn, limit, offset))
            .await?;
        Ok(rows.iter().map(Client::from).collect())
    }

    /// One client.
    pub async fn get(&self, id: String) -> Result<Client, DomainError> {
        let row = self
            .db
            .run(move |conn| client_rows::find(conn, &id))
            .await
            .map_err(DomainError::not_found("client"))?;
        Ok(Client::from(&row))
    }

    /// A client's secrets (metadata only), revoked ones included.
    pub async fn secrets(&self, id: String) -> Result<Vec<SecretRow>, DomainError> {
        self.db
            .run(move |conn| {
                client_rows::find(conn, &id)?;
                client_rows::list_secrets(conn, &id)
            })
            .await
            .map_err(DomainError::not_found("client"))
    }

    /// The time every command stores: `now` to the microsecond.
    fn at(now: DateTime<Utc>) -> DateTime<Utc> {
        super::tokens::micros(now)
    }
}

/// CONTRACT: a client declared in the configuration file is changed there, not here.
fn refuse_configured(row: &ClientRow) -> Result<(), DomainError> {
    if row.managed_by == "config" {
        return Err(DomainError::Conflict(
            "this client is declared in the configuration file: change it there".into(),
        ));
    }
    Ok(())
}

/// Whether a command may act on a client declared in the configuration file.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Configured {
    /// Changed there, not here (`409`).
    Refuse,
    /// Revocations work on it too.
    Allow,
}

/// The client a command acts on, read inside the command's transaction: it exists (else
/// `404`), and the caller holds everything it holds (else `403`).
fn target(
    conn: &mut DbConnection,
    id: &str,
    acting: &Acting,
    configured: Configured,
) -> Result<Client, DomainError> {
    let row = client_rows::find(conn, id).map_err(DomainError::not_found("client"))?;
    if configured == Configured::Refuse {
        refuse_configured(&row)?;
    }
    let client = Client::from(&row);
    require_covers(acting, &client)?;
    Ok(client)
}

/// CONTRACT: the caller must hold everything the target holds.
fn require_covers(acting: &Acting, target: &Client) -> Result<(), DomainError> {
    acting
        .powers
        .require_covers(target.holdings())
        .map_err(DomainError::Forbidden)
}

/// CONTRACT: the last active holder of the full `admin` scope can't be deleted, disabled or
/// demoted. Race-free: it runs inside the write transaction, one writer at a time.
fn keep_last_admin(
    conn: &mut DbConnection,
    before: &Client,
    after: Option<&Client>,
) -> Result<(), DomainError> {
    if !before.is_full_admin() || after.is_some_and(Client::is_full_admin) {
        return Ok(());
    }
    let others = client_rows::active_admins(conn)?
        .iter()
        .map(Client::from)
        .filter(|c| c.id != before.id && c.is_full_admin())
        .count();
    if others == 0 {
        return Err(DomainError::Conflict(
            "this is the last active admin service account with the full admin scope: \
             create another before removing it"
                .into(),
        ));
    }
    Ok(())
}
