//! `/admin/v1/users`: people, in the same identifier space as clients; and `/admin/v1/me`,
//! routes made for people that refuse service-account tokens.

use actix_web::{web, HttpResponse};
use chrono::Utc;
use diesel::Connection;
use serde::Deserialize;
use serde_json::json;

use super::auth::Caller;
use super::error::ApiError;
use super::page::{Page, PageQuery};
use crate::audit;
use crate::identifiers::enforce_username;
use crate::server::AppState;
use crate::storage::users::{self as user_rows, UserRow};
use crate::storage::{new_row_id, StoreError};
use crate::users::{hash_password, validate, verify_password, User};

const READ: &str = "admin:users:read";
const WRITE: &str = "admin:users:write";

/// `POST /admin/v1/users` body.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateUserRequest {
    /// Login name; must not be taken by a user or a client.
    pub username: String,
    /// Name shown to people.
    pub display_name: Option<String>,
    /// Contact address.
    pub email: Option<String>,
    /// Written only; stored as argon2id.
    pub password: Option<String>,
    /// Default true.
    pub active: Option<bool>,
}

/// `PATCH /admin/v1/users/{id}` body: fields not sent keep their values.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateUserRequest {
    /// Cannot change; accepted only when equal to the current value.
    pub username: Option<String>,
    /// Name shown to people.
    pub display_name: Option<String>,
    /// Contact address; `null` clears it.
    #[serde(default, deserialize_with = "super::clients::double_option")]
    #[schema(value_type = Option<String>)]
    pub email: Option<Option<String>>,
    /// A new password (written only).
    pub password: Option<String>,
    /// Enabled.
    pub active: Option<bool>,
}

/// `PUT /admin/v1/me/password` body.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChangePasswordRequest {
    /// The current password.
    pub current_password: String,
    /// The new one.
    pub new_password: String,
}

fn not_found(e: StoreError) -> ApiError {
    match e {
        StoreError::NotFound => ApiError::not_found("user"),
        other => other.into(),
    }
}

/// `GET /admin/v1/users`
#[utoipa::path(get, path = "/admin/v1/users", tag = "users", params(PageQuery),
    responses((status = 200, body = Page<User>)), security(("bearer" = [])))]
pub async fn list_users(
    caller: Caller,
    state: web::Data<AppState>,
    query: web::Query<PageQuery>,
) -> Result<HttpResponse, actix_web::Error> {
    caller.require(READ)?;
    let (limit, offset) = query.into_inner().resolve()?;
    let rows = state
        .db
        .run(move |conn| user_rows::list(conn, limit, offset))
        .await
        .map_err(ApiError::from)?;
    Ok(HttpResponse::Ok().json(Page::new(
        rows.iter().map(User::from).collect(),
        limit,
        offset,
    )))
}

/// `POST /admin/v1/users`
#[utoipa::path(post, path = "/admin/v1/users", tag = "users", request_body = CreateUserRequest,
    responses((status = 201, body = User), (status = 409), (status = 422)), security(("bearer" = [])))]
pub async fn create_user(
    caller: Caller,
    state: web::Data<AppState>,
    body: web::Json<CreateUserRequest>,
) -> Result<HttpResponse, actix_web::Error> {
    caller.require(WRITE)?;
    let req = body.into_inner();
    let now = Utc::now().naive_utc();
    // Stored in its RFC 8265 enforced form: `Alice` and `ALICE` are the user `alice`.
    let username = enforce_username(&req.username).map_err(|e| ApiError::unprocessable(vec![e]))?;
    let mut row = UserRow {
        id: new_row_id(),
        username,
        principal_kind: "user".into(),
        display_name: req.display_name.unwrap_or_default(),
        email: req.email,
        password_hash: None,
        active: req.active.unwrap_or(true),
        created_at: now,
        updated_at: now,
    };
    validate(&row).map_err(ApiError::unprocessable)?;
    let actor = caller.actor.clone();
    let created = state
        .db
        .run(move |conn| {
            // argon2id is slow by design: it runs here, on the blocking pool.
            if let Some(password) = &req.password {
                match hash_password(password) {
                    Ok(hash) => row.password_hash = Some(hash),
                    Err(errors) => return Ok(Err(ApiError::unprocessable(errors))),
                }
            }
            conn.transaction(|conn| {
                user_rows::insert(conn, &row)?;
                audit::record(
                    conn,
                    &actor,
                    "user.created",
                    "user",
                    &row.username,
                    json!({"after": User::from(&row)}),
                    Utc::now(),
                )
            })?;
            Ok(Ok(row))
        })
        .await
        .map_err(ApiError::from)??;
    Ok(HttpResponse::Created().json(User::from(&created)))
}

/// `GET /admin/v1/users/{id}`
#[utoipa::path(get, path = "/admin/v1/users/{id}", tag = "users", params(("id" = String, Path)),
    responses((status = 200, body = User), (status = 404)), security(("bearer" = [])))]
