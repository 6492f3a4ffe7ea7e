//! Client authentication at every OAuth door: one method per client, a client assertion's
//! `jti` once per deployment, and failed attempts spending the same budgets everywhere.

use std::net::IpAddr;
use std::sync::Arc;

use actix_web::HttpRequest;
use chrono::{DateTime, Utc};

use super::error::{ErrorCode, OAuthError};
use super::request::{assertion_audiences, client_auth, ClientAuth, Params};
use crate::domain::clients::registry::{AuthMethod, VerifiedAssertion};
use crate::domain::clients::secret_values::{self, Shape};
use crate::domain::clients::CachedClient;
use crate::domain::Core;
use crate::storage::used_assertions;

/// The method a request used.
pub fn method_of(auth: &ClientAuth) -> AuthMethod {
    match auth {
        ClientAuth::Basic { .. } => AuthMethod::ClientSecretBasic,
        ClientAuth::Post { .. } => AuthMethod::ClientSecretPost,
        ClientAuth::Assertion { .. } => AuthMethod::PrivateKeyJwt,
        ClientAuth::None => AuthMethod::None,
    }
}

/// Authenticates the client of a request by the method it used. CONTRACT ("One rule, every
/// door"): only by the method it registered; the registry refuses any other, even with the
/// right credential, after the same work as a wrong one (`ClientRegistry::authenticate` for
/// secrets; an assertion only for a `private_key_jwt` client). Secrets are checked in memory (no database); an assertion is verified in
/// memory and then its `jti` claimed for the whole deployment (one database write).
pub async fn authenticate_client(
    state: &Core,
    auth: &ClientAuth,
    now: DateTime<Utc>,
) -> Result<Arc<CachedClient>, OAuthError> {
    let refused = || OAuthError::invalid_client(auth.is_basic());
    let client = match auth {
        ClientAuth::Basic { client_id, secret } | ClientAuth::Post { client_id, secret } => {
            // CONTRACT: our prefix with a wrong length or checksum cannot be a secret we made
            // (a typo, a truncated paste): refused before any lookup or hash, with the same
            // answer as any wrong secret, and counted by the callers as a failure like one.
            if secret_values::shape(secret) == Shape::Broken {
                return Err(refused());
            }
            state
                .clients
                .authenticate(client_id, secret.as_bytes(), method_of(auth), now)
                .ok_or_else(refused)?
        }
        ClientAuth::Assertion {
            client_id,
            assertion,
        } => {
            let fetched = assertion_key(state, client_id, assertion).await;
            let (client, verified) = state
                .clients
                .verify_assertion(
                    client_id,
                    assertion,
                    fetched,
                    &assertion_audiences(&state.issuer),
                    now,
                )
                .ok_or_else(refused)?;
            if !state.clients.first_sight(client_id, &verified, now) {
                return Err(refused());
            }
            claim_assertion(state, client_id, verified).await?;
            client
        }
        ClientAuth::None => return Err(refused()),
    };
    // CONTRACT: a disabled organization (or one above it) shuts out everyone in it, at every
    // door; from memory, like the client itself.
    if !state.directory.view().org_active(&client.org_id) {
        return Err(refused());
    }
    Ok(client)
}

/// The key of a `private_key_jwt` client registered with a `jwks_uri`, for the assertion's
/// kid: from the outside-keys cache (a fetch only on an unknown kid, at most once per interval).
async fn assertion_key(
    state: &Core,
    client_id: &str,
    assertion: &str,
) -> Option<Arc<crate::keys::VerifyKey>> {
    let uri = state.clients.get(client_id)?.assertion_jwks_uri.clone()?;
    let kid = jsonwebtoken::decode_header(assertion).ok()?.kid?;
    let jwks = state.outside.get_or_insert(&uri).ok()?;
    jwks.key(&kid).await.ok().flatten()
}

/// RFC 7523 §3 and CONTRACT ("Replay"): a client assertion's `jti` is accepted once by the
/// whole deployment until the assertion expires. The store's primary key decides, off the
/// async workers; a replay is `invalid_client`.
pub async fn claim_assertion(
    state: &Core,
    client_id: &str,
    verified: VerifiedAssertion,
) -> Result<(), OAuthError> {
    let client_id = client_id.to_string();
    let until = verified.accepted_until.naive_utc();
    let first = state
        .db
        .run(move |conn| used_assertions::claim(conn, &client_id, &verified.jti, until))
        .await
        .map_err(|e| {
            log::error!("recording a client assertion's jti failed: {e}");
            OAuthError::server_error()
        })?;
    if first {
        Ok(())
    } else {
        Err(OAuthError::invalid_client(false))
    }
}

/// Authenticates the caller of `/oauth2/introspect` or `/oauth2/revoke`: the same failure
/// budgets as the token endpoint (CONTRACT "One rule, every door"), checked before any
/// credential is, then [`authenticate_client`]; only a confidential client passes.
pub async fn authenticate_caller(
    req: &HttpRequest,
    params: &Params,
    state: &Core,
    now: DateTime<Utc>,
) -> Result<Arc<CachedClient>, OAuthError> {
    let auth = client_auth(req, params)?;
    // The TCP peer, or what a trusted proxy forwarded (a header alone is the caller's to write).
    let peer: Option<IpAddr> = crate::telemetry::caller_ip(req);
    // The same budgets as the token endpoint's: the one limiter the server holds.
    let Some(limits) = req.app_data::<actix_web::web::Data<super::ratelimit::RateLimiter>>() else {
        log::error!("the rate limiter is not installed");
        return Err(OAuthError::server_error());
    };
    let failures = limits.check_failures(peer, auth.client_id())?;
    let result = authenticate_client(state, &auth, now)
        .await
        .and_then(|client| {
            if client.confidential {
                Ok(client)
            } else {
                Err(OAuthError::invalid_client(auth.is_basic()))
            }
        });
    match &result {
        Ok(_) => limits.record_success(peer, &failures),
        Err(err) if err.code == ErrorCode::InvalidClient => limits.record_failure(peer, &failures),
        Err(_) => {}
    }
    result
}
