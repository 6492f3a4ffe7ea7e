//! The in-memory client table the token endpoint reads: no database and no slow hash on the
//! request path. Reloaded whole after every change made here, and on a timer for changes made
//! by other nodes or the CLI.

mod assertion;

use std::collections::HashMap;
use std::sync::{Arc, Mutex, RwLock};

use chrono::{DateTime, NaiveDateTime, Utc};

use crate::keys::{MasterKey, VerifyKey};
use crate::storage::clients::{self as client_rows, ClientRow, SecretRow};
use crate::storage::{split_list, DbConnection, StoreResult};

pub use assertion::{
    VerifiedAssertion, ASSERTION_LEEWAY_SECONDS, MAX_ASSERTION_LIFETIME_SECONDS, MAX_JTI_BYTES,
};

/// How a client authenticates: its registered `token_endpoint_auth_method`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthMethod {
    /// HTTP Basic with client_id and secret (RFC 6749 §2.3.1).
    ClientSecretBasic,
    /// client_id and client_secret in the form body (RFC 6749 §2.3.1).
    ClientSecretPost,
    /// A signed JWT assertion (RFC 7523 §2.2).
    PrivateKeyJwt,
    /// None: a public client (also what an unknown stored value means: nothing passes).
    None,
}

impl AuthMethod {
    /// The method a stored `token_endpoint_auth_method` names.
    pub fn from_registered(method: &str) -> Self {
        match method {
            "client_secret_basic" => AuthMethod::ClientSecretBasic,
            "client_secret_post" => AuthMethod::ClientSecretPost,
            "private_key_jwt" => AuthMethod::PrivateKeyJwt,
            _ => AuthMethod::None,
        }
    }
}

/// A live secret's hash.
#[derive(Debug, Clone)]
pub struct CachedSecret {
    /// Secret id.
    pub id: String,
    /// HMAC-SHA256 of the secret.
    pub hash: Vec<u8>,
    /// Not accepted from this instant.
    pub expires_at: Option<DateTime<Utc>>,
    /// `hash` is the HMAC of the secret's SHA-256 (a configured `secret_sha256`), not of the
    /// secret itself.
    pub prehashed: bool,
}

impl CachedSecret {
    fn from_row(s: &SecretRow) -> Self {
        CachedSecret {
            id: s.id.clone(),
            hash: s.secret_hash.clone(),
            expires_at: s.expires_at.map(utc),
            prehashed: false,
        }
    }
}

/// What the token endpoint needs to know of a client.
#[derive(Debug)]
pub struct CachedClient {
    /// Internal id.
    pub id: String,
    /// OAuth client_id.
    pub client_id: String,
    /// Confidential (not public).
    pub confidential: bool,
    /// Has the client_credentials grant.
    pub client_credentials: bool,
    /// Flagged a service account.
    pub is_service_account: bool,
    /// Flagged an admin service account.
    pub is_admin_service_account: bool,
    /// Enabled.
    pub active: bool,
    /// Scopes it may ask for, in configured order.
    pub scopes: Vec<String>,
    /// Scopes granted when none are asked for.
    pub default_scopes: Vec<String>,
    /// Audiences it may ask for.
    pub audiences: Vec<String>,
    /// Its own token lifetime, if set.
    pub token_ttl_seconds: Option<i64>,
    /// Tokens issued before this are revoked.
    pub tokens_revoked_before: Option<DateTime<Utc>>,
    /// Live secrets.
    pub secrets: Vec<CachedSecret>,
    /// The one method it authenticates by (its registered `token_endpoint_auth_method`).
    pub auth_method: AuthMethod,
    /// Audiences used when a request names none (None: all of `audiences`).
    pub default_audiences: Option<Vec<String>>,
    /// Its public keys for `private_key_jwt`, by kid, each pinned to its algorithm.
    pub assertion_keys: HashMap<String, Arc<VerifyKey>>,
}

fn utc(t: NaiveDateTime) -> DateTime<Utc> {
    DateTime::from_naive_utc_and_offset(t, Utc)
}

