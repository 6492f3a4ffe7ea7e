//! The grants the token endpoint dispatches to: each a plain function from a parsed request
//! to a [`Decided`] token (whom it is for, what it carries), or an RFC 6749 §5.2 error.
//! Signing is shared ([`sign`]), and runs only after the caller's per-client limit.
//!
//! client_credentials is a plain function rather than oxide-auth's state machine: the grant is
//! one authentication and two set checks, and the state machine only wrapped them in ceremony
//! (side channels for our errors, a placeholder redirect URI). See docs/oxide-auth.md.

pub mod client_credentials;
pub mod people;
pub mod token_exchange;
pub mod workload;

use std::sync::Arc;

use chrono::{DateTime, Utc};

use super::claims::{AccessTokenClaims, Audience};
use super::error::OAuthError;
use crate::domain::clients::CachedClient;
use crate::domain::tokens;
use crate::keys::KeyRing;

/// A token the grant decided to issue, not yet signed.
#[derive(Debug)]
pub struct Decided {
    /// The client it is issued to.
    pub client: Arc<CachedClient>,
    /// Its claims.
    pub claims: AccessTokenClaims,
    /// Seconds until it expires.
    pub expires_in: i64,
    /// A refresh token issued with it (people's grants, when the client may have one).
    pub refresh_token: Option<String>,
    /// The workload it was issued for (workload identity), and the policy that matched.
    pub workload: Option<crate::domain::workload::Workload>,
}

/// A token signed and ready to send.
#[derive(Debug)]
pub struct Issued {
    /// The signed JWT.
    pub access_token: String,
    /// Seconds until it expires.
    pub expires_in: i64,
    /// Granted scopes, space-separated.
    pub scope: String,
    /// The client it was issued to.
    pub client: Arc<CachedClient>,
    /// A refresh token issued with it.
    pub refresh_token: Option<String>,
    /// The workload it was issued for.
    pub workload: Option<crate::domain::workload::Workload>,
}

/// What every access token's claims are built from.
pub struct TokenFor<'a> {
    /// Issuer URL.
    pub issuer: &'a str,
    /// `sub`.
    pub subject: String,
    /// `client_id`.
    pub client_id: String,
    /// Audiences.
    pub audiences: Vec<String>,
    /// Space-separated scopes.
    pub scope: String,
    /// `principal_type`.
    pub principal_type: &'static str,
    /// Lifetime, seconds.
    pub ttl: i64,
    /// The principal's organization.
    pub org_id: String,
    /// The workload acting for it (RFC 8693 `act`).
    pub act: Option<crate::oauth::claims::Actor>,
}

/// RFC 9068 claims issued at `now`; the `jti` carries the issue time to the microsecond.
pub fn claims(t: TokenFor<'_>, now: DateTime<Utc>) -> Result<AccessTokenClaims, OAuthError> {
    let issued = tokens::micros(now);
    let iat = issued.timestamp();
    let jti = tokens::new_jti(issued).ok_or_else(|| {
        log::error!("the system random generator failed");
        OAuthError::server_error()
    })?;
    Ok(AccessTokenClaims {
        iss: t.issuer.to_string(),
        sub: t.subject,
        aud: Audience::from_list(t.audiences),
        exp: iat + t.ttl,
        iat,
        nbf: iat,
        jti,
        client_id: t.client_id,
        scope: t.scope,
        principal_type: t.principal_type.to_string(),
        org_id: Some(t.org_id),
        act: t.act,
    })
}

/// Signs a decided token with the current key.
pub fn sign(keys: &KeyRing, decided: Decided) -> Result<Issued, OAuthError> {
    let access_token = keys.current().signer.sign(&decided.claims).map_err(|e| {
        log::error!("signing an access token failed: {e}");
        OAuthError::server_error()
    })?;
    Ok(Issued {
        access_token,
        expires_in: decided.expires_in,
        scope: decided.claims.scope,
        client: decided.client,
        refresh_token: decided.refresh_token,
        workload: decided.workload,
    })
}
