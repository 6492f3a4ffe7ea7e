//! The console's side of the flow: `/console/login` starts it as any client would (PKCE,
//! `state`), `/console/callback` checks `state` and `iss` and exchanges the code in-process,
//! `/console/logout` ends the console session and the sign-in session.

use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use chrono::{Duration, Utc};

use super::auth::{cookie, cookie_name, login_cookie, SESSION_HOURS};
use crate::domain::people::{new_secret, Built, Exchange, GrantError, CONSOLE_CLIENT_ID};
use crate::domain::Core;
use crate::oauth::authorize::{clear_cookie, message, session_cookie};
use crate::storage::people as rows;

/// `GET /console/login`: starts the flow, as any client would (PKCE, state).
pub(super) async fn login(state: web::Data<Core>) -> HttpResponse {
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
pub(super) async fn callback(req: HttpRequest, state: web::Data<Core>) -> HttpResponse {
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
    let _ = res.add_cookie(&clear_cookie(&state.issuer, login_cookie(&state.issuer)));
    res
}

/// `POST /console/logout`: ends the console session and the sign-in session (form field
/// `csrf`).
pub(super) async fn logout(
    req: HttpRequest,
    body: web::Bytes,
    state: web::Data<Core>,
) -> HttpResponse {
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
        let _ = res.add_cookie(&clear_cookie(&state.issuer, n));
    }
    res
}
