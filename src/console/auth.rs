//! Who is using the console: a person signed in through the authorization_code + PKCE flow,
//! the console being a client of it like any other (the built-in public client
//! `castellan-console`). The code exchange gives it a session of its own (stored hashed, 8 h),
//! and every request re-reads, live, that the person, its organization and what it holds still
//! allow what it does, exactly as the admin API's check does for a token.

use actix_web::cookie::{Cookie, SameSite};
use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{web, FromRequest, HttpRequest, HttpResponse};
use chrono::{Duration, Utc};

use crate::audit::Actor;
use crate::domain::callers::{live_check, Live};
use crate::domain::people::{new_secret, Built, Exchange, GrantError, CONSOLE_CLIENT_ID};
use crate::domain::{Acting, Core, DomainError};
use crate::oauth::authorize::{message, session_cookie};
use crate::resource::{Principal, PrincipalKind};
use crate::storage::people as rows;

/// How long a console session lasts.
const SESSION_HOURS: i64 = 8;

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

fn cookie_name(issuer: &str) -> &'static str {
    if issuer.starts_with("https://") {
        "__Host-castellan_console"
    } else {
        "castellan_console"
    }
}

fn login_cookie(issuer: &str) -> &'static str {
    if issuer.starts_with("https://") {
        "__Host-castellan_console_login"
    } else {
        "castellan_console_login"
    }
}

fn cookie(issuer: &str, name: &'static str, value: String) -> Cookie<'static> {
    Cookie::build(name, value)
        .path("/")
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(issuer.starts_with("https://"))
        .finish()
}

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
        let ip = req.peer_addr().map(|a| a.ip().to_string());
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
                        kind: PrincipalKind::User,
                        subject: user_id.clone(),
                        client_id: CONSOLE_CLIENT_ID.into(),
                        scopes: crate::storage::split_list(&scope),
                        jti: format!("console:{family}"),
                        issued_at: now.timestamp(),
                        expires_at: now.timestamp(),
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

/// `GET /console/login`: starts the flow, as any client would (PKCE, state).
async fn login(state: web::Data<Core>) -> HttpResponse {
    let (Ok(verifier), Ok(st)) = (new_secret(), new_secret()) else {
        return message(
            503,
            "Sign-in is unavailable",
            "Try again in a moment.",
            true,
        );
    };
    let digest = ring::digest::digest(&ring::digest::SHA256, verifier.as_bytes());
    let challenge =
        base64::Engine::encode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, digest);
    let scopes = crate::admin_scopes().join(" ");
    let query = serde_urlencoded::to_string([
        ("client_id", CONSOLE_CLIENT_ID),
        (
            "redirect_uri",
            &format!("{}/console/callback", state.issuer),
        ),
        ("response_type", "code"),
        ("state", &st),
        ("code_challenge", &challenge),
        ("code_challenge_method", "S256"),
        ("scope", &scopes),
        ("resource", &state.settings.admin.audience),
    ])
    .unwrap_or_default();
    let mut res = HttpResponse::SeeOther()
        .insert_header((header::LOCATION, format!("/oauth2/authorize?{query}")))
        .finish();
    let _ = res.add_cookie(&cookie(
        &state.issuer,
        login_cookie(&state.issuer),
        format!("{st}.{verifier}"),
    ));
    res
}

