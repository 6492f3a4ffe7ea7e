//! Groups and their members. A member is a client or a user of the group's organization (the
//! foreign keys carry the organization: no path can write a member from elsewhere).

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::orgs::Reach;
use super::schema::{clients, group_members, groups, users};
use super::{DbConnection, StoreError, StoreResult};

/// A row of `groups`.
#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable)]
#[diesel(table_name = groups)]
pub struct GroupRow {
    /// Id (UUID).
    pub id: String,
    /// Its organization (fixed).
    pub org_id: String,
    /// Unique within the organization.
    pub name: String,
    /// Free text.
    pub description: String,
    /// Space-separated scopes it gives its members.
    pub scopes: String,
    /// Space-separated audiences it gives its members.
    pub audiences: String,
    /// Creation time (UTC).
    pub created_at: NaiveDateTime,
    /// Last change (UTC).
    pub updated_at: NaiveDateTime,
}

/// A row of `group_members`.
#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable)]
#[diesel(table_name = group_members)]
pub struct MemberRow {
    /// Row id.
    pub id: String,
    /// The group.
    pub group_id: String,
    /// The group's (and the member's) organization.
    pub org_id: String,
    /// A client member's row id.
    pub client_pk: Option<String>,
    /// A user member's id.
    pub user_id: Option<String>,
    /// When it joined (UTC).
    pub added_at: NaiveDateTime,
}

/// A member as listed: its kind and identifier.
#[derive(Debug, Clone, PartialEq)]
pub struct Member {
    /// `service_account` (a client) or `user`.
    pub kind: &'static str,
    /// Row id of the client or user.
    pub id: String,
    /// client_id or username.
    pub identifier: String,
    /// When it joined.
    pub added_at: NaiveDateTime,
}

/// A group inside `within` (else NotFound).
pub fn find(conn: &mut DbConnection, within: &Reach, id: &str) -> StoreResult<GroupRow> {
    let row: GroupRow = groups::table
        .find(id)
        .select(GroupRow::as_select())
        .first(conn)
        .map_err(StoreError::from_diesel)?;
    if !within.contains(&row.org_id) {
        return Err(StoreError::NotFound);
    }
    Ok(row)
}

/// The groups inside `within`, by organization and name.
pub fn list(
    conn: &mut DbConnection,
    within: &Reach,
    limit: i64,
    offset: i64,
) -> StoreResult<Vec<GroupRow>> {
    let mut query = groups::table.into_boxed();
    if let Some(ids) = within.ids() {
        query = query.filter(groups::org_id.eq_any(ids.to_vec()));
    }
    query
        .order((groups::org_id.asc(), groups::name.asc()))
        .limit(limit)
        .offset(offset)
        .select(GroupRow::as_select())
        .load(conn)
        .map_err(StoreError::from_diesel)
}

/// Every group (the in-memory directory).
pub fn load_all(conn: &mut DbConnection) -> StoreResult<Vec<GroupRow>> {
    groups::table
        .select(GroupRow::as_select())
        .load(conn)
        .map_err(StoreError::from_diesel)
}

/// Every client membership, as (client row id, group id) (the in-memory directory).
pub fn load_client_memberships(conn: &mut DbConnection) -> StoreResult<Vec<(String, String)>> {
    let rows: Vec<(Option<String>, String)> = group_members::table
        .filter(group_members::client_pk.is_not_null())
        .select((group_members::client_pk, group_members::group_id))
        .load(conn)
        .map_err(StoreError::from_diesel)?;
    Ok(rows
        .into_iter()
        .filter_map(|(c, g)| c.map(|c| (c, g)))
        .collect())
}

/// Writes a new group.
pub fn insert(conn: &mut DbConnection, row: &GroupRow) -> StoreResult<()> {
    diesel::insert_into(groups::table)
        .values(row)
        .execute(conn)
        .map_err(StoreError::from_diesel)?;
    Ok(())
}

/// Writes a group's changeable columns.
pub fn update(conn: &mut DbConnection, row: &GroupRow) -> StoreResult<()> {
    let n = diesel::update(groups::table.find(&row.id))
        .set((
            groups::name.eq(&row.name),
            groups::description.eq(&row.description),
            groups::scopes.eq(&row.scopes),
            groups::audiences.eq(&row.audiences),
            groups::updated_at.eq(row.updated_at),
        ))
        .execute(conn)
        .map_err(StoreError::from_diesel)?;
    if n == 0 {
        return Err(StoreError::NotFound);
    }
    Ok(())
}

