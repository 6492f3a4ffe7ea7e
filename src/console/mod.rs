//! The console at `/console`: server-rendered pages for people, a first-party client of the
//! authorization_code + PKCE flow. Every page is an adapter over the domain services, like the
//! admin API: extract the caller ([`auth::ConsoleCaller`]), call the domain, render.

pub mod auth;

use actix_web::web;

/// Mounts `/console`.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(web::scope("/console").configure(auth::routes));
}
