//! `POST /oauth2/revoke` (RFC 7009): a client revokes an access token issued to it.
//!
//! A revoked token's jti is kept only until the token would have expired anyway; the
//! background refresh purges the rest.

use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use chrono::{DateTime, Utc};

use super::client_auth::authenticate_caller;
use super::error::{ErrorCode, OAuthError};
use super::introspect::{required_token, verify_token};
use super::request::{read_form, Params};
use crate::domain::Core;
use crate::storage::revoked;

/// The revocation endpoint.
pub async fn post_revoke(
    req: HttpRequest,
    payload: web::Payload,
    state: web::Data<Core>,
) -> HttpResponse {
    match revoke(&req, payload, &state).await {
        Ok(res) => res,
        Err(err) => err.response(),
    }
}

fn revoked_answer() -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header((header::PRAGMA, "no-cache"))
        .finish()
}

async fn revoke(
    req: &HttpRequest,
    payload: web::Payload,
    state: &Core,
) -> Result<HttpResponse, OAuthError> {
    let body = read_form(req, payload).await?;
    let params = Params::parse(&body, &[])?;
    let now = Utc::now();
    let caller = authenticate_caller(req, &params, state, now).await?;
    let token = required_token(&params)?;
    // RFC 7009 §2.1: token_type_hint is only a hint; we issue no refresh tokens, so every
    // token is looked at as an access token whatever the hint says.
    //
    // RFC 7009 §2.2: an invalid, expired or unknown token gets 200 all the same, because
    // the client can do nothing about it and the purpose (the token is unusable) is met.
    let Some(claims) = verify_token(state, token, now).await? else {
        return Ok(revoked_answer());
    };
    // RFC 7009 §2.1: the server verifies that the token was issued to the client making the
    // request, and refuses otherwise.
    if claims.client_id != caller.client_id {
        return Err(OAuthError::new(
            ErrorCode::UnauthorizedClient,
            "the token was not issued to this client",
        ));
    }
    let Some(expires_at) = DateTime::from_timestamp(claims.exp, 0) else {
        log::error!("a verified token's exp is out of range; not revoked");
        return Err(OAuthError::server_error());
    };
    let jti = claims.jti;
    let client_pk = caller.id.clone();
    let actor = crate::audit::Actor {
        id: caller.client_id.clone(),
        kind: "service_account".into(),
        ip: crate::telemetry::caller_ip(req).map(|ip| ip.to_string()),
    };
    let target = caller.client_id.clone();
    let org_id = caller.org_id.clone();
    state
        .db
        .run(move |conn| {
            use diesel::Connection;
            // CONTRACT: revoking tokens is audited, in the same transaction. Only a revocation
            // that revoked something is an event: repeating one must not let a client write
            // audit rows at will.
            conn.transaction(|conn| {
                if !revoked::insert(conn, &jti, &client_pk, expires_at.naive_utc())? {
                    return Ok(());
                }
                crate::audit::record(
                    conn,
                    &actor,
                    "token.revoked",
                    crate::audit::Target::new("client", &target, &org_id),
                    serde_json::json!({"jti": jti}),
                    now,
                )
            })
        })
        .await
        .map_err(|e| OAuthError::from_store("recording a revoked token failed", &e))?;
    Ok(revoked_answer())
}
