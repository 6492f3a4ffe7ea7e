//! Users: people, in the same identifier space as clients.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::orgs::Reach;
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
    /// Its organization (fixed at creation).
    pub org_id: String,
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

/// A user by row id, inside `within` (else NotFound).
pub fn find_in(conn: &mut DbConnection, within: &Reach, id: &str) -> StoreResult<UserRow> {
    let row = find(conn, id)?;
    if !within.contains(&row.org_id) {
        return Err(StoreError::NotFound);
    }
    Ok(row)
}

/// A user by username, inside `within` (else NotFound).
pub fn find_by_username_in(
    conn: &mut DbConnection,
    within: &Reach,
    username: &str,
) -> StoreResult<UserRow> {
    let row = find_by_username(conn, username)?;
    if !within.contains(&row.org_id) {
        return Err(StoreError::NotFound);
    }
    Ok(row)
}

/// A page of the users inside `within`, oldest first.
pub fn list(
    conn: &mut DbConnection,
    within: &Reach,
    limit: i64,
    offset: i64,
) -> StoreResult<Vec<UserRow>> {
    let mut query = users::table.into_boxed();
    if let Some(ids) = within.ids() {
        query = query.filter(users::org_id.eq_any(ids.to_vec()));
    }
    query
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

/// How many active users of `org_id` are in a group of that organization whose scopes hold
/// `scope` (the last-administrator rule).
pub fn active_in_admin_groups(
    conn: &mut DbConnection,
    org_id: &str,
    scope: &str,
) -> StoreResult<usize> {
    use super::schema::{group_members, groups};
    let rows: Vec<(String, String)> = users::table
        .inner_join(group_members::table.on(group_members::user_id.eq(users::id.nullable())))
        .inner_join(groups::table.on(groups::id.eq(group_members::group_id)))
        .filter(users::org_id.eq(org_id))
        .filter(users::active.eq(true))
        .select((users::id, groups::scopes))
        .load(conn)
        .map_err(StoreError::from_diesel)?;
    let mut ids: Vec<&String> = rows
        .iter()
        .filter(|(_, scopes)| super::split_list(scopes).iter().any(|s| s == scope))
        .map(|(id, _)| id)
        .collect();
    ids.sort();
    ids.dedup();
    Ok(ids.len())
}
