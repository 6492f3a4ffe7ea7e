//! Users (people): every change one write transaction that reads what it changes and writes
//! its audit event. argon2id runs before the transaction, on the blocking pool, so the one
//! writer is never held for a slow hash.

use chrono::{DateTime, Utc};
use serde_json::json;

mod model;
mod password;

pub use model::*;

use super::holdings::{self, keep_last_admin, Permissions};
use super::tenancy::OrgSelector;
use super::{Acting, DomainError};
use crate::audit::{self, Target};
use crate::identifiers::enforce_username;
use crate::storage::users::{self as user_rows, UserRow};
use crate::storage::DbConnection;
use crate::storage::{new_row_id, Db};

/// A new user.
#[derive(Debug, Clone)]
pub struct NewUser {
    /// Login name (stored in its RFC 8265 enforced form).
    pub username: String,
    /// Name shown to people.
    pub display_name: Option<String>,
    /// Contact address.
    pub email: Option<String>,
    /// First password (written only).
    pub password: Option<String>,
    /// Default true.
    pub active: Option<bool>,
    /// Its organization (id or slug inside the caller's reach); the caller's when None.
    pub org: Option<String>,
}

/// A partial update: `None` keeps the current value.
#[derive(Debug, Clone, Default)]
pub struct UserPatch {
    /// Can't change; accepted when equal (after enforcement) to the stored one.
    pub username: Option<String>,
    /// Name shown to people.
    pub display_name: Option<String>,
    /// `Some(None)` clears it.
    pub email: Option<Option<String>>,
    /// A new password.
    pub password: Option<String>,
    /// Enabled.
    pub active: Option<bool>,
    /// Can't change; accepted only when equal to the current value.
    pub org_id: Option<String>,
}

/// The user service: cheap to clone.
#[derive(Clone)]
pub struct UserService {
    db: Db,
}

/// argon2id on the blocking pool; a password that breaks a rule is 422.
async fn hash_off_workers(password: Option<String>) -> Result<Option<String>, DomainError> {
    let Some(password) = password else {
        return Ok(None);
    };
    actix_web::web::block(move || hash_password(&password))
        .await
        .map_err(|e| DomainError::Internal(e.to_string()))?
        .map(Some)
        .map_err(DomainError::Invalid)
}

fn at(now: DateTime<Utc>) -> chrono::NaiveDateTime {
    super::tokens::micros(now).naive_utc()
}

impl UserService {
    /// A service over the store.
    pub fn new(db: Db) -> Self {
        UserService { db }
    }

    /// A page of the users the caller may see, oldest first.
    pub async fn list(
        &self,
        acting: &Acting,
        selector: OrgSelector,
        limit: i64,
        offset: i64,
    ) -> Result<Vec<User>, DomainError> {
        let acting = acting.clone();
        self.db
            .read(move |conn| {
                let reach = acting.reach_for(conn, &selector)?;
                let rows = user_rows::list(conn, &reach, limit, offset)?;
                Ok(rows.iter().map(User::from).collect())
            })
            .await
    }

    /// One user the caller may see.
    pub async fn get(&self, acting: &Acting, id: String) -> Result<User, DomainError> {
        let acting = acting.clone();
        self.db
            .read(move |conn| Ok(User::from(&visible(conn, &acting, &id)?)))
            .await
    }

    /// What a user holds (its groups' grants) and where each item comes from.
    pub async fn permissions(
        &self,
        acting: &Acting,
        id: String,
    ) -> Result<Permissions, DomainError> {
        let acting = acting.clone();
        self.db
            .read(move |conn| {
                let row = visible(conn, &acting, &id)?;
                let groups = crate::storage::groups::of_user(conn, &row.id)?;
                Ok(Permissions::build(&[], &[], &groups))
            })
            .await
    }

    /// Creates a user; its identifiers (username and id) are claimed in the same transaction.
    pub async fn create(
        &self,
        acting: &Acting,
        new: NewUser,
        now: DateTime<Utc>,
    ) -> Result<User, DomainError> {
        let now = at(now);
        let username =
            enforce_username(&new.username).map_err(|e| DomainError::Invalid(vec![e]))?;
        let mut row = UserRow {
            id: new_row_id(),
            username,
            principal_kind: "user".into(),
            display_name: new.display_name.unwrap_or_default(),
            email: new.email,
            password_hash: None,
            active: new.active.unwrap_or(true),
            created_at: now,
            updated_at: now,
            org_id: String::new(),
        };
        validate(&row).map_err(DomainError::Invalid)?;
        row.password_hash = hash_off_workers(new.password).await?;
        let (acting, org) = (acting.clone(), new.org);
        self.db
            .write(
                move |conn| {
                    row.org_id = acting.org_for_new(conn, org.as_deref())?;
                    let actor = &acting.actor;
                    user_rows::insert(conn, &row)?;
                    audit::record(
                        conn,
                        actor,
                        "user.created",
                        Target::new("user", &row.username, &row.org_id),
                        json!({"after": User::from(&row)}),
                        row.created_at.and_utc(),
                    )?;
                    Ok::<_, DomainError>(User::from(&row))
                },
                |_| {},
            )
            .await
    }

