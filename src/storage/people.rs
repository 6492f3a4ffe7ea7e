//! Sign-in sessions, authorization codes, refresh tokens and the access tokens issued from a
//! code's family. Every secret value is stored as its keyed hash only.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::{auth_codes, console_sessions, family_tokens, refresh_tokens, sessions};
use super::{DbConnection, StoreError, StoreResult};

/// A row of `auth_codes`.
#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable)]
#[diesel(table_name = auth_codes)]
pub struct CodeRow {
    /// Keyed hash of the code.
    pub code_hash: String,
    /// The client it was issued to.
    pub client_id: String,
    /// The person who signed in.
    pub user_id: String,
    /// The redirect URI it was sent to.
    pub redirect_uri: String,
    /// The PKCE challenge, as oxide-auth encodes it.
    pub pkce: String,
    /// Space-separated scopes asked for at the authorization endpoint.
    pub scope: String,
    /// Space-separated audiences asked for there.
    pub audiences: String,
    /// 60 s after issue.
    pub expires_at: NaiveDateTime,
    /// Its first (only accepted) use.
    pub used_at: Option<NaiveDateTime>,
    /// The family of what its first use issued.
    pub family_id: String,
}

/// A row of `refresh_tokens`.
#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable)]
#[diesel(table_name = refresh_tokens)]
pub struct RefreshRow {
    /// Keyed hash of the token.
    pub token_hash: String,
    /// Its family (one per code exchange).
    pub family_id: String,
    /// The client it was issued to.
    pub client_id: String,
    /// The person.
    pub user_id: String,
    /// Space-separated scopes it may ask for.
    pub scope: String,
    /// Space-separated audiences.
    pub audiences: String,
    /// Issue time.
    pub created_at: NaiveDateTime,
    /// Not accepted from then.
    pub expires_at: NaiveDateTime,
    /// When it was rotated (a second use is a reuse).
    pub used_at: Option<NaiveDateTime>,
    /// When its family was revoked.
    pub revoked_at: Option<NaiveDateTime>,
}

fn store<T>(r: QueryResult<T>) -> StoreResult<T> {
    r.map_err(StoreError::from_diesel)
}

/// A new sign-in session.
pub fn insert_session(
    conn: &mut DbConnection,
    id_hash: &str,
    user_id: &str,
    now: NaiveDateTime,
    expires_at: NaiveDateTime,
) -> StoreResult<()> {
    store(
        diesel::insert_into(sessions::table)
            .values((
                sessions::id_hash.eq(id_hash),
                sessions::user_id.eq(user_id),
                sessions::created_at.eq(now),
                sessions::expires_at.eq(expires_at),
            ))
            .execute(conn),
    )?;
    Ok(())
}

/// The user of a live session.
pub fn session_user(
    conn: &mut DbConnection,
    id_hash: &str,
    now: NaiveDateTime,
) -> StoreResult<Option<String>> {
    store(
        sessions::table
            .filter(sessions::id_hash.eq(id_hash))
            .filter(sessions::expires_at.gt(now))
            .select(sessions::user_id)
            .first(conn)
            .optional(),
    )
}

/// Ends a session.
pub fn delete_session(conn: &mut DbConnection, id_hash: &str) -> StoreResult<()> {
    store(diesel::delete(sessions::table.find(id_hash)).execute(conn))?;
    Ok(())
}

/// Stores a new code.
pub fn insert_code(conn: &mut DbConnection, row: &CodeRow) -> StoreResult<()> {
    store(
        diesel::insert_into(auth_codes::table)
            .values(row)
            .execute(conn),
    )?;
    Ok(())
}

/// A code by its hash.
pub fn find_code(conn: &mut DbConnection, code_hash: &str) -> StoreResult<Option<CodeRow>> {
    store(
        auth_codes::table
            .find(code_hash)
            .select(CodeRow::as_select())
            .first(conn)
            .optional(),
    )
}

/// Marks a code used; false when it already was (the store decides, races included).
pub fn use_code(conn: &mut DbConnection, code_hash: &str, now: NaiveDateTime) -> StoreResult<bool> {
    let n = store(
        diesel::update(
            auth_codes::table
                .find(code_hash)
                .filter(auth_codes::used_at.is_null()),
        )
        .set(auth_codes::used_at.eq(Some(now)))
        .execute(conn),
    )?;
    Ok(n == 1)
}

