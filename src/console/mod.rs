//! The console at `/console`: server-rendered pages for people, a first-party client of the
//! authorization_code + PKCE flow. Every page is an adapter over the domain services, like the
//! admin API: extract the caller ([`auth::ConsoleCaller`]), call the domain, render.
//!
//! Every answer carries a strict Content-Security-Policy (no inline script or style, nothing
//! from elsewhere); every form carries the session's CSRF token; a successful form answers
//! with a redirect (Post/Redirect/Get), except the pages that show a new secret once.

pub mod assets;
mod audit;
pub mod auth;
mod clients;
mod detail;
mod feedback;
mod groups;
mod keys;
mod lists;
mod members;
mod orgs;
pub mod page;
mod secrets;
mod signin;
#[cfg(test)]
mod testing;
mod trust;
mod users;

use actix_web::{middleware, web, HttpResponse};

/// Mounts `/console`.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope("/console")
            .wrap(middleware::from_fn(assets::security_headers))
            .configure(auth::routes)
            .route("", web::get().to(overview))
            .route("/", web::get().to(overview))
            .route("/static/{name}", web::get().to(assets::get_static))
            .route("/orgs", web::get().to(orgs::list))
            .route("/orgs", web::post().to(orgs::create))
            .route("/orgs/{id}/active", web::post().to(orgs::set_active))
            .route("/clients", web::get().to(clients::list))
            .route("/clients", web::post().to(clients::create))
            .route("/clients/{id}", web::get().to(detail::get))
            .route("/clients/{id}/active", web::post().to(detail::set_active))
            .route(
                "/clients/{id}/admin-flag",
                web::post().to(detail::set_admin_flag),
            )
            .route(
                "/clients/{id}/revoke-tokens",
                web::post().to(detail::revoke_tokens),
            )
            .route("/clients/{id}/secrets", web::post().to(secrets::add))
            .route(
                "/clients/{id}/secrets/{secret_id}/revoke",
                web::post().to(secrets::revoke),
            )
            .route("/clients/{id}/trust-policies", web::post().to(trust::add))
            .route(
                "/clients/{id}/trust-policies/{policy_id}/delete",
                web::post().to(trust::delete),
            )
            .route("/groups", web::get().to(groups::list))
            .route("/groups", web::post().to(groups::create))
            .route("/groups/{id}", web::get().to(members::get))
            .route("/groups/{id}/members", web::post().to(members::add))
            .route(
                "/groups/{id}/members/{member}/remove",
                web::post().to(members::remove),
            )
            .route("/users", web::get().to(users::list))
            .route("/users", web::post().to(users::create))
            .route("/users/{id}/active", web::post().to(users::set_active))
            .route("/audit", web::get().to(audit::list))
            .route("/keys", web::get().to(keys::list))
            .route("/keys/rotate", web::post().to(keys::rotate))
            .default_service(web::to(assets::not_found)),
    );
}

/// `GET /console`: the first section the person may read, service accounts first (where
/// people spend their time); with none, the service accounts page says which scope is
/// missing.
async fn overview(caller: auth::ConsoleCaller) -> HttpResponse {
    let sections = [
        ("admin:clients:read", "/console/clients"),
        ("admin:orgs:read", "/console/orgs"),
        ("admin:groups:read", "/console/groups"),
        ("admin:users:read", "/console/users"),
        ("admin:audit:read", "/console/audit"),
        ("admin:keys:write", "/console/keys"),
    ];
    let to = sections
        .iter()
        .find(|(scope, _)| caller.acting.powers.allows(scope))
        .map_or("/console/clients", |(_, path)| path);
    page::see_other(to)
}
