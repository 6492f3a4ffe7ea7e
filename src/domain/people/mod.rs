//! People signing in: sessions at the authorization server, authorization codes bound to a
//! client, a redirect URI and a PKCE challenge, and rotating refresh tokens whose reuse revokes
//! their family (CONTRACT "People: sign-in and the console"). Every secret value (session id,
//! code, refresh token) is random, shown once, and stored only as its keyed hash.

mod codes;
mod limits;
mod refresh;
mod signin;

use std::sync::Arc;

use base64::Engine;
use chrono::{DateTime, Duration, Utc};

pub use codes::{valid_challenge, Built, CodeRequest, Exchange, UserGrant};
pub use limits::SignInLimits;
pub use refresh::Refresh;
pub use signin::SignInError;

use super::DomainError;
use crate::keys::MasterKey;
use crate::storage::users::UserRow;
use crate::storage::{orgs as org_rows, people as rows, users as user_rows, Db, DbConnection};

/// A code lives this long (CONTRACT: at most 60 s).
pub const CODE_SECONDS: i64 = 60;
/// A sign-in session lives this long.
pub const SESSION_HOURS: i64 = 12;
/// A refresh token is accepted this long after its issue (each rotation starts anew).
pub const REFRESH_DAYS: i64 = 14;
/// The console's built-in client.
pub const CONSOLE_CLIENT_ID: &str = "castellan-console";

/// Why a code or refresh token was refused (RFC 6749 §5.2).
#[derive(Debug)]
pub enum GrantError {
    /// `invalid_grant`, with a description.
    InvalidGrant(&'static str),
    /// `invalid_target`, with a description.
    InvalidTarget(String),
    /// The store or our own machinery failed.
    Failed(DomainError),
}

impl From<DomainError> for GrantError {
    fn from(e: DomainError) -> Self {
        GrantError::Failed(e)
    }
}

impl From<crate::storage::StoreError> for GrantError {
    fn from(e: crate::storage::StoreError) -> Self {
        GrantError::Failed(e.into())
    }
}

/// The people service: cheap to clone.
#[derive(Clone)]
pub struct PeopleService {
    db: Db,
    master: Arc<MasterKey>,
}

/// A new random secret value: 32 bytes, base64url.
pub fn new_secret() -> Result<String, DomainError> {
    let mut bytes = [0u8; 32];
    ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), &mut bytes)
        .map_err(|_| DomainError::Internal("the system random generator failed".into()))?;
    Ok(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes))
}

fn at(now: DateTime<Utc>) -> chrono::NaiveDateTime {
    super::tokens::micros(now).naive_utc()
}

/// A user who may act now: it exists, is active, and its organization and every one above it
/// are active.
pub fn live_user(conn: &mut DbConnection, user_id: &str) -> Result<Option<UserRow>, DomainError> {
    let user = match user_rows::find(conn, user_id) {
        Ok(u) => u,
        Err(crate::storage::StoreError::NotFound) => return Ok(None),
        Err(e) => return Err(e.into()),
    };
    if !user.active || !org_rows::effectively_active(conn, &user.org_id)? {
        return Ok(None);
    }
    Ok(Some(user))
}

impl PeopleService {
    /// A service over the store and the master key.
    pub fn new(db: Db, master: Arc<MasterKey>) -> Self {
        PeopleService { db, master }
    }

    /// The keyed hash a secret value is stored and looked up by.
    pub fn hash(&self, value: &str) -> String {
        self.master
            .hash_secret(value.as_bytes())
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }

    /// A CSRF token bound to a session (derived, never stored).
    pub fn csrf_for(&self, session: &str) -> String {
        let mac = self
            .master
            .hash_secret(format!("csrf:{session}").as_bytes());
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(mac)
    }

    /// Starts a session for a signed-in user; returns the cookie value.
    pub async fn start_session(
        &self,
        user_id: String,
        now: DateTime<Utc>,
    ) -> Result<String, DomainError> {
        let value = new_secret()?;
        let hash = self.hash(&value);
        let (now, until) = (at(now), at(now + Duration::hours(SESSION_HOURS)));
        self.db
            .write(
                move |conn| rows::insert_session(conn, &hash, &user_id, now, until),
                |_| {},
            )
            .await?;
        Ok(value)
    }

    /// The user of a live session, if it may still act.
    pub async fn session_user(
        &self,
        cookie: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<UserRow>, DomainError> {
        let hash = self.hash(cookie);
        let now = at(now);
        self.db
            .read(move |conn| match rows::session_user(conn, &hash, now)? {
                Some(user_id) => live_user(conn, &user_id),
                None => Ok(None),
            })
            .await
    }

    /// Ends a session (an unknown one is already ended).
    pub async fn end_session(&self, cookie: &str) -> Result<(), DomainError> {
        let hash = self.hash(cookie);
        self.db
            .write(move |conn| rows::delete_session(conn, &hash), |_| {})
            .await?;
        Ok(())
    }
}

/// The console's built-in client: public, the code grant only, its one redirect URI under the
/// issuer, the admin audience. Never stored (its identifier is reserved).
pub fn console_client(issuer: &str, admin_audience: &str) -> crate::storage::clients::ClientRow {
    let now = chrono::DateTime::<Utc>::UNIX_EPOCH.naive_utc();
    crate::storage::clients::ClientRow {
        id: format!("builtin:{CONSOLE_CLIENT_ID}"),
        client_id: CONSOLE_CLIENT_ID.into(),
        principal_kind: "client".into(),
        name: "Castellan console".into(),
        description: "Built into the server".into(),
        client_type: "public".into(),
        grant_types: "authorization_code".into(),
        scopes: String::new(),
        default_scopes: String::new(),
        audiences: admin_audience.into(),
        token_ttl_seconds: None,
        token_endpoint_auth_method: "none".into(),
        is_service_account: false,
        is_admin_service_account: false,
        active: true,
        tokens_revoked_before: None,
        created_at: now,
        updated_at: now,
        managed_by: "config".into(),
        jwks: None,
        default_audiences: None,
        org_id: crate::storage::orgs::ROOT_ORG_ID.into(),
        redirect_uris: format!("{issuer}/console/callback"),
        jwks_uri: None,
    }
}
