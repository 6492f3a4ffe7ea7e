//! `POST /oauth2/introspect` (RFC 7662): tells an authenticated client whether a token is
//! active, and what it carries.
//!
//! Unlike the token endpoint this one reads the store: introspection is not the hot path, and
//! its answer must reflect a disabled or deleted client and a revocation at once.

use std::sync::Arc;

use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use chrono::{DateTime, Utc};
use serde_json::json;

use super::claims::AccessTokenClaims;
use super::client_auth::authenticate_caller;
use super::error::OAuthError;
use super::request::{read_form, Params};
use crate::domain::Core;
use crate::resource::{AuthError, KeySource, Principal, TokenVerifier};
use crate::storage::principals::{self, PrincipalKind as StoredKind};
use crate::storage::{clients, orgs, revoked, StoreError};

/// The introspection endpoint.
pub async fn post_introspect(
    req: HttpRequest,
    payload: web::Payload,
    state: web::Data<Core>,
) -> HttpResponse {
    match introspect(&req, payload, &state).await {
        Ok(res) => res,
        Err(err) => err.response(),
    }
}

async fn introspect(
    req: &HttpRequest,
    payload: web::Payload,
    state: &Core,
) -> Result<HttpResponse, OAuthError> {
    let body = read_form(req, payload).await?;
    let params = Params::parse(&body, &[])?;
    let now = Utc::now();
    authenticate_caller(req, &params, state, now).await?;
    let token = required_token(&params)?;
    // RFC 7662 §2.1: token_type_hint is only a hint; we issue access tokens alone, so it is
    // never needed and an unknown value is ignored.
    let answer = match verify_token(state, token, now).await? {
        Some(claims) if is_live(state, &claims).await? => json!({
            "active": true,
            "scope": claims.scope,
            "client_id": claims.client_id,
            "token_type": "Bearer",
            "exp": claims.exp,
            "iat": claims.iat,
            "nbf": claims.nbf,
            "sub": claims.sub,
            "aud": claims.aud,
            "iss": claims.iss,
            "jti": claims.jti,
            "principal_type": claims.principal_type,
            "org_id": claims.org_id,
        }),
        // RFC 7662 §2.2: an inactive token gets no other member, so nothing about it leaks.
        _ => json!({"active": false}),
    };
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header((header::PRAGMA, "no-cache"))
        .json(answer))
}

/// The `token` parameter, which RFC 7662 §2.1 and RFC 7009 §2.1 both require.
pub fn required_token(params: &Params) -> Result<&str, OAuthError> {
    params
        .get("token")
        .ok_or_else(|| OAuthError::invalid_request("the token parameter is missing"))
}

/// Verifies one of our access tokens for any audience: signature under one of our keys with
/// the algorithm that key is pinned to, our issuer, `typ`, required claims, and not expired.
/// `None` for every token that fails; an error only when the check itself could not run.
pub async fn verify_token(
    state: &Core,
    token: &str,
    now: DateTime<Utc>,
) -> Result<Option<AccessTokenClaims>, OAuthError> {
    let leeway = u64::try_from(state.settings.token.leeway_seconds).unwrap_or(0);
    let verifier = TokenVerifier::any_audience(
        state.issuer.clone(),
        leeway,
        KeySource::Local(Arc::new(crate::resource::OwnKeys(Arc::clone(&state.keys)))),
    )
    .with_max_lifetime(u64::try_from(state.settings.token.max_ttl_seconds).unwrap_or(0));
    let claims = match verifier.verify(token).await {
        Ok(verified) => verified.claims,
        Err(AuthError::InvalidToken(_)) => return Ok(None),
        Err(AuthError::Unavailable(cause)) => {
            log::error!("token verification could not run: {cause}");
            return Err(OAuthError::temporarily_unavailable());
        }
        Err(err) => {
            log::error!("token verification could not run: {err}");
            return Err(OAuthError::server_error());
        }
    };
    // RFC 7519 §4.1.4: on or after exp the token must not be accepted. The verifier's leeway
    // is for the clocks of other parties (nbf); our own clock decides expiry here.
    if claims.exp <= now.timestamp() {
        return Ok(None);
    }
    // The same shape rules a resource server applies (principal_type known, sub == client_id
    // for a service account).
    if Principal::from_claims(&claims).is_err() {
        return Ok(None);
    }
    Ok(Some(claims))
}

/// The live checks against the store: the client exists and is enabled, it existed when the
/// token was issued, the token was not revoked one by one or in bulk, and its subject still
/// names exactly one principal of the kind the token claims.
async fn is_live(state: &Core, claims: &AccessTokenClaims) -> Result<bool, OAuthError> {
    let client_id = claims.client_id.clone();
    let subject = claims.sub.clone();
    let jti = claims.jti.clone();
    let iat = claims.iat;
    let issued = crate::domain::tokens::issued_at(&claims.jti, iat);
    let claimed = match Principal::from_claims(claims) {
        Ok(p) => p.kind(),
        Err(_) => return Ok(false),
    };
    state
        .db
        .run(move |conn| {
            let row = match clients::find_by_client_id(conn, &client_id) {
                Ok(row) => row,
                Err(StoreError::NotFound) => return Ok(false),
                Err(e) => return Err(e),
            };
            if row.refuses_token_issued_at(issued).is_some() {
                return Ok(false);
            }
            // CONTRACT: a disabled organization (or one above it) makes its tokens inactive.
            if !orgs::effectively_active(conn, &row.org_id)? {
                return Ok(false);
            }
            if revoked::is_revoked(conn, &jti)? {
                return Ok(false);
            }
            let kinds: Vec<_> = principals::resolve(conn, &subject)?
                .into_iter()
                .map(|k| match k {
                    StoredKind::Client => crate::resource::PrincipalKind::ServiceAccount,
                    StoredKind::User => crate::resource::PrincipalKind::User,
                })
                .collect();
            Ok(crate::resource::check_kind(claimed, &kinds).is_ok())
        })
        .await
        .map_err(|e| OAuthError::from_store("introspection store check failed", &e))
}
