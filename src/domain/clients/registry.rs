//! The in-memory client table the token endpoint reads: no database and no slow hash on the
//! request path. Reloaded whole after every change made here, and on a timer for changes made
//! by other nodes or the CLI.

mod assertion;
mod entry;

use std::collections::HashMap;
use std::sync::{Arc, Mutex, RwLock};

use chrono::{DateTime, NaiveDateTime, Utc};

use crate::keys::MasterKey;
use crate::storage::clients::{self as client_rows, ClientRow, SecretRow};
use crate::storage::{DbConnection, StoreResult};

pub use assertion::{
    VerifiedAssertion, ASSERTION_LEEWAY_SECONDS, MAX_ASSERTION_LIFETIME_SECONDS, MAX_JTI_BYTES,
};
pub use entry::{AuthMethod, CachedClient, CachedSecret};

type ClientMap = HashMap<String, Arc<CachedClient>>;

/// The registry. Cheap reads (a shared lock held for one hash lookup); a change writes one
/// entry in place.
pub struct ClientRegistry {
    clients: RwLock<ClientMap>,
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
    /// Clients built into the server (the console), never stored.
    builtin: RwLock<HashMap<String, Arc<CachedClient>>>,
    /// Trust policy id → tokens issued under it, waiting for the background flush to audit.
    policy_uses: Mutex<HashMap<String, u64>>,
}

impl ClientRegistry {
    /// Loads every client and live secret.
    pub fn load(conn: &mut DbConnection, master: Arc<MasterKey>) -> StoreResult<Self> {
        let dummy_hash = master.hash_secret(b"castellan: no such client");
        let registry = ClientRegistry {
            clients: RwLock::new(HashMap::new()),
            master,
            pending_uses: Mutex::new(HashMap::new()),
            dummy_hash,
            configured: RwLock::new(HashMap::new()),
            seen_assertions: Mutex::new(HashMap::new()),
            builtin: RwLock::new(HashMap::new()),
            policy_uses: Mutex::new(HashMap::new()),
        };
        registry.reload(conn)?;
        Ok(registry)
    }

    /// Re-reads every client and live secret from the store (at start-up, and on a timer as
    /// a safety net for changes made elsewhere; a change made here updates its own entry).
    pub fn reload(&self, conn: &mut DbConnection) -> StoreResult<()> {
        let (rows, secret_rows) = client_rows::load_all(conn)?;
        let memberships = crate::storage::groups::load_client_memberships(conn)?;
        let policies = crate::storage::trust::load_all(conn)?;
        let map = build_map(
            &rows,
            secret_rows,
            memberships,
            policies,
            self.configured_secrets(),
        );
        *self.write_map() = map;
        Ok(())
    }

    fn configured_secrets(&self) -> HashMap<String, Vec<CachedSecret>> {
        match self.configured.read() {
            Ok(g) => g.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    /// The in-memory secrets of one configured client (none for others).
    fn configured_secrets_of(&self, row_id: &str) -> Vec<CachedSecret> {
        let configured = match self.configured.read() {
            Ok(g) => g,
            Err(poisoned) => poisoned.into_inner(),
        };
        configured.get(row_id).cloned().unwrap_or_default()
    }

    fn write_map(&self) -> std::sync::RwLockWriteGuard<'_, ClientMap> {
        match self.clients.write() {
            Ok(g) => g,
            Err(poisoned) => poisoned.into_inner(),
        }
    }

    fn read_map(&self) -> std::sync::RwLockReadGuard<'_, ClientMap> {
        match self.clients.read() {
            Ok(g) => g,
            Err(poisoned) => poisoned.into_inner(),
        }
    }

    /// Puts one client's new state in place, as the change that made it committed: one entry
    /// written, not a reload (nor a copy) of every client.
    pub fn upsert(&self, stored: &super::Stored) {
        let row = &stored.row;
        let mut secrets = self.configured_secrets_of(&row.id);
        secrets.extend(stored.secrets.iter().map(CachedSecret::from_row));
        let entry =
            CachedClient::new(row, secrets, stored.groups.clone()).with_policies(&stored.policies);
        self.write_map()
            .insert(row.client_id.clone(), Arc::new(entry));
    }

    /// Drops a deleted client.
    pub fn remove(&self, client_id: &str) {
        self.write_map().remove(client_id);
    }

    /// A client by client_id. Counts nothing: a count of misses would tell an operator's
    /// metrics, and whoever reads them, which presented client_ids exist (CONTRACT).
    pub fn get(&self, client_id: &str) -> Option<Arc<CachedClient>> {
        if let Some(c) = self.read_map().get(client_id) {
            return Some(c.clone());
        }
        let builtin = match self.builtin.read() {
            Ok(g) => g,
            Err(poisoned) => poisoned.into_inner(),
        };
        builtin.get(client_id).cloned()
    }

    /// Adds a client built into the server (not stored; its identifier is reserved).
    pub fn put_builtin(&self, row: &ClientRow) {
        let entry = Arc::new(CachedClient::new(row, Vec::new(), Vec::new()));
        match self.builtin.write() {
            Ok(mut g) => g.insert(row.client_id.clone(), entry),
            Err(poisoned) => poisoned.into_inner().insert(row.client_id.clone(), entry),
        };
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

    /// Counts a token issued under a trust policy (audited by the background flush).
    pub fn record_policy_use(&self, policy_id: &str) {
        if let Ok(mut uses) = self.policy_uses.lock() {
            *uses.entry(policy_id.to_string()).or_default() += 1;
        }
    }

    /// Takes the trust-policy uses counted since the previous call.
    pub fn take_policy_uses(&self) -> Vec<(String, u64)> {
        match self.policy_uses.lock() {
            Ok(mut uses) => uses.drain().collect(),
            Err(_) => Vec::new(),
        }
    }

    /// Every JWKS URI a client or a trust policy names now: the outside keys worth keeping.
    pub fn jwks_uris(&self) -> std::collections::HashSet<String> {
        let mut uris = std::collections::HashSet::new();
        for client in self.read_map().values() {
            uris.extend(client.assertion_jwks_uri.iter().cloned());
            for policy in &client.trust_policies {
                if let crate::domain::workload::PolicyKeys::Remote(uri) = &policy.keys {
                    uris.insert(uri.clone());
                }
            }
        }
        uris
    }

    /// Number of clients held.
    pub fn len(&self) -> usize {
        self.read_map().len()
    }

    /// Whether no client is held.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

fn build_map(
    rows: &[ClientRow],
    secret_rows: Vec<SecretRow>,
    memberships: Vec<(String, String)>,
    policies: Vec<crate::storage::trust::PolicyRow>,
    configured: HashMap<String, Vec<CachedSecret>>,
) -> ClientMap {
    let mut policies_of: HashMap<String, Vec<crate::storage::trust::PolicyRow>> = HashMap::new();
    for p in policies {
        policies_of.entry(p.client_pk.clone()).or_default().push(p);
    }
    let mut groups_of: HashMap<String, Vec<String>> = HashMap::new();
    for (client_pk, group_id) in memberships {
        groups_of.entry(client_pk).or_default().push(group_id);
    }
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
            let groups = groups_of.remove(&row.id).unwrap_or_default();
            (
                row.client_id.clone(),
                Arc::new(
                    CachedClient::new(row, secrets, groups)
                        .with_policies(&policies_of.remove(&row.id).unwrap_or_default()),
                ),
            )
        })
        .collect()
}
