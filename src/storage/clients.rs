//! Clients, and their secrets' queries (in `secrets.rs`) re-exported.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::orgs::Reach;
use super::principals::{self, PrincipalKind};
use super::schema::{client_secrets, clients};
use super::{DbConnection, StoreError, StoreResult};

pub use super::secrets::{
    insert_secret, list_secrets, live_secrets, record_secret_use, revoke_all_secrets,
    revoke_secret, SecretRow,
};

/// A row of `clients`. List fields are space-separated (see [`super::split_list`]).
#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable)]
#[diesel(table_name = clients)]
pub struct ClientRow {
    /// Internal row id (UUID).
    pub id: String,
    /// The OAuth client_id: the principal identifier.
    pub client_id: String,
    /// Always `client`; pins the row to its principal kind.
    pub principal_kind: String,
    /// Display name.
    pub name: String,
    /// Free text.
    pub description: String,
    /// `confidential` or `public`.
    pub client_type: String,
    /// Space-separated grant types.
    pub grant_types: String,
    /// Space-separated scopes the client may ask for.
    pub scopes: String,
    /// Space-separated scopes granted when the request names none.
    pub default_scopes: String,
    /// Space-separated audiences the client may ask for.
    pub audiences: String,
    /// Token lifetime for this client; the server default when NULL.
    pub token_ttl_seconds: Option<i64>,
    /// `client_secret_basic`, `client_secret_post`, `private_key_jwt` or `none`.
    pub token_endpoint_auth_method: String,
    /// A service account: may use client_credentials.
    pub is_service_account: bool,
    /// May call the admin API with its client_credentials tokens.
    pub is_admin_service_account: bool,
    /// Disabled clients get no tokens and their tokens are refused.
    pub active: bool,
    /// Tokens issued before this instant are refused (bulk revocation).
    pub tokens_revoked_before: Option<NaiveDateTime>,
    /// Creation time (UTC).
    pub created_at: NaiveDateTime,
    /// Last change (UTC).
    pub updated_at: NaiveDateTime,
    /// `api`, or `config` for a client declared in the configuration file.
    pub managed_by: String,
    /// Public keys (a JWKS document) for `private_key_jwt`.
    pub jwks: Option<String>,
    /// Space-separated audiences used when a request names none; all of `audiences` when NULL.
    pub default_audiences: Option<String>,
    /// Its organization (fixed at creation).
    pub org_id: String,
    /// Space-separated redirect URIs (authorization_code), matched exactly.
    pub redirect_uris: String,
    /// Where its `private_key_jwt` keys are fetched (instead of `jwks`).
    pub jwks_uri: Option<String>,
}

impl ClientRow {
    /// Why this client no longer stands behind a token it issued at `issued` (to the
    /// microsecond: see `domain::tokens`), if it does not: disabled; the token predates the
    /// client (a deleted client's id, reused); or a bulk revocation at or after `issued`.
    /// One rule for every checker.
    pub fn refuses_token_issued_at(
        &self,
        issued: chrono::DateTime<chrono::Utc>,
    ) -> Option<&'static str> {
        let issued = issued.naive_utc();
        if !self.active {
            return Some("the client is disabled");
        }
        if issued < self.created_at {
            return Some("the token predates its client");
        }
        if self
            .tokens_revoked_before
            .is_some_and(|before| issued <= before)
        {
            return Some("the token was revoked");
        }
        None
    }
}

/// Inserts a client and claims its identifier, in one transaction.
pub fn insert(
    conn: &mut DbConnection,
    row: &ClientRow,
    secret: Option<&SecretRow>,
) -> StoreResult<()> {
    conn.transaction(|conn| {
        principals::claim(conn, &row.client_id, PrincipalKind::Client, row.created_at)?;
        diesel::insert_into(clients::table)
            .values(row)
            .execute(conn)
            .map_err(StoreError::from_diesel)?;
        if let Some(secret) = secret {
            insert_secret(conn, secret)?;
        }
        Ok(())
    })
}

/// Writes a client's changeable columns (the caller merged the partial update). Never
/// `tokens_revoked_before`, which only [`set_tokens_revoked_before`] writes: an update that read
/// the row before a bulk revocation must not undo it. Nor the identity columns.
pub fn update(conn: &mut DbConnection, row: &ClientRow) -> StoreResult<()> {
    let n = diesel::update(clients::table.find(&row.id))
        .set((
            clients::name.eq(&row.name),
            clients::description.eq(&row.description),
            clients::client_type.eq(&row.client_type),
            clients::grant_types.eq(&row.grant_types),
            clients::scopes.eq(&row.scopes),
            clients::default_scopes.eq(&row.default_scopes),
            clients::audiences.eq(&row.audiences),
            clients::token_ttl_seconds.eq(row.token_ttl_seconds),
            clients::token_endpoint_auth_method.eq(&row.token_endpoint_auth_method),
            clients::is_service_account.eq(row.is_service_account),
            clients::is_admin_service_account.eq(row.is_admin_service_account),
            clients::active.eq(row.active),
            clients::updated_at.eq(row.updated_at),
            clients::jwks.eq(&row.jwks),
            clients::default_audiences.eq(&row.default_audiences),
            clients::redirect_uris.eq(&row.redirect_uris),
            clients::jwks_uri.eq(&row.jwks_uri),
        ))
        .execute(conn)
        .map_err(StoreError::from_diesel)?;
    if n == 0 {
        return Err(StoreError::NotFound);
    }
    Ok(())
}

