//! `/admin/v1/clients/{id}/trust-policies`: the outside issuers whose workload tokens stand for
//! a service account (workload identity).

use actix_web::{web, HttpResponse};
use chrono::Utc;

use super::auth::Caller;
use super::error::ApiError;
use crate::domain::workload::{NewPolicy, Policy};
use crate::domain::Core;

const READ: &str = "admin:clients:read";
const WRITE: &str = "admin:clients:write";

/// `GET /admin/v1/clients/{id}/trust-policies`
#[utoipa::path(get, path = "/admin/v1/clients/{id}/trust-policies", tag = "trust-policies",
    params(("id" = String, Path)), responses((status = 200, body = Vec<Policy>)), security(("bearer" = [])))]
pub async fn list_policies(
    caller: Caller,
    state: web::Data<Core>,
    id: web::Path<String>,
) -> Result<HttpResponse, actix_web::Error> {
    caller.require(READ)?;
    let policies = state
        .client_service()
        .policies(&caller.acting, id.into_inner())
        .await
        .map_err(ApiError::from)?;
    Ok(HttpResponse::Ok().json(policies))
}

/// `POST /admin/v1/clients/{id}/trust-policies`
#[utoipa::path(post, path = "/admin/v1/clients/{id}/trust-policies", tag = "trust-policies",
    params(("id" = String, Path)), request_body = NewPolicy,
    responses((status = 201, body = Policy)), security(("bearer" = [])))]
pub async fn create_policy(
    caller: Caller,
    state: web::Data<Core>,
    id: web::Path<String>,
    body: web::Json<NewPolicy>,
) -> Result<HttpResponse, actix_web::Error> {
    caller.require(WRITE)?;
    let policy = state
        .client_service()
        .add_policy(
            &caller.acting,
            id.into_inner(),
            body.into_inner(),
            Utc::now(),
        )
        .await
        .map_err(ApiError::from)?;
    Ok(HttpResponse::Created().json(policy))
}

/// `DELETE /admin/v1/clients/{id}/trust-policies/{policy_id}`
#[utoipa::path(delete, path = "/admin/v1/clients/{id}/trust-policies/{policy_id}", tag = "trust-policies",
    params(("id" = String, Path), ("policy_id" = String, Path)),
    responses((status = 204)), security(("bearer" = [])))]
pub async fn delete_policy(
    caller: Caller,
    state: web::Data<Core>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, actix_web::Error> {
    caller.require(WRITE)?;
    let (id, policy_id) = path.into_inner();
    state
        .client_service()
        .delete_policy(&caller.acting, id, policy_id, Utc::now())
        .await
        .map_err(ApiError::from)?;
    Ok(HttpResponse::NoContent().finish())
}