/// `GET /console/callback`: checks `state` and `iss`, exchanges the code (in-process, through
/// the same domain exchange as the token endpoint) and opens a console session.
async fn callback(req: HttpRequest, state: web::Data<Core>) -> HttpResponse {
    let q: Vec<(String, String)> =
        serde_urlencoded::from_str(req.query_string()).unwrap_or_default();
    let get = |k: &str| q.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
    let Some((st, verifier)) = req.cookie(login_cookie(&state.issuer)).and_then(|c| {
        c.value()
            .split_once('.')
            .map(|(a, b)| (a.to_string(), b.to_string()))
    }) else {
        return message(
            400,
            "Sign-in expired",
            "Start again from the console.",
            true,
        );
    };
    if get("state") != Some(st.as_str()) || get("iss") != Some(state.issuer.as_str()) {
        return message(
            400,
            "Sign-in refused",
            "This answer was not meant for this browser.",
            true,
        );
    }
    let Some(code) = get("code") else {
        let why = get("error_description").unwrap_or("The sign-in did not complete.");
        return message(400, "Sign-in refused", why, true);
    };
    let Some(client) = state.clients.get(CONSOLE_CLIENT_ID) else {
        return message(
            503,
            "Sign-in is unavailable",
            "Try again in a moment.",
            true,
        );
    };
    let Ok(session) = new_secret() else {
        return message(
            503,
            "Sign-in is unavailable",
            "Try again in a moment.",
            true,
        );
    };
    let now = Utc::now();
    let until = now + Duration::hours(SESSION_HOURS);
    let exchange = Exchange {
        code: code.to_string(),
        redirect_uri: Some(format!("{}/console/callback", state.issuer)),
        verifier: Some(verifier),
        audiences: Vec::new(),
    };
    let build = move |grant: &crate::domain::people::UserGrant| {
        Ok::<_, GrantError>(Built {
            jti: format!("console:{}", grant.family_id),
            expires_at: until.naive_utc(),
            value: (
                grant.user.id.clone(),
                grant.scope.join(" "),
                grant.family_id.clone(),
            ),
        })
    };
    let people = state.people();
    let admin_aud = state.settings.admin.audience.clone();
    let ((user_id, scope, family), _) = match people
        .exchange(client, exchange, admin_aud, now, build)
        .await
    {
        Ok(done) => done,
        Err(_) => {
            return message(
                400,
                "Sign-in refused",
                "The sign-in could not be completed. Start again.",
                true,
            )
        }
    };
    let hash = people.hash(&session);
    let stored = state
        .db
        .write(
            move |conn| {
                rows::insert_console_session(
                    conn,
                    &hash,
                    &user_id,
                    &scope,
                    &family,
                    now.naive_utc(),
                    until.naive_utc(),
                )
            },
            |_| {},
        )
        .await;
    if stored.is_err() {
        return message(
            503,
            "Sign-in is unavailable",
            "Try again in a moment.",
            true,
        );
    }
    let mut res = HttpResponse::SeeOther()
        .insert_header((header::LOCATION, "/console"))
        .finish();
    let _ = res.add_cookie(&cookie(&state.issuer, cookie_name(&state.issuer), session));
    let mut gone = cookie(&state.issuer, login_cookie(&state.issuer), String::new());
    gone.make_removal();
    let _ = res.add_cookie(&gone);
    res
}

/// `POST /console/logout`: ends the console session and the sign-in session (form field
/// `csrf`).
async fn logout(req: HttpRequest, body: web::Bytes, state: web::Data<Core>) -> HttpResponse {
    let form: Vec<(String, String)> = serde_urlencoded::from_bytes(&body).unwrap_or_default();
    let csrf = form
        .iter()
        .find(|(k, _)| k == "csrf")
        .map(|(_, v)| v.as_str())
        .unwrap_or("");
    let people = state.people();
    let name = cookie_name(&state.issuer);
    if let Some(value) = req.cookie(name) {
        let expected = people.csrf_for(&format!("console:{}", value.value()));
        if !crate::oauth::authorize::same(&expected, csrf) {
            return message(
                403,
                "Sign-out refused",
                "This form was not issued to this session.",
                true,
            );
        }
        let hash = people.hash(value.value());
        let _ = state
            .db
            .write(
                move |conn| rows::delete_console_session(conn, &hash),
                |_| {},
            )
            .await;
    }
    if let Some(s) = req.cookie(session_cookie(&state.issuer)) {
        let _ = people.end_session(s.value()).await;
    }
    let mut res = message(
        200,
        "Signed out",
        "You are signed out of the Castellan console.",
        false,
    );
    for n in [name, session_cookie(&state.issuer)] {
        let mut gone = cookie(&state.issuer, n, String::new());
        gone.make_removal();
        let _ = res.add_cookie(&gone);
    }
    res
}

/// The sign-in routes of the console (`/console/login`, `/console/callback`, `/console/logout`).
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/login", web::get().to(login))
        .route("/callback", web::get().to(callback))
        .route("/logout", web::post().to(logout));
}
