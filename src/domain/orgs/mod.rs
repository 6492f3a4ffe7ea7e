//! Organizations: the tree (root, vendor, customer) that every principal and group lives in.
//! Every change is one write transaction that reads what it changes inside the caller's reach,
//! writes its audit event, and then puts the new state in the in-memory directory.

mod model;

use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde_json::json;

pub use model::{valid_slug, NewOrg, Org, OrgPatch};

use super::directory::Directory;
use super::holdings;
use super::{Acting, DomainError};
use crate::audit::{self, Target};
use crate::storage::orgs::{self as org_rows, OrgRow};
use crate::storage::{clients as client_rows, users as user_rows};
use crate::storage::{new_row_id, Db, DbConnection};

/// The organization service: cheap to clone.
#[derive(Clone)]
pub struct OrgService {
    db: Db,
    directory: Arc<Directory>,
}

/// What a change leaves in the directory.
enum Applied {
    Put(OrgRow),
    Removed(String),
}

fn at(now: DateTime<Utc>) -> chrono::NaiveDateTime {
    super::tokens::micros(now).naive_utc()
}

impl OrgService {
    /// A service over the store and the directory.
    pub fn new(db: Db, directory: Arc<Directory>) -> Self {
        OrgService { db, directory }
    }

    async fn change<T, F>(&self, command: F) -> Result<T, DomainError>
    where
        F: FnOnce(&mut DbConnection) -> Result<(T, Applied), DomainError> + Send + 'static,
        T: Send + 'static,
    {
        let directory = self.directory.clone();
        let (value, _) = self
            .db
            .write(command, move |(_, applied): &(T, Applied)| match applied {
                Applied::Put(row) => directory.put_org(row),
                Applied::Removed(id) => directory.remove_org(id),
            })
            .await?;
        Ok(value)
    }

    /// The organizations the caller may see: its own and those below it.
    pub async fn list(
        &self,
        acting: &Acting,
        limit: i64,
        offset: i64,
    ) -> Result<Vec<Org>, DomainError> {
        let acting = acting.clone();
        self.db
            .read(move |conn| {
                let reach = acting.reach(conn)?;
                let rows = org_rows::list(conn, &reach, limit, offset)?;
                Ok(rows.iter().map(Org::from).collect())
            })
            .await
    }

    /// One organization (by id or slug) the caller may see.
    pub async fn get(&self, acting: &Acting, id: String) -> Result<Org, DomainError> {
        let acting = acting.clone();
        self.db
            .read(move |conn| Ok(Org::from(&visible(conn, &acting, &id)?)))
            .await
    }

    /// Creates an organization below `parent` (the caller's own when None).
    pub async fn create(
        &self,
        acting: &Acting,
        new: NewOrg,
        now: DateTime<Utc>,
    ) -> Result<Org, DomainError> {
        let now = at(now);
        new.validate().map_err(DomainError::Invalid)?;
        let acting = acting.clone();
        self.change(move |conn| {
            let parent = match &new.parent_id {
                Some(p) => visible(conn, &acting, p)?,
                None => org_rows::find(conn, &acting.org_id)?,
            };
            if parent.depth >= 2 {
                return Err(DomainError::Invalid(vec![
                    "organizations are at most three levels deep (root, vendor, customer): a \
                     customer organization can't have children"
                        .into(),
                ]));
            }
            let row = OrgRow {
                id: new_row_id(),
                slug: new.slug,
                name: new.name,
                parent_id: Some(parent.id.clone()),
                depth: parent.depth + 1,
                parent_depth: Some(parent.depth),
                active: new.active.unwrap_or(true),
                created_at: now,
                updated_at: now,
            };
            org_rows::insert(conn, &row).map_err(|e| match e {
                crate::storage::StoreError::Conflict(_) => {
                    DomainError::Conflict(format!("the slug {:?} is taken", row.slug))
                }
                other => other.into(),
            })?;
            let org = Org::from(&row);
            audit::record(
                conn,
                &acting.actor,
                "org.created",
                Target::new("org", &row.id, &row.id),
                json!({"after": org}),
                now.and_utc(),
            )?;
            Ok((org, Applied::Put(row)))
        })
        .await
    }