/// Deletes a group and its memberships.
pub fn delete(conn: &mut DbConnection, id: &str) -> StoreResult<()> {
    diesel::delete(group_members::table.filter(group_members::group_id.eq(id)))
        .execute(conn)
        .map_err(StoreError::from_diesel)?;
    let n = diesel::delete(groups::table.find(id))
        .execute(conn)
        .map_err(StoreError::from_diesel)?;
    if n == 0 {
        return Err(StoreError::NotFound);
    }
    Ok(())
}

/// The group's members, clients first, each by identifier.
pub fn members(conn: &mut DbConnection, group_id: &str) -> StoreResult<Vec<Member>> {
    let c: Vec<(String, String, NaiveDateTime)> = group_members::table
        .inner_join(clients::table.on(group_members::client_pk.eq(clients::id.nullable())))
        .filter(group_members::group_id.eq(group_id))
        .order(clients::client_id.asc())
        .select((clients::id, clients::client_id, group_members::added_at))
        .load(conn)
        .map_err(StoreError::from_diesel)?;
    let u: Vec<(String, String, NaiveDateTime)> = group_members::table
        .inner_join(users::table.on(group_members::user_id.eq(users::id.nullable())))
        .filter(group_members::group_id.eq(group_id))
        .order(users::username.asc())
        .select((users::id, users::username, group_members::added_at))
        .load(conn)
        .map_err(StoreError::from_diesel)?;
    let member = |kind| {
        move |(id, identifier, added_at)| Member {
            kind,
            id,
            identifier,
            added_at,
        }
    };
    Ok(c.into_iter()
        .map(member("service_account"))
        .chain(u.into_iter().map(member("user")))
        .collect())
}

/// Adds a membership (a second one of the same principal is a Conflict).
pub fn add_member(conn: &mut DbConnection, row: &MemberRow) -> StoreResult<()> {
    diesel::insert_into(group_members::table)
        .values(row)
        .execute(conn)
        .map_err(StoreError::from_diesel)?;
    Ok(())
}

/// Removes a client's or a user's membership; NotFound when it was not a member.
pub fn remove_member(
    conn: &mut DbConnection,
    group_id: &str,
    client_pk: Option<&str>,
    user_id: Option<&str>,
) -> StoreResult<()> {
    let base = group_members::table.filter(group_members::group_id.eq(group_id));
    let n = match (client_pk, user_id) {
        (Some(c), _) => diesel::delete(base.filter(group_members::client_pk.eq(c))).execute(conn),
        (None, Some(u)) => diesel::delete(base.filter(group_members::user_id.eq(u))).execute(conn),
        (None, None) => Ok(0),
    }
    .map_err(StoreError::from_diesel)?;
    if n == 0 {
        return Err(StoreError::NotFound);
    }
    Ok(())
}

/// The groups a client is in.
pub fn of_client(conn: &mut DbConnection, client_pk: &str) -> StoreResult<Vec<GroupRow>> {
    groups::table
        .inner_join(group_members::table.on(group_members::group_id.eq(groups::id)))
        .filter(group_members::client_pk.eq(client_pk))
        .order(groups::name.asc())
        .select(GroupRow::as_select())
        .load(conn)
        .map_err(StoreError::from_diesel)
}

/// The groups a user is in.
pub fn of_user(conn: &mut DbConnection, user_id: &str) -> StoreResult<Vec<GroupRow>> {
    groups::table
        .inner_join(group_members::table.on(group_members::group_id.eq(groups::id)))
        .filter(group_members::user_id.eq(user_id))
        .order(groups::name.asc())
        .select(GroupRow::as_select())
        .load(conn)
        .map_err(StoreError::from_diesel)
}

/// Client row ids of a group's service-account members (whose cached entries a change to the
/// group touches).
pub fn client_members(conn: &mut DbConnection, group_id: &str) -> StoreResult<Vec<String>> {
    let rows: Vec<Option<String>> = group_members::table
        .filter(group_members::group_id.eq(group_id))
        .filter(group_members::client_pk.is_not_null())
        .select(group_members::client_pk)
        .load(conn)
        .map_err(StoreError::from_diesel)?;
    Ok(rows.into_iter().flatten().collect())
}
