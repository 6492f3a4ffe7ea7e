//! `/admin/v1/clients/{id}/secrets`: several named secrets per client, optional expiry.
//! Listings show metadata only, never a secret or its hash.

use actix_web::{web, HttpResponse};
use chrono::{DateTime, NaiveDateTime, Utc};
use serde::{Deserialize, Serialize};

use super::auth::Caller;
use super::error::ApiError;
use crate::domain::clients::NewSecret;
use crate::domain::Core;
use crate::storage::clients::SecretRow;

const READ: &str = "admin:clients:read";
const WRITE: &str = "admin:clients:write";

/// A secret's metadata.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct SecretInfo {
    /// Secret id.
    pub id: String,
    /// Name.
    pub name: String,
    /// Created at.
    pub created_at: DateTime<Utc>,
    /// Expires at, if it does.
    pub expires_at: Option<DateTime<Utc>>,
    /// Last successful use (recorded a few seconds late, off the request path).
    pub last_used_at: Option<DateTime<Utc>>,
    /// Revoked at, if it was.
    pub revoked_at: Option<DateTime<Utc>>,
    /// The secret's last four characters, to match a leaked value to this id; null for a
    /// secret made before they were kept.
    #[schema(max_length = 4, min_length = 1, example = "x7Qz")]
    pub last_four: Option<String>,
}

fn utc(t: NaiveDateTime) -> DateTime<Utc> {
    DateTime::from_naive_utc_and_offset(t, Utc)
}

impl From<&SecretRow> for SecretInfo {
    fn from(r: &SecretRow) -> Self {
        SecretInfo {
            id: r.id.clone(),
            name: r.name.clone(),
            created_at: utc(r.created_at),
            expires_at: r.expires_at.map(utc),
            last_used_at: r.last_used_at.map(utc),
            revoked_at: r.revoked_at.map(utc),
            last_four: r.last_four.clone(),
        }
    }
}

/// `POST …/secrets` body.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateSecretRequest {
    /// A name for people (default `secret`).
    pub name: Option<String>,
    /// When it stops working (RFC 3339); never, when omitted.
    pub expires_at: Option<DateTime<Utc>>,
}

/// A new secret, shown once.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CreatedSecretResponse {
    /// Metadata.
    #[serde(flatten)]
    pub info: SecretInfo,
    /// The secret. Shown only now.
    pub secret: String,
}

/// `GET /admin/v1/clients/{id}/secrets`
#[utoipa::path(get, path = "/admin/v1/clients/{id}/secrets", tag = "secrets", params(("id" = String, Path)),
    responses((status = 200, body = Vec<SecretInfo>), (status = 404)), security(("bearer" = [])))]
pub async fn list_secrets(
    caller: Caller,
    state: web::Data<Core>,
    id: web::Path<String>,
) -> Result<HttpResponse, actix_web::Error> {
    caller.require(READ)?;
    let rows = state
        .client_service()
        .secrets(&caller.acting, id.into_inner())
        .await
        .map_err(ApiError::from)?;
    Ok(HttpResponse::Ok().json(rows.iter().map(SecretInfo::from).collect::<Vec<_>>()))
}

/// `POST /admin/v1/clients/{id}/secrets`: a new secret beside the old ones (rotation).
#[utoipa::path(post, path = "/admin/v1/clients/{id}/secrets", tag = "secrets", params(("id" = String, Path)),
    request_body = CreateSecretRequest, responses((status = 201, body = CreatedSecretResponse), (status = 404), (status = 422)),
    security(("bearer" = [])))]
pub async fn create_secret(
    caller: Caller,
    state: web::Data<Core>,
    id: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, actix_web::Error> {
    caller.require(WRITE)?;
    // No body means all defaults; a body that does not parse is the caller's mistake (a bad
    // expires_at must never become a secret that does not expire).
    let req: CreateSecretRequest = if body.iter().all(u8::is_ascii_whitespace) {
        CreateSecretRequest::default()
    } else {
        serde_json::from_slice(&body)
            .map_err(|e| ApiError::bad_request(format!("invalid JSON body: {e}")))?
    };
    let new = NewSecret {
        name: req.name,
        expires_at: req.expires_at,
    };
    let (row, plain) = state
        .client_service()
        .add_secret(&caller.acting, id.into_inner(), new, Utc::now())
        .await
        .map_err(ApiError::from)?;
    Ok(HttpResponse::Created()
        .insert_header(("Cache-Control", "no-store"))
        .json(CreatedSecretResponse {
            info: SecretInfo::from(&row),
            secret: plain,
        }))
}

/// `DELETE /admin/v1/clients/{id}/secrets/{secret_id}`: revokes that secret.
#[utoipa::path(delete, path = "/admin/v1/clients/{id}/secrets/{secret_id}", tag = "secrets",
    params(("id" = String, Path), ("secret_id" = String, Path)), responses((status = 204), (status = 404)),
    security(("bearer" = [])))]
pub async fn revoke_secret(
    caller: Caller,
    state: web::Data<Core>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, actix_web::Error> {
    caller.require(WRITE)?;
    let (id, secret_id) = path.into_inner();
    state
        .client_service()
        .revoke_secret(&caller.acting, id, secret_id, Utc::now())
        .await
        .map_err(ApiError::from)?;
    Ok(HttpResponse::NoContent().finish())
}
