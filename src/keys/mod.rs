//! Signing keys: generated with ring, sealed at rest under the master key, held in memory
//! parsed, published in the JWKS until the last token each one signed has expired.

mod lookup;
pub mod master;
pub mod provider;
mod revoke;
pub mod signer;

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, RwLock};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use chrono::{DateTime, Duration, NaiveDateTime, Utc};
use jsonwebtoken::jwk::Jwk;
use jsonwebtoken::{Algorithm, DecodingKey};
use ring::rand::{SecureRandom, SystemRandom};
use serde::Serialize;

use crate::audit::{self, Actor};
use crate::config::Settings;
use crate::storage::keys::{self as key_rows, KeyRow};
use crate::storage::{Db, DbConnection, StoreError};
pub use master::MasterKey;
pub use revoke::{revoke, Revocation};
pub use signer::Signer;

/// Failures around keys.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    /// Settings that can't work.
    #[error("{0}")]
    Config(String),
    /// A cryptographic operation failed.
    #[error("crypto: {0}")]
    Crypto(&'static str),
    /// A key file could not be read or written.
    #[error("{0}: {1}")]
    Io(String, std::io::Error),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<diesel::result::Error> for KeyError {
    fn from(e: diesel::result::Error) -> Self {
        KeyError::Store(StoreError::from_diesel(e))
    }
}

/// What the key ring is told by configuration.
#[derive(Debug, Clone)]
pub struct KeyPolicy {
    /// Algorithm of new keys.
    pub alg: Algorithm,
    /// RSA private key to import (ring cannot generate RSA keys).
    pub rsa_key_file: Option<PathBuf>,
    /// How long a retired key stays published: the longest token lifetime plus leeway.
    pub retention: Duration,
    /// Scheduled rotation interval (`None`: rotate only when asked).
    pub rotation_interval: Option<Duration>,
    /// How long a scheduled next key is published before it signs.
    pub publish_ahead: Duration,
}

impl KeyPolicy {
    /// From settings.
    pub fn from_settings(settings: &Settings) -> Result<Self, KeyError> {
        Ok(KeyPolicy {
            alg: signer::parse_alg(&settings.signing.algorithm)?,
            rsa_key_file: settings
                .signing
                .rsa_private_key_file
                .as_ref()
                .map(PathBuf::from),
            retention: Duration::seconds(
                settings.token.max_ttl_seconds + settings.token.leeway_seconds,
            ),
            rotation_interval: (settings.signing.rotation_interval_seconds > 0)
                .then(|| Duration::seconds(settings.signing.rotation_interval_seconds)),
            publish_ahead: Duration::seconds(settings.signing.publish_ahead_seconds),
        })
    }
}

/// Where a key is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum KeyState {
    /// Published, not signing yet.
    Next,
    /// Signing new tokens.
    Current,
    /// No longer signing; published until its tokens have expired.
    Retiring,
}

/// A key as the admin API lists it (public facts only).
#[derive(Debug, Clone, Serialize)]
pub struct KeyInfo {
    /// Key id.
    pub kid: String,
    /// Algorithm.
    pub alg: String,
    /// Life stage.
    pub state: KeyState,
    /// Creation time.
    pub created_at: DateTime<Utc>,
    /// Signs from.
    pub activates_at: DateTime<Utc>,
    /// Stopped signing at.
    pub retired_at: Option<DateTime<Utc>>,
    /// Leaves the JWKS at.
    pub unpublish_at: Option<DateTime<Utc>>,
}

/// A public key and the algorithm it is pinned to.
#[derive(Debug)]
pub struct VerifyKey {
    /// Key id.
    pub kid: String,
    /// The one algorithm this key verifies; never taken from a token's header.
    pub alg: Algorithm,
    /// The public key.
    pub key: DecodingKey,
}

/// One consistent snapshot of the keys.
pub struct KeySet {
    /// The key that signs now.
    pub signer: Arc<Signer>,
    /// Every published key by kid.
    pub verifiers: HashMap<String, Arc<VerifyKey>>,
    /// The JWKS document, rendered once.
    pub jwks: String,
    /// The keys and their states.
    pub infos: Vec<KeyInfo>,
    /// What the store held when this set was built: (kid, activates_at, retired_at) of each
    /// published key; a reload that finds the same builds nothing.
    fingerprint: Vec<(String, NaiveDateTime, Option<NaiveDateTime>)>,
    /// The instant the states were computed for.
    built_for: DateTime<Utc>,
}

