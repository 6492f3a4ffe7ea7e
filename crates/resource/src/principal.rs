//! Who a verified token speaks for, and the check that its subject really is that kind of
//! principal (one identifier names one principal: see the contract).

use crate::claims::{AccessTokenClaims, SERVICE_ACCOUNT, USER};
use std::fmt;

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

/// A service account's identifier: its client_id. No conversion turns it into a [`UserId`].
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ServiceAccountId(String);

/// A person's identifier (a user's id). No conversion turns it into a [`ServiceAccountId`].
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct UserId(String);

impl ServiceAccountId {
    /// The client_id.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl UserId {
    /// The user's id.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ServiceAccountId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Display for UserId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Whom a token speaks for, typed: code that needs a user id gets one only from
/// [`Subject::User`], so a service account's client_id can't be taken for a person's id by
/// mistake (the two may even be spelled alike in another system).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Subject {
    /// A service account.
    ServiceAccount(ServiceAccountId),
    /// A person.
    User(UserId),
}

impl Subject {
    /// A subject of this kind. For the issuer, which knows whom it names (a session it
    /// looked up); a service reads subjects from tokens through [`Principal::from_claims`].
    pub fn new(kind: PrincipalKind, id: impl Into<String>) -> Self {
        match kind {
            PrincipalKind::ServiceAccount => Subject::ServiceAccount(ServiceAccountId(id.into())),
            PrincipalKind::User => Subject::User(UserId(id.into())),
        }
    }

    /// Its kind.
    pub fn kind(&self) -> PrincipalKind {
        match self {
            Subject::ServiceAccount(_) => PrincipalKind::ServiceAccount,
            Subject::User(_) => PrincipalKind::User,
        }
    }

    /// The identifier as written in `sub`, for logs and audit records (not for look-ups:
    /// match on the variant for those).
    pub fn as_str(&self) -> &str {
        match self {
            Subject::ServiceAccount(id) => id.as_str(),
            Subject::User(id) => id.as_str(),
        }
    }
}

/// The caller, as a verified token describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    /// `sub`, typed by `principal_type`.
    pub subject: Subject,
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
    /// The principal's organization (`org_id`), when the token names one.
    pub org_id: Option<String>,
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
            subject: Subject::new(kind, claims.sub.clone()),
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
            org_id: claims.org_id.clone(),
        })
    }

    /// Service account or user.
    pub fn kind(&self) -> PrincipalKind {
        self.subject.kind()
    }

    /// The user's id, when a person is calling.
    pub fn user_id(&self) -> Option<&UserId> {
        match &self.subject {
            Subject::User(id) => Some(id),
            Subject::ServiceAccount(_) => None,
        }
    }

    /// The service account's id, when a service account is calling.
    pub fn service_account(&self) -> Option<&ServiceAccountId> {
        match &self.subject {
            Subject::ServiceAccount(id) => Some(id),
            Subject::User(_) => None,
        }
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

    /// The user's id for a person; a service-account token gets a 403 saying the route is
    /// for people.
    pub fn require_user(&self) -> Result<&UserId, AuthError> {
        self.user_id().ok_or(AuthError::UserRequired)
    }
}

/// Tells what kinds of principal an identifier names. Synchronous: it may block on a
/// database, so the extractor calls it inside `actix_web::web::block`.
pub trait PrincipalDirectory: Send + Sync + 'static {
    /// Every kind of principal `subject` names (none, one, or, if the store is broken, more).
    fn kinds_of(&self, subject: &str) -> Result<Vec<PrincipalKind>, AuthError>;
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
