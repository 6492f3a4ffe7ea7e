//! Revoked token ids (RFC 7009), kept only until the token would have expired anyway.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::{deleted_clients, revoked_tokens};
use super::{DbConnection, StoreError, StoreResult};

/// Records a revoked `jti`. `true` when this call revoked it, `false` when it already was
/// (revoking twice is not an error, and not a second event).
pub fn insert(
    conn: &mut DbConnection,
    jti: &str,
    client_pk: &str,
    expires_at: NaiveDateTime,
) -> StoreResult<bool> {
    // No ON CONFLICT: the multi-backend connection lacks it. The primary key decides, in a
    // transaction of its own (a savepoint when nested), so that the duplicate's failure leaves
    // the caller's transaction usable on PostgreSQL. Writing first, without reading, also
    // spares SQLite a read snapshot that a racing writer would make stale (SQLITE_BUSY).
    conn.transaction(|conn| {
        diesel::insert_into(revoked_tokens::table)
            .values((
                revoked_tokens::jti.eq(jti),
                revoked_tokens::client_pk.eq(client_pk),
                revoked_tokens::expires_at.eq(expires_at),
            ))
            .execute(conn)
            .map_err(StoreError::from_diesel)
    })
    .map(|_| true)
    .or_else(|e| match e {
        StoreError::Conflict(_) => Ok(false),
        e => Err(e),
    })
}

/// Whether a `jti` was revoked.
pub fn is_revoked(conn: &mut DbConnection, jti: &str) -> StoreResult<bool> {
    let n: i64 = revoked_tokens::table
        .filter(revoked_tokens::jti.eq(jti))
        .count()
        .get_result(conn)
        .map_err(StoreError::from_diesel)?;
    Ok(n > 0)
}

/// Drops entries whose tokens have expired (they can't be used anyway); returns how many.
pub fn purge_expired(conn: &mut DbConnection, now: NaiveDateTime) -> StoreResult<usize> {
    diesel::delete(revoked_tokens::table.filter(revoked_tokens::expires_at.lt(now)))
        .execute(conn)
        .map_err(StoreError::from_diesel)
}

/// How many entries are held (for tests and metrics).
pub fn count(conn: &mut DbConnection) -> StoreResult<i64> {
    revoked_tokens::table
        .count()
        .get_result(conn)
        .map_err(StoreError::from_diesel)
}

/// The revoked `jti`s whose tokens are still accepted somewhere (`expires_at` after `after`),
/// with their expiry: the revocation list.
pub fn live(
    conn: &mut DbConnection,
    after: NaiveDateTime,
) -> StoreResult<Vec<(String, NaiveDateTime)>> {
    revoked_tokens::table
        .filter(revoked_tokens::expires_at.gt(after))
        .order(revoked_tokens::expires_at.asc())
        .select((revoked_tokens::jti, revoked_tokens::expires_at))
        .load(conn)
        .map_err(StoreError::from_diesel)
}

/// Records a client's deletion: the revocation list names it until its last token has expired.
pub fn client_deleted(
    conn: &mut DbConnection,
    client_id: &str,
    at: NaiveDateTime,
) -> StoreResult<()> {
    diesel::insert_into(deleted_clients::table)
        .values((
            deleted_clients::client_id.eq(client_id),
            deleted_clients::deleted_at.eq(at),
        ))
        .execute(conn)
        .map(|_| ())
        .map_err(StoreError::from_diesel)
}

/// Clients deleted after `after`, with the time of their deletion.
pub fn deleted_since(
    conn: &mut DbConnection,
    after: NaiveDateTime,
) -> StoreResult<Vec<(String, NaiveDateTime)>> {
    deleted_clients::table
        .filter(deleted_clients::deleted_at.gt(after))
        .select((deleted_clients::client_id, deleted_clients::deleted_at))
        .load(conn)
        .map_err(StoreError::from_diesel)
}

/// Drops deletion records older than `before`; returns how many.
pub fn purge_deleted(conn: &mut DbConnection, before: NaiveDateTime) -> StoreResult<usize> {
    diesel::delete(deleted_clients::table.filter(deleted_clients::deleted_at.lt(before)))
        .execute(conn)
        .map_err(StoreError::from_diesel)
}
