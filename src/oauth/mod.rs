//! The OAuth 2.0 endpoints: token, introspection, revocation, discovery, JWKS.

pub use crate::resource::claims;
pub mod authorize;
pub mod client_auth;
pub mod discovery;
pub mod error;
pub mod grants;
pub mod introspect;
pub mod ratelimit;
pub mod request;
pub mod revocations;
pub mod revoke;
pub mod token;

use actix_web::web;

/// Mounts the OAuth routes.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/oauth2/authorize")
            .route(web::get().to(authorize::get_authorize))
            .route(web::post().to(authorize::post_authorize)),
    )
    .service(
        web::resource("/oauth2/logout")
            .route(web::post().to(authorize::post_logout))
            .default_service(web::to(token::method_not_allowed)),
    )
    .service(
        web::resource("/oauth2/token")
            .route(web::post().to(token::post_token))
            .default_service(web::to(token::method_not_allowed)),
    )
    .service(
        web::resource("/oauth2/introspect")
            .route(web::post().to(introspect::post_introspect))
            .default_service(web::to(token::method_not_allowed)),
    )
    .service(
        web::resource("/oauth2/revoke")
            .route(web::post().to(revoke::post_revoke))
            .default_service(web::to(token::method_not_allowed)),
    )
    .route("/.well-known/jwks.json", web::get().to(discovery::get_jwks))
    .route(
        "/oauth2/revocations",
        web::get().to(revocations::get_revocations),
    )
    .route(
        "/.well-known/oauth-authorization-server",
        web::get().to(discovery::get_metadata),
    )
    .route(
        "/.well-known/openid-configuration",
        web::get().to(discovery::get_metadata),
    );
}
