//! Client secrets: their rows (never the secret itself) and the queries on them.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::client_secrets;
use super::{DbConnection, StoreError, StoreResult};

/// A row of `client_secrets`. The secret itself is never stored.
#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable)]
#[diesel(table_name = client_secrets)]
pub struct SecretRow {
    /// Secret id (UUID), shown in listings.
    pub id: String,
    /// The client's row id.
    pub client_pk: String,
    /// A name for people.
    pub name: String,
    /// Keyed hash of the secret.
    pub secret_hash: Vec<u8>,
    /// How `secret_hash` was made (`hmac-sha256`).
    pub hash_scheme: String,
    /// Creation time.
    pub created_at: NaiveDateTime,
    /// No longer accepted after this instant.
    pub expires_at: Option<NaiveDateTime>,
    /// Last successful use (written off the request path).
    pub last_used_at: Option<NaiveDateTime>,
    /// Revoked at this instant.
    pub revoked_at: Option<NaiveDateTime>,
    /// The secret's last four characters, to match a leaked value to this row (never more;
    /// None for secrets made before it was kept).
    pub last_four: Option<String>,
}

/// A client's secrets that are not revoked (expired ones included: the cache checks expiry).
pub fn live_secrets(conn: &mut DbConnection, client_pk: &str) -> StoreResult<Vec<SecretRow>> {
    client_secrets::table
        .filter(client_secrets::client_pk.eq(client_pk))
        .filter(client_secrets::revoked_at.is_null())
        .select(SecretRow::as_select())
        .load(conn)
        .map_err(StoreError::from_diesel)
}

/// Revokes every live secret of a client; returns how many.
pub fn revoke_all_secrets(
    conn: &mut DbConnection,
    client_pk: &str,
    now: NaiveDateTime,
) -> StoreResult<usize> {
    diesel::update(
        client_secrets::table
            .filter(client_secrets::client_pk.eq(client_pk))
            .filter(client_secrets::revoked_at.is_null()),
    )
    .set(client_secrets::revoked_at.eq(Some(now)))
    .execute(conn)
    .map_err(StoreError::from_diesel)
}

/// Adds a secret to a client.
pub fn insert_secret(conn: &mut DbConnection, secret: &SecretRow) -> StoreResult<()> {
    diesel::insert_into(client_secrets::table)
        .values(secret)
        .execute(conn)
        .map_err(StoreError::from_diesel)?;
    Ok(())
}

/// A client's secrets, revoked ones included, oldest first.
pub fn list_secrets(conn: &mut DbConnection, client_pk: &str) -> StoreResult<Vec<SecretRow>> {
    client_secrets::table
        .filter(client_secrets::client_pk.eq(client_pk))
        .order(client_secrets::created_at.asc())
        .select(SecretRow::as_select())
        .load(conn)
        .map_err(StoreError::from_diesel)
}

/// Marks one secret revoked; `NotFound` when the client has no such live secret.
pub fn revoke_secret(
    conn: &mut DbConnection,
    client_pk: &str,
    secret_id: &str,
    now: NaiveDateTime,
) -> StoreResult<()> {
    let n = diesel::update(
        client_secrets::table
            .filter(client_secrets::id.eq(secret_id))
            .filter(client_secrets::client_pk.eq(client_pk))
            .filter(client_secrets::revoked_at.is_null()),
    )
    .set(client_secrets::revoked_at.eq(Some(now)))
    .execute(conn)
    .map_err(StoreError::from_diesel)?;
    if n == 0 {
        return Err(StoreError::NotFound);
    }
    Ok(())
}

/// Records last-used times collected off the request path.
pub fn record_secret_use(
    conn: &mut DbConnection,
    uses: &[(String, NaiveDateTime)],
) -> StoreResult<()> {
    conn.transaction(|conn| {
        for (id, at) in uses {
            diesel::update(client_secrets::table.find(id))
                .set(client_secrets::last_used_at.eq(Some(*at)))
                .execute(conn)
                .map_err(StoreError::from_diesel)?;
        }
        Ok(())
    })
}
