//! `GET /admin/v1/openapi.json`, generated from the handlers' annotations; the error
//! responses and the scope each operation needs come from one table in `operations`.

mod operations;
mod table;

use operations::ErrorsAndScopes;

use actix_web::HttpResponse;
use serde::Serialize;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .description(Some(
                        "A Castellan access token (client_credentials at `/oauth2/token`) with \
                         the admin audience and a covering scope. The scopes named in an \
                         operation's `security` are alternatives: the part's own scope \
                         (`admin:clients:read`, `admin:clients:write`, `admin:users:read`, \
                         `admin:users:write`, `admin:orgs:read`, `admin:orgs:write`, \
                         `admin:groups:read`, `admin:groups:write`, `admin:audit:read`, \
                         `admin:keys:write`) or `admin`, which covers all. A caller acts on \
                         its own organization and those below it; anything else is 404.",
                    ))
                    .build(),
            ),
        );
    }
}

/// An RFC 9457 problem document: every admin API error is one, sent as
/// `application/problem+json` with `Cache-Control: no-store`.
#[derive(Serialize, utoipa::ToSchema)]
#[allow(dead_code)] // Describes what `error.rs` and `resource::AuthError` send.
pub struct Problem {
    /// The problem type, a URI reference: `about:blank`, or for bearer-token problems
    /// `urn:castellan:problem:invalid-token`, `…:insufficient-scope`, `…:invalid-request`,
    /// `…:users-only`.
    #[serde(rename = "type")]
    #[schema(format = "uri-reference", example = "about:blank")]
    kind: String,
    /// A short summary of the problem type (the status's reason phrase).
    #[schema(example = "Unprocessable content")]
    title: String,
    /// The HTTP status code.
    #[schema(example = 422)]
    status: u16,
    /// What went wrong with this request, for a person. Never a secret.
    #[schema(example = "scopes must be a subset of what the caller holds")]
    detail: String,
    /// A URI reference for this occurrence. Not sent today; reserved by RFC 9457.
    #[schema(format = "uri-reference")]
    instance: Option<String>,
    /// On a 422: each broken rule, one string each.
    errors: Option<Vec<String>>,
}

/// The document.
#[derive(OpenApi)]
#[openapi(
    info(title = "Castellan admin API", description = "Service accounts, secrets, users, audit and keys. \
        Every call needs `Authorization: Bearer` with a token this server minted for the admin audience \
        and a covering scope (each operation names it). Errors are RFC 9457 problem details \
        (`application/problem+json`, schema `Problem`)."),
    paths(
        super::clients::list_clients, super::clients::create_client, super::clients::get_client,
        super::clients::update_client, super::clients::delete_client, super::clients::revoke_client_tokens,
        super::secrets::list_secrets, super::secrets::create_secret, super::secrets::revoke_secret,
        super::users::list_users, super::users::create_user, super::users::get_user,
        super::users::update_user, super::users::delete_user, super::users::change_my_password,
        super::audit::list_audit_events, super::keys::list_keys, super::keys::rotate_keys,
        super::keys::revoke_key, super::clients::client_permissions, super::users::user_permissions,
        super::orgs::list_orgs, super::orgs::create_org, super::orgs::get_org, super::orgs::update_org,
        super::orgs::delete_org, super::groups::list_groups, super::groups::create_group,
        super::groups::get_group, super::groups::update_group, super::groups::delete_group,
        super::groups::list_members, super::groups::add_member, super::groups::remove_member,
        super::trust::list_policies, super::trust::create_policy, super::trust::delete_policy,
    ),
    components(schemas(Problem)),
    modifiers(&BearerAuth, &ErrorsAndScopes)
)]
pub struct AdminApiDoc;

/// `GET /admin/v1/openapi.json` (public: it describes the API, holds no data).
pub async fn get_openapi() -> HttpResponse {
    match AdminApiDoc::openapi().to_json() {
        Ok(json) => HttpResponse::Ok()
            .content_type("application/json")
            .body(json),
        Err(e) => actix_web::ResponseError::error_response(&super::error::ApiError::internal(e)),
    }
}