    /// Renames, disables or enables an organization. Disabling shuts out every principal in it
    /// and below it at once; root can't be disabled (`409`).
    pub async fn update(
        &self,
        acting: &Acting,
        id: String,
        patch: OrgPatch,
        now: DateTime<Utc>,
    ) -> Result<Org, DomainError> {
        let now = at(now);
        patch.validate().map_err(DomainError::Invalid)?;
        let acting = acting.clone();
        self.change(move |conn| {
            let before = visible(conn, &acting, &id)?;
            let mut after = before.clone();
            if let Some(name) = patch.name {
                after.name = name;
            }
            if let Some(active) = patch.active {
                after.active = active;
            }
            if before.active && !after.active && before.parent_id.is_none() {
                return Err(DomainError::Conflict(
                    "the root organization can't be disabled".into(),
                ));
            }
            if before.active != after.active {
                // Disabling takes power from everyone inside, enabling gives it back: either
                // way the caller must cover them all.
                require_covers_everyone(conn, &acting, &before.id)?;
            }
            after.updated_at = now;
            org_rows::update(conn, &after)?;
            audit::record(
                conn,
                &acting.actor,
                "org.updated",
                Target::new("org", &after.id, &after.id),
                json!({"before": Org::from(&before), "after": Org::from(&after)}),
                now.and_utc(),
            )?;
            Ok((Org::from(&after), Applied::Put(after)))
        })
        .await
    }

    /// Deletes an empty organization: `409` while it has principals, groups or children, and
    /// for root always.
    pub async fn delete(
        &self,
        acting: &Acting,
        id: String,
        now: DateTime<Utc>,
    ) -> Result<(), DomainError> {
        let now = at(now);
        let acting = acting.clone();
        self.change(move |conn| {
            let org = visible(conn, &acting, &id)?;
            if org.parent_id.is_none() {
                return Err(DomainError::Conflict(
                    "the root organization can't be deleted".into(),
                ));
            }
            let (principals, groups, children) = org_rows::contents(conn, &org.id)?;
            if principals + groups + children > 0 {
                return Err(DomainError::Conflict(format!(
                    "the organization still has {principals} principal(s), {groups} group(s) and \
                     {children} child organization(s): remove them first"
                )));
            }
            org_rows::delete(conn, &org.id)?;
            audit::record(
                conn,
                &acting.actor,
                "org.deleted",
                // Recorded in the parent, which still exists for its administrators to see.
                Target::new("org", &org.id, org.parent_id.as_deref().unwrap_or(&org.id)),
                json!({"before": Org::from(&org)}),
                now.and_utc(),
            )?;
            Ok(((), Applied::Removed(org.id)))
        })
        .await
    }
}

/// An organization by id or slug inside the caller's reach (else `404`).
fn visible(conn: &mut DbConnection, acting: &Acting, id: &str) -> Result<OrgRow, DomainError> {
    let reach = acting.reach(conn)?;
    org_rows::find_in(conn, &reach, id).map_err(DomainError::not_found("organization"))
}

/// CONTRACT ("holds more than the caller"): the caller must hold everything each principal in
/// the organization and below it holds.
fn require_covers_everyone(
    conn: &mut DbConnection,
    acting: &Acting,
    org_id: &str,
) -> Result<(), DomainError> {
    let reach = org_rows::reach(conn, org_id)?;
    let forbidden = |who: &str, why: String| DomainError::Forbidden(format!("{who}: {why}"));
    let mut offset = 0;
    loop {
        let page = client_rows::list(conn, &reach, 500, offset)?;
        for row in &page {
            let held = holdings::of_client(conn, row)?;
            acting
                .powers
                .require_covers(held.holdings())
                .map_err(|why| forbidden(&row.client_id, why))?;
        }
        let users = user_rows::list(conn, &reach, 500, offset)?;
        for row in &users {
            let held = holdings::of_user(conn, row)?;
            acting
                .powers
                .require_covers(held.holdings())
                .map_err(|why| forbidden(&row.username, why))?;
        }
        if page.len() < 500 && users.len() < 500 {
            return Ok(());
        }
        offset += 500;
    }
}
