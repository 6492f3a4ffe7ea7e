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
mod trust;
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

use super::holdings::{self, Permissions};
use super::powers::Held;
use super::tenancy::OrgSelector;
use super::{Acting, DomainError};
use crate::storage::groups::{self as group_rows, GroupRow};

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
    /// The groups it is in.
    pub groups: Vec<String>,
    /// Its trust policies.
    pub policies: Vec<crate::storage::trust::PolicyRow>,
}

impl Stored {
    /// Reads a client's state for the registry (by row id, whatever reach: the command
    /// already found it inside its caller's).
    pub fn read(conn: &mut DbConnection, id: &str) -> Result<Self, DomainError> {
        let row = client_rows::find(conn, id).map_err(DomainError::not_found("client"))?;
        let secrets = client_rows::live_secrets(conn, id)?;
        let groups = group_rows::of_client(conn, id)?
            .into_iter()
            .map(|g| g.id)
            .collect();
        let policies = crate::storage::trust::of_client(conn, id)?;
        Ok(Stored {
            row,
            secrets,
            groups,
            policies,
        })
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
                Some(s) => registry.upsert(s),
                None => registry.remove(&changed.client_id),
            })
            .await?;
        Ok(changed.value)
    }

    /// A page of the clients the caller may see, oldest first.
    pub async fn list(
        &self,
        acting: &Acting,
        selector: OrgSelector,
        limit: i64,
        offset: i64,
    ) -> Result<Vec<Client>, DomainError> {
        let acting = acting.clone();
        self.db
            .read(move |conn| {
                let reach = acting.reach_for(conn, &selector)?;
                let rows = client_rows::list(conn, &reach, limit, offset)?;
                Ok::<_, DomainError>(rows.iter().map(Client::from).collect())
            })
            .await
    }

    /// One client the caller may see.
    pub async fn get(&self, acting: &Acting, id: String) -> Result<Client, DomainError> {
        let acting = acting.clone();
        self.db
            .read(move |conn| Ok(Client::from(&visible(conn, &acting, &id)?)))
            .await
    }

    /// A client's secrets (metadata only), revoked ones included.
    pub async fn secrets(
        &self,
        acting: &Acting,
        id: String,
    ) -> Result<Vec<SecretRow>, DomainError> {
        let acting = acting.clone();
        self.db
            .read(move |conn| {
                let row = visible(conn, &acting, &id)?;
                Ok(client_rows::list_secrets(conn, &row.id)?)
            })
            .await
    }

    /// What a client holds and where each item comes from.
    pub async fn permissions(
        &self,
        acting: &Acting,
        id: String,
    ) -> Result<Permissions, DomainError> {
        let acting = acting.clone();
        self.db
            .read(move |conn| {
                let row = visible(conn, &acting, &id)?;
                let groups = group_rows::of_client(conn, &row.id)?;
                let own = Client::from(&row);
                Ok(Permissions::build(&own.scopes, &own.audiences, &groups))
            })
            .await
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

/// A client by row id or client_id, inside the caller's reach (else `404`, as if it did not
/// exist).
pub fn visible(
    conn: &mut DbConnection,
    acting: &Acting,
    id: &str,
) -> Result<ClientRow, DomainError> {
    let reach = acting.reach(conn)?;
    let found = match client_rows::find_in(conn, &reach, id) {
        Err(crate::storage::StoreError::NotFound) => {
            client_rows::find_by_client_id_in(conn, &reach, id)
        }
        other => other,
    };
    found.map_err(DomainError::not_found("client"))
}

/// The client a command acts on, read inside the command's transaction: it is inside the
/// caller's reach (else `404`), and the caller holds everything it holds, its groups' grants
/// included (else `403`). Returns it and the groups it is in.
fn target(
    conn: &mut DbConnection,
    id: &str,
    acting: &Acting,
    configured: Configured,
) -> Result<(Client, Vec<GroupRow>), DomainError> {
    let row = visible(conn, acting, id)?;
    if configured == Configured::Refuse {
        refuse_configured(&row)?;
    }
    let groups = group_rows::of_client(conn, &row.id)?;
    require_covers(acting, &holdings::client_with(&row, &groups))?;
    Ok((Client::from(&row), groups))
}

/// CONTRACT: the caller must hold everything the target holds.
fn require_covers(acting: &Acting, target: &Held) -> Result<(), DomainError> {
    acting
        .powers
        .require_covers(target.holdings())
        .map_err(DomainError::Forbidden)
}
