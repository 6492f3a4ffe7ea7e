//! `/admin/v1/clients`: list, create, get, partial update, delete, bulk token revocation.

use actix_web::{web, HttpResponse};
use chrono::Utc;
use diesel::Connection;
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};

use super::auth::Caller;
use super::error::ApiError;
use super::page::{Page, PageQuery};
use crate::audit;
use crate::clients::service::{self, client_summary};
use crate::clients::Client;
use crate::server::AppState;
use crate::storage::clients as client_rows;
use crate::storage::{new_row_id, StoreError};

const READ: &str = "admin:clients:read";
const WRITE: &str = "admin:clients:write";

/// `POST /admin/v1/clients` body. Omitted fields take the defaults shown.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateClientRequest {
    /// Generated (a UUID) when omitted.
    pub client_id: Option<String>,
    /// Display name.
    pub name: String,
    /// Free text (default empty).
    pub description: Option<String>,
    /// `confidential` (default) or `public`.
    pub client_type: Option<String>,
    /// Default `["client_credentials"]`.
    pub grant_types: Option<Vec<String>>,
    /// Scopes it may ask for (default none).
    pub scopes: Option<Vec<String>>,
    /// Scopes granted when a request names none (default none).
    pub default_scopes: Option<Vec<String>>,
    /// Audiences it may ask for (default none).
    pub audiences: Option<Vec<String>>,
    /// Token lifetime (default: the server's).
    pub token_ttl_seconds: Option<i64>,
    /// Default `client_secret_basic` (confidential) or `none` (public).
    pub token_endpoint_auth_method: Option<String>,
    /// Default true: Castellan is for machine identities.
    pub is_service_account: Option<bool>,
    /// Default false.
    pub is_admin_service_account: Option<bool>,
    /// Public keys (JWKS) for `private_key_jwt`.
    #[schema(value_type = Option<Object>)]
    pub jwks: Option<serde_json::Value>,
    /// Default true.
    pub active: Option<bool>,
}

/// `PATCH /admin/v1/clients/{id}` body: fields not sent keep their values.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateClientRequest {
    /// Cannot change; accepted only when equal to the current value.
    pub client_id: Option<String>,
    /// Display name.
    pub name: Option<String>,
    /// Free text.
    pub description: Option<String>,
    /// `confidential` or `public`.
    pub client_type: Option<String>,
    /// Grant types.
    pub grant_types: Option<Vec<String>>,
    /// Scopes it may ask for.
    pub scopes: Option<Vec<String>>,
    /// Default scopes.
    pub default_scopes: Option<Vec<String>>,
    /// Audiences it may ask for.
    pub audiences: Option<Vec<String>>,
    /// Token lifetime; `null` returns to the server default.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<i64>)]
    pub token_ttl_seconds: Option<Option<i64>>,
    /// How it authenticates.
    pub token_endpoint_auth_method: Option<String>,
    /// Service account flag.
    pub is_service_account: Option<bool>,
    /// Admin service account flag.
    pub is_admin_service_account: Option<bool>,
    /// Public keys (JWKS) for `private_key_jwt`; `null` removes them.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<Object>)]
    pub jwks: Option<Option<serde_json::Value>>,
    /// Enabled.
    pub active: Option<bool>,
}

/// Tells "absent" (outer None) from "null" (Some(None)).
pub(super) fn double_option<'de, D, T>(de: D) -> Result<Option<Option<T>>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(de).map(Some)
}

/// A client just created; a confidential client's first secret appears here, once.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CreatedClientResponse {
    /// The client.
    #[serde(flatten)]
    pub client: Client,
    /// The first secret (confidential clients only). Shown once.
    pub client_secret: Option<String>,
    /// Its id, for rotation and revocation.
    pub client_secret_id: Option<String>,
}

/// `POST /admin/v1/clients/{id}/revoke-tokens` answer.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct RevokeTokensResponse {
    /// Tokens issued at or before this instant are refused.
    pub tokens_revoked_before: chrono::DateTime<Utc>,
}

