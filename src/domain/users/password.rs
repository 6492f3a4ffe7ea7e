//! A person changes its own password.

use chrono::{DateTime, Utc};
use serde_json::json;

use super::{at, hash_off_workers, verify_password, UserService};
use crate::audit::{self, Target};
use crate::domain::{Acting, DomainError};
use crate::storage::users as user_rows;

impl UserService {
    /// A person changes its own password: the current one is checked (off the workers), and
    /// the change applies only if nobody changed the password in between.
    pub async fn change_own_password(
        &self,
        acting: &Acting,
        user_id: String,
        current: String,
        new_password: String,
        now: DateTime<Utc>,
    ) -> Result<(), DomainError> {
        let now = at(now);
        let lookup = user_id.clone();
        let user = self
            .db
            .run(move |conn| user_rows::find(conn, &lookup))
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
                    let mut row =
                        user_rows::find(conn, &user_id).map_err(DomainError::not_found("user"))?;
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
                        Target::new("user", &row.username, &row.org_id),
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
