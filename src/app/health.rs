//! Liveness and readiness.

use actix_web::{web, HttpResponse};
use serde_json::json;

use crate::domain::Core;

/// `GET /healthz`: the process answers.
pub async fn get_healthz() -> HttpResponse {
    HttpResponse::Ok().json(json!({"status": "ok"}))
}

/// `GET /readyz`: the database answers and a signing key is loaded.
pub async fn get_readyz(state: web::Data<Core>) -> HttpResponse {
    let database = state.db.ping().await;
    let keys = !state.keys.current().verifiers.is_empty();
    let body = json!({"database": database, "keys": keys});
    if database && keys {
        HttpResponse::Ok().json(body)
    } else {
        HttpResponse::ServiceUnavailable().json(body)
    }
}

/// Mounts the health routes.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/healthz", web::get().to(get_healthz))
        .route("/readyz", web::get().to(get_readyz));
}