    /// Changes a user: the patch is applied to the row read inside the transaction.
    pub async fn update(
        &self,
        acting: &Acting,
        id: String,
        patch: UserPatch,
        now: DateTime<Utc>,
    ) -> Result<User, DomainError> {
        let now = at(now);
        let wanted_name = patch.username.clone();
        let new_hash = hash_off_workers(patch.password.clone()).await?;
        let acting = acting.clone();
        self.db
            .write(
                move |conn| {
                    keep_last_admin(conn, |conn| {
                        let before = target(conn, &acting, &id)?;
                        let actor = &acting.actor;
                        if patch.org_id.as_ref().is_some_and(|o| *o != before.org_id) {
                            return Err(DomainError::Invalid(vec![
                                "org_id cannot change: a principal's organization is fixed at \
                             creation"
                                    .into(),
                            ]));
                        }
                        // The stored name, as written or in its enforced form (older rows may
                        // predate enforcement).
                        let same = |u: &String| {
                            *u == before.username
                                || enforce_username(u).is_ok_and(|e| e == before.username)
                        };
                        if wanted_name.as_ref().is_some_and(|u| !same(u)) {
                            return Err(DomainError::Invalid(
                                vec!["username cannot change".into()],
                            ));
                        }
                        let mut after = before.clone();
                        if let Some(v) = patch.display_name {
                            after.display_name = v;
                        }
                        if let Some(v) = patch.email {
                            after.email = v;
                        }
                        if let Some(v) = patch.active {
                            after.active = v;
                        }
                        let password_changed = new_hash.is_some();
                        if new_hash.is_some() {
                            after.password_hash = new_hash;
                        }
                        validate(&after).map_err(DomainError::Invalid)?;
                        after.updated_at = now;
                        user_rows::update(conn, &after)?;
                        // The password is never part of an event, only the fact that it changed.
                        audit::record(
                            conn,
                            actor,
                            "user.updated",
                            Target::new("user", &after.username, &after.org_id),
                            json!({"before": User::from(&before), "after": User::from(&after),
                               "password_changed": password_changed}),
                            now.and_utc(),
                        )?;
                        Ok(User::from(&after))
                    })
                },
                |_| {},
            )
            .await
    }

    /// Deletes a user and frees its identifiers.
    pub async fn delete(
        &self,
        acting: &Acting,
        id: String,
        now: DateTime<Utc>,
    ) -> Result<(), DomainError> {
        let now = at(now);
        let acting = acting.clone();
        self.db
            .write(
                move |conn| {
                    keep_last_admin(conn, |conn| {
                        let row = target(conn, &acting, &id)?;
                        user_rows::delete(conn, &row.id)?;
                        let actor = &acting.actor;
                        audit::record(
                            conn,
                            actor,
                            "user.deleted",
                            Target::new("user", &row.username, &row.org_id),
                            json!({"before": User::from(&row)}),
                            now.and_utc(),
                        )?;
                        Ok::<_, DomainError>(())
                    })
                },
                |_| {},
            )
            .await
    }
}

/// A user by id or username, inside the caller's reach (else `404`).
pub fn visible(conn: &mut DbConnection, acting: &Acting, id: &str) -> Result<UserRow, DomainError> {
    let reach = acting.reach(conn)?;
    let found = match user_rows::find_in(conn, &reach, id) {
        Err(crate::storage::StoreError::NotFound) => {
            user_rows::find_by_username_in(conn, &reach, id)
        }
        other => other,
    };
    found.map_err(DomainError::not_found("user"))
}

/// The user a command acts on: inside the caller's reach (else `404`), and holding nothing
/// (through its groups) that the caller does not (else `403`).
fn target(conn: &mut DbConnection, acting: &Acting, id: &str) -> Result<UserRow, DomainError> {
    let row = visible(conn, acting, id)?;
    let held = holdings::of_user(conn, &row)?;
    acting
        .powers
        .require_covers(held.holdings())
        .map_err(DomainError::Forbidden)?;
    Ok(row)
}
