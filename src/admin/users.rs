//! `/admin/v1/users`: people, in the same identifier space as clients; and `/admin/v1/me`,
//! routes made for people that refuse service-account tokens.

use actix_web::{web, HttpResponse};
use chrono::Utc;
use serde::Deserialize;

use super::auth::Caller;
use super::error::ApiError;
use super::page::{OrgPageQuery, Page};
use crate::domain::users::User;
use crate::domain::users::{NewUser, UserPatch};
use crate::domain::Core;

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
    /// Its organization (an id or slug inside the caller's reach); default: the caller's.
    pub org_id: Option<String>,
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
    /// Can't change: accepted only when equal to the current value (else 422).
    pub org_id: Option<String>,
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

/// `GET /admin/v1/users`
#[utoipa::path(get, path = "/admin/v1/users", tag = "users", params(OrgPageQuery),
    responses((status = 200, body = Page<User>)), security(("bearer" = [])))]
pub async fn list_users(
    caller: Caller,
    state: web::Data<Core>,
    query: web::Query<OrgPageQuery>,
) -> Result<HttpResponse, actix_web::Error> {
    caller.require(READ)?;
    let (limit, offset, selector) = query.into_inner().resolve()?;
    let items = state
        .user_service()
        .list(&caller.acting, selector, limit, offset)
        .await
        .map_err(ApiError::from)?;
    Ok(HttpResponse::Ok().json(Page::new(items, limit, offset)))
}

/// `POST /admin/v1/users`
#[utoipa::path(post, path = "/admin/v1/users", tag = "users", request_body = CreateUserRequest,
    responses((status = 201, body = User), (status = 409), (status = 422)), security(("bearer" = [])))]
pub async fn create_user(
    caller: Caller,
    state: web::Data<Core>,
    body: web::Json<CreateUserRequest>,
) -> Result<HttpResponse, actix_web::Error> {
    caller.require(WRITE)?;
    let r = body.into_inner();
    let new = NewUser {
        username: r.username,
        display_name: r.display_name,
        email: r.email,
        password: r.password,
        active: r.active,
        org: r.org_id,
    };
    let user = state
        .user_service()
        .create(&caller.acting, new, Utc::now())
        .await
        .map_err(ApiError::from)?;
    Ok(HttpResponse::Created().json(user))
}

/// `GET /admin/v1/users/{id}`
#[utoipa::path(get, path = "/admin/v1/users/{id}", tag = "users", params(("id" = String, Path)),
    responses((status = 200, body = User), (status = 404)), security(("bearer" = [])))]
pub async fn get_user(
    caller: Caller,
    state: web::Data<Core>,
    id: web::Path<String>,
) -> Result<HttpResponse, actix_web::Error> {
    caller.require(READ)?;
    let user = state
        .user_service()
        .get(&caller.acting, id.into_inner())
        .await
        .map_err(ApiError::from)?;
    Ok(HttpResponse::Ok().json(user))
}

/// `GET /admin/v1/users/{id}/permissions`: what the user holds (through its groups) and
/// where each item comes from.
#[utoipa::path(get, path = "/admin/v1/users/{id}/permissions", tag = "users", params(("id" = String, Path)),
    responses((status = 200, body = crate::domain::holdings::Permissions), (status = 404)), security(("bearer" = [])))]
pub async fn user_permissions(
    caller: Caller,
    state: web::Data<Core>,
    id: web::Path<String>,
) -> Result<HttpResponse, actix_web::Error> {
    caller.require(READ)?;
    let permissions = state
        .user_service()
        .permissions(&caller.acting, id.into_inner())
        .await
        .map_err(ApiError::from)?;
    Ok(HttpResponse::Ok().json(permissions))
}

/// `PATCH /admin/v1/users/{id}`
#[utoipa::path(patch, path = "/admin/v1/users/{id}", tag = "users", params(("id" = String, Path)),
    request_body = UpdateUserRequest, responses((status = 200, body = User), (status = 404), (status = 422)),
    security(("bearer" = [])))]
pub async fn update_user(
    caller: Caller,
    state: web::Data<Core>,
    id: web::Path<String>,
    body: web::Json<UpdateUserRequest>,
) -> Result<HttpResponse, actix_web::Error> {
    caller.require(WRITE)?;
    let r = body.into_inner();
    let patch = UserPatch {
        username: r.username,
        display_name: r.display_name,
        email: r.email,
        password: r.password,
        active: r.active,
        org_id: r.org_id,
    };
    let user = state
        .user_service()
        .update(&caller.acting, id.into_inner(), patch, Utc::now())
        .await
        .map_err(ApiError::from)?;
    Ok(HttpResponse::Ok().json(user))
}

/// `DELETE /admin/v1/users/{id}`
#[utoipa::path(delete, path = "/admin/v1/users/{id}", tag = "users", params(("id" = String, Path)),
    responses((status = 204), (status = 404)), security(("bearer" = [])))]
pub async fn delete_user(
    caller: Caller,
    state: web::Data<Core>,
    id: web::Path<String>,
) -> Result<HttpResponse, actix_web::Error> {
    caller.require(WRITE)?;
    state
        .user_service()
        .delete(&caller.acting, id.into_inner(), Utc::now())
        .await
        .map_err(ApiError::from)?;
    Ok(HttpResponse::NoContent().finish())
}

/// `PUT /admin/v1/me/password`: a route made for people. A service account has no password;
/// its token gets a clean 403.
#[utoipa::path(put, path = "/admin/v1/me/password", tag = "users", request_body = ChangePasswordRequest,
    responses((status = 204), (status = 403), (status = 422)), security(("bearer" = [])))]
pub async fn change_my_password(
    caller: Caller,
    state: web::Data<Core>,
    body: web::Json<ChangePasswordRequest>,
) -> Result<HttpResponse, actix_web::Error> {
    let me = caller.principal.require_user()?.as_str().to_string();
    let r = body.into_inner();
    state
        .user_service()
        .change_own_password(
            &caller.acting,
            me,
            r.current_password,
            r.new_password,
            Utc::now(),
        )
        .await
        .map_err(ApiError::from)?;
    Ok(HttpResponse::NoContent().finish())
}
