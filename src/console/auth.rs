//! Who is using the console: a person signed in through the authorization_code + PKCE flow,
//! the console being a client of it like any other (the built-in public client
//! `castellan-console`). The code exchange gives it a session of its own (stored hashed, 8 h),
//! and every request re-reads, live, that the person, its organization and what it holds still
//! allow what it does, exactly as the admin API's check does for a token.

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{web, FromRequest, HttpRequest, HttpResponse};
use chrono::Utc;

use crate::audit::Actor;
use crate::domain::callers::{live_check, Live};
use crate::domain::people::CONSOLE_CLIENT_ID;
use crate::domain::{Acting, Core, DomainError};
use crate::resource::{Principal, PrincipalKind, Subject};
use crate::storage::people as rows;

/// How long a console session lasts.
pub(super) const SESSION_HOURS: i64 = 8;

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

impl ConsoleCaller {
    /// Whether `form_csrf` is this session's CSRF token. The SHA-256 digests are compared, so
    /// the time taken says nothing usable about the token itself.
    pub fn csrf_ok(&self, form_csrf: &str) -> bool {
        use ring::digest::{digest, SHA256};
        digest(&SHA256, self.csrf.as_bytes()).as_ref()
            == digest(&SHA256, form_csrf.as_bytes()).as_ref()
    }
}

pub(super) fn cookie_name(issuer: &str) -> &'static str {
    if issuer.starts_with("https://") {
        "__Host-castellan_console"
    } else {
        "castellan_console"
    }
}

pub(super) fn login_cookie(issuer: &str) -> &'static str {
    if issuer.starts_with("https://") {
        "__Host-castellan_console_login"
    } else {
        "castellan_console_login"
    }
}

/// The console's cookies are the authorization server's kind: HttpOnly, SameSite=Lax, path /,
/// Secure on an https issuer.
pub(super) use crate::oauth::authorize::cookie;

fn to_sign_in() -> actix_web::Error {
    actix_web::error::InternalError::from_response(
        "sign in",
        HttpResponse::SeeOther()
            .insert_header((header::LOCATION, "/console/login"))
            .finish(),
    )
    .into()
}

impl FromRequest for ConsoleCaller {
    type Error = actix_web::Error;
    type Future = std::pin::Pin<Box<dyn std::future::Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, _payload: &mut Payload) -> Self::Future {
        let state = req.app_data::<web::Data<Core>>().cloned();
        let ip = crate::telemetry::caller_ip(req).map(|ip| ip.to_string());
        let value = state
            .as_ref()
            .and_then(|s| req.cookie(cookie_name(&s.issuer)))
            .map(|c| c.value().to_string());
        Box::pin(async move {
            let (Some(state), Some(value)) = (state, value) else {
                return Err(to_sign_in());
            };
            let people = state.people();
            let (hash, csrf) = (
                people.hash(&value),
                people.csrf_for(&format!("console:{value}")),
            );
            let now = Utc::now();
            let found = state
                .db
                .read(move |conn| {
                    let Some((user_id, scope, family)) =
                        rows::console_session(conn, &hash, now.naive_utc())?
                    else {
                        return Ok(None);
                    };
                    let principal = Principal {
                        subject: Subject::new(PrincipalKind::User, user_id.clone()),
                        client_id: CONSOLE_CLIENT_ID.into(),
                        scopes: crate::storage::split_list(&scope),
                        jti: format!("console:{family}"),
                        issued_at: now.timestamp(),
                        expires_at: now.timestamp(),
                        org_id: None,
                    };
                    let live = live_check(conn, &principal)?;
                    let user = crate::storage::users::find(conn, &user_id)?;
                    Ok::<_, DomainError>(Some((live, user.username, user_id)))
                })
                .await
                .map_err(|e| {
                    log::error!("the console session could not be read: {e}");
                    actix_web::error::ErrorServiceUnavailable("try again in a moment")
                })?;
            match found {
                Some((Live::Allowed { powers, org_id }, username, user_id)) => Ok(ConsoleCaller {
                    acting: Acting {
                        actor: Actor {
                            id: user_id,
                            kind: "user".into(),
                            ip,
                        },
                        powers,
                        org_id,
                    },
                    username,
                    csrf,
                }),
                _ => Err(to_sign_in()),
            }
        })
    }
}

/// The sign-in routes of the console (`/console/login`, `/console/callback`, `/console/logout`).
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/login", web::get().to(super::signin::login))
        .route("/callback", web::get().to(super::signin::callback))
        .route("/logout", web::post().to(super::signin::logout));
}
