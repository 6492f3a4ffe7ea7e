//! `/admin/v1/orgs`: the organization tree, as far as the caller reaches.

use actix_web::{web, HttpResponse};
use chrono::Utc;

use super::auth::Caller;
use super::error::ApiError;
use super::page::{Page, PageQuery};
use crate::domain::orgs::{NewOrg, Org, OrgPatch};
use crate::domain::Core;

const READ: &str = "admin:orgs:read";
const WRITE: &str = "admin:orgs:write";

/// `GET /admin/v1/orgs`: the caller's organization and those below it.
#[utoipa::path(get, path = "/admin/v1/orgs", tag = "orgs", params(PageQuery),
    responses((status = 200, body = Page<Org>)), security(("bearer" = [])))]
pub async fn list_orgs(
    caller: Caller,
    state: web::Data<Core>,
    query: web::Query<PageQuery>,
) -> Result<HttpResponse, actix_web::Error> {
    caller.require(READ)?;
    let (limit, offset) = query.into_inner().resolve()?;
    let items = state
        .org_service()
        .list(&caller.acting, limit, offset)
        .await
        .map_err(ApiError::from)?;
    Ok(HttpResponse::Ok().json(Page::new(items, limit, offset)))
}

/// `POST /admin/v1/orgs`
#[utoipa::path(post, path = "/admin/v1/orgs", tag = "orgs", request_body = NewOrg,
    responses((status = 201, body = Org)), security(("bearer" = [])))]
pub async fn create_org(
    caller: Caller,
    state: web::Data<Core>,
    body: web::Json<NewOrg>,
) -> Result<HttpResponse, actix_web::Error> {
    caller.require(WRITE)?;
    let org = state
        .org_service()
        .create(&caller.acting, body.into_inner(), Utc::now())
        .await
        .map_err(ApiError::from)?;
    Ok(HttpResponse::Created().json(org))
}

/// `GET /admin/v1/orgs/{id}` (an id or a slug)
#[utoipa::path(get, path = "/admin/v1/orgs/{id}", tag = "orgs", params(("id" = String, Path)),
    responses((status = 200, body = Org)), security(("bearer" = [])))]
pub async fn get_org(
    caller: Caller,
    state: web::Data<Core>,
    id: web::Path<String>,
) -> Result<HttpResponse, actix_web::Error> {
    caller.require(READ)?;
    let org = state
        .org_service()
        .get(&caller.acting, id.into_inner())
        .await
        .map_err(ApiError::from)?;
    Ok(HttpResponse::Ok().json(org))
}

/// `PATCH /admin/v1/orgs/{id}`: rename, disable (everyone in it and below is shut out at
/// once), enable.
#[utoipa::path(patch, path = "/admin/v1/orgs/{id}", tag = "orgs", params(("id" = String, Path)),
    request_body = OrgPatch, responses((status = 200, body = Org)), security(("bearer" = [])))]
pub async fn update_org(
    caller: Caller,
    state: web::Data<Core>,
    id: web::Path<String>,
    body: web::Json<OrgPatch>,
) -> Result<HttpResponse, actix_web::Error> {
    caller.require(WRITE)?;
    let org = state
        .org_service()
        .update(
            &caller.acting,
            id.into_inner(),
            body.into_inner(),
            Utc::now(),
        )
        .await
        .map_err(ApiError::from)?;
    Ok(HttpResponse::Ok().json(org))
}

/// `DELETE /admin/v1/orgs/{id}`: only an empty organization (no principals, groups or
/// children), never root.
#[utoipa::path(delete, path = "/admin/v1/orgs/{id}", tag = "orgs", params(("id" = String, Path)),
    responses((status = 204)), security(("bearer" = [])))]
pub async fn delete_org(
    caller: Caller,
    state: web::Data<Core>,
    id: web::Path<String>,
) -> Result<HttpResponse, actix_web::Error> {
    caller.require(WRITE)?;
    state
        .org_service()
        .delete(&caller.acting, id.into_inner(), Utc::now())
        .await
        .map_err(ApiError::from)?;
    Ok(HttpResponse::NoContent().finish())
}
