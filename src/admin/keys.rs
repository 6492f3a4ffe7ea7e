//! `/admin/v1/keys`: the signing keys and their states; rotation; revocation.

use actix_web::{web, HttpResponse};
use chrono::Utc;
use serde::Serialize;

use super::auth::Caller;
use super::error::ApiError;
use crate::domain::Core;
use crate::keys::{KeyError, KeyInfo, Revocation};
use crate::storage::StoreError;

const WRITE: &str = "admin:keys:write";

/// The keys.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct KeyList {
    /// Every published key: next, current, retiring.
    #[schema(value_type = Vec<Object>)]
    pub keys: Vec<KeyInfo>,
}

/// `GET /admin/v1/keys`
#[utoipa::path(get, path = "/admin/v1/keys", tag = "keys", responses((status = 200, body = KeyList)),
    security(("bearer" = [])))]
pub async fn list_keys(
    caller: Caller,
    state: web::Data<Core>,
) -> Result<HttpResponse, actix_web::Error> {
    // Keys are public; any admin scope that touches them may list them.
    caller.require(WRITE)?;
    Ok(HttpResponse::Ok().json(KeyList {
        keys: state.keys.current().infos.clone(),
    }))
}

/// `POST /admin/v1/keys/rotate`: a new key signs from now on; the old one stays published
/// until every token it signed has expired.
#[utoipa::path(post, path = "/admin/v1/keys/rotate", tag = "keys", responses((status = 201, body = Object)),
    security(("bearer" = [])))]
pub async fn rotate_keys(
    caller: Caller,
    state: web::Data<Core>,
) -> Result<HttpResponse, actix_web::Error> {
    caller.require(WRITE)?;
    caller.acting.require_root().map_err(ApiError::from)?;
    let s = state.clone();
    let actor = caller.acting.actor.clone();
    let info = state
        .db
        .run(move |conn| {
            let now = Utc::now();
            // The audit event is written in the rotation's own transaction.
            Ok::<_, StoreError>(s.keys.rotate(conn, now, &actor))
        })
        .await
        .map_err(ApiError::from)?
        .map_err(key_error)?;
    Ok(HttpResponse::Created().json(info))
}

/// `POST /admin/v1/keys/{kid}/revoke`: for a compromised key. It stops signing, leaves the
/// JWKS and stops verifying at once (on other nodes within a second); if it was the current
/// key, a new one signs from the same instant. Idempotent: revoking a revoked key answers 200
/// with the first revocation's time and `revoked_now: false`. An unknown kid is 404.
#[utoipa::path(post, path = "/admin/v1/keys/{kid}/revoke", tag = "keys",
    params(("kid" = String, Path, description = "the key id")),
    responses((status = 200, body = Object), (status = 404)),
    security(("bearer" = [])))]
pub async fn revoke_key(
    caller: Caller,
    path: web::Path<String>,
    state: web::Data<Core>,
) -> Result<HttpResponse, actix_web::Error> {
    caller.require(WRITE)?;
    caller.acting.require_root().map_err(ApiError::from)?;
    let kid = path.into_inner();
    let s = state.clone();
    let actor = caller.acting.actor.clone();
    let revocation: Revocation = state
        .db
        .run(move |conn| Ok::<_, StoreError>(s.keys.revoke(conn, &kid, Utc::now(), &actor)))
        .await
        .map_err(ApiError::from)?
        .map_err(key_error)?;
    Ok(HttpResponse::Ok().json(revocation))
}

/// A key operation's failure: the store's as the store's (404, 503), the rest opaque.
fn key_error(e: KeyError) -> ApiError {
    match e {
        KeyError::Store(StoreError::NotFound) => ApiError::not_found("key"),
        KeyError::Store(e) => ApiError::from(e),
        other => ApiError::internal(other),
    }
}
