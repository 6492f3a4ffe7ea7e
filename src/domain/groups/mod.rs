//! Groups: what a principal holds beyond its own grants (a user holds only what its groups
//! give). Every change is one write transaction inside the caller's reach, bounded by what the
//! caller holds, audited, and then applied to the in-memory directory and to the registry
//! entries of the service accounts whose memberships changed.

mod members;
mod model;

use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde_json::json;

pub use model::{Group, GroupPatch, Member, NewGroup};

use super::clients::{ClientRegistry, Stored};
use super::directory::Directory;
use super::holdings::keep_last_admin;
use super::powers::Held;
use super::tenancy::OrgSelector;
use super::{Acting, DomainError};
use crate::audit::{self, Target};
use crate::storage::groups::{self as group_rows, GroupRow};
use crate::storage::{new_row_id, split_list, Db, DbConnection, StoreError};

/// The group service: cheap to clone.
#[derive(Clone)]
pub struct GroupService {
    db: Db,
    directory: Arc<Directory>,
    registry: Arc<ClientRegistry>,
}

/// What a change leaves in memory.
#[derive(Default)]
struct Applied {
    /// A group's new state.
    put: Option<GroupRow>,
    /// A deleted group.
    removed: Option<String>,
    /// Service accounts whose groups changed, as stored now.
    clients: Vec<Stored>,
}

fn at(now: DateTime<Utc>) -> chrono::NaiveDateTime {
    super::tokens::micros(now).naive_utc()
}

impl GroupService {
    /// A service over the store, the directory and the registry.
    pub fn new(db: Db, directory: Arc<Directory>, registry: Arc<ClientRegistry>) -> Self {
        GroupService {
            db,
            directory,
            registry,
        }
    }

    async fn change<T, F>(&self, command: F) -> Result<T, DomainError>
    where
        F: FnOnce(&mut DbConnection) -> Result<(T, Applied), DomainError> + Send + 'static,
        T: Send + 'static,
    {
        let (directory, registry) = (self.directory.clone(), self.registry.clone());
        let (value, _) = self
            .db
            .write(command, move |(_, applied): &(T, Applied)| {
                if let Some(row) = &applied.put {
                    directory.put_group(row);
                }
                if let Some(id) = &applied.removed {
                    directory.remove_group(id);
                }
                for s in &applied.clients {
                    registry.upsert(s);
                }
            })
            .await?;
        Ok(value)
    }

    /// The groups the caller may see.
    pub async fn list(
        &self,
        acting: &Acting,
        selector: OrgSelector,
        limit: i64,
        offset: i64,
    ) -> Result<Vec<Group>, DomainError> {
        let acting = acting.clone();
        self.db
            .read(move |conn| {
                let reach = acting.reach_for(conn, &selector)?;
                let rows = group_rows::list(conn, &reach, limit, offset)?;
                Ok(rows.iter().map(Group::from).collect())
            })
            .await
    }

    /// One group the caller may see.
    pub async fn get(&self, acting: &Acting, id: String) -> Result<Group, DomainError> {
        let acting = acting.clone();
        self.db
            .read(move |conn| Ok(Group::from(&visible(conn, &acting, &id)?)))
            .await
    }

    /// Creates a group; its grants are bounded by what the caller holds.
    pub async fn create(
        &self,
        acting: &Acting,
        new: NewGroup,
        now: DateTime<Utc>,
    ) -> Result<Group, DomainError> {
        let now = at(now);
        let scopes = model::joined(&new.scopes, "scope").map_err(DomainError::Invalid)?;
        let audiences = model::joined(&new.audiences, "audience").map_err(DomainError::Invalid)?;
        let acting = acting.clone();
        self.change(move |conn| {
            let row = GroupRow {
                id: new_row_id(),
                org_id: acting.org_for_new(conn, new.org_id.as_deref())?,
                name: new.name,
                description: new.description.unwrap_or_default(),
                scopes,
                audiences,
                created_at: now,
                updated_at: now,
            };
            model::validate(&row).map_err(DomainError::Invalid)?;
            require_covers(&acting, &row)?;
            group_rows::insert(conn, &row).map_err(|e| name_taken(e, &row.name))?;
            let group = Group::from(&row);
            audit::record(
                conn,
                &acting.actor,
                "group.created",
                Target::new("group", &row.id, &row.org_id),
                json!({"after": group}),
                now.and_utc(),
            )?;
            let applied = Applied {
                put: Some(row),
                ..Applied::default()
            };
            Ok((group, applied))
        })
        .await
    }

