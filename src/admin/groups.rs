//! `/admin/v1/groups`: groups and their members, as far as the caller reaches.

use actix_web::{web, HttpResponse};
use chrono::Utc;
use serde::Deserialize;

use super::auth::Caller;
use super::error::ApiError;
use super::page::{OrgPageQuery, Page};
use crate::domain::groups::{Group, GroupPatch, Member, NewGroup};
use crate::domain::Core;

const READ: &str = "admin:groups:read";
const WRITE: &str = "admin:groups:write";

/// `POST /admin/v1/groups/{id}/members` body.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AddMemberRequest {
    /// A service account's client_id or a user's username (or either's id), of the group's
    /// organization.
    pub principal: String,
}

/// `GET /admin/v1/groups`
#[utoipa::path(get, path = "/admin/v1/groups", tag = "groups", params(OrgPageQuery),
    responses((status = 200, body = Page<Group>)), security(("bearer" = [])))]
pub async fn list_groups(
    caller: Caller,
    state: web::Data<Core>,
    query: web::Query<OrgPageQuery>,
) -> Result<HttpResponse, actix_web::Error> {
    caller.require(READ)?;
    let (limit, offset, selector) = query.into_inner().resolve()?;
    let items = state
        .group_service()
        .list(&caller.acting, selector, limit, offset)
        .await
        .map_err(ApiError::from)?;
    Ok(HttpResponse::Ok().json(Page::new(items, limit, offset)))
}

/// `POST /admin/v1/groups`
#[utoipa::path(post, path = "/admin/v1/groups", tag = "groups", request_body = NewGroup,
    responses((status = 201, body = Group)), security(("bearer" = [])))]
pub async fn create_group(
    caller: Caller,
    state: web::Data<Core>,
    body: web::Json<NewGroup>,
) -> Result<HttpResponse, actix_web::Error> {
    caller.require(WRITE)?;
    let group = state
        .group_service()
        .create(&caller.acting, body.into_inner(), Utc::now())
        .await
        .map_err(ApiError::from)?;
    Ok(HttpResponse::Created().json(group))
}

/// `GET /admin/v1/groups/{id}`
#[utoipa::path(get, path = "/admin/v1/groups/{id}", tag = "groups", params(("id" = String, Path)),
    responses((status = 200, body = Group)), security(("bearer" = [])))]
pub async fn get_group(
    caller: Caller,
    state: web::Data<Core>,
    id: web::Path<String>,
) -> Result<HttpResponse, actix_web::Error> {
    caller.require(READ)?;
    let group = state
        .group_service()
        .get(&caller.acting, id.into_inner())
        .await
        .map_err(ApiError::from)?;
    Ok(HttpResponse::Ok().json(group))
}

/// `PATCH /admin/v1/groups/{id}`: every member gains or loses what changed, in one change.
#[utoipa::path(patch, path = "/admin/v1/groups/{id}", tag = "groups", params(("id" = String, Path)),
    request_body = GroupPatch, responses((status = 200, body = Group)), security(("bearer" = [])))]
pub async fn update_group(
    caller: Caller,
    state: web::Data<Core>,
    id: web::Path<String>,
    body: web::Json<GroupPatch>,
) -> Result<HttpResponse, actix_web::Error> {
    caller.require(WRITE)?;
    let group = state
        .group_service()
        .update(
            &caller.acting,
            id.into_inner(),
            body.into_inner(),
            Utc::now(),
        )
        .await
        .map_err(ApiError::from)?;
    Ok(HttpResponse::Ok().json(group))
}

/// `DELETE /admin/v1/groups/{id}`
#[utoipa::path(delete, path = "/admin/v1/groups/{id}", tag = "groups", params(("id" = String, Path)),
    responses((status = 204)), security(("bearer" = [])))]
pub async fn delete_group(
    caller: Caller,
    state: web::Data<Core>,
    id: web::Path<String>,
) -> Result<HttpResponse, actix_web::Error> {
    caller.require(WRITE)?;
    state
        .group_service()
        .delete(&caller.acting, id.into_inner(), Utc::now())
        .await
        .map_err(ApiError::from)?;
    Ok(HttpResponse::NoContent().finish())
}

/// `GET /admin/v1/groups/{id}/members`
#[utoipa::path(get, path = "/admin/v1/groups/{id}/members", tag = "groups", params(("id" = String, Path)),
    responses((status = 200, body = Vec<Member>)), security(("bearer" = [])))]
pub async fn list_members(
    caller: Caller,
    state: web::Data<Core>,
    id: web::Path<String>,
) -> Result<HttpResponse, actix_web::Error> {
    caller.require(READ)?;
    let members = state
        .group_service()
        .members(&caller.acting, id.into_inner())
        .await
        .map_err(ApiError::from)?;
    Ok(HttpResponse::Ok().json(members))
}

/// `POST /admin/v1/groups/{id}/members`
#[utoipa::path(post, path = "/admin/v1/groups/{id}/members", tag = "groups", params(("id" = String, Path)),
    request_body = AddMemberRequest, responses((status = 201, body = Member)), security(("bearer" = [])))]
pub async fn add_member(
    caller: Caller,
    state: web::Data<Core>,
    id: web::Path<String>,
    body: web::Json<AddMemberRequest>,
) -> Result<HttpResponse, actix_web::Error> {
    caller.require(WRITE)?;
    let member = state
        .group_service()
        .add_member(
            &caller.acting,
            id.into_inner(),
            body.into_inner().principal,
            Utc::now(),
        )
        .await
        .map_err(ApiError::from)?;
    Ok(HttpResponse::Created().json(member))
}

/// `DELETE /admin/v1/groups/{id}/members/{principal}`
#[utoipa::path(delete, path = "/admin/v1/groups/{id}/members/{principal}", tag = "groups",
    params(("id" = String, Path), ("principal" = String, Path)),
    responses((status = 204)), security(("bearer" = [])))]
pub async fn remove_member(
    caller: Caller,
    state: web::Data<Core>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, actix_web::Error> {
    caller.require(WRITE)?;
    let (id, principal) = path.into_inner();
    state
        .group_service()
        .remove_member(&caller.acting, id, principal, Utc::now())
        .await
        .map_err(ApiError::from)?;
    Ok(HttpResponse::NoContent().finish())
}
