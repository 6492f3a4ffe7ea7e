//! Keeping a node's keys in step with the store: a cheap refresh (rebuilds only when the store
//! changed), and a reload when a token names a kid this node doesn't hold, as after a rotation
//! on another node.

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};

use super::{build_from_rows, fingerprint, KeyError, KeyRing, KeyState, VerifyKey};
use crate::storage::keys as key_rows;
use crate::storage::{Db, DbConnection, StoreError};

/// At most one reload per this interval for unknown kids, so that made-up kids can't turn
/// token checks into database load.
pub const MISS_RELOAD_INTERVAL: Duration = Duration::from_secs(1);

/// How far ahead of the clock a set may have been built and still be refreshed.
const CLOCK_SLACK_SECONDS: i64 = 5;

impl KeyRing {
    /// Lets the ring reload itself from `db` when it meets an unknown kid.
    pub fn with_store(mut self, db: Db) -> Self {
        self.store = Some(db);
        self
    }

    /// Re-reads the keys and rebuilds the set only when the store holds other keys than it
    /// was built from, or a next key's activation time has come. Returns whether it rebuilt.
    pub fn refresh(&self, conn: &mut DbConnection, now: DateTime<Utc>) -> Result<bool, KeyError> {
        let set = self.current();
        // A set built for a later instant (maintenance run ahead of the clock, as the tests
        // do) is not undone by the clock; small steps of the clock don't count.
        if set.built_for > now + chrono::Duration::seconds(CLOCK_SLACK_SECONDS) {
            return Ok(false);
        }
        let rows = key_rows::list_live(conn, (now - self.policy.retention).naive_utc())?;
        let activation_due = set
            .infos
            .iter()
            .any(|k| k.state == KeyState::Next && k.activates_at <= now);
        if !activation_due && set.fingerprint == fingerprint(&rows) {
            return Ok(false);
        }
        match build_from_rows(conn, rows, &self.master, &self.policy, now)? {
            Some(set) => {
                self.replace(set);
                Ok(true)
            }
            None => Err(KeyError::Config("no key can sign: rotate the keys".into())),
        }
    }

    /// The published key with this kid; when it is not held, reloads from the store first (at
    /// most once per [`MISS_RELOAD_INTERVAL`]; callers arriving during a reload wait for it and
    /// see its result). `Ok(None)`: unknown. `Err`: the store could not be read.
    pub async fn verifier_or_reload(
        self: &Arc<Self>,
        kid: &str,
    ) -> Result<Option<Arc<VerifyKey>>, KeyError> {
        if let Some(key) = self.verifier(kid) {
            return Ok(Some(key));
        }
        let Some(db) = &self.store else {
            return Ok(None);
        };
        let mut last = self.miss_reload.lock().await;
        if let Some(key) = self.verifier(kid) {
            return Ok(Some(key));
        }
        if last.is_some_and(|t| t.elapsed() < MISS_RELOAD_INTERVAL) {
            return Ok(None);
        }
        *last = Some(Instant::now());
        let ring = Arc::clone(self);
        db.run(move |conn| Ok::<_, StoreError>(ring.refresh(conn, Utc::now())))
            .await??;
        Ok(self.verifier(kid))
    }
}
