//! The JWKS (RFC 7517) and server metadata (RFC 8414).

use actix_web::http::header;
use actix_web::{web, HttpResponse};
use serde_json::json;

use crate::domain::Core;

/// `GET /.well-known/jwks.json`: every key that can still verify a live token.
pub async fn get_jwks(state: web::Data<Core>) -> HttpResponse {
    let jwks = state.keys.current().jwks.clone();
    HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, "application/json"))
        // Short, so that a rotation reaches HTTP caches quickly; verifiers refetch on an
        // unknown kid anyway.
        .insert_header((header::CACHE_CONTROL, "public, max-age=30"))
        .body(jwks)
}

/// The metadata document, built once at start-up.
pub fn metadata(state: &Core) -> serde_json::Value {
    let iss = &state.issuer;
    let alg = crate::keys::signer::alg_name(state.keys.current().signer.alg());
    json!({
        "issuer": iss,
        "authorization_endpoint": format!("{iss}/oauth2/authorize"),
        "token_endpoint": format!("{iss}/oauth2/token"),
        "jwks_uri": format!("{iss}/.well-known/jwks.json"),
        "grant_types_supported": ["client_credentials", "authorization_code", "refresh_token",
            crate::domain::workload::TOKEN_EXCHANGE],
        // RFC 8693: the subject token types token exchange accepts (workload identity).
        "token_exchange_subject_token_types_supported": [crate::domain::workload::JWT_TOKEN_TYPE],
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "code_challenge_methods_supported": ["S256"],
        "authorization_response_iss_parameter_supported": true,
        "token_endpoint_auth_methods_supported":
            ["client_secret_basic", "client_secret_post", "private_key_jwt", "none"],
        // The algorithms of the keys a client may register for private_key_jwt (never HS*;
        // clients::check_jwks).
        "token_endpoint_auth_signing_alg_values_supported":
            ["ES256", "EdDSA", "RS256", "RS384", "RS512", "PS256", "PS384", "PS512"],
        "introspection_endpoint": format!("{iss}/oauth2/introspect"),
        "introspection_endpoint_auth_methods_supported":
            ["client_secret_basic", "client_secret_post", "private_key_jwt"],
        "revocation_endpoint": format!("{iss}/oauth2/revoke"),
        // The signed list of revoked tokens, for services that check tokens offline.
        "revocation_list_endpoint": format!("{iss}/oauth2/revocations"),
        "revocation_endpoint_auth_methods_supported":
            ["client_secret_basic", "client_secret_post", "private_key_jwt"],
        "scopes_supported": crate::admin_scopes(),
        "access_token_signing_alg_values_supported": [alg],
        "resource_indicators_supported": true,
    })
}

/// `GET /.well-known/oauth-authorization-server` and `/.well-known/openid-configuration`.
pub async fn get_metadata(state: web::Data<Core>) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "public, max-age=300"))
        .json(metadata(&state))
}