/// The keys in memory; swapped whole on change, read without blocking writers for long.
pub struct KeyRing {
    set: RwLock<Arc<KeySet>>,
    master: Arc<MasterKey>,
    policy: KeyPolicy,
    /// The store, for reloading when a token names a kid we don't hold (see `lookup`).
    store: Option<Db>,
    /// When an unknown kid last made us reload; held during that reload.
    miss_reload: tokio::sync::Mutex<Option<std::time::Instant>>,
}

fn utc(t: NaiveDateTime) -> DateTime<Utc> {
    DateTime::from_naive_utc_and_offset(t, Utc)
}

fn new_kid() -> Result<String, KeyError> {
    let mut bytes = [0u8; 16];
    SystemRandom::new()
        .fill(&mut bytes)
        .map_err(|_| KeyError::Crypto("random"))?;
    Ok(URL_SAFE_NO_PAD.encode(bytes))
}

impl KeyRing {
    /// Loads the keys; on first start (or when the configured algorithm changed) makes one.
    pub fn load(
        conn: &mut DbConnection,
        master: Arc<MasterKey>,
        policy: KeyPolicy,
        now: DateTime<Utc>,
    ) -> Result<Self, KeyError> {
        let set = match build_set(conn, &master, &policy, now)? {
            Some(set) if set.signer.alg() == policy.alg => set,
            existing => {
                if let Some(set) = &existing {
                    log::warn!(
                        "signing algorithm changed from {} to {}: rotating",
                        signer::alg_name(set.signer.alg()),
                        signer::alg_name(policy.alg)
                    );
                }
                let action = if existing.is_some() {
                    "key.rotated"
                } else {
                    "key.created"
                };
                {
                    use diesel::Connection;
                    conn.transaction(|conn| {
                        create_key(conn, &master, &policy, now, &Actor::system(), action)
                    })?;
                }
                build_set(conn, &master, &policy, now)?
                    .ok_or_else(|| KeyError::Config("no signing key after creating one".into()))?
            }
        };
        Ok(KeyRing {
            set: RwLock::new(Arc::new(set)),
            master,
            policy,
            store: None,
            miss_reload: tokio::sync::Mutex::new(None),
        })
    }

