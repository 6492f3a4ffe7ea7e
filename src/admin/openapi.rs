//! `GET /admin/v1/openapi.json`, generated from the handlers' annotations.

use actix_web::HttpResponse;
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
                        "A Castellan access token with the admin audience and a covering scope",
                    ))
                    .build(),
            ),
        );
    }
}

/// The document.
#[derive(OpenApi)]
#[openapi(
    info(title = "Castellan admin API", description = "Service accounts, secrets, users, audit and keys. Errors are RFC 9457 problem details."),
    paths(
        super::clients::list_clients, super::clients::create_client, super::clients::get_client,
        super::clients::update_client, super::clients::delete_client, super::clients::revoke_client_tokens,
        super::secrets::list_secrets, super::secrets::create_secret, super::secrets::revoke_secret,
        super::users::list_users, super::users::create_user, super::users::get_user,
        super::users::update_user, super::users::delete_user, super::users::change_my_password,
        super::audit::list_audit_events, super::keys::list_keys, super::keys::rotate_keys,
        super::keys::revoke_key,
    ),
    modifiers(&BearerAuth)
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