    /// Changes a group: its members gain or lose what it gives at once (their next token; at
    /// the admin API, their next call). The caller must hold what the group gives, before and
    /// after.
    pub async fn update(
        &self,
        acting: &Acting,
        id: String,
        patch: GroupPatch,
        now: DateTime<Utc>,
    ) -> Result<Group, DomainError> {
        let now = at(now);
        let scopes = patch.scopes.as_deref().map(|s| model::joined(s, "scope"));
        let scopes = scopes.transpose().map_err(DomainError::Invalid)?;
        let audiences = patch
            .audiences
            .as_deref()
            .map(|a| model::joined(a, "audience"));
        let audiences = audiences.transpose().map_err(DomainError::Invalid)?;
        let acting = acting.clone();
        self.change(move |conn| {
            keep_last_admin(conn, |conn| {
                let before = target(conn, &acting, &id)?;
                if patch.org_id.as_ref().is_some_and(|o| *o != before.org_id) {
                    return Err(DomainError::Invalid(vec![
                        "org_id cannot change: a group's organization is fixed at creation".into(),
                    ]));
                }
                let mut after = before.clone();
                if let Some(v) = patch.name {
                    after.name = v;
                }
                if let Some(v) = patch.description {
                    after.description = v;
                }
                if let Some(v) = scopes {
                    after.scopes = v;
                }
                if let Some(v) = audiences {
                    after.audiences = v;
                }
                after.updated_at = now;
                model::validate(&after).map_err(DomainError::Invalid)?;
                require_covers(&acting, &after)?;
                group_rows::update(conn, &after).map_err(|e| name_taken(e, &after.name))?;
                audit::record(
                    conn,
                    &acting.actor,
                    "group.updated",
                    Target::new("group", &after.id, &after.org_id),
                    json!({"before": Group::from(&before), "after": Group::from(&after)}),
                    now.and_utc(),
                )?;
                let group = Group::from(&after);
                let applied = Applied {
                    put: Some(after),
                    ..Applied::default()
                };
                Ok((group, applied))
            })
        })
        .await
    }

    /// Deletes a group; its members lose what it gave at once.
    pub async fn delete(
        &self,
        acting: &Acting,
        id: String,
        now: DateTime<Utc>,
    ) -> Result<(), DomainError> {
        let now = at(now);
        let acting = acting.clone();
        self.change(move |conn| {
            keep_last_admin(conn, |conn| {
                let group = target(conn, &acting, &id)?;
                let members = group_rows::client_members(conn, &group.id)?;
                group_rows::delete(conn, &group.id)?;
                audit::record(
                    conn,
                    &acting.actor,
                    "group.deleted",
                    Target::new("group", &group.id, &group.org_id),
                    json!({"before": Group::from(&group)}),
                    now.and_utc(),
                )?;
                let clients = members
                    .iter()
                    .map(|c| Stored::read(conn, c))
                    .collect::<Result<Vec<_>, _>>()?;
                let applied = Applied {
                    removed: Some(group.id),
                    clients,
                    ..Applied::default()
                };
                Ok(((), applied))
            })
        })
        .await
    }
}

/// A group inside the caller's reach (else `404`).
fn visible(conn: &mut DbConnection, acting: &Acting, id: &str) -> Result<GroupRow, DomainError> {
    let reach = acting.reach(conn)?;
    group_rows::find(conn, &reach, id).map_err(DomainError::not_found("group"))
}

/// The group a command acts on: visible, and giving nothing the caller does not hold.
fn target(conn: &mut DbConnection, acting: &Acting, id: &str) -> Result<GroupRow, DomainError> {
    let row = visible(conn, acting, id)?;
    require_covers(acting, &row)?;
    Ok(row)
}

/// CONTRACT: no principal grants what it does not hold, through a group either.
fn require_covers(acting: &Acting, group: &GroupRow) -> Result<(), DomainError> {
    let gives = Held {
        scopes: split_list(&group.scopes),
        audiences: split_list(&group.audiences),
        admin_flag: false,
    };
    acting
        .powers
        .require_covers(gives.holdings())
        .map_err(DomainError::Forbidden)
}

fn name_taken(e: StoreError, name: &str) -> DomainError {
    match e {
        StoreError::Conflict(_) => DomainError::Conflict(format!(
            "a group named {name:?} already exists in this organization"
        )),
        other => other.into(),
    }
}
