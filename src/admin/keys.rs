//! `/admin/v1/keys`: the signing keys and their states; rotation.

use actix_web::{web, HttpResponse};
use chrono::Utc;
use serde::Serialize;

use super::auth::Caller;
use super::error::ApiError;
use crate::keys::KeyInfo;
use crate::server::AppState;
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
    state: web::Data<AppState>,
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
    state: web::Data<AppState>,
) -> Result<HttpResponse, actix_web::Error> {
    caller.require(WRITE)?;
    let s = state.clone();
    let actor = caller.actor.clone();
    let info = state
        .db
        .run(move |conn| {
            let now = Utc::now();
            // The audit event is written in the rotation's own transaction.
            s.keys
                .rotate(conn, now, &actor)
                .map_err(|e| StoreError::Pool(e.to_string()))
        })
        .await
        .map_err(ApiError::internal)?;
    Ok(HttpResponse::Created().json(info))
}
