//! What every console page shares: the chrome around it (who is signed in, the CSRF token,
//! which section is open), rendering, redirects, the refusal pages, and domain errors turned
//! into messages shown beside the form they concern.

use actix_web::http::{header, StatusCode};
use actix_web::HttpResponse;
use askama::Template;

use super::auth::ConsoleCaller;
use super::feedback::describe;
pub use super::feedback::{Feedback, Problem};
pub use super::lists::*;
use crate::domain::DomainError;

/// The frame of a signed-in page: the layout's header and navigation read it.
#[derive(Debug, Clone)]
pub struct Chrome {
    /// The signed-in person's username.
    pub username: String,
    /// The session's CSRF token (hidden field `csrf` of every form).
    pub csrf: String,
    /// The open section of the navigation (`orgs`, `clients`, `groups`, `users`, `audit`,
    /// `keys`).
    pub section: &'static str,
}

impl Chrome {
    /// The chrome for `caller` with `section` open.
    pub fn new(caller: &ConsoleCaller, section: &'static str) -> Self {
        Chrome {
            username: caller.username.clone(),
            csrf: caller.csrf.clone(),
            section,
        }
    }
}

/// Renders a template as an HTML answer with `status`. A template that fails to render is
/// our bug: logged, and an opaque 500.
pub fn render<T: Template>(status: StatusCode, page: &T) -> HttpResponse {
    match page.render() {
        Ok(html) => HttpResponse::build(status)
            .insert_header((header::CONTENT_TYPE, "text/html; charset=utf-8"))
            .insert_header((header::CACHE_CONTROL, "no-store"))
            .body(html),
        Err(e) => {
            log::error!("console: a page failed to render: {e}");
            HttpResponse::InternalServerError()
                .insert_header((header::CONTENT_TYPE, "text/plain; charset=utf-8"))
                .body("the page could not be rendered")
        }
    }
}

/// `303 See Other` to `location` (Post/Redirect/Get).
pub fn see_other(location: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, location))
        .finish()
}

/// A page that says why the request was refused, inside the layout.
#[derive(Template)]
#[template(path = "console/refused.html")]
pub struct RefusedPage {
    /// The frame.
    pub chrome: Chrome,
    /// The heading.
    pub title: String,
    /// What happened and what to do.
    pub message: String,
    /// Where to go back to.
    pub back: String,
}

/// A refusal page with `status`.
pub fn refused(
    caller: &ConsoleCaller,
    section: &'static str,
    status: StatusCode,
    title: &str,
    message: &str,
    back: &str,
) -> HttpResponse {
    render(
        status,
        &RefusedPage {
            chrome: Chrome::new(caller, section),
            title: title.into(),
            message: message.into(),
            back: back.into(),
        },
    )
}

/// The answer to a form whose CSRF token is not this session's (`403`).
pub fn csrf_refused(caller: &ConsoleCaller, section: &'static str, back: &str) -> HttpResponse {
    refused(
        caller,
        section,
        StatusCode::FORBIDDEN,
        "The form has expired",
        "This form was not sent from your current session, so nothing was changed. Go back, \
         reload the page and try again.",
        back,
    )
}

/// A page that could not be read because the domain refused (not found, not allowed, the
/// store down): the refusal page with the matching status.
pub fn failed(
    caller: &ConsoleCaller,
    section: &'static str,
    e: DomainError,
    back: &str,
) -> HttpResponse {
    let (status, title, messages) = describe(e);
    refused(
        caller,
        section,
        status,
        title.trim_end_matches(':'),
        &messages.join("; "),
        back,
    )
}

/// The caller's powers must allow `scope` (as the admin API requires it): the `403` page
/// when they don't.
pub fn require(caller: &ConsoleCaller, section: &'static str, scope: &str) -> Option<HttpResponse> {
    if caller.acting.powers.allows(scope) {
        return None;
    }
    Some(refused(
        caller,
        section,
        StatusCode::FORBIDDEN,
        "Not allowed",
        &format!("Your account does not hold the {scope} scope, which this page needs."),
        "/console",
    ))
}

#[cfg(test)]
#[path = "tests/page.rs"]
mod tests;
