//! `/admin/v1/keys`: the signing keys and their states; rotation; revocation.

use actix_web::{web, HttpResponse};
use chrono::Utc;
use serde::{Deserialize, Serialize};

use super::auth::Caller;
use super::error::ApiError;
use crate::domain::Core;
use crate::keys::{KeyError, KeyInfo, Revocation, Switch};
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

/// `POST /admin/v1/keys/rotate` body (optional): when the new key starts signing.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RotateRequest {
    /// Seconds the new key is published before it signs, 0 to 86400 (default 60: longer than
    /// the 30 s for which common JWKS clients refuse to refetch). 0 is the same as `now`.
    #[schema(minimum = 0, maximum = 86400, example = 60)]
    pub delay_seconds: Option<i64>,
    /// `true`: the new key signs at once. Verifiers that cached the JWKS refuse its tokens
    /// until they refetch it; for a compromised key, revoke it instead.
    pub now: Option<bool>,
}

impl RotateRequest {
    fn switch(&self) -> Result<Switch, ApiError> {
        match (self.now, self.delay_seconds) {
            (Some(true), Some(d)) if d != 0 => Err(ApiError::unprocessable(vec![
                "now: true and a delay_seconds other than 0 contradict each other".into(),
            ])),
            (Some(true), _) => Ok(Switch::Now),
            (_, Some(d)) => Switch::after_seconds(d)
                .map_err(|e| ApiError::unprocessable(vec![format!("delay_seconds: {e}")])),
            (_, None) => Ok(Switch::default()),
        }
    }
}

/// `POST /admin/v1/keys/rotate`: a new key is published now and signs after `delay_seconds`
/// (default 60), on every node without a restart; the current key stops signing then and stays
/// published until every token it signed has expired. `{"now": true}` switches at once. When a
/// key is already published and waiting (a scheduled one, an earlier rotation) it is kept,
/// brought forward if it was to sign later: `200` with it instead of `201`.
#[utoipa::path(post, path = "/admin/v1/keys/rotate", tag = "keys", request_body(content = Option<RotateRequest>),
    responses((status = 201, body = Object, description = "a new key: `next` until its `activates_at`, `current` with `now`"),
        (status = 200, body = Object, description = "the key already waiting, which signs from its `activates_at`")),
    security(("bearer" = [])))]
pub async fn rotate_keys(
    caller: Caller,
    state: web::Data<Core>,
    body: web::Bytes,
) -> Result<HttpResponse, actix_web::Error> {
    caller.require(WRITE)?;
    caller.acting.require_root().map_err(ApiError::from)?;
    // No body (or `null`): the defaults. A body that does not parse is the caller's mistake (a
    // misspelt `now` must never become a rotation that breaks verifiers, nor the reverse).
    let req: RotateRequest = if body.iter().all(u8::is_ascii_whitespace) {
        RotateRequest::default()
    } else {
        serde_json::from_slice::<Option<RotateRequest>>(&body)
            .map_err(|e| ApiError::bad_request(format!("invalid JSON body: {e}")))?
            .unwrap_or_default()
    };
    let switch = req.switch()?;
    let s = state.clone();
    let actor = caller.acting.actor.clone();
    let (info, created) = state
        .db
        .run(move |conn| {
            // The audit event is written in the rotation's own transaction.
            Ok::<_, StoreError>(s.keys.rotate_at(conn, Utc::now(), switch, &actor))
        })
        .await
        .map_err(ApiError::from)?
        .map_err(key_error)?;
    let mut response = if created {
        HttpResponse::Created()
    } else {
        HttpResponse::Ok()
    };
    Ok(response.json(info))
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
