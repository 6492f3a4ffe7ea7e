//! Users: people, in the same identifier space as clients.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::principals::{self, PrincipalKind};
use super::schema::users;
use super::{DbConnection, StoreError, StoreResult};

/// A row of `users`.
#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = users)]
#[diesel(treat_none_as_null = true)]
pub struct UserRow {
    /// Internal row id (UUID).
    pub id: String,
    /// The login name: the principal identifier.
    pub username: String,
    /// Always `user`; pins the row to its principal kind.
    pub principal_kind: String,
    /// Name shown to people.
    pub display_name: String,
    /// Contact address.
    pub email: Option<String>,
    /// argon2id PHC string; never returned by the API.
    pub password_hash: Option<String>,
    /// Disabled users are refused.
    pub active: bool,
    /// Creation time (UTC).
    pub created_at: NaiveDateTime,
    /// Last change (UTC).
    pub updated_at: NaiveDateTime,
}

/// Inserts a user and claims its identifiers, in one transaction: its username and its id
/// (a user token's `sub`), which share one space with client_ids.
pub fn insert(conn: &mut DbConnection, row: &UserRow) -> StoreResult<()> {
    conn.transaction(|conn| {
        principals::claim(conn, &row.username, PrincipalKind::User, row.created_at)?;
        principals::claim(conn, &row.id, PrincipalKind::User, row.created_at)?;
        diesel::insert_into(users::table)
            .values(row)
            .execute(conn)
            .map_err(StoreError::from_diesel)?;
        Ok(())
    })
}

/// A user by row id.
pub fn find(conn: &mut DbConnection, id: &str) -> StoreResult<UserRow> {
    users::table
        .find(id)
        .select(UserRow::as_select())
        .first(conn)
        .map_err(StoreError::from_diesel)
}

/// A user by username.
pub fn find_by_username(conn: &mut DbConnection, username: &str) -> StoreResult<UserRow> {
    users::table
        .filter(users::username.eq(username))
        .select(UserRow::as_select())
        .first(conn)
        .map_err(StoreError::from_diesel)
}

/// A page of users, oldest first.
pub fn list(conn: &mut DbConnection, limit: i64, offset: i64) -> StoreResult<Vec<UserRow>> {
    users::table
        .order((users::created_at.asc(), users::id.asc()))
        .limit(limit)
        .offset(offset)
        .select(UserRow::as_select())
        .load(conn)
        .map_err(StoreError::from_diesel)
}

/// Replaces a user's row (the caller merged the partial update).
pub fn update(conn: &mut DbConnection, row: &UserRow) -> StoreResult<()> {
    let n = diesel::update(users::table.find(&row.id))
        .set(row)
        .execute(conn)
        .map_err(StoreError::from_diesel)?;
    if n == 0 {
        return Err(StoreError::NotFound);
    }
    Ok(())
}

/// Deletes a user and frees its identifiers.
pub fn delete(conn: &mut DbConnection, id: &str) -> StoreResult<UserRow> {
    conn.transaction(|conn| {
        let row = find(conn, id)?;
        diesel::delete(users::table.find(id))
            .execute(conn)
            .map_err(StoreError::from_diesel)?;
        principals::release(conn, &row.username, PrincipalKind::User)?;
        principals::release(conn, &row.id, PrincipalKind::User)?;
        Ok(row)
    })
}
