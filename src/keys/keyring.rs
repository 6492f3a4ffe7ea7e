//! The key ring: the keys in memory, loaded at start, reloaded, rotated on demand and on
//! schedule.

use std::sync::{Arc, RwLock};

use chrono::{DateTime, Duration, Utc};

use super::rotation::{create_key, create_key_at, rotate_at, Switch};
use super::set::build_set;
use super::{signer, KeyError, KeyInfo, KeyPolicy, KeySet, KeyState, MasterKey, VerifyKey};
use crate::audit::Actor;
use crate::storage::{Db, DbConnection};

/// The keys in memory; swapped whole on change, read without blocking writers for long.
pub struct KeyRing {
    pub(super) set: RwLock<Arc<KeySet>>,
    pub(super) master: Arc<MasterKey>,
    pub(super) policy: KeyPolicy,
    /// The store, for reloading when a token names a kid we don't hold (see `lookup`).
    pub(super) store: Option<Db>,
    /// When an unknown kid last made us reload; held during that reload.
    pub(super) miss_reload: tokio::sync::Mutex<Option<std::time::Instant>>,
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

    pub(super) fn replace(&self, set: KeySet) {
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
    /// Verifiers that cached the JWKS refuse its tokens until they refetch: see
    /// [`rotate_at`](Self::rotate_at).
    pub fn rotate(
        &self,
        conn: &mut DbConnection,
        now: DateTime<Utc>,
        actor: &Actor,
    ) -> Result<KeyInfo, KeyError> {
        self.rotate_at(conn, now, Switch::Now, actor)
            .map(|(info, _)| info)
    }

    /// A manual rotation (see [`rotation::rotate_at`](super::rotation::rotate_at)), then a
    /// reload, so that this node publishes the new key (or switches to it) at once. Returns the
    /// key that signs from its `activates_at`, and whether it was made now.
    pub fn rotate_at(
        &self,
        conn: &mut DbConnection,
        now: DateTime<Utc>,
        switch: Switch,
        actor: &Actor,
    ) -> Result<(KeyInfo, bool), KeyError> {
        let rotation = rotate_at(conn, &self.master, &self.policy, now, switch, actor)?;
        self.reload(conn, now)?;
        self.current()
            .infos
            .iter()
            .find(|k| k.kid == rotation.kid)
            .cloned()
            .map(|info| (info, rotation.created))
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
