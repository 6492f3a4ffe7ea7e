//! Organizations, and [`Reach`]: the set of organizations a query may see.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::{clients, groups, organizations, users};
use super::{DbConnection, StoreError, StoreResult};

/// The root organization's id: created by the first migration, never deleted or disabled.
pub const ROOT_ORG_ID: &str = "00000000-0000-0000-0000-000000000000";

/// A row of `organizations`.
#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable)]
#[diesel(table_name = organizations)]
pub struct OrgRow {
    /// Id (UUID; root's is [`ROOT_ORG_ID`]).
    pub id: String,
    /// Unique, lowercase `[a-z0-9-]`, 1 to 63 characters.
    pub slug: String,
    /// Display name.
    pub name: String,
    /// None only for root.
    pub parent_id: Option<String>,
    /// 0 root, 1 vendor, 2 customer.
    pub depth: i32,
    /// The parent's depth (held by a foreign key, so no fourth level can be written).
    pub parent_depth: Option<i32>,
    /// Disabled organizations shut out everyone in and below them.
    pub active: bool,
    /// Creation time (UTC).
    pub created_at: NaiveDateTime,
    /// Last change (UTC).
    pub updated_at: NaiveDateTime,
}

/// The organizations a query may see: an organization and every one below it. Built only from
/// the store's tree ([`reach`]), so no caller can make one up; every query on principals,
/// groups, organizations and audit events for the admin API takes one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reach {
    /// None: everything (root's reach); else the ids inside.
    ids: Option<Vec<String>>,
}

impl Reach {
    /// Whether `org_id` is inside.
    pub fn contains(&self, org_id: &str) -> bool {
        match &self.ids {
            None => true,
            Some(ids) => ids.iter().any(|i| i == org_id),
        }
    }

    /// The ids to filter on (None: no filter).
    pub(super) fn ids(&self) -> Option<&[String]> {
        self.ids.as_deref()
    }
}

/// The reach of `org_id` (it and every organization below it), read from the store.
pub fn reach(conn: &mut DbConnection, org_id: &str) -> StoreResult<Reach> {
    let org = find(conn, org_id)?;
    if org.parent_id.is_none() {
        return Ok(Reach { ids: None });
    }
    let mut ids = vec![org.id.clone()];
    let mut frontier = vec![org.id.clone()];
    // Depth is at most three: two rounds at most.
    while !frontier.is_empty() {
        let children: Vec<String> = organizations::table
            .filter(organizations::parent_id.eq_any(&frontier))
            .select(organizations::id)
            .load(conn)
            .map_err(StoreError::from_diesel)?;
        ids.extend(children.iter().cloned());
        frontier = children;
    }
    Ok(Reach { ids: Some(ids) })
}

/// Only `org_id` itself (it must be inside `within`, else NotFound): a list narrowed to one
/// organization.
pub fn only(within: &Reach, org_id: &str) -> StoreResult<Reach> {
    if !within.contains(org_id) {
        return Err(StoreError::NotFound);
    }
    Ok(Reach {
        ids: Some(vec![org_id.to_string()]),
    })
}

/// `org_id`'s reach, which must lie inside `within` (else NotFound).
pub fn reach_within(conn: &mut DbConnection, within: &Reach, org_id: &str) -> StoreResult<Reach> {
    if !within.contains(org_id) {
        return Err(StoreError::NotFound);
    }
    reach(conn, org_id)
}

/// An organization by id, whatever reach (for the tree itself and the live checks).
pub fn find(conn: &mut DbConnection, id: &str) -> StoreResult<OrgRow> {
    organizations::table
        .find(id)
        .select(OrgRow::as_select())
        .first(conn)
        .map_err(StoreError::from_diesel)
}

/// An organization by id or slug, inside `within` (else NotFound).
pub fn find_in(conn: &mut DbConnection, within: &Reach, id_or_slug: &str) -> StoreResult<OrgRow> {
    let row: OrgRow = organizations::table
        .filter(
            organizations::id
                .eq(id_or_slug)
                .or(organizations::slug.eq(id_or_slug)),
        )
        .select(OrgRow::as_select())
        .first(conn)
        .map_err(StoreError::from_diesel)?;
    if !within.contains(&row.id) {
        return Err(StoreError::NotFound);
    }
    Ok(row)
}

