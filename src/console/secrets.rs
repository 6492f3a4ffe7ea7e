//! A service account's secrets: adding one (shown once, with a copy button), revoking one;
//! and the shown-once page that creation and promotion answer with too.

use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpResponse};
use askama::Template;
use chrono::{DateTime, NaiveDateTime, Utc};
use serde::Deserialize;

use super::auth::ConsoleCaller;
use super::clients::{SECTION, WRITE};
use super::detail;
use super::page::Problem;
use super::page::{self, csrf_refused, render, require, see_other, Chrome, CsrfForm, Feedback};
use crate::domain::clients::{Client, NewSecret};
use crate::domain::{Core, DomainError};
use crate::storage::clients::SecretRow;

/// A new secret to show once, and what it belongs to.
#[derive(Debug, Clone)]
pub struct Shown {
    /// The page's heading.
    pub title: String,
    /// Why there is a new secret.
    pub lead: String,
    /// The service account's row id (its page).
    pub id: String,
    /// Its client_id.
    pub client_id: String,
    /// Its name.
    pub name: String,
    /// The secret's name.
    pub secret_name: String,
    /// When it expires, as shown.
    pub expires: String,
    /// The secret itself.
    pub secret: String,
}

impl Shown {
    fn new(client: &Client, row: &SecretRow, secret: String, title: &str, lead: &str) -> Self {
        Shown {
            title: title.into(),
            lead: lead.into(),
            id: client.id.clone(),
            client_id: client.client_id.clone(),
            name: client.name.clone(),
            secret_name: row.name.clone(),
            expires: row.expires_at.as_ref().map_or("never".into(), page::naive),
            secret,
        }
    }

    /// A service account just created, with its first secret.
    pub fn created(client: &Client, row: &SecretRow, secret: String) -> Self {
        Self::new(
            client,
            row,
            secret,
            "Service account created",
            "The service account exists now. Here is its first secret.",
        )
    }

    /// A secret added beside the others (rotation).
    pub fn added(client: &Client, row: &SecretRow, secret: String) -> Self {
        Self::new(
            client,
            row,
            secret,
            "New secret",
            "The new secret works now, beside the others. Revoke the old one once every \
             workload uses this one.",
        )
    }

    /// A service account promoted to admin: every older secret and token was revoked.
    pub fn promoted(client: &Client, row: &SecretRow, secret: String) -> Self {
        Self::new(
            client,
            row,
            secret,
            "Admin flag set: new secret",
            "The service account is now an admin service account. Every secret and token it \
             had was revoked; this is its only secret.",
        )
    }
}

#[derive(Template)]
#[template(path = "console/secret_shown.html")]
struct ShownPage {
    chrome: Chrome,
    shown: Shown,
}

/// The page that shows a new secret once: never stored by a cache, never shown again.
pub fn shown_once(caller: &ConsoleCaller, status: StatusCode, shown: Shown) -> HttpResponse {
    let mut res = render(
        status,
        &ShownPage {
            chrome: Chrome::new(caller, SECTION),
            shown,
        },
    );
    res.headers_mut().insert(
        header::CACHE_CONTROL,
        header::HeaderValue::from_static("no-store"),
    );
    res
}

/// `POST …/secrets` body, named as the API's.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct SecretDraft {
    /// CSRF token.
    pub csrf: String,
    /// A name for people (default `secret`).
    pub name: String,
    /// When it stops working (UTC; `datetime-local` or RFC 3339); never, when empty.
    pub expires_at: String,
}

/// The expiry as sent: empty is none; `2030-01-02T03:04` (a `datetime-local` field, read as
/// UTC) or RFC 3339.
fn expiry(raw: &str) -> Result<Option<DateTime<Utc>>, DomainError> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Ok(None);
    }
    if let Ok(t) = DateTime::parse_from_rfc3339(raw) {
        return Ok(Some(t.with_timezone(&Utc)));
    }
    ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M"]
        .iter()
        .find_map(|f| NaiveDateTime::parse_from_str(raw, f).ok())
        .map(|t| Some(t.and_utc()))
        .ok_or_else(|| {
            DomainError::Invalid(vec![format!(
                "expires_at {raw:?} is not a date and time (for example 2030-01-31T12:00)"
            )])
        })
}

const FIELDS: &[&str] = &["name", "expires_at"];

/// `POST /console/clients/{id}/secrets`: a new secret, shown once.
pub async fn add(
    caller: ConsoleCaller,
    core: web::Data<Core>,
    id: web::Path<String>,
    form: web::Form<SecretDraft>,
) -> HttpResponse {
    let id = id.into_inner();
    let back = format!("/console/clients/{id}");
    let draft = form.into_inner();
    if !caller.csrf_ok(&draft.csrf) {
        return csrf_refused(&caller, SECTION, &back);
    }
    if let Some(refusal) = require(&caller, SECTION, WRITE) {
        return refusal;
    }
    let service = core.client_service();
    let added = match expiry(&draft.expires_at) {
        Ok(expires_at) => {
            let new = NewSecret {
                name: page::optional(&draft.name),
                expires_at,
            };
            service
                .add_secret(&caller.acting, id.clone(), new, Utc::now())
                .await
        }
        Err(e) => Err(e),
    };
    match added {
        Ok((row, plain)) => match service.get(&caller.acting, id.clone()).await {
            Ok(client) => shown_once(
                &caller,
                StatusCode::CREATED,
                Shown::added(&client, &row, plain),
            ),
            Err(e) => page::failed(&caller, SECTION, e, &back),
        },
        Err(e) => {
            let fb = Feedback::of(Problem::new("add-secret", FIELDS, e));
            detail::show(&core, &caller, &id, draft, fb).await
        }
    }
}

/// `POST /console/clients/{id}/secrets/{secret_id}/revoke`
pub async fn revoke(
    caller: ConsoleCaller,
    core: web::Data<Core>,
    path: web::Path<(String, String)>,
    form: web::Form<CsrfForm>,
) -> HttpResponse {
    let (id, secret_id) = path.into_inner();
    let back = format!("/console/clients/{id}");
    if !caller.csrf_ok(&form.csrf) {
        return csrf_refused(&caller, SECTION, &back);
    }
    if let Some(refusal) = require(&caller, SECTION, WRITE) {
        return refusal;
    }
    match core
        .client_service()
        .revoke_secret(&caller.acting, id.clone(), secret_id, Utc::now())
        .await
    {
        Ok(()) => see_other(&back),
        Err(e) => {
            let fb = Feedback::of(Problem::new("secrets", &[], e));
            detail::show(&core, &caller, &id, SecretDraft::default(), fb).await
        }
    }
}

#[cfg(test)]
#[path = "tests/secrets.rs"]
mod tests;
