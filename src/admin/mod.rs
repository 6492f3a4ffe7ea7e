//! The admin API, `/admin/v1`: JSON over HTTP, guarded by the resource-server module exactly as
//! an outside service would be, errors as RFC 9457 problem details.

mod audit;
pub mod auth;
mod clients;
mod clients_wire;
pub mod error;
mod groups;
mod keys;
mod openapi;
mod orgs;
mod page;
mod secrets;
mod trust;
mod users;

use std::sync::Arc;

use actix_web::web;

use crate::keys::KeyRing;
use crate::resource::{KeySource, OwnKeys, ResourceGuard, StoreDirectory, TokenVerifier};
use crate::storage::Db;

/// The guard the admin API checks tokens with: our own keys in-process, the admin audience,
/// the longest lifetime we mint, and the store as the principal directory.
pub fn guard(
    issuer: &str,
    audience: &str,
    leeway_seconds: u64,
    max_lifetime_seconds: u64,
    keys: Arc<KeyRing>,
    db: Db,
) -> ResourceGuard {
    let verifier = TokenVerifier::new(
        issuer,
        audience,
        leeway_seconds,
        KeySource::Local(Arc::new(OwnKeys(keys))),
    )
    .with_max_lifetime(max_lifetime_seconds);
    ResourceGuard::new(verifier).with_directory(Arc::new(StoreDirectory::new(db)))
}

/// Mounts `/admin/v1`.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope("/admin/v1")
            .app_data(error::json_config())
            .app_data(error::query_config())
            .app_data(error::path_config())
            .route("/openapi.json", web::get().to(openapi::get_openapi))
            .route("/clients", web::get().to(clients::list_clients))
            .route("/clients", web::post().to(clients::create_client))
            .route("/clients/{id}", web::get().to(clients::get_client))
            .route(
                "/clients/{id}/permissions",
                web::get().to(clients::client_permissions),
            )
            .route("/clients/{id}", web::patch().to(clients::update_client))
            .route("/clients/{id}", web::delete().to(clients::delete_client))
            .route(
                "/clients/{id}/revoke-tokens",
                web::post().to(clients::revoke_client_tokens),
            )
            .route(
                "/clients/{id}/secrets",
                web::get().to(secrets::list_secrets),
            )
            .route(
                "/clients/{id}/secrets",
                web::post().to(secrets::create_secret),
            )
            .route(
                "/clients/{id}/secrets/{secret_id}",
                web::delete().to(secrets::revoke_secret),
            )
            .route(
                "/clients/{id}/trust-policies",
                web::get().to(trust::list_policies),
            )
            .route(
                "/clients/{id}/trust-policies",
                web::post().to(trust::create_policy),
            )
            .route(
                "/clients/{id}/trust-policies/{policy_id}",
                web::delete().to(trust::delete_policy),
            )
            .route("/users", web::get().to(users::list_users))
            .route("/users", web::post().to(users::create_user))
            .route("/users/{id}", web::get().to(users::get_user))
            .route(
                "/users/{id}/permissions",
                web::get().to(users::user_permissions),
            )
            .route("/users/{id}", web::patch().to(users::update_user))
            .route("/users/{id}", web::delete().to(users::delete_user))
            .route("/me/password", web::put().to(users::change_my_password))
            .route("/orgs", web::get().to(orgs::list_orgs))
            .route("/orgs", web::post().to(orgs::create_org))
            .route("/orgs/{id}", web::get().to(orgs::get_org))
            .route("/orgs/{id}", web::patch().to(orgs::update_org))
            .route("/orgs/{id}", web::delete().to(orgs::delete_org))
            .route("/groups", web::get().to(groups::list_groups))
            .route("/groups", web::post().to(groups::create_group))
            .route("/groups/{id}", web::get().to(groups::get_group))
            .route("/groups/{id}", web::patch().to(groups::update_group))
            .route("/groups/{id}", web::delete().to(groups::delete_group))
            .route("/groups/{id}/members", web::get().to(groups::list_members))
            .route("/groups/{id}/members", web::post().to(groups::add_member))
            .route(
                "/groups/{id}/members/{principal}",
                web::delete().to(groups::remove_member),
            )
            .route("/audit-events", web::get().to(audit::list_audit_events))
            .route("/keys", web::get().to(keys::list_keys))
            .route("/keys/rotate", web::post().to(keys::rotate_keys))
            .route("/keys/{kid}/revoke", web::post().to(keys::revoke_key))
            .default_service(web::to(|| async {
                Err::<actix_web::HttpResponse, _>(error::ApiError::not_found("admin API route"))
            })),
    );
}
