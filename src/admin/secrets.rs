//! `/admin/v1/clients/{id}/secrets`: several named secrets per client, optional expiry.
//! Listings show metadata only, never a secret or its hash.

use actix_web::{web, HttpResponse};
use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::Connection;
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::auth::Caller;
use super::error::ApiError;
use crate::audit;
use crate::clients::secrets;
use crate::server::AppState;
use crate::storage::clients::{self as client_rows, SecretRow};
use crate::storage::StoreError;

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

fn not_found(what: &'static str) -> impl Fn(StoreError) -> ApiError {
    move |e| match e {
        StoreError::NotFound => ApiError::not_found(what),
        other => other.into(),
    }
}

/// `GET /admin/v1/clients/{id}/secrets`
#[utoipa::path(get, path = "/admin/v1/clients/{id}/secrets", tag = "secrets", params(("id" = String, Path)),
    responses((status = 200, body = Vec<SecretInfo>), (status = 404)), security(("bearer" = [])))]
pub async fn list_secrets(
    caller: Caller,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, actix_web::Error> {
    caller.require(READ)?;
    let rows = state
        .db
        .run(move |conn| {
            client_rows::find(conn, &id)?;
            client_rows::list_secrets(conn, &id)
        })
        .await
        .map_err(not_found("client"))?;
    Ok(HttpResponse::Ok().json(rows.iter().map(SecretInfo::from).collect::<Vec<_>>()))
}

/// `POST /admin/v1/clients/{id}/secrets`: a new secret beside the old ones (rotation).
#[utoipa::path(post, path = "/admin/v1/clients/{id}/secrets", tag = "secrets", params(("id" = String, Path)),
    request_body = CreateSecretRequest, responses((status = 201, body = CreatedSecretResponse), (status = 404), (status = 422)),
    security(("bearer" = [])))]
pub async fn create_secret(
    caller: Caller,
    state: web::Data<AppState>,
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
    let now = Utc::now();
    let name = req.name.unwrap_or_else(|| "secret".into());
    if name.trim().is_empty() || name.chars().count() > 100 {
        return Err(
            ApiError::unprocessable(vec!["name must be 1 to 100 characters".into()]).into(),
        );
    }
    if req.expires_at.is_some_and(|t| t <= now) {
        return Err(ApiError::unprocessable(vec!["expires_at is in the past".into()]).into());
    }
    let plain = secrets::generate().map_err(ApiError::internal)?;
    let s = state.clone();
    let actor = caller.actor.clone();
    let secret_plain = plain.clone();
    let row = state
        .db
        .run(move |conn| {
            conn.transaction(|conn| {
                let client = client_rows::find(conn, &id)?;
                let view = crate::clients::Client::from(&client);
                let allowed = super::clients::refuse_configured(&client.managed_by)
                    .and_then(|()| super::clients::check_can_manage(&caller, &view));
                if let Err(e) = allowed {
                    return Ok(Err(e));
                }
                if client.token_endpoint_auth_method == "private_key_jwt" {
                    return Ok(Err(ApiError::unprocessable(vec![
                        "a private_key_jwt client authenticates with its key, not a secret".into(),
                    ])));
                }
                if client.client_type != "confidential" {
                    return Ok(Err(ApiError::unprocessable(vec![
                        "a public client has no secrets".into(),
                    ])));
                }
                let row = secrets::new_row(
                    &s.master,
                    &client.id,
                    &name,
                    &secret_plain,
                    req.expires_at,
                    now,
                );
                client_rows::insert_secret(conn, &row)?;
                audit::record(
                    conn,
                    &actor,
                    "secret.created",
                    "client",
                    &client.client_id,
                    json!({"secret_id": row.id, "name": row.name, "expires_at": req.expires_at}),
                    now,
                )?;
                Ok(Ok(row))
            })
        })
        .await
        .map_err(not_found("client"))??;
    super::clients::reload_clients(&state).await?;
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
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, actix_web::Error> {
    caller.require(WRITE)?;
    let (id, secret_id) = path.into_inner();
    let actor = caller.actor.clone();
    state
        .db
        .run(move |conn| {
            conn.transaction(|conn| {
                let client = client_rows::find(conn, &id)?;
                let now = Utc::now();
                client_rows::revoke_secret(conn, &id, &secret_id, now.naive_utc())?;
                audit::record(
                    conn,
                    &actor,
                    "secret.revoked",
                    "client",
                    &client.client_id,
                    json!({"secret_id": secret_id}),
                    now,
                )
            })
        })
        .await
        .map_err(not_found("secret"))?;
    super::clients::reload_clients(&state).await?;
    Ok(HttpResponse::NoContent().finish())
}
