//! The sign-in page and its cookies: rendered by askama (escaping on), with the same strict
//! headers as the console.

use actix_web::cookie::{Cookie, SameSite};
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse};
use askama::Template;

use super::request::{AuthorizationRequest, CARRIED};
use crate::domain::people::new_secret;
use crate::domain::Core;
use crate::oauth::request::Params;

#[derive(Template)]
#[template(path = "oauth/signin.html")]
struct SignInPage<'a> {
    client_name: Option<&'a str>,
    error: Option<&'a str>,
    csrf: String,
    carried: Vec<(&'a str, String)>,
    username: &'a str,
}

#[derive(Template)]
#[template(path = "oauth/message.html")]
struct MessagePage<'a> {
    title: &'a str,
    message: &'a str,
    is_error: bool,
    link: Option<(&'a str, &'a str)>,
}

/// The fields of the sign-in form.
pub struct SignInForm {
    pub csrf: String,
    pub username: String,
    pub password: String,
}

impl From<&Params> for SignInForm {
    fn from(p: &Params) -> Self {
        SignInForm {
            csrf: p.get("csrf").unwrap_or("").to_string(),
            username: p.get("username").unwrap_or("").to_string(),
            password: p.get("password").unwrap_or("").to_string(),
        }
    }
}

/// The CSP and other headers every page of ours carries.
pub fn strict(res: &mut actix_web::HttpResponseBuilder) {
    res.insert_header((
        header::CONTENT_SECURITY_POLICY,
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; \
         form-action 'self' http: https:; frame-ancestors 'none'; base-uri 'none'",
    ))
    .insert_header((header::X_FRAME_OPTIONS, "DENY"))
    .insert_header((header::REFERRER_POLICY, "no-referrer"))
    .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
    .insert_header((header::CACHE_CONTROL, "no-store"));
}

fn csrf_cookie(issuer: &str) -> &'static str {
    if issuer.starts_with("https://") {
        "__Host-castellan_signin"
    } else {
        "castellan_signin"
    }
}

/// A cookie of ours: HttpOnly, SameSite=Lax, path /, and Secure on an https issuer.
pub fn cookie(issuer: &str, name: &'static str, value: String) -> Cookie<'static> {
    Cookie::build(name, value)
        .path("/")
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(issuer.starts_with("https://"))
        .finish()
}

/// The same cookie, expired.
pub fn clear_cookie(issuer: &str, name: &'static str) -> Cookie<'static> {
    let mut c = cookie(issuer, name, String::new());
    c.make_removal();
    c
}

/// Whether two values are equal; SHA-256 digests are compared, so the time says nothing usable.
pub fn same(a: &str, b: &str) -> bool {
    use ring::digest::{digest, SHA256};
    !a.is_empty()
        && digest(&SHA256, a.as_bytes()).as_ref() == digest(&SHA256, b.as_bytes()).as_ref()
}

/// The sign-in form's CSRF check: the hidden field equals the cookie set with the form.
pub fn csrf_matches(req: &HttpRequest, issuer: &str, field: &str) -> bool {
    req.cookie(csrf_cookie(issuer))
        .is_some_and(|c| same(c.value(), field))
}

/// The sign-in page, with a fresh CSRF value in a cookie and in the form.
pub fn sign_in_page(
    state: &Core,
    ar: &AuthorizationRequest,
    params: &Params,
    error: Option<&str>,
    username: &str,
    status: u16,
) -> HttpResponse {
    let Ok(csrf) = new_secret() else {
        return message(
            503,
            "Sign-in is unavailable",
            "Try again in a moment.",
            true,
        );
    };
    let mut carried: Vec<(&str, String)> = CARRIED
        .iter()
        .filter_map(|k| params.get(k).map(|v| (*k, v.to_string())))
        .collect();
    for k in ["resource", "audience"] {
        carried.extend(params.all(k).iter().map(|v| (k, v.clone())));
    }
    let page = SignInPage {
        client_name: Some(ar.client.client_id.as_str()),
        error,
        csrf: csrf.clone(),
        carried,
        username,
    };
    let mut res = HttpResponse::build(status_code(status));
    strict(&mut res);
    res.cookie(
        Cookie::build(csrf_cookie(&state.issuer), csrf)
            .path("/oauth2/authorize")
            .http_only(true)
            .same_site(SameSite::Strict)
            .secure(state.issuer.starts_with("https://"))
            .finish(),
    );
    match page.render() {
        Ok(html) => res.content_type("text/html; charset=utf-8").body(html),
        Err(e) => {
            log::error!("the sign-in page did not render: {e}");
            HttpResponse::InternalServerError().finish()
        }
    }
}

fn status_code(status: u16) -> actix_web::http::StatusCode {
    actix_web::http::StatusCode::from_u16(status)
        .unwrap_or(actix_web::http::StatusCode::INTERNAL_SERVER_ERROR)
}

/// A page with one message.
pub fn message(status: u16, title: &str, text: &str, is_error: bool) -> HttpResponse {
    let page = MessagePage {
        title,
        message: text,
        is_error,
        link: None,
    };
    let mut res = HttpResponse::build(status_code(status));
    strict(&mut res);
    match page.render() {
        Ok(html) => res.content_type("text/html; charset=utf-8").body(html),
        Err(_) => res.finish(),
    }
}