pub async fn get_user(
    caller: Caller,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, actix_web::Error> {
    caller.require(READ)?;
    let row = state
        .db
        .run(move |conn| user_rows::find(conn, &id))
        .await
        .map_err(not_found)?;
    Ok(HttpResponse::Ok().json(User::from(&row)))
}

/// `PATCH /admin/v1/users/{id}`
#[utoipa::path(patch, path = "/admin/v1/users/{id}", tag = "users", params(("id" = String, Path)),
    request_body = UpdateUserRequest, responses((status = 200, body = User), (status = 404), (status = 422)),
    security(("bearer" = [])))]
pub async fn update_user(
    caller: Caller,
    state: web::Data<AppState>,
    id: web::Path<String>,
    body: web::Json<UpdateUserRequest>,
) -> Result<HttpResponse, actix_web::Error> {
    caller.require(WRITE)?;
    let req = body.into_inner();
    let actor = caller.actor.clone();
    let updated = state
        .db
        .run(move |conn| {
            let before = user_rows::find(conn, &id)?;
            let same = |u: &String| *u == before.username || enforce_username(u).is_ok_and(|e| e == before.username);
            if req.username.as_ref().is_some_and(|u| !same(u)) {
                return Ok(Err(ApiError::unprocessable(vec!["username cannot change".into()])));
            }
            let mut after = before.clone();
            if let Some(v) = req.display_name { after.display_name = v; }
            if let Some(v) = req.email { after.email = v; }
            if let Some(v) = req.active { after.active = v; }
            let password_changed = req.password.is_some();
            if let Some(password) = &req.password {
                match hash_password(password) {
                    Ok(hash) => after.password_hash = Some(hash),
                    Err(errors) => return Ok(Err(ApiError::unprocessable(errors))),
                }
            }
            if let Err(errors) = validate(&after) {
                return Ok(Err(ApiError::unprocessable(errors)));
            }
            after.updated_at = Utc::now().naive_utc();
            conn.transaction(|conn| {
                user_rows::update(conn, &after)?;
                // The password is never part of an event, only the fact that it changed.
                audit::record(conn, &actor, "user.updated", "user", &after.username,
                    json!({"before": User::from(&before), "after": User::from(&after), "password_changed": password_changed}),
                    Utc::now())
            })?;
            Ok(Ok(after))
        })
        .await
        .map_err(not_found)??;
    Ok(HttpResponse::Ok().json(User::from(&updated)))
}

/// `DELETE /admin/v1/users/{id}`
#[utoipa::path(delete, path = "/admin/v1/users/{id}", tag = "users", params(("id" = String, Path)),
    responses((status = 204), (status = 404)), security(("bearer" = [])))]
pub async fn delete_user(
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
                let row = user_rows::delete(conn, &id)?;
                audit::record(
                    conn,
                    &actor,
                    "user.deleted",
                    "user",
                    &row.username,
                    json!({"before": User::from(&row)}),
                    Utc::now(),
                )
            })
        })
        .await
        .map_err(not_found)?;
    Ok(HttpResponse::NoContent().finish())
}

/// `PUT /admin/v1/me/password`: a route made for people. A service account has no password;
/// its token gets a clean 403.
#[utoipa::path(put, path = "/admin/v1/me/password", tag = "users", request_body = ChangePasswordRequest,
    responses((status = 204), (status = 403), (status = 422)), security(("bearer" = [])))]
pub async fn change_my_password(
    caller: Caller,
    state: web::Data<AppState>,
    body: web::Json<ChangePasswordRequest>,
) -> Result<HttpResponse, actix_web::Error> {
    caller.principal.require_user()?;
    let req = body.into_inner();
    let username = caller.principal.subject.clone();
    let actor = caller.actor.clone();
    state
        .db
        .run(move |conn| {
            let mut user = user_rows::find_by_username(conn, &username)?;
            let current_ok = user
                .password_hash
                .as_deref()
                .is_some_and(|h| verify_password(&req.current_password, h));
            if !current_ok {
                return Ok(Err(ApiError::forbidden("the current password is wrong")));
            }
            match hash_password(&req.new_password) {
                Ok(hash) => user.password_hash = Some(hash),
                Err(errors) => return Ok(Err(ApiError::unprocessable(errors))),
            }
            user.updated_at = Utc::now().naive_utc();
            conn.transaction(|conn| {
                user_rows::update(conn, &user)?;
                audit::record(
                    conn,
                    &actor,
                    "user.password_changed",
                    "user",
                    &user.username,
                    json!({}),
                    Utc::now(),
                )
            })?;
            Ok(Ok(()))
        })
        .await
        .map_err(not_found)??;
    Ok(HttpResponse::NoContent().finish())
}
