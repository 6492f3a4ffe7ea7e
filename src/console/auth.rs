//! Who is using the console: a person signed in through the authorization_code + PKCE flow.
//! (Being written: the sign-in, callback and session parts land here.)

use actix_web::dev::Payload;
use actix_web::{web, FromRequest, HttpRequest, HttpResponse};

use crate::domain::Acting;

/// A signed-in person using the console, with the powers it has now (re-read at every request,
/// like the admin API's live check). Pages that need one take it as an extractor; without a
/// session the extractor answers with a redirect to the sign-in flow.
pub struct ConsoleCaller {
    /// Who acts, from which organization, with what powers.
    pub acting: Acting,
    /// The person's username, to show.
    pub username: String,
    /// The CSRF token every form of this session must carry (hidden field `csrf`).
    pub csrf: String,
}

impl FromRequest for ConsoleCaller {
    type Error = actix_web::Error;
    type Future = std::future::Ready<Result<Self, Self::Error>>;

    fn from_request(_req: &HttpRequest, _payload: &mut Payload) -> Self::Future {
        // Not signed in (until the session lands): send the person to sign in.
        std::future::ready(Err(actix_web::error::InternalError::from_response(
            "sign in",
            HttpResponse::SeeOther()
                .insert_header(("Location", "/console/login"))
                .finish(),
        )
        .into()))
    }
}

impl ConsoleCaller {
    /// Whether `form_csrf` is this session's CSRF token. The SHA-256 digests are compared, so
    /// the time taken says nothing usable about the token itself.
    pub fn csrf_ok(&self, form_csrf: &str) -> bool {
        use ring::digest::{digest, SHA256};
        digest(&SHA256, self.csrf.as_bytes()).as_ref()
            == digest(&SHA256, form_csrf.as_bytes()).as_ref()
    }
}

/// The sign-in routes of the console (`/console/login`, `/console/callback`, `/console/logout`).
pub fn routes(_cfg: &mut web::ServiceConfig) {}