/// An organization by slug, whatever reach (configuration, the CLI).
pub fn find_by_slug(conn: &mut DbConnection, slug: &str) -> StoreResult<OrgRow> {
    organizations::table
        .filter(organizations::slug.eq(slug))
        .select(OrgRow::as_select())
        .first(conn)
        .map_err(StoreError::from_diesel)
}

/// The organizations inside `within`, root first, then by depth and creation.
pub fn list(
    conn: &mut DbConnection,
    within: &Reach,
    limit: i64,
    offset: i64,
) -> StoreResult<Vec<OrgRow>> {
    let mut query = organizations::table.into_boxed();
    if let Some(ids) = within.ids() {
        query = query.filter(organizations::id.eq_any(ids.to_vec()));
    }
    query
        .order((
            organizations::depth.asc(),
            organizations::created_at.asc(),
            organizations::id.asc(),
        ))
        .limit(limit)
        .offset(offset)
        .select(OrgRow::as_select())
        .load(conn)
        .map_err(StoreError::from_diesel)
}

/// Every organization (the in-memory tree).
pub fn load_all(conn: &mut DbConnection) -> StoreResult<Vec<OrgRow>> {
    organizations::table
        .select(OrgRow::as_select())
        .load(conn)
        .map_err(StoreError::from_diesel)
}

/// Writes a new organization.
pub fn insert(conn: &mut DbConnection, row: &OrgRow) -> StoreResult<()> {
    diesel::insert_into(organizations::table)
        .values(row)
        .execute(conn)
        .map_err(StoreError::from_diesel)?;
    Ok(())
}

/// Writes an organization's name and activation.
pub fn update(conn: &mut DbConnection, row: &OrgRow) -> StoreResult<()> {
    let n = diesel::update(organizations::table.find(&row.id))
        .set((
            organizations::name.eq(&row.name),
            organizations::active.eq(row.active),
            organizations::updated_at.eq(row.updated_at),
        ))
        .execute(conn)
        .map_err(StoreError::from_diesel)?;
    if n == 0 {
        return Err(StoreError::NotFound);
    }
    Ok(())
}

/// What still lives in an organization: principals, groups, child organizations.
pub fn contents(conn: &mut DbConnection, id: &str) -> StoreResult<(i64, i64, i64)> {
    let count = |e: diesel::result::Error| StoreError::from_diesel(e);
    let principals: i64 = clients::table
        .filter(clients::org_id.eq(id))
        .count()
        .get_result::<i64>(conn)
        .map_err(count)?
        + users::table
            .filter(users::org_id.eq(id))
            .count()
            .get_result::<i64>(conn)
            .map_err(count)?;
    let groups: i64 = groups::table
        .filter(groups::org_id.eq(id))
        .count()
        .get_result(conn)
        .map_err(count)?;
    let children: i64 = organizations::table
        .filter(organizations::parent_id.eq(id))
        .count()
        .get_result(conn)
        .map_err(count)?;
    Ok((principals, groups, children))
}

/// Deletes an empty organization (the foreign keys refuse a non-empty one).
pub fn delete(conn: &mut DbConnection, id: &str) -> StoreResult<()> {
    let n = diesel::delete(organizations::table.find(id))
        .execute(conn)
        .map_err(StoreError::from_diesel)?;
    if n == 0 {
        return Err(StoreError::NotFound);
    }
    Ok(())
}

/// Whether `org_id` and every organization above it are active (the live checks).
pub fn effectively_active(conn: &mut DbConnection, org_id: &str) -> StoreResult<bool> {
    let mut next = Some(org_id.to_string());
    while let Some(id) = next {
        let org = find(conn, &id)?;
        if !org.active {
            return Ok(false);
        }
        next = org.parent_id;
    }
    Ok(true)
}
