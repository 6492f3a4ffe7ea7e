//! An example resource server: a small "orders" API that accepts Castellan access tokens, with
//! nothing of Castellan's but the `castellan-resource` crate. Tokens are checked offline
//! against the issuer's JWKS; the issuer's revocation list is polled so that a token revoked at
//! Castellan is refused here within one polling interval.
//!
//! - `GET /orders` needs the scope `orders:read`; it answers who called, typed.
//! - `POST /orders` needs `orders:write`.
//! - `GET /me` is for people only: a service account's token gets a 403.
//! - `GET /healthz` is open, and says whether a revocation list is held.

use std::net::TcpListener;
use std::sync::Arc;
use std::time::Duration;

use actix_web::dev::Server;
use actix_web::{web, App, HttpResponse, HttpServer};
use castellan_resource::{
    AuthError, Authenticated, JwksError, KeySource, RemoteJwks, RemoteJwksOptions, ResourceGuard,
    RevocationFeed, RevocationFeedOptions, Subject, TokenVerifier,
};
use serde_json::json;

/// What the service needs to know.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Castellan's issuer URL (`CASTELLAN_ISSUER`), e.g. `http://127.0.0.1:8080`.
    pub issuer: String,
    /// The audience tokens must be meant for (`ORDERS_AUDIENCE`).
    pub audience: String,
    /// Clock-skew leeway, in seconds.
    pub leeway_seconds: u64,
    /// How often the revocation list is fetched (`ORDERS_REVOCATION_INTERVAL`, seconds).
    pub revocation_interval: Duration,
}

impl Settings {
    /// Defaults for the issuer and audience given.
    pub fn new(issuer: impl Into<String>, audience: impl Into<String>) -> Self {
        Settings {
            issuer: issuer.into(),
            audience: audience.into(),
            leeway_seconds: 60,
            revocation_interval: Duration::from_secs(5),
        }
    }
}

/// The guard: a remote JWKS cache, the verifier, and the revocation feed, polling from now on
/// (call inside a tokio runtime).
pub fn guard(settings: &Settings) -> Result<ResourceGuard, JwksError> {
    let issuer = settings.issuer.trim_end_matches('/');
    let jwks_url = format!("{issuer}/.well-known/jwks.json");
    let jwks = Arc::new(RemoteJwks::new(&jwks_url, RemoteJwksOptions::default())?);
    let verifier = TokenVerifier::new(
        issuer,
        settings.audience.as_str(),
        settings.leeway_seconds,
        KeySource::Remote(jwks),
    );
    let options = RevocationFeedOptions {
        interval: settings.revocation_interval,
        ..RevocationFeedOptions::default()
    };
    let feed = Arc::new(RevocationFeed::for_verifier(&verifier, options)?);
    feed.spawn();
    Ok(ResourceGuard::new(verifier)
        .with_revocations(feed)
        .with_realm("orders"))
}

/// Who called, as JSON: the typed subject decides the field, so a client_id is never reported
/// (or looked up) as a user id.
fn caller(auth: &Authenticated) -> serde_json::Value {
    match &auth.subject {
        Subject::ServiceAccount(id) => json!({"service_account": id.as_str()}),
        Subject::User(id) => json!({"user_id": id.as_str()}),
    }
}

async fn list_orders(auth: Authenticated) -> Result<HttpResponse, AuthError> {
    auth.require_scope(&["orders:read"])?;
    Ok(HttpResponse::Ok().json(json!({
        "orders": [{"id": 1, "item": "castellan stickers"}],
        "caller": caller(&auth),
        "org_id": auth.org_id,
    })))
}

async fn create_order(auth: Authenticated) -> Result<HttpResponse, AuthError> {
    auth.require_scope(&["orders:write"])?;
    Ok(HttpResponse::Created().json(json!({"id": 2, "caller": caller(&auth)})))
}

/// For people: `require_user` hands back a `UserId`, or answers 403 to a service account.
async fn me(auth: Authenticated) -> Result<HttpResponse, AuthError> {
    let user = auth.require_user()?;
    Ok(HttpResponse::Ok().json(json!({"user_id": user.as_str()})))
}

async fn healthz(guard: web::Data<ResourceGuard>) -> HttpResponse {
    let loaded = guard.revocations.as_ref().is_some_and(|f| f.is_loaded());
    HttpResponse::Ok().json(json!({"revocation_list": loaded}))
}

/// The routes, for `App::configure`.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/orders", web::get().to(list_orders))
        .route("/orders", web::post().to(create_order))
        .route("/me", web::get().to(me))
        .route("/healthz", web::get().to(healthz));
}

/// Serves on `listener` with `guard`.
pub fn serve(listener: TcpListener, guard: ResourceGuard) -> std::io::Result<Server> {
    let guard = web::Data::new(guard);
    Ok(
        HttpServer::new(move || App::new().app_data(guard.clone()).configure(routes))
            .workers(1)
            .listen(listener)?
            .run(),
    )
}
