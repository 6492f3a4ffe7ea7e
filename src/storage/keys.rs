//! Signing keys, private parts sealed.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::signing_keys;
use super::{DbConnection, StoreError, StoreResult};

/// A row of `signing_keys`.
#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable)]
#[diesel(table_name = signing_keys)]
pub struct KeyRow {
    /// Key id, as in the JWS header and the JWKS.
    pub kid: String,
    /// `ES256`, `EdDSA` or `RS256`.
    pub alg: String,
    /// The public JWK, as published.
    pub public_jwk: String,
    /// The PKCS#8 private key sealed with AES-256-GCM under the master key.
    pub sealed_private: Vec<u8>,
    /// Creation time.
    pub created_at: NaiveDateTime,
    /// Signs from this instant on (a next key is published before it signs).
    pub activates_at: NaiveDateTime,
    /// Stopped signing at this instant; published until its last token expires.
    pub retired_at: Option<NaiveDateTime>,
    /// Revoked (compromised) at this instant: from then on it neither signs nor verifies, and
    /// is not published.
    pub revoked_at: Option<NaiveDateTime>,
}

/// Adds a key.
pub fn insert(conn: &mut DbConnection, row: &KeyRow) -> StoreResult<()> {
    diesel::insert_into(signing_keys::table)
        .values(row)
        .execute(conn)
        .map_err(StoreError::from_diesel)?;
    Ok(())
}

/// Keys that can still verify a live token: not revoked, and not retired or retired after
/// `retired_after`.
pub fn list_live(
    conn: &mut DbConnection,
    retired_after: NaiveDateTime,
) -> StoreResult<Vec<KeyRow>> {
    signing_keys::table
        .filter(signing_keys::revoked_at.is_null())
        .filter(
            signing_keys::retired_at
                .is_null()
                .or(signing_keys::retired_at.gt(retired_after)),
        )
        .order(signing_keys::activates_at.asc())
        .select(KeyRow::as_select())
        .load(conn)
        .map_err(StoreError::from_diesel)
}

/// Marks every key that signs now as retired, except `keep`.
pub fn retire_all_but(conn: &mut DbConnection, keep: &str, now: NaiveDateTime) -> StoreResult<()> {
    diesel::update(
        signing_keys::table
            .filter(signing_keys::retired_at.is_null())
            .filter(signing_keys::kid.ne(keep))
            .filter(signing_keys::activates_at.le(now)),
    )
    .set(signing_keys::retired_at.eq(Some(now)))
    .execute(conn)
    .map_err(StoreError::from_diesel)?;
    Ok(())
}

/// The key with this kid, whatever its state.
pub fn find_by_kid(conn: &mut DbConnection, kid: &str) -> StoreResult<KeyRow> {
    signing_keys::table
        .find(kid)
        .select(KeyRow::as_select())
        .first(conn)
        .map_err(StoreError::from_diesel)
}

/// Marks the key revoked at `now` unless it already is; true when this call revoked it (a
/// conditional update, so that of two concurrent revocations exactly one acts).
pub fn revoke(conn: &mut DbConnection, kid: &str, now: NaiveDateTime) -> StoreResult<bool> {
    let changed = diesel::update(
        signing_keys::table
            .filter(signing_keys::kid.eq(kid))
            .filter(signing_keys::revoked_at.is_null()),
    )
    .set(signing_keys::revoked_at.eq(Some(now)))
    .execute(conn)
    .map_err(StoreError::from_diesel)?;
    Ok(changed == 1)
}

/// Moves the activation of a key still waiting to sign forward to `at` (a manual rotation
/// asking for it sooner than scheduled); true when it did. A key retired, revoked or due by
/// `at` already is left alone.
pub fn bring_forward(conn: &mut DbConnection, kid: &str, at: NaiveDateTime) -> StoreResult<bool> {
    let changed = diesel::update(
        signing_keys::table
            .filter(signing_keys::kid.eq(kid))
            .filter(signing_keys::retired_at.is_null())
            .filter(signing_keys::revoked_at.is_null())
            .filter(signing_keys::activates_at.gt(at)),
    )
    .set(signing_keys::activates_at.eq(at))
    .execute(conn)
    .map_err(StoreError::from_diesel)?;
    Ok(changed == 1)
}