/// CONTRACT: no principal grants what it does not hold. Castellan's own privileges (the admin
/// scopes and the admin flag) can be given only by a caller who holds them.
fn check_grantable(
    caller: &Caller,
    after: &Client,
    before: Option<&Client>,
) -> Result<(), ApiError> {
    let admin_scopes = crate::admin_scopes();
    for scope in after
        .scopes
        .iter()
        .filter(|s| admin_scopes.contains(&s.as_str()))
    {
        let already = before.is_some_and(|b| b.scopes.contains(scope));
        if !already && !caller.holds(scope) {
            return Err(ApiError::forbidden(format!(
                "you cannot grant the scope {scope:?}: you do not hold it"
            )));
        }
    }
    let newly_admin =
        after.is_admin_service_account && !before.is_some_and(|b| b.is_admin_service_account);
    if newly_admin && !caller.is_admin_service_account() {
        return Err(ApiError::forbidden(
            "only an admin service account can make another admin service account",
        ));
    }
    Ok(())
}

/// CONTRACT: no principal grants what it does not hold — nor takes over a client that holds
/// more than it does. Changing a client, or giving it a new credential (a secret, a key), is
/// allowed only to a caller that holds every admin privilege that client holds; otherwise a
/// narrow caller could mint a secret for a broad client and then act as it.
pub(super) fn check_can_manage(caller: &Caller, target: &Client) -> Result<(), ApiError> {
    let admin_scopes = crate::admin_scopes();
    if let Some(scope) = target
        .scopes
        .iter()
        .find(|s| admin_scopes.contains(&s.as_str()) && !caller.holds(s))
    {
        return Err(ApiError::forbidden(format!(
            "this client holds the scope {scope:?}, which you do not hold"
        )));
    }
    if target.is_admin_service_account && !caller.is_admin_service_account() {
        return Err(ApiError::forbidden(
            "this client is an admin service account and you are not",
        ));
    }
    Ok(())
}

/// A client declared in the configuration file is changed there, not here.
pub(super) fn refuse_configured(managed_by: &str) -> Result<(), ApiError> {
    if managed_by == "config" {
        return Err(ApiError::conflict(
            "this client is declared in the configuration file: change it there",
        ));
    }
    Ok(())
}

/// Reloads the token endpoint's in-memory clients after a change, so it takes effect at once.
pub(super) async fn reload_clients(state: &web::Data<AppState>) -> Result<(), ApiError> {
    let s = state.clone();
    state.db.run(move |conn| s.clients.reload(conn)).await?;
    Ok(())
}

/// `GET /admin/v1/clients`
#[utoipa::path(get, path = "/admin/v1/clients", tag = "clients", params(PageQuery),
    responses((status = 200, body = Page<Client>)), security(("bearer" = [])))]
pub async fn list_clients(
    caller: Caller,
    state: web::Data<AppState>,
    query: web::Query<PageQuery>,
) -> Result<HttpResponse, actix_web::Error> {
    caller.require(READ)?;
    let (limit, offset) = query.into_inner().resolve()?;
    let rows = state
        .db
        .run(move |conn| client_rows::list(conn, limit, offset))
        .await
        .map_err(ApiError::from)?;
    let items: Vec<Client> = rows.iter().map(Client::from).collect();
    Ok(HttpResponse::Ok().json(Page::new(items, limit, offset)))
}

/// `POST /admin/v1/clients`
#[utoipa::path(post, path = "/admin/v1/clients", tag = "clients", request_body = CreateClientRequest,
    responses((status = 201, body = CreatedClientResponse), (status = 409), (status = 422)), security(("bearer" = [])))]
