//! Refresh tokens: opaque, stored hashed, rotated at every use; a reused one revokes its whole
//! family and every access token issued from it (RFC 9700 §4.14).

use std::sync::Arc;

use chrono::{DateTime, Duration, NaiveDateTime, Utc};

use super::codes::{decide, Built, UserGrant};
use super::{at, live_user, new_secret, GrantError, PeopleService, REFRESH_DAYS};
use crate::domain::clients::CachedClient;
use crate::storage::people::{self as rows, RefreshRow};
use crate::storage::{join_list, split_list, DbConnection};

/// A refresh token presented at the token endpoint.
#[derive(Debug, Clone)]
pub struct Refresh {
    /// The token.
    pub token: String,
    /// `scope`: narrows what the family may carry (None: all of it).
    pub scope: Option<Vec<String>>,
}

enum Outcome<T> {
    Issued(T, String),
    Reused,
}

impl PeopleService {
    /// A new refresh token of `grant`'s family, stored hashed; returns it.
    pub(super) fn new_refresh(
        &self,
        conn: &mut DbConnection,
        client_id: &str,
        grant: &UserGrant,
        now: NaiveDateTime,
    ) -> Result<String, GrantError> {
        let token = new_secret()?;
        rows::insert_refresh(
            conn,
            &RefreshRow {
                token_hash: self.hash(&token),
                family_id: grant.family_id.clone(),
                client_id: client_id.to_string(),
                user_id: grant.user.id.clone(),
                scope: join_list(&grant.scope),
                audiences: join_list(&grant.audiences),
                created_at: now,
                expires_at: now + Duration::days(REFRESH_DAYS),
                used_at: None,
                revoked_at: None,
            },
        )?;
        Ok(token)
    }

    /// Rotates a refresh token: the old one is spent, a new one and a new access token are
    /// issued in the same family, with what the person still holds. A second use of a spent
    /// token revokes the family.
    pub async fn refresh<T, F>(
        &self,
        client: Arc<CachedClient>,
        presented: Refresh,
        admin_audience: String,
        now: DateTime<Utc>,
        build: F,
    ) -> Result<(T, String), GrantError>
    where
        F: FnOnce(&UserGrant) -> Result<Built<T>, GrantError> + Send + 'static,
        T: Send + 'static,
    {
        let hash = self.hash(&presented.token);
        let service = self.clone();
        let outcome = self
            .db
            .write(
                move |conn| {
                    let when = at(now);
                    let Some(row) = rows::find_refresh(conn, &hash)? else {
                        return Err(GrantError::InvalidGrant("the refresh token is unknown"));
                    };
                    if row.client_id != client.client_id {
                        return Err(GrantError::InvalidGrant(
                            "the refresh token was issued to another client",
                        ));
                    }
                    if row.revoked_at.is_some() {
                        return Err(GrantError::InvalidGrant("the refresh token was revoked"));
                    }
                    // CONTRACT: a reused refresh token revokes its family (committed, then
                    // refused).
                    if row.used_at.is_some() || !rows::use_refresh(conn, &hash, when)? {
                        rows::revoke_family(conn, &row.family_id, &client.id, when)?;
                        return Ok(Outcome::Reused);
                    }
                    if row.expires_at <= when {
                        return Err(GrantError::InvalidGrant("the refresh token has expired"));
                    }
                    let family_scope = split_list(&row.scope);
                    let scope = match &presented.scope {
                        None => family_scope,
                        Some(asked) => {
                            if asked.iter().any(|s| !family_scope.contains(s)) {
                                return Err(GrantError::InvalidGrant(
                                    "a refresh may not ask for more scopes than first granted",
                                ));
                            }
                            asked.clone()
                        }
                    };
                    let Some(user) = live_user(conn, &row.user_id)? else {
                        return Err(GrantError::InvalidGrant("the person may no longer sign in"));
                    };
                    let grant = decide(
                        conn,
                        &client,
                        user,
                        &scope,
                        split_list(&row.audiences),
                        &admin_audience,
                        row.family_id.clone(),
                    )?;
                    let built = build(&grant)?;
                    rows::record_family_token(
                        conn,
                        &built.jti,
                        &grant.family_id,
                        built.expires_at,
                    )?;
                    let next = service.new_refresh(conn, &client.client_id, &grant, when)?;
                    Ok(Outcome::Issued(built.value, next))
                },
                |_| {},
            )
            .await?;
        match outcome {
            Outcome::Issued(value, next) => Ok((value, next)),
            Outcome::Reused => Err(GrantError::InvalidGrant(
                "the refresh token was already used: its whole family is revoked",
            )),
        }
    }
}