impl CachedClient {
    fn new(row: &ClientRow, secrets: Vec<CachedSecret>) -> Self {
        let grants = split_list(&row.grant_types);
        CachedClient {
            id: row.id.clone(),
            client_id: row.client_id.clone(),
            confidential: row.client_type == "confidential",
            client_credentials: grants.iter().any(|g| g == "client_credentials"),
            is_service_account: row.is_service_account,
            is_admin_service_account: row.is_admin_service_account,
            active: row.active,
            scopes: split_list(&row.scopes),
            default_scopes: split_list(&row.default_scopes),
            audiences: split_list(&row.audiences),
            token_ttl_seconds: row.token_ttl_seconds,
            tokens_revoked_before: row.tokens_revoked_before.map(utc),
            secrets,
            auth_method: AuthMethod::from_registered(&row.token_endpoint_auth_method),
            default_audiences: row.default_audiences.as_deref().map(split_list),
            assertion_keys: row
                .jwks
                .as_deref()
                .and_then(|j| crate::resource::parse_jwks(j.as_bytes()).ok())
                .unwrap_or_default(),
        }
    }
}

type ClientMap = HashMap<String, Arc<CachedClient>>;

/// The registry. Cheap reads; a change swaps the whole map.
pub struct ClientRegistry {
    clients: RwLock<Arc<ClientMap>>,
    master: Arc<MasterKey>,
    /// Secret id → last successful use, waiting to be written off the request path.
    pending_uses: Mutex<HashMap<String, NaiveDateTime>>,
    /// Compared against when the client is unknown, so that an unknown client costs the same
    /// as a wrong secret.
    dummy_hash: Vec<u8>,
    /// Secrets of clients declared in the configuration, by client row id: kept in memory
    /// only, merged in at every reload.
    configured: RwLock<HashMap<String, Vec<CachedSecret>>>,
    /// `client_id` + `jti` of assertions already used here, with the end of their acceptance
    /// (a fast first filter; the store's `used_assertions` decides for the deployment).
    seen_assertions: Mutex<HashMap<String, i64>>,
}

impl ClientRegistry {
    /// Loads every client and live secret.
    pub fn load(conn: &mut DbConnection, master: Arc<MasterKey>) -> StoreResult<Self> {
        let dummy_hash = master.hash_secret(b"castellan: no such client");
        let registry = ClientRegistry {
            clients: RwLock::new(Arc::new(HashMap::new())),
            master,
            pending_uses: Mutex::new(HashMap::new()),
            dummy_hash,
            configured: RwLock::new(HashMap::new()),
            seen_assertions: Mutex::new(HashMap::new()),
        };
        registry.reload(conn)?;
        Ok(registry)
    }

    /// Re-reads every client and live secret from the store (at start-up, and on a timer as
    /// a safety net for changes made elsewhere; a change made here updates its own entry).
    pub fn reload(&self, conn: &mut DbConnection) -> StoreResult<()> {
        let (rows, secret_rows) = client_rows::load_all(conn)?;
        let map = build_map(&rows, secret_rows, self.configured_secrets());
        *self.write_map() = Arc::new(map);
        Ok(())
    }