pub async fn create_client(
    caller: Caller,
    state: web::Data<AppState>,
    body: web::Json<CreateClientRequest>,
) -> Result<HttpResponse, actix_web::Error> {
    caller.require(WRITE)?;
    let req = body.into_inner();
    let now = Utc::now();
    let client_type = req.client_type.unwrap_or_else(|| "confidential".into());
    let default_method = if client_type == "public" {
        "none"
    } else {
        "client_secret_basic"
    };
    let client = Client {
        id: new_row_id(),
        client_id: req
            .client_id
            .unwrap_or_else(|| uuid::Uuid::new_v4().to_string()),
        name: req.name,
        description: req.description.unwrap_or_default(),
        token_endpoint_auth_method: req
            .token_endpoint_auth_method
            .unwrap_or_else(|| default_method.into()),
        client_type,
        grant_types: req
            .grant_types
            .unwrap_or_else(|| vec!["client_credentials".into()]),
        scopes: req.scopes.unwrap_or_default(),
        default_scopes: req.default_scopes.unwrap_or_default(),
        audiences: req.audiences.unwrap_or_default(),
        token_ttl_seconds: req.token_ttl_seconds,
        is_service_account: req.is_service_account.unwrap_or(true),
        is_admin_service_account: req.is_admin_service_account.unwrap_or(false),
        active: req.active.unwrap_or(true),
        tokens_revoked_before: None,
        created_at: now,
        updated_at: now,
        managed_by: "api".into(),
        jwks: req.jwks,
    };
    check_grantable(&caller, &client, None)?;
    let s = state.clone();
    let actor = caller.actor.clone();
    let created = state
        .db
        .run(move |conn| {
            Ok(service::create(
                conn,
                &s.master,
                client,
                None,
                s.settings.token.max_ttl_seconds,
                &actor,
                now,
            ))
        })
        .await
        .map_err(ApiError::from)?
        .map_err(ApiError::from)?;
    reload_clients(&state).await?;
    let (client_secret_id, client_secret) = match created.secret {
        Some((row, plain)) => (Some(row.id), Some(plain)),
        None => (None, None),
    };
    Ok(HttpResponse::Created()
        .insert_header(("Cache-Control", "no-store"))
        .json(CreatedClientResponse {
            client: created.client,
            client_secret,
            client_secret_id,
        }))
}

/// `GET /admin/v1/clients/{id}`
#[utoipa::path(get, path = "/admin/v1/clients/{id}", tag = "clients", params(("id" = String, Path)),
    responses((status = 200, body = Client), (status = 404)), security(("bearer" = [])))]
pub async fn get_client(
    caller: Caller,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, actix_web::Error> {
    caller.require(READ)?;
    let row = state
        .db
        .run(move |conn| client_rows::find(conn, &id))
        .await
        .map_err(not_found)?;
    Ok(HttpResponse::Ok().json(Client::from(&row)))
}

fn not_found(e: StoreError) -> ApiError {
    match e {
        StoreError::NotFound => ApiError::not_found("client"),
        other => other.into(),
    }
}

/// The changed fields, before and after (never a secret: clients hold none).
fn diff(before: &Client, after: &Client) -> Value {
    let (b, a) = (client_summary(before), client_summary(after));
    let mut changes = Map::new();
    if let (Value::Object(b), Value::Object(a)) = (b, a) {
        for (key, new) in a {
            let old = b.get(&key).cloned().unwrap_or(Value::Null);
            if old != new {
                changes.insert(key, json!({"before": old, "after": new}));
            }
        }
    }
    Value::Object(changes)
}

/// `PATCH /admin/v1/clients/{id}`: partial; fields not sent keep their values.
#[utoipa::path(patch, path = "/admin/v1/clients/{id}", tag = "clients", params(("id" = String, Path)),
    request_body = UpdateClientRequest, responses((status = 200, body = Client), (status = 404), (status = 422)),
    security(("bearer" = [])))]