/// Stores a refresh token.
pub fn insert_refresh(conn: &mut DbConnection, row: &RefreshRow) -> StoreResult<()> {
    store(
        diesel::insert_into(refresh_tokens::table)
            .values(row)
            .execute(conn),
    )?;
    Ok(())
}

/// A refresh token by its hash.
pub fn find_refresh(conn: &mut DbConnection, token_hash: &str) -> StoreResult<Option<RefreshRow>> {
    store(
        refresh_tokens::table
            .find(token_hash)
            .select(RefreshRow::as_select())
            .first(conn)
            .optional(),
    )
}

/// Marks a refresh token rotated; false when it already was, or its family is revoked.
pub fn use_refresh(
    conn: &mut DbConnection,
    token_hash: &str,
    now: NaiveDateTime,
) -> StoreResult<bool> {
    let n = store(
        diesel::update(
            refresh_tokens::table
                .find(token_hash)
                .filter(refresh_tokens::used_at.is_null())
                .filter(refresh_tokens::revoked_at.is_null()),
        )
        .set(refresh_tokens::used_at.eq(Some(now)))
        .execute(conn),
    )?;
    Ok(n == 1)
}

/// Records an access token issued from a family.
pub fn record_family_token(
    conn: &mut DbConnection,
    jti: &str,
    family_id: &str,
    expires_at: NaiveDateTime,
) -> StoreResult<()> {
    store(
        diesel::insert_into(family_tokens::table)
            .values((
                family_tokens::jti.eq(jti),
                family_tokens::family_id.eq(family_id),
                family_tokens::expires_at.eq(expires_at),
            ))
            .execute(conn),
    )?;
    Ok(())
}

/// Revokes a family: every refresh token in it, and every access token issued from it (into
/// the revoked list every checker reads). Returns how many access tokens were revoked.
pub fn revoke_family(
    conn: &mut DbConnection,
    family_id: &str,
    client_pk: &str,
    now: NaiveDateTime,
) -> StoreResult<usize> {
    store(
        diesel::update(
            refresh_tokens::table
                .filter(refresh_tokens::family_id.eq(family_id))
                .filter(refresh_tokens::revoked_at.is_null()),
        )
        .set(refresh_tokens::revoked_at.eq(Some(now)))
        .execute(conn),
    )?;
    store(
        diesel::delete(console_sessions::table.filter(console_sessions::family_id.eq(family_id)))
            .execute(conn),
    )?;
    let tokens: Vec<(String, NaiveDateTime)> = store(
        family_tokens::table
            .filter(family_tokens::family_id.eq(family_id))
            .select((family_tokens::jti, family_tokens::expires_at))
            .load(conn),
    )?;
    for (jti, exp) in &tokens {
        super::revoked::insert(conn, jti, client_pk, *exp)?;
    }
    Ok(tokens.len())
}

/// A new console session.
pub fn insert_console_session(
    conn: &mut DbConnection,
    id_hash: &str,
    user_id: &str,
    scope: &str,
    family_id: &str,
    now: NaiveDateTime,
    expires_at: NaiveDateTime,
) -> StoreResult<()> {
    store(
        diesel::insert_into(console_sessions::table)
            .values((
                console_sessions::id_hash.eq(id_hash),
                console_sessions::user_id.eq(user_id),
                console_sessions::scope.eq(scope),
                console_sessions::family_id.eq(family_id),
                console_sessions::created_at.eq(now),
                console_sessions::expires_at.eq(expires_at),
            ))
            .execute(conn),
    )?;
    Ok(())
}

/// A live console session: (user id, scope, family id).
pub fn console_session(
    conn: &mut DbConnection,
    id_hash: &str,
    now: NaiveDateTime,
) -> StoreResult<Option<(String, String, String)>> {
    store(
        console_sessions::table
            .filter(console_sessions::id_hash.eq(id_hash))
            .filter(console_sessions::expires_at.gt(now))
            .select((
                console_sessions::user_id,
                console_sessions::scope,
                console_sessions::family_id,
            ))
            .first(conn)
            .optional(),
    )
}

/// Ends a console session.
pub fn delete_console_session(conn: &mut DbConnection, id_hash: &str) -> StoreResult<()> {
    store(diesel::delete(console_sessions::table.find(id_hash)).execute(conn))?;
    Ok(())
}
