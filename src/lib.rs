//! Castellan: an OAuth 2.0 authorization server for machine identities.
//!
//! Service accounts trade client credentials for short-lived signed JWTs (RFC 9068) that
//! resource servers verify offline against the published JWKS.

pub mod admin;
pub mod app;
pub mod audit;
pub mod cli;
pub mod config;
pub mod console;
pub mod domain;
pub mod identifiers;
pub mod keys;
pub mod oauth;
pub mod resource;
pub mod storage;
pub mod telemetry;

/// The admin API's scopes: `admin` covers every call, the others one part each.
pub fn admin_scopes() -> &'static [&'static str] {
    &[
        "admin",
        "admin:clients:read",
        "admin:clients:write",
        "admin:users:read",
        "admin:users:write",
        "admin:orgs:read",
        "admin:orgs:write",
        "admin:groups:read",
        "admin:groups:write",
        "admin:audit:read",
        "admin:keys:write",
    ]
}