pub async fn update_client(
    caller: Caller,
    state: web::Data<AppState>,
    id: web::Path<String>,
    body: web::Json<UpdateClientRequest>,
) -> Result<HttpResponse, actix_web::Error> {
    caller.require(WRITE)?;
    let req = body.into_inner();
    let id = id.into_inner();
    let lookup = id.clone();
    let before = Client::from(
        &state
            .db
            .run(move |conn| client_rows::find(conn, &lookup))
            .await
            .map_err(not_found)?,
    );
    refuse_configured(&before.managed_by)?;
    check_can_manage(&caller, &before)?;
    if req
        .client_id
        .as_ref()
        .is_some_and(|c| *c != before.client_id)
    {
        return Err(ApiError::unprocessable(vec!["client_id cannot change".into()]).into());
    }
    let mut after = before.clone();
    macro_rules! merge {
        ($($field:ident),*) => { $( if let Some(v) = req.$field { after.$field = v; } )* };
    }
    merge!(
        name,
        description,
        client_type,
        grant_types,
        scopes,
        default_scopes,
        audiences,
        token_ttl_seconds,
        token_endpoint_auth_method,
        is_service_account,
        is_admin_service_account,
        active,
        jwks
    );
    after.updated_at = Utc::now();
    // Validated after the merge; a change that breaks a rule is refused, never repaired.
    after
        .validate(state.settings.token.max_ttl_seconds)
        .map_err(ApiError::unprocessable)?;
    check_grantable(&caller, &after, Some(&before))?;
    let changes = diff(&before, &after);
    let actor = caller.actor.clone();
    let row = after.to_row();
    let flag = (
        before.is_admin_service_account,
        after.is_admin_service_account,
    );
    let now = after.updated_at;
    let target = after.client_id.clone();
    state
        .db
        .run(move |conn| {
            conn.transaction(|conn| {
                client_rows::update(conn, &row)?;
                audit::record(
                    conn,
                    &actor,
                    "client.updated",
                    "client",
                    &target,
                    json!({"changes": changes}),
                    now,
                )?;
                if flag.0 != flag.1 {
                    let action = if flag.1 {
                        "client.admin_flag_set"
                    } else {
                        "client.admin_flag_cleared"
                    };
                    audit::record(
                        conn,
                        &actor,
                        action,
                        "client",
                        &target,
                        json!({"is_admin_service_account": {"before": flag.0, "after": flag.1}}),
                        now,
                    )?;
                }
                Ok(())
            })
        })
        .await
        .map_err(not_found)?;
    reload_clients(&state).await?;
    Ok(HttpResponse::Ok().json(after))
}

/// `DELETE /admin/v1/clients/{id}`
#[utoipa::path(delete, path = "/admin/v1/clients/{id}", tag = "clients", params(("id" = String, Path)),
    responses((status = 204), (status = 404)), security(("bearer" = [])))]
pub async fn delete_client(
    caller: Caller,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, actix_web::Error> {
    caller.require(WRITE)?;
    let actor = caller.actor.clone();
    state
        .db
        .run(move |conn| {
            conn.transaction(|conn| {
                if let Err(e) = refuse_configured(&client_rows::find(conn, &id)?.managed_by) {
                    return Ok(Err(e));
                }
                let row = client_rows::delete(conn, &id)?;
                let summary = client_summary(&Client::from(&row));
                audit::record(
                    conn,
                    &actor,
                    "client.deleted",
                    "client",
                    &row.client_id,
                    json!({"before": summary}),
                    Utc::now(),
                )?;
                Ok(Ok(()))
            })
        })
        .await
        .map_err(not_found)??;
    reload_clients(&state).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// `POST /admin/v1/clients/{id}/revoke-tokens`: every token issued to the client until now
/// stops being accepted.
#[utoipa::path(post, path = "/admin/v1/clients/{id}/revoke-tokens", tag = "clients", params(("id" = String, Path)),
    responses((status = 200, body = RevokeTokensResponse), (status = 404)), security(("bearer" = [])))]
pub async fn revoke_client_tokens(
    caller: Caller,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, actix_web::Error> {
    caller.require(WRITE)?;
    let actor = caller.actor.clone();
    let now = Utc::now();
    state
        .db
        .run(move |conn| {
            conn.transaction(|conn| {
                let row = client_rows::find(conn, &id)?;
                client_rows::set_tokens_revoked_before(conn, &id, now.naive_utc())?;
                audit::record(
                    conn,
                    &actor,
                    "client.tokens_revoked",
                    "client",
                    &row.client_id,
                    json!({"tokens_revoked_before": now}),
                    now,
                )
            })
        })
        .await
        .map_err(not_found)?;
    reload_clients(&state).await?;
    Ok(HttpResponse::Ok().json(RevokeTokensResponse {
        tokens_revoked_before: now,
    }))
}
