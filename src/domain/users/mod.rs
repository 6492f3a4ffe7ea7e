//! Users (people): every change one write transaction that reads what it changes and writes
//! its audit event. argon2id runs before the transaction, on the blocking pool, so the one
//! writer is never held for a slow hash.

use chrono::{DateTime, Utc};
use serde_json::json;

mod model;

pub use model::*;

use super::{Acting, DomainError};
use crate::audit;
use crate::identifiers::enforce_username;
use crate::storage::users::{self as user_rows, UserRow};
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

    /// A page of users, oldest first.
    pub async fn list(&self, limit: i64, offset: i64) -> Result<Vec<User>, DomainError> {
        let rows = self
            .db
            .run(move |conn| user_rows::list(conn, limit, offset))
            .await?;
        Ok(rows.iter().map(User::from).collect())
    }

    /// One user.
    pub async fn get(&self, id: String) -> Result<User, DomainError> {
        let row = self
            .db
            .run(move |conn| user_rows::find(conn, &id))
            .await
            .map_err(DomainError::not_found("user"))?;
        Ok(User::from(&row))
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
        };
        validate(&row).map_err(DomainError::Invalid)?;
        row.password_hash = hash_off_workers(new.password).await?;
        let actor = acting.actor.clone();
        self.db
            .write(
                move |conn| {
                    user_rows::insert(conn, &row)?;
                    audit::record(
                        conn,
                        &actor,
                        "user.created",
                        "user",
                        &row.username,
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
        let actor = acting.actor.clone();
        self.db
            .write(
                move |conn| {
                    let before =
                        user_rows::find(conn, &id).map_err(DomainError::not_found("user"))?;
                    // The stored name, as written or in its enforced form (older rows may
                    // predate enforcement).
                    let same = |u: &String| {
                        *u == before.username
                            || enforce_username(u).is_ok_and(|e| e == before.username)
                    };
                    if wanted_name.as_ref().is_some_and(|u| !same(u)) {
                        return Err(DomainError::Invalid(vec!["username cannot change".into()]));
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
                        &actor,
                        "user.updated",
                        "user",
                        &after.username,
                        json!({"before": User::from(&before), "after": User::from(&after),
                               "password_changed": password_changed}),
                        now.and_utc(),
                    )?;
                    Ok(User::from(&after))
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
        let actor = acting.actor.clone();
        self.db
            .write(
                move |conn| {
                    let row =
                        user_rows::delete(conn, &id).map_err(DomainError::not_found("user"))?;
                    audit::record(
                        conn,
                        &actor,
                        "user.deleted",
                        "user",
                        &row.username,
                        json!({"before": User::from(&row)}),
                        now.and_utc(),
                    )?;
                    Ok::<_, DomainError>(())
                },
                |_| {},
            )
            .await
    }

    /// A person changes its own password: the current one is checked (off the workers), and
    /// the change applies only if nobody changed the password in between.
    pub async fn change_own_password(
        &self,
        acting: &Acting,
        username: String,
        current: String,
        new_password: String,
        now: DateTime<Utc>,
    ) -> Result<(), DomainError> {
        let now = at(now);
        let lookup = username.clone();
        let user = self
            .db
            .run(move |conn| user_rows::find_by_username(conn, &lookup))
            .await
            .map_err(DomainError::not_found("user"))?;
        let seen = user.password_hash.clone();
        let ok = actix_web::web::block(move || {
            seen.as_deref()
                .is_some_and(|h| verify_password(&current, h))
        })
        .await
        .map_err(|e| DomainError::Internal(e.to_string()))?;
        if !ok {
            return Err(DomainError::Forbidden(
                "the current password is wrong".into(),
            ));
        }
        let hash = hash_off_workers(Some(new_password)).await?;
        let actor = acting.actor.clone();
        self.db
            .write(
                move |conn| {
                    let mut row = user_rows::find_by_username(conn, &username)
                        .map_err(DomainError::not_found("user"))?;
                    if row.password_hash != user.password_hash {
                        return Err(DomainError::Conflict(
                            "the password changed meanwhile: try again".into(),
                        ));
                    }
                    row.password_hash = hash;
                    row.updated_at = now;
                    user_rows::update(conn, &row)?;
                    audit::record(
                        conn,
                        &actor,
                        "user.password_changed",
                        "user",
                        &row.username,
                        json!({}),
                        now.and_utc(),
                    )?;
                    Ok(())
                },
                |_| {},
            )
            .await
    }
}
