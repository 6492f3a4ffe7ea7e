//! Who a verified token speaks for, and the check that its subject really is that kind of
//! principal (one identifier names one principal: see the contract).

use crate::resource::claims::{AccessTokenClaims, SERVICE_ACCOUNT, USER};
use crate::storage::principals::{self, PrincipalKind as StoredKind};
use crate::storage::{Db, StoreError};

use super::AuthError;

/// The kind of principal a token speaks for (its `principal_type` claim).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PrincipalKind {
    /// A service account: `sub` is its client_id.
    ServiceAccount,
    /// A person.
    User,
}

impl PrincipalKind {
    /// Reads a `principal_type` claim; anything but `service_account` or `user` is refused.
    pub fn from_claim(value: &str) -> Result<Self, AuthError> {
        match value {
            SERVICE_ACCOUNT => Ok(PrincipalKind::ServiceAccount),
            USER => Ok(PrincipalKind::User),
            _ => Err(AuthError::InvalidToken(
                "the token names an unknown kind of principal".into(),
            )),
        }
    }

    /// The claim value.
    pub fn as_str(self) -> &'static str {
        match self {
            PrincipalKind::ServiceAccount => SERVICE_ACCOUNT,
            PrincipalKind::User => USER,
        }
    }
}

/// The caller, as a verified token describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    /// Service account or user.
    pub kind: PrincipalKind,
    /// `sub`: the user's identifier, or the service account's client_id.
    pub subject: String,
    /// The client the token was issued to.
    pub client_id: String,
    /// The granted scopes.
    pub scopes: Vec<String>,
    /// The token's unique id (for revocation checks).
    pub jti: String,
    /// `iat`, seconds since the epoch.
    pub issued_at: i64,
    /// `exp`, seconds since the epoch.
    pub expires_at: i64,
}

impl Principal {
    /// From verified claims; refuses an unknown `principal_type`, empty identifiers, and a
    /// service-account token whose `sub` is not its `client_id`.
    pub fn from_claims(claims: &AccessTokenClaims) -> Result<Self, AuthError> {
        let kind = PrincipalKind::from_claim(&claims.principal_type)?;
        if claims.sub.is_empty() || claims.client_id.is_empty() || claims.jti.is_empty() {
            return Err(AuthError::InvalidToken(
                "the token has an empty sub, client_id or jti".into(),
            ));
        }
        if kind == PrincipalKind::ServiceAccount && claims.sub != claims.client_id {
            return Err(AuthError::InvalidToken(
                "a service-account token's sub must be its client_id".into(),
            ));
        }
        Ok(Principal {
            kind,
            subject: claims.sub.clone(),
            client_id: claims.client_id.clone(),
            scopes: claims
                .scope
                .split(' ')
                .filter(|s| !s.is_empty())
                .map(str::to_string)
                .collect(),
            jti: claims.jti.clone(),
            issued_at: claims.iat,
            expires_at: claims.exp,
        })
    }

    /// Whether the token carries `scope`.
    pub fn has_scope(&self, scope: &str) -> bool {
        self.scopes.iter().any(|s| s == scope)
    }

    /// Ok when the token carries at least one of `any_of` (or `any_of` is empty); otherwise a
    /// 403 `insufficient_scope` naming them (RFC 6750 §3.1).
    pub fn require_scope(&self, any_of: &[&str]) -> Result<(), AuthError> {
        if any_of.is_empty() || any_of.iter().any(|s| self.has_scope(s)) {
            Ok(())
        } else {
            Err(AuthError::InsufficientScope {
                scope: any_of.join(" "),
            })
        }
    }

    /// Ok for a user; a service-account token gets a 403 saying the route is for people.
    pub fn require_user(&self) -> Result<(), AuthError> {
        match self.kind {
            PrincipalKind::User => Ok(()),
            PrincipalKind::ServiceAccount => Err(AuthError::UserRequired),
        }
    }
}

/// Tells what kinds of principal an identifier names. Synchronous: it may block on a
/// database, so the extractor calls it inside `actix_web::web::block`.
pub trait PrincipalDirectory: Send + Sync + 'static {
    /// Every kind of principal `subject` names (none, one, or, if the store is broken, more).
    fn kinds_of(&self, subject: &str) -> Result<Vec<PrincipalKind>, AuthError>;
}

/// A [`PrincipalDirectory`] over Castellan's own store.
#[derive(Clone)]
pub struct StoreDirectory {
    /// The store.
    pub db: Db,
}

impl StoreDirectory {
    /// Over this store.
    pub fn new(db: Db) -> Self {
        StoreDirectory { db }
    }
}

impl PrincipalDirectory for StoreDirectory {
    fn kinds_of(&self, subject: &str) -> Result<Vec<PrincipalKind>, AuthError> {
        let mut conn = self.db.conn().map_err(directory_error)?;
        let kinds = principals::resolve(&mut conn, subject).map_err(directory_error)?;
        // Every client is typed as a service account here: only service accounts get tokens,
        // and a plain client's identifier still can't be a user's.
        Ok(kinds
            .into_iter()
            .map(|k| match k {
                StoredKind::Client => PrincipalKind::ServiceAccount,
                StoredKind::User => PrincipalKind::User,
            })
            .collect())
    }
}

/// A store failure: 503 while the database can't be reached, else 500.
fn directory_error(e: StoreError) -> AuthError {
    match e {
        StoreError::Unavailable(_) => AuthError::Unavailable(format!("principal directory: {e}")),
        other => AuthError::Internal(format!("principal directory: {other}")),
    }
}

/// Refuses the token unless `subject` names exactly one principal, of the kind claimed.
pub fn check_kind(claimed: PrincipalKind, found: &[PrincipalKind]) -> Result<(), AuthError> {
    match found {
        [only] if *only == claimed => Ok(()),
        [] => Err(AuthError::InvalidToken(
            "the token's subject names no principal".into(),
        )),
        [_] => Err(AuthError::InvalidToken(format!(
            "the token's subject is not a {}",
            claimed.as_str()
        ))),
        _ => Err(AuthError::InvalidToken(
            "the token's subject names more than one principal".into(),
        )),
    }
}