    /// The current snapshot.
    pub fn current(&self) -> Arc<KeySet> {
        match self.set.read() {
            Ok(guard) => guard.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    fn replace(&self, set: KeySet) {
        let mut guard = match self.set.write() {
            Ok(guard) => guard,
            Err(poisoned) => poisoned.into_inner(),
        };
        *guard = Arc::new(set);
    }

    /// Re-reads the keys from the store (changes by the CLI or another node, activations).
    pub fn reload(&self, conn: &mut DbConnection, now: DateTime<Utc>) -> Result<(), KeyError> {
        match build_set(conn, &self.master, &self.policy, now)? {
            Some(set) => {
                self.replace(set);
                Ok(())
            }
            None => Err(KeyError::Config("no key can sign: rotate the keys".into())),
        }
    }

    /// Makes a new key current now; the others retire and stay published for the retention.
    pub fn rotate(
        &self,
        conn: &mut DbConnection,
        now: DateTime<Utc>,
        actor: &Actor,
    ) -> Result<KeyInfo, KeyError> {
        let kid = rotate(conn, &self.master, &self.policy, now, actor)?;
        self.reload(conn, now)?;
        self.current()
            .infos
            .iter()
            .find(|k| k.kid == kid)
            .cloned()
            .ok_or_else(|| KeyError::Config("rotated key not found".into()))
    }

    /// Scheduled rotation: when the current key is due to be replaced within `publish_ahead`
    /// and no next key exists yet, creates one that activates at the due time (never earlier
    /// than `publish_ahead` from now), so it is in the JWKS before it signs anything. Then
    /// reloads, which activates a due key and retires the one it supersedes. Returns the kid of
    /// a key created now.
    pub fn maintain(
        &self,
        conn: &mut DbConnection,
        now: DateTime<Utc>,
    ) -> Result<Option<String>, KeyError> {
        let mut created = None;
        if let Some(interval) = self.policy.rotation_interval {
            let set = self.current();
            let has_next = set.infos.iter().any(|k| k.state == KeyState::Next);
            let current = set.infos.iter().find(|k| k.state == KeyState::Current);
            if let (false, Some(current)) = (has_next, current) {
                let due = current.activates_at + interval;
                if due - self.policy.publish_ahead <= now {
                    let activates_at = due.max(now + self.policy.publish_ahead);
                    use diesel::Connection;
                    created = Some(conn.transaction(|conn| {
                        create_key_at(
                            conn,
                            &self.master,
                            &self.policy,
                            now,
                            activates_at,
                            &Actor::system(),
                            "key.rotation_scheduled",
                        )
                    })?);
                }
            }
        }
        self.reload(conn, now)?;
        Ok(created)
    }

    /// The published key with this kid.
    pub fn verifier(&self, kid: &str) -> Option<Arc<VerifyKey>> {
        self.current().verifiers.get(kid).cloned()
    }

    /// How long a retired key stays published.
    pub fn retention(&self) -> Duration {
        self.policy.retention
    }
}

/// Makes a new key current at `now` and retires the others (used by the CLI too); the audit
/// event is written in the same transaction.
pub fn rotate(
    conn: &mut DbConnection,
    master: &MasterKey,
    policy: &KeyPolicy,
    now: DateTime<Utc>,
    actor: &Actor,
) -> Result<String, KeyError> {
    use diesel::Connection;
    conn.transaction(|conn| {
        let kid = create_key(conn, master, policy, now, actor, "key.rotated")?;
        key_rows::retire_all_but(conn, &kid, now.naive_utc())?;
        Ok(kid)
    })
}

fn new_private_key(policy: &KeyPolicy) -> Result<Vec<u8>, KeyError> {
    match (policy.alg, &policy.rsa_key_file) {
        (Algorithm::RS256, Some(path)) => {
            let bytes =
                std::fs::read(path).map_err(|e| KeyError::Io(path.display().to_string(), e))?;
            signer::read_rsa_pkcs8(&bytes)
        }
        (alg, _) => signer::generate_pkcs8(alg),
    }
}

fn create_key(
    conn: &mut DbConnection,
    master: &MasterKey,
    policy: &KeyPolicy,
    now: DateTime<Utc>,
    actor: &Actor,
    action: &str,
) -> Result<String, KeyError> {
    create_key_at(conn, master, policy, now, now, actor, action)
}

/// Creates a key that signs from `activates_at`, and audits it. Call inside a transaction.
fn create_key_at(
    conn: &mut DbConnection,
    master: &MasterKey,
    policy: &KeyPolicy,
    now: DateTime<Utc>,
    activates_at: DateTime<Utc>,
    actor: &Actor,
    action: &str,
) -> Result<String, KeyError> {
    let kid = new_kid()?;
    let pkcs8 = new_private_key(policy)?;
    let signer = Signer::from_pkcs8(&kid, policy.alg, &pkcs8)?;
    let jwk = signer.public_jwk();
    if policy.alg == Algorithm::RS256 {
        // An imported RSA key must be new: rotating to the same key would be no rotation.
        let live = key_rows::list_live(conn, (now - policy.retention).naive_utc())?;
        let same = live.iter().any(|row| {
            serde_json::from_str::<serde_json::Value>(&row.public_jwk)
                .map(|old| old["n"] == jwk["n"])
                .unwrap_or(false)
        });
        if same {
            return Err(KeyError::Config(
                "signing.rsa_private_key_file holds a key already in use: put a new key there first".into(),
            ));
        }
    }
    let row = KeyRow {
        kid: kid.clone(),
        alg: signer::alg_name(policy.alg).to_string(),
        public_jwk: jwk.to_string(),
        sealed_private: master.seal(&kid, &pkcs8)?,
        created_at: now.naive_utc(),
        activates_at: activates_at.naive_utc(),
        retired_at: None,
        revoked_at: None,
    };
    key_rows::insert(conn, &row)?;
    audit::record(
        conn,
        actor,
        action,
        "key",
        &kid,
        serde_json::json!({"alg": row.alg, "activates_at": utc(row.activates_at)}),
        now,
    )?;
    Ok(kid)
}

/// Builds the snapshot from the store; `None` when no key can sign at `now`.
fn build_set(
    conn: &mut DbConnection,
    master: &MasterKey,
    policy: &KeyPolicy,
    now: DateTime<Utc>,
) -> Result<Option<KeySet>, KeyError> {
    let rows = key_rows::list_live(conn, (now - policy.retention).naive_utc())?;
    build_from_rows(conn, rows, master, policy, now)
}

/// (kid, activates_at, retired_at) of each row, what decides whether a set must be rebuilt.
fn fingerprint(rows: &[KeyRow]) -> Vec<(String, NaiveDateTime, Option<NaiveDateTime>)> {
    rows.iter()
        .map(|r| (r.kid.clone(), r.activates_at, r.retired_at))
        .collect()
}

/// Builds the snapshot from rows read from the store; `None` when no key can sign at `now`.
fn build_from_rows(
    conn: &mut DbConnection,
    rows: Vec<KeyRow>,
    master: &MasterKey,
    policy: &KeyPolicy,
    now: DateTime<Utc>,
) -> Result<Option<KeySet>, KeyError> {
    let naive_now = now.naive_utc();
    let Some(current) = rows
        .iter()
        .filter(|r| r.retired_at.is_none() && r.activates_at <= naive_now)
        .max_by_key(|r| r.activates_at)
    else {
        return Ok(None);
    };
    // A key superseded by a newer active one retires when the newer one activated.
    let superseded: Vec<&KeyRow> = rows
        .iter()
        .filter(|r| r.retired_at.is_none() && r.activates_at < current.activates_at)
        .collect();
    if !superseded.is_empty() {
        key_rows::retire_all_but(conn, &current.kid, current.activates_at)?;
    }

    let pkcs8 = master.open(&current.kid, &current.sealed_private)?;
    let signer = Arc::new(Signer::from_pkcs8(
        &current.kid,
        signer::parse_alg(&current.alg)?,
        &pkcs8,
    )?);

    let mut verifiers = HashMap::new();
    let mut jwks = Vec::new();
    let mut infos = Vec::new();
    for row in &rows {
        let retired_at = row
            .retired_at
            .or_else(|| (row.activates_at < current.activates_at).then_some(current.activates_at));
        let jwk_value: serde_json::Value = serde_json::from_str(&row.public_jwk)
            .map_err(|_| KeyError::Config(format!("key {} has a broken public JWK", row.kid)))?;
        let jwk: Jwk = serde_json::from_value(jwk_value.clone())
            .map_err(|_| KeyError::Config(format!("key {} has a broken public JWK", row.kid)))?;
        let key = DecodingKey::from_jwk(&jwk)
            .map_err(|_| KeyError::Config(format!("key {} has an unusable public JWK", row.kid)))?;
        let alg = signer::parse_alg(&row.alg)?;
        verifiers.insert(
            row.kid.clone(),
            Arc::new(VerifyKey {
                kid: row.kid.clone(),
                alg,
                key,
            }),
        );
        jwks.push(jwk_value);
        let state = if row.kid == current.kid {
            KeyState::Current
        } else if retired_at.is_none() && row.activates_at > naive_now {
            KeyState::Next
        } else {
            KeyState::Retiring
        };
        infos.push(KeyInfo {
            kid: row.kid.clone(),
            alg: row.alg.clone(),
            state,
            created_at: utc(row.created_at),
            activates_at: utc(row.activates_at),
            retired_at: retired_at.map(utc),
            unpublish_at: retired_at.map(|t| utc(t) + policy.retention),
        });
    }
    let jwks = serde_json::json!({ "keys": jwks }).to_string();
    Ok(Some(KeySet {
        signer,
        verifiers,
        jwks,
        infos,
        fingerprint: fingerprint(&rows),
        built_for: now,
    }))
}