/// Bulk revocation: tokens of this client issued at or before `at` are refused.
pub fn set_tokens_revoked_before(
    conn: &mut DbConnection,
    id: &str,
    at: NaiveDateTime,
) -> StoreResult<()> {
    let n = diesel::update(clients::table.find(id))
        .set((
            clients::tokens_revoked_before.eq(Some(at)),
            clients::updated_at.eq(at),
        ))
        .execute(conn)
        .map_err(StoreError::from_diesel)?;
    if n == 0 {
        return Err(StoreError::NotFound);
    }
    Ok(())
}

/// Deletes a client, its secrets and its identifier.
pub fn delete(conn: &mut DbConnection, id: &str) -> StoreResult<ClientRow> {
    conn.transaction(|conn| {
        let row = find(conn, id)?;
        diesel::delete(client_secrets::table.filter(client_secrets::client_pk.eq(id)))
            .execute(conn)
            .map_err(StoreError::from_diesel)?;
        diesel::delete(clients::table.find(id))
            .execute(conn)
            .map_err(StoreError::from_diesel)?;
        principals::release(conn, &row.client_id, PrincipalKind::Client)?;
        Ok(row)
    })
}

/// A client by its row id.
pub fn find(conn: &mut DbConnection, id: &str) -> StoreResult<ClientRow> {
    clients::table
        .find(id)
        .select(ClientRow::as_select())
        .first(conn)
        .map_err(StoreError::from_diesel)
}

/// A client by its OAuth client_id.
pub fn find_by_client_id(conn: &mut DbConnection, client_id: &str) -> StoreResult<ClientRow> {
    clients::table
        .filter(clients::client_id.eq(client_id))
        .select(ClientRow::as_select())
        .first(conn)
        .map_err(StoreError::from_diesel)
}

/// A client by its row id, inside `within` (else NotFound).
pub fn find_in(conn: &mut DbConnection, within: &Reach, id: &str) -> StoreResult<ClientRow> {
    let row = find(conn, id)?;
    if !within.contains(&row.org_id) {
        return Err(StoreError::NotFound);
    }
    Ok(row)
}

/// A client by its OAuth client_id, inside `within` (else NotFound).
pub fn find_by_client_id_in(
    conn: &mut DbConnection,
    within: &Reach,
    client_id: &str,
) -> StoreResult<ClientRow> {
    let row = find_by_client_id(conn, client_id)?;
    if !within.contains(&row.org_id) {
        return Err(StoreError::NotFound);
    }
    Ok(row)
}

/// A page of the clients inside `within`, oldest first.
pub fn list(
    conn: &mut DbConnection,
    within: &Reach,
    limit: i64,
    offset: i64,
) -> StoreResult<Vec<ClientRow>> {
    let mut query = clients::table.into_boxed();
    if let Some(ids) = within.ids() {
        query = query.filter(clients::org_id.eq_any(ids.to_vec()));
    }
    query
        .order((clients::created_at.asc(), clients::id.asc()))
        .limit(limit)
        .offset(offset)
        .select(ClientRow::as_select())
        .load(conn)
        .map_err(StoreError::from_diesel)
}

/// Every client, and every secret not revoked: what the token endpoint serves from memory.
pub fn load_all(conn: &mut DbConnection) -> StoreResult<(Vec<ClientRow>, Vec<SecretRow>)> {
    let clients = clients::table
        .select(ClientRow::as_select())
        .load(conn)
        .map_err(StoreError::from_diesel)?;
    let secrets = client_secrets::table
        .filter(client_secrets::revoked_at.is_null())
        .select(SecretRow::as_select())
        .load(conn)
        .map_err(StoreError::from_diesel)?;
    Ok((clients, secrets))
}

/// The active admin service accounts of root (few): for the rule that the last full admin
/// stays.
pub fn active_root_admins(conn: &mut DbConnection) -> StoreResult<Vec<ClientRow>> {
    clients::table
        .filter(clients::org_id.eq(super::orgs::ROOT_ORG_ID))
        .filter(clients::is_admin_service_account.eq(true))
        .filter(clients::active.eq(true))
        .select(ClientRow::as_select())
        .load(conn)
        .map_err(StoreError::from_diesel)
}

/// Whether any admin service account exists (for bootstrap).
pub fn admin_exists(conn: &mut DbConnection) -> StoreResult<bool> {
    let n: i64 = clients::table
        .filter(clients::is_admin_service_account.eq(true))
        .count()
        .get_result(conn)
        .map_err(StoreError::from_diesel)?;
    Ok(n > 0)
}

/// The clients whose tokens are refused wholesale: a bulk revocation after `after`, or
/// disabled. (client_id, revoked before, active.)
/// The client_ids of every client in these organizations.
pub fn client_ids_in_orgs(conn: &mut DbConnection, org_ids: &[String]) -> StoreResult<Vec<String>> {
    if org_ids.is_empty() {
        return Ok(Vec::new());
    }
    clients::table
        .filter(clients::org_id.eq_any(org_ids))
        .select(clients::client_id)
        .load(conn)
        .map_err(StoreError::from_diesel)
}

pub fn wholesale_revocations(
    conn: &mut DbConnection,
    after: NaiveDateTime,
) -> StoreResult<Vec<(String, Option<NaiveDateTime>, bool)>> {
    clients::table
        .filter(
            clients::tokens_revoked_before
                .gt(after)
                .or(clients::active.eq(false)),
        )
        .order(clients::client_id.asc())
        .select((
            clients::client_id,
            clients::tokens_revoked_before,
            clients::active,
        ))
        .load(conn)
        .map_err(StoreError::from_diesel)
}
