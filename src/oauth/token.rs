//! `POST /oauth2/token`.

use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};
use chrono::Utc;
use serde::Serialize;

use super::error::{ErrorCode, OAuthError};
use super::grants::{self, client_credentials, people, token_exchange};
use super::ratelimit::RateLimiter;
use super::request::{client_auth, read_form, Params};
use crate::domain::Core;
use crate::telemetry::{caller_ip, CallerClient, Metrics, ACCESS_TARGET};

/// Parameters that may be given more than once (RFC 8707 §2; `audience` means the same).
pub const REPEATABLE: &[&str] = &["resource", "audience"];

/// The token endpoint: form in, JSON out, no database on the way.
pub async fn post_token(
    req: HttpRequest,
    payload: web::Payload,
    state: web::Data<Core>,
    limits: web::Data<RateLimiter>,
    metrics: web::Data<Metrics>,
) -> HttpResponse {
    match issue(&req, payload, &state, &limits, &metrics).await {
        Ok(res) => res,
        Err(err) => {
            metrics.token_refused(err.code.as_str());
            err.response()
        }
    }
}

async fn issue(
    req: &HttpRequest,
    payload: web::Payload,
    state: &Core,
    limits: &RateLimiter,
    metrics: &Metrics,
) -> Result<HttpResponse, OAuthError> {
    // The TCP peer, or what a trusted proxy forwarded: a header is the caller's to write.
    let peer = caller_ip(req);
    limits.check_address(peer)?;
    let body = read_form(req, payload).await?;
    let params = Params::parse(&body, REPEATABLE)?;
    let auth = client_auth(req, &params)?;
    let presented = auth.client_id();
    // Before the secret is checked, so that a refused guesser learns nothing.
    let failures = limits.check_failures(peer, presented)?;
    let now = Utc::now();
    // RFC 6749 §5.2: each grant is one function; an unknown one is unsupported_grant_type.
    let decided = match params.get("grant_type") {
        None => Err(OAuthError::invalid_request("grant_type is missing")),
        Some("client_credentials") => client_credentials::grant(state, &auth, &params, now).await,
        Some("authorization_code") => people::authorization_code(state, &auth, &params, now).await,
        Some("refresh_token") => people::refresh_token(state, &auth, &params, now).await,
        Some(crate::domain::workload::TOKEN_EXCHANGE) => {
            token_exchange::grant(state, &auth, &params, now).await
        }
        Some(_) => Err(OAuthError::new(
            ErrorCode::UnsupportedGrantType,
            "this server supports client_credentials, authorization_code, refresh_token and \
             token exchange",
        )),
    };
    let decided = match decided {
        Ok(decided) => decided,
        Err(err) => {
            if err.code == ErrorCode::InvalidClient {
                limits.record_failure(peer, &failures);
            }
            return Err(err);
        }
    };
    limits.record_success(peer, &failures);
    // Counted once the client authenticated, and before any signing work.
    limits.check_client(&decided.client.client_id)?;
    let issued = grants::sign(&state.keys, decided)?;
    metrics.token_issued(&issued.client.client_id);
    let mut issued_token_type = None;
    if let Some(workload) = &issued.workload {
        // Which policy matched: a metric now, an audit event from the background flush (no
        // write on the request path).
        metrics.workload_token(&workload.policy_id);
        state.clients.record_policy_use(&workload.policy_id);
        if params.get("grant_type") == Some(crate::domain::workload::TOKEN_EXCHANGE) {
            issued_token_type = Some(crate::domain::workload::ACCESS_TOKEN_TYPE);
        }
    }
    // Serialised straight from a struct: no intermediate JSON tree.
    let body = serde_json::to_vec(&TokenResponse {
        access_token: &issued.access_token,
        token_type: "Bearer",
        expires_in: issued.expires_in,
        scope: &issued.scope,
        refresh_token: issued.refresh_token.as_deref(),
        issued_token_type,
    })
    .map_err(|_| OAuthError::server_error())?;
    let mut res = HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header((header::PRAGMA, "no-cache"))
        .content_type("application/json")
        .body(body);
    if log::log_enabled!(target: ACCESS_TARGET, log::Level::Info) {
        res.extensions_mut()
            .insert(CallerClient(issued.client.client_id.clone()));
    }
    Ok(res)
}

/// RFC 6749 §5.1 (and RFC 8693 §2.2.1's `issued_token_type`).
#[derive(Serialize)]
struct TokenResponse<'a> {
    access_token: &'a str,
    token_type: &'static str,
    expires_in: i64,
    scope: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    refresh_token: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    issued_token_type: Option<&'static str>,
}

/// Any method but POST on an OAuth endpoint.
pub async fn method_not_allowed() -> HttpResponse {
    OAuthError {
        status: Some(StatusCode::METHOD_NOT_ALLOWED),
        ..OAuthError::invalid_request("use POST with an application/x-www-form-urlencoded body")
    }
    .response()
}
