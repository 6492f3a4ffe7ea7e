//! `GET`/`POST /oauth2/authorize` (RFC 6749 §4.1 with PKCE) and `POST /oauth2/logout`: a person
//! signs in on a page the binary serves, and the client gets a code at its redirect URI.

mod page;
mod request;

use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use chrono::Utc;

pub use page::{clear_cookie, cookie, message, same};
pub use request::{redirect_matches, AuthorizationRequest, CARRIED};

use self::page::{sign_in_page, SignInForm};
use self::request::{check, redirect_to, Refusal};
use super::request::Params;
use super::token::REPEATABLE;
use crate::domain::people::{CodeRequest, SignInError, SignInLimits};
use crate::domain::Core;

/// The session cookie's name: `__Host-` and `Secure` when the issuer is https (CONTRACT).
pub fn session_cookie(issuer: &str) -> &'static str {
    if issuer.starts_with("https://") {
        "__Host-castellan_session"
    } else {
        "castellan_session"
    }
}

/// `GET /oauth2/authorize`: a signed-in person gets a code at once; anyone else the sign-in
/// page.
pub async fn get_authorize(req: HttpRequest, state: web::Data<Core>) -> HttpResponse {
    let params = match Params::parse(req.query_string().as_bytes(), REPEATABLE) {
        Ok(p) => p,
        Err(e) => return message(400, "This sign-in link is not valid", &e.description, true),
    };
    let ar = match check(&state, &params) {
        Ok(ar) => ar,
        Err(refusal) => return refused(&state, refusal),
    };
    let people = state.people();
    if let Some(value) = req.cookie(session_cookie(&state.issuer)) {
        match people.session_user(value.value(), Utc::now()).await {
            Ok(Some(user)) => return code_redirect(&state, &ar, user.id).await,
            Ok(None) => {}
            Err(e) => return failed(e),
        }
    }
    sign_in_page(&state, &ar, &params, None, "", 200)
}

/// `POST /oauth2/authorize`: the sign-in form.
pub async fn post_authorize(
    req: HttpRequest,
    body: web::Bytes,
    state: web::Data<Core>,
    limits: web::Data<SignInLimits>,
) -> HttpResponse {
    let params = match Params::parse(&body, REPEATABLE) {
        Ok(p) => p,
        Err(e) => return message(400, "This sign-in form is not valid", &e.description, true),
    };
    let ar = match check(&state, &params) {
        Ok(ar) => ar,
        Err(refusal) => return refused(&state, refusal),
    };
    let form = SignInForm::from(&params);
    if !page::csrf_matches(&req, &state.issuer, &form.csrf) {
        return message(
            403,
            "Sign-in expired",
            "This form was not issued to this browser, or it has expired. Go back and try again.",
            true,
        );
    }
    let peer = crate::telemetry::caller_ip(&req);
    if !limits.allowed(&form.username, peer) {
        let why = "Too many failed sign-ins. Wait a few minutes before trying again.";
        return sign_in_page(&state, &ar, &params, Some(why), &form.username, 429);
    }
    let people = state.people();
    match people.sign_in(&form.username, form.password).await {
        Ok(user) => match people.start_session(user.id.clone(), Utc::now()).await {
            Ok(value) => {
                let mut res = code_redirect(&state, &ar, user.id).await;
                let _ =
                    res.add_cookie(&cookie(&state.issuer, session_cookie(&state.issuer), value));
                res
            }
            Err(e) => failed(e),
        },
        // CONTRACT: one answer for an unknown user and a wrong password.
        Err(SignInError::Refused) => {
            limits.failed(&form.username, peer);
            let why = "The username or the password is wrong.";
            sign_in_page(&state, &ar, &params, Some(why), &form.username, 401)
        }
        Err(SignInError::Failed(e)) => failed(e),
    }
}

/// `POST /oauth2/logout`: ends the session (form field `csrf`, bound to the session); then
/// `redirect_to` (a path on this server) or a page that says so.
pub async fn post_logout(
    req: HttpRequest,
    body: web::Bytes,
    state: web::Data<Core>,
) -> HttpResponse {
    let params = Params::parse(&body, &[]).unwrap_or_default();
    let people = state.people();
    let name = session_cookie(&state.issuer);
    if let Some(value) = req.cookie(name) {
        let expected = people.csrf_for(value.value());
        if !same(&expected, params.get("csrf").unwrap_or("")) {
            return message(
                403,
                "Sign-out refused",
                "This form was not issued to this session.",
                true,
            );
        }
        if let Err(e) = people.end_session(value.value()).await {
            return failed(e);
        }
    }
    let mut res = match params
        .get("redirect_to")
        .filter(|p| p.starts_with('/') && !p.starts_with("//") && !p.contains('\\'))
    {
        Some(path) => HttpResponse::SeeOther()
            .insert_header((header::LOCATION, path.to_string()))
            .finish(),
        None => message(200, "Signed out", "You are signed out of Castellan.", false),
    };
    let _ = res.add_cookie(&clear_cookie(&state.issuer, name));
    res
}

async fn code_redirect(state: &Core, ar: &AuthorizationRequest, user_id: String) -> HttpResponse {
    let issued = state
        .people()
        .issue_code(
            CodeRequest {
                client_id: ar.client.client_id.clone(),
                user_id,
                redirect_uri: ar.redirect_uri.clone(),
                code_challenge: ar.code_challenge.clone(),
                scope: ar.scope.clone(),
                audiences: ar.audiences.clone(),
            },
            Utc::now(),
        )
        .await;
    match issued {
        Ok(code) => see_other(redirect_to(
            &ar.redirect_uri,
            &[("code", &code)],
            ar.state.as_deref(),
            &state.issuer,
        )),
        Err(e) => failed(e),
    }
}

fn refused(state: &Core, refusal: Refusal) -> HttpResponse {
    match refusal {
        Refusal::Shown(why) => message(400, "This sign-in link is not valid", why, true),
        Refusal::Redirected(uri, code, why, st) => see_other(redirect_to(
            &uri,
            &[("error", code), ("error_description", why)],
            st.as_deref(),
            &state.issuer,
        )),
    }
}

fn see_other(location: String) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, location))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .finish()
}

fn failed(e: crate::domain::DomainError) -> HttpResponse {
    log::error!("sign-in could not run: {e}");
    message(
        503,
        "Sign-in is unavailable",
        "Castellan could not complete the sign-in just now. Try again in a moment.",
        true,
    )
}

#[cfg(test)]
mod tests {
    use super::page::cookie;
    use super::session_cookie;

    #[test]
    fn on_an_https_issuer_the_session_cookie_is_host_prefixed_and_secure() {
        let name = session_cookie("https://auth.example.com");
        assert_eq!(name, "__Host-castellan_session");
        let c = cookie("https://auth.example.com", name, "v".into()).to_string();
        for flag in ["HttpOnly", "SameSite=Lax", "Secure", "Path=/"] {
            assert!(c.contains(flag), "{c}");
        }
        assert!(
            !c.contains("Domain"),
            "a __Host- cookie names no domain: {c}"
        );
        let plain = cookie(
            "http://127.0.0.1:8080",
            session_cookie("http://127.0.0.1:8080"),
            "v".into(),
        );
        assert!(!plain.to_string().contains("Secure"));
    }
}
