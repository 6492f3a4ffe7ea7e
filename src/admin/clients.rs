//! `/admin/v1/clients`: list, create, get, partial update, delete, bulk token revocation.

use actix_web::{web, HttpResponse};
use chrono::Utc;

use super::auth::Caller;
use super::error::ApiError;
use super::page::{OrgPageQuery, Page};
use crate::domain::clients::Client;
use crate::domain::holdings::Permissions;
use crate::domain::Core;

pub(super) use super::clients_wire::double_option;
pub use super::clients_wire::{
    CreateClientRequest, CreatedClientResponse, RevokeTokensResponse, UpdateClientRequest,
};

const READ: &str = "admin:clients:read";
const WRITE: &str = "admin:clients:write";

/// `GET /admin/v1/clients`
#[utoipa::path(get, path = "/admin/v1/clients", tag = "clients", params(OrgPageQuery),
    responses((status = 200, body = Page<Client>)), security(("bearer" = [])))]
pub async fn list_clients(
    caller: Caller,
    state: web::Data<Core>,
    query: web::Query<OrgPageQuery>,
) -> Result<HttpResponse, actix_web::Error> {
    caller.require(READ)?;
    let (limit, offset, selector) = query.into_inner().resolve()?;
    let items = state
        .client_service()
        .list(&caller.acting, selector, limit, offset)
        .await
        .map_err(ApiError::from)?;
    Ok(HttpResponse::Ok().json(Page::new(items, limit, offset)))
}

/// `POST /admin/v1/clients`
#[utoipa::path(post, path = "/admin/v1/clients", tag = "clients", request_body = CreateClientRequest,
    responses((status = 201, body = CreatedClientResponse), (status = 409), (status = 422)), security(("bearer" = [])))]
pub async fn create_client(
    caller: Caller,
    state: web::Data<Core>,
    body: web::Json<CreateClientRequest>,
) -> Result<HttpResponse, actix_web::Error> {
    caller.require(WRITE)?;
    let now = Utc::now();
    let body = body.into_inner();
    let org = body.org_id.clone();
    let client = body.into_client(now);
    let created = state
        .client_service()
        .create(&caller.acting, client, org, now)
        .await
        .map_err(ApiError::from)?;
    Ok(HttpResponse::Created()
        .insert_header(("Cache-Control", "no-store"))
        .json(CreatedClientResponse::from(created)))
}

/// `GET /admin/v1/clients/{id}`
#[utoipa::path(get, path = "/admin/v1/clients/{id}", tag = "clients", params(("id" = String, Path)),
    responses((status = 200, body = Client), (status = 404)), security(("bearer" = [])))]
pub async fn get_client(
    caller: Caller,
    state: web::Data<Core>,
    id: web::Path<String>,
) -> Result<HttpResponse, actix_web::Error> {
    caller.require(READ)?;
    let client = state
        .client_service()
        .get(&caller.acting, id.into_inner())
        .await
        .map_err(ApiError::from)?;
    Ok(HttpResponse::Ok().json(client))
}

/// `GET /admin/v1/clients/{id}/permissions`: what the client holds and where each item comes
/// from (its own grants, or which group).
#[utoipa::path(get, path = "/admin/v1/clients/{id}/permissions", tag = "clients", params(("id" = String, Path)),
    responses((status = 200, body = Permissions), (status = 404)), security(("bearer" = [])))]
pub async fn client_permissions(
    caller: Caller,
    state: web::Data<Core>,
    id: web::Path<String>,
) -> Result<HttpResponse, actix_web::Error> {
    caller.require(READ)?;
    let permissions = state
        .client_service()
        .permissions(&caller.acting, id.into_inner())
        .await
        .map_err(ApiError::from)?;
    Ok(HttpResponse::Ok().json(permissions))
}

/// `PATCH /admin/v1/clients/{id}`: partial; fields not sent keep their values. A promotion
/// to admin answers with the one new secret, as `client_secret`.
#[utoipa::path(patch, path = "/admin/v1/clients/{id}", tag = "clients", params(("id" = String, Path)),
    request_body = UpdateClientRequest, responses((status = 200, body = CreatedClientResponse), (status = 404), (status = 422)),
    security(("bearer" = [])))]
pub async fn update_client(
    caller: Caller,
    state: web::Data<Core>,
    id: web::Path<String>,
    body: web::Json<UpdateClientRequest>,
) -> Result<HttpResponse, actix_web::Error> {
    caller.require(WRITE)?;
    let updated = state
        .client_service()
        .update(
            &caller.acting,
            id.into_inner(),
            body.into_inner().into(),
            Utc::now(),
        )
        .await
        .map_err(ApiError::from)?;
    let promoted = updated.secret.is_some();
    let mut res = HttpResponse::Ok();
    if promoted {
        res.insert_header(("Cache-Control", "no-store"));
    }
    Ok(res.json(CreatedClientResponse::from(updated)))
}

/// `DELETE /admin/v1/clients/{id}`
#[utoipa::path(delete, path = "/admin/v1/clients/{id}", tag = "clients", params(("id" = String, Path)),
    responses((status = 204), (status = 404)), security(("bearer" = [])))]
pub async fn delete_client(
    caller: Caller,
    state: web::Data<Core>,
    id: web::Path<String>,
) -> Result<HttpResponse, actix_web::Error> {
    caller.require(WRITE)?;
    state
        .client_service()
        .delete(&caller.acting, id.into_inner(), Utc::now())
        .await
        .map_err(ApiError::from)?;
    Ok(HttpResponse::NoContent().finish())
}

/// `POST /admin/v1/clients/{id}/revoke-tokens`: every token issued to the client until now
/// stops being accepted.
#[utoipa::path(post, path = "/admin/v1/clients/{id}/revoke-tokens", tag = "clients", params(("id" = String, Path)),
    responses((status = 200, body = RevokeTokensResponse), (status = 404)), security(("bearer" = [])))]
pub async fn revoke_client_tokens(
    caller: Caller,
    state: web::Data<Core>,
    id: web::Path<String>,
) -> Result<HttpResponse, actix_web::Error> {
    caller.require(WRITE)?;
    let at = state
        .client_service()
        .revoke_tokens(&caller.acting, id.into_inner(), Utc::now())
        .await
        .map_err(ApiError::from)?;
    Ok(HttpResponse::Ok().json(RevokeTokensResponse {
        tokens_revoked_before: at,
    }))
}
