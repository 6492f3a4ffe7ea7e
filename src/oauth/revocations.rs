//! `GET /oauth2/revocations`: the signed revocation list, unauthenticated like the JWKS.

use actix_web::http::header;
use actix_web::{web, HttpResponse};
use chrono::Utc;

use crate::domain::revocations;
use crate::domain::Core;

/// How long caches may keep the list (at most 60 s; the resource module polls every 5 s).
const MAX_AGE_SECONDS: u32 = 5;

/// The list, signed with the current key, `typ: revocations+jwt`.
pub async fn get_revocations(state: web::Data<Core>) -> HttpResponse {
    let s = state.clone();
    let inactive_orgs = state.directory.view().inactive_orgs();
    let built = state
        .db
        .run(move |conn| {
            revocations::build(
                conn,
                &s.issuer,
                &inactive_orgs,
                s.settings.token.max_ttl_seconds,
                s.settings.token.leeway_seconds,
                Utc::now(),
            )
        })
        .await;
    let list = match built {
        Ok(list) => list,
        Err(e) => {
            log::warn!("the revocation list could not be read: {e}");
            return HttpResponse::ServiceUnavailable()
                .insert_header((header::RETRY_AFTER, "5"))
                .finish();
        }
    };
    match state
        .keys
        .current()
        .signer
        .sign_as("revocations+jwt", &list)
    {
        Ok(jws) => HttpResponse::Ok()
            .insert_header((header::CONTENT_TYPE, "application/revocations+jwt"))
            .insert_header((
                header::CACHE_CONTROL,
                format!("public, max-age={MAX_AGE_SECONDS}"),
            ))
            .body(jws),
        Err(e) => {
            log::error!("signing the revocation list failed: {e}");
            HttpResponse::InternalServerError().finish()
        }
    }
}
