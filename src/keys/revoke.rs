//! Revoking a signing key (compromised): it stops signing, leaves the JWKS and stops verifying
//! at once; when it was the current key, a new one takes over in the same transaction.

use chrono::{DateTime, Utc};
use diesel::Connection;
use serde::Serialize;

use super::{create_key, utc, KeyError, KeyPolicy, KeyRing, MasterKey};
use crate::audit::{self, Actor};
use crate::storage::keys as key_rows;
use crate::storage::DbConnection;

/// What a revocation did.
#[derive(Debug, Clone, Serialize)]
pub struct Revocation {
    /// The revoked key.
    pub kid: String,
    /// When it was revoked (by this call or an earlier one).
    pub revoked_at: DateTime<Utc>,
    /// False when the key was already revoked: nothing changed (revoking is idempotent).
    pub revoked_now: bool,
    /// The key created to sign in its place, when it was the current key.
    pub replaced_by: Option<String>,
}

/// Revokes `kid`: idempotent (a revoked key answers what its first revocation did, without a
/// new audit event); `StoreError::NotFound` for an unknown kid. The audit event `key.revoked`
/// and, for the current key, its replacement (`key.rotated`) are written in one transaction.
pub fn revoke(
    conn: &mut DbConnection,
    master: &MasterKey,
    policy: &KeyPolicy,
    kid: &str,
    now: DateTime<Utc>,
    actor: &Actor,
) -> Result<Revocation, KeyError> {
    conn.transaction(|conn| {
        let naive_now = now.naive_utc();
        let row = key_rows::find_by_kid(conn, kid)?;
        let live = key_rows::list_live(conn, (now - policy.retention).naive_utc())?;
        let signing = live
            .iter()
            .filter(|r| r.retired_at.is_none() && r.activates_at <= naive_now)
            .max_by_key(|r| r.activates_at);
        let was_current = signing.is_some_and(|r| r.kid == kid);
        // The conditional update decides: of two concurrent revocations exactly one acts.
        if row.revoked_at.is_some() || !key_rows::revoke(conn, kid, naive_now)? {
            let row = key_rows::find_by_kid(conn, kid)?;
            return Ok(Revocation {
                kid: kid.to_string(),
                revoked_at: utc(row.revoked_at.unwrap_or(naive_now)),
                revoked_now: false,
                replaced_by: None,
            });
        }
        let replaced_by = if was_current {
            let new_kid = create_key(conn, master, policy, now, actor, "key.rotated")?;
            key_rows::retire_all_but(conn, &new_kid, naive_now)?;
            Some(new_kid)
        } else {
            None
        };
        audit::record(
            conn,
            actor,
            "key.revoked",
            crate::audit::Target::deployment("key", kid),
            serde_json::json!({"was_current": was_current, "replaced_by": replaced_by}),
            now,
        )?;
        // As stored (PostgreSQL keeps microseconds), so that a second call answers the same.
        let stored = key_rows::find_by_kid(conn, kid)?.revoked_at;
        Ok(Revocation {
            kid: kid.to_string(),
            revoked_at: utc(stored.unwrap_or(naive_now)),
            revoked_now: true,
            replaced_by,
        })
    })
}

impl KeyRing {
    /// Revokes `kid` (see [`revoke`]) and reloads, so this node drops it at once.
    pub fn revoke(
        &self,
        conn: &mut DbConnection,
        kid: &str,
        now: DateTime<Utc>,
        actor: &Actor,
    ) -> Result<Revocation, KeyError> {
        let revocation = revoke(conn, &self.master, &self.policy, kid, now, actor)?;
        self.reload(conn, now)?;
        Ok(revocation)
    }
}