    fn configured_secrets(&self) -> HashMap<String, Vec<CachedSecret>> {
        match self.configured.read() {
            Ok(g) => g.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    fn write_map(&self) -> std::sync::RwLockWriteGuard<'_, Arc<ClientMap>> {
        match self.clients.write() {
            Ok(g) => g,
            Err(poisoned) => poisoned.into_inner(),
        }
    }

    /// Puts one client's new state in place, as the change that made it committed: a copy of
    /// the map's pointers, not a reload of every client.
    pub fn upsert(&self, row: &ClientRow, secret_rows: &[SecretRow]) {
        let mut secrets = self
            .configured_secrets()
            .remove(&row.id)
            .unwrap_or_default();
        secrets.extend(secret_rows.iter().map(CachedSecret::from_row));
        let entry = Arc::new(CachedClient::new(row, secrets));
        let mut guard = self.write_map();
        let mut map = ClientMap::clone(&guard);
        map.insert(row.client_id.clone(), entry);
        *guard = Arc::new(map);
    }

    /// Drops a deleted client.
    pub fn remove(&self, client_id: &str) {
        let mut guard = self.write_map();
        let mut map = ClientMap::clone(&guard);
        map.remove(client_id);
        *guard = Arc::new(map);
    }

    fn snapshot(&self) -> Arc<ClientMap> {
        match self.clients.read() {
            Ok(g) => g.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    /// A client by client_id. Counts nothing: a count of misses would tell an operator's
    /// metrics, and whoever reads them, which presented client_ids exist (CONTRACT).
    pub fn get(&self, client_id: &str) -> Option<Arc<CachedClient>> {
        self.snapshot().get(client_id).cloned()
    }

    /// Authenticates a client by secret: one HMAC and constant-time compares, the same work
    /// for an unknown client as for a wrong secret. Inactive clients never authenticate.
    pub fn authenticate(
        &self,
        client_id: &str,
        secret: &[u8],
        method: AuthMethod,
        now: DateTime<Utc>,
    ) -> Option<Arc<CachedClient>> {
        let client = self.get(client_id);
        let Some(client) = client else {
            let _ = self.master.verify_secret(secret, &self.dummy_hash);
            return None;
        };
        if client.auth_method != method {
            // CONTRACT: a client authenticates only by the method it registered; a key
            // client's key is its credential and a shared secret, even a correct one, is not.
            let _ = self.master.verify_secret(secret, &self.dummy_hash);
            return None;
        }
        let mut matched: Option<&CachedSecret> = None;
        // Only a configured client given as `secret_sha256` needs the SHA-256 of the secret.
        let digest = client
            .secrets
            .iter()
            .any(|s| s.prehashed)
            .then(|| ring::digest::digest(&ring::digest::SHA256, secret));
        for s in &client.secrets {
            let live = s.expires_at.is_none_or(|t| t > now);
            let presented = match (&digest, s.prehashed) {
                (Some(d), true) => d.as_ref(),
                _ => secret,
            };
            // Every secret is compared, matched or not, so the time taken does not say which.
            if self.master.verify_secret(presented, &s.hash) && live && matched.is_none() {
                matched = Some(s);
            }
        }
        if client.secrets.is_empty() {
            let _ = self.master.verify_secret(secret, &self.dummy_hash);
        }
        let matched = matched?;
        if !client.active {
            return None;
        }
        if let Ok(mut pending) = self.pending_uses.lock() {
            pending.insert(matched.id.clone(), now.naive_utc());
        }
        Some(client)
    }

    /// Sets the in-memory secrets of configured clients (by client row id) and reloads.
    pub fn set_configured_secrets(
        &self,
        conn: &mut DbConnection,
        secrets: HashMap<String, Vec<CachedSecret>>,
    ) -> StoreResult<()> {
        match self.configured.write() {
            Ok(mut g) => *g = secrets,
            Err(poisoned) => *poisoned.into_inner() = secrets,
        }
        self.reload(conn)
    }

    /// Takes the last-used times collected since the previous call.
    pub fn take_pending_uses(&self) -> Vec<(String, NaiveDateTime)> {
        match self.pending_uses.lock() {
            Ok(mut pending) => pending.drain().collect(),
            Err(_) => Vec::new(),
        }
    }

    /// Writes the collected last-used times (from a background task, never a request).
    pub fn flush_uses(&self, conn: &mut DbConnection) -> StoreResult<usize> {
        let uses = self.take_pending_uses();
        if !uses.is_empty() {
            client_rows::record_secret_use(conn, &uses)?;
        }
        Ok(uses.len())
    }

    /// Number of clients held.
    pub fn len(&self) -> usize {
        self.snapshot().len()
    }

    /// Whether no client is held.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

fn build_map(
    rows: &[ClientRow],
    secret_rows: Vec<SecretRow>,
    configured: HashMap<String, Vec<CachedSecret>>,
) -> ClientMap {
    let mut by_client: HashMap<String, Vec<CachedSecret>> = configured;
    for s in secret_rows {
        by_client
            .entry(s.client_pk.clone())
            .or_default()
            .push(CachedSecret::from_row(&s));
    }
    rows.iter()
        .map(|row| {
            let secrets = by_client.remove(&row.id).unwrap_or_default();
            (
                row.client_id.clone(),
                Arc::new(CachedClient::new(row, secrets)),
            )
        })
        .collect()
}
