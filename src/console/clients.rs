//! `/console/clients`: the service accounts the person reaches, and creating one (its first
//! secret is shown once).

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use askama::Template;
use chrono::Utc;
use serde::Deserialize;

use super::auth::ConsoleCaller;
use super::orgs::{self, OrgOption};
use super::page::{self, csrf_refused, render, require, Chrome, Feedback, ListQuery, Pager};
use super::page::{Problem, PAGE_SIZE};
use super::secrets::{shown_once, Shown};
use crate::domain::clients::Client;
use crate::domain::Core;

pub(super) const READ: &str = "admin:clients:read";
pub(super) const WRITE: &str = "admin:clients:write";
pub(super) const SECTION: &str = "clients";

/// A service account as a row of the list.
#[derive(Debug, Clone)]
pub struct ClientLine {
    /// Row id (the detail page's path).
    pub id: String,
    /// client_id.
    pub client_id: String,
    /// Name.
    pub name: String,
    /// Its organization, as shown.
    pub org: String,
    /// Enabled.
    pub active: bool,
    /// The admin flag.
    pub admin: bool,
    /// Declared in the configuration file.
    pub configured: bool,
}

impl ClientLine {
    fn new(c: &Client, orgs: &[OrgOption]) -> Self {
        ClientLine {
            id: c.id.clone(),
            client_id: c.client_id.clone(),
            name: c.name.clone(),
            org: orgs::label(orgs, &c.org_id),
            active: c.active,
            admin: c.is_admin_service_account,
            configured: c.managed_by == "config",
        }
    }
}

/// The create form as sent (shown again when refused). Fields are named as the API's.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct ClientDraft {
    /// CSRF token.
    pub csrf: String,
    /// Optional: generated when empty.
    pub client_id: String,
    /// Display name.
    pub name: String,
    /// Free text.
    pub description: String,
    /// Organization id or slug; empty: the person's own.
    pub org_id: String,
    /// Space- or comma-separated.
    pub scopes: String,
    /// Space- or comma-separated.
    pub audiences: String,
}

const FIELDS: &[&str] = &[
    "client_id",
    "name",
    "description",
    "org_id",
    "scopes",
    "audiences",
];

#[derive(Template)]
#[template(path = "console/clients.html")]
struct ClientsPage {
    chrome: Chrome,
    clients: Vec<ClientLine>,
    orgs: Vec<OrgOption>,
    filter_org: String,
    pager: Pager,
    draft: ClientDraft,
    fb: Feedback,
    can_write: bool,
}

async fn show(
    core: &Core,
    caller: &ConsoleCaller,
    query: &ListQuery,
    draft: ClientDraft,
    fb: Feedback,
) -> HttpResponse {
    if let Some(refusal) = require(caller, SECTION, READ) {
        return refusal;
    }
    let offset = query.offset();
    let listed = core
        .client_service()
        .list(&caller.acting, query.selector(), PAGE_SIZE, offset)
        .await;
    let items = match listed {
        Ok(items) => items,
        Err(e) => return page::failed(caller, SECTION, e, "/console/clients"),
    };
    let orgs = orgs::options(core, caller).await;
    let status = fb.status();
    let p = ClientsPage {
        chrome: Chrome::new(caller, SECTION),
        clients: items.iter().map(|c| ClientLine::new(c, &orgs)).collect(),
        pager: query.pager("/console/clients", items.len()),
        orgs,
        filter_org: query.org.clone(),
        draft,
        fb,
        can_write: caller.acting.powers.allows(WRITE),
    };
    render(status, &p)
}

/// `GET /console/clients`
pub async fn list(
    caller: ConsoleCaller,
    core: web::Data<Core>,
    query: web::Query<ListQuery>,
) -> HttpResponse {
    show(
        &core,
        &caller,
        &query,
        ClientDraft::default(),
        Feedback::default(),
    )
    .await
}

/// `POST /console/clients`: creates a service account; a confidential one's first secret is
/// shown once, on the page this answers with.
pub async fn create(
    caller: ConsoleCaller,
    core: web::Data<Core>,
    form: web::Form<ClientDraft>,
) -> HttpResponse {
    let draft = form.into_inner();
    if !caller.csrf_ok(&draft.csrf) {
        return csrf_refused(&caller, SECTION, "/console/clients");
    }
    if let Some(refusal) = require(&caller, SECTION, WRITE) {
        return refusal;
    }
    let now = Utc::now();
    let client_id = page::optional(&draft.client_id)
        .unwrap_or_else(|| uuid::Uuid::new_v4().simple().to_string());
    let client = Client {
        description: draft.description.trim().to_string(),
        scopes: page::words(&draft.scopes),
        audiences: page::words(&draft.audiences),
        ..Client::service_account(&client_id, draft.name.trim(), now)
    };
    let org = page::optional(&draft.org_id);
    match core
        .client_service()
        .create(&caller.acting, client, org, now)
        .await
    {
        Ok(created) => match created.secret {
            Some((row, plain)) => shown_once(
                &caller,
                StatusCode::CREATED,
                Shown::created(&created.client, &row, plain),
            ),
            None => page::see_other(&format!("/console/clients/{}", created.client.id)),
        },
        Err(e) => {
            let fb = Feedback::of(Problem::new("create", FIELDS, e));
            show(&core, &caller, &ListQuery::default(), draft, fb).await
        }
    }
}

#[cfg(test)]
#[path = "tests/clients.rs"]
mod tests;
