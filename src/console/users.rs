//! `/console/users`: the people the person reaches; create one, disable or enable one.

use actix_web::{web, HttpResponse};
use askama::Template;
use chrono::Utc;
use serde::Deserialize;

use super::auth::ConsoleCaller;
use super::orgs::{self, ActiveForm, OrgOption};
use super::page::{self, csrf_refused, render, require, see_other, Chrome, Feedback, ListQuery};
use super::page::{Pager, Problem, PAGE_SIZE};
use crate::domain::users::{NewUser, User, UserPatch};
use crate::domain::Core;

const READ: &str = "admin:users:read";
const WRITE: &str = "admin:users:write";
const SECTION: &str = "users";

/// A user as a row of the list.
#[derive(Debug, Clone)]
pub struct UserLine {
    /// Id.
    pub id: String,
    /// Username.
    pub username: String,
    /// Display name.
    pub display_name: String,
    /// Email, or empty.
    pub email: String,
    /// Its organization, as shown.
    pub org: String,
    /// Enabled.
    pub active: bool,
    /// Whether a password is set.
    pub has_password: bool,
}

impl UserLine {
    fn new(u: &User, orgs: &[OrgOption]) -> Self {
        UserLine {
            id: u.id.clone(),
            username: u.username.clone(),
            display_name: u.display_name.clone(),
            email: u.email.clone().unwrap_or_default(),
            org: orgs::label(orgs, &u.org_id),
            active: u.active,
            has_password: u.has_password,
        }
    }
}

/// The create form as sent, named as the API's fields. The password is never shown again.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct UserDraft {
    /// CSRF token.
    pub csrf: String,
    /// Login name.
    pub username: String,
    /// Name shown to people.
    pub display_name: String,
    /// Contact address.
    pub email: String,
    /// Organization id or slug; empty: the person's own.
    pub org_id: String,
    /// First password (written only).
    pub password: String,
}

const FIELDS: &[&str] = &["username", "display_name", "email", "org_id", "password"];

#[derive(Template)]
#[template(path = "console/users.html")]
struct UsersPage {
    chrome: Chrome,
    users: Vec<UserLine>,
    orgs: Vec<OrgOption>,
    filter_org: String,
    pager: Pager,
    draft: UserDraft,
    fb: Feedback,
    can_write: bool,
}

async fn show(
    core: &Core,
    caller: &ConsoleCaller,
    query: &ListQuery,
    mut draft: UserDraft,
    fb: Feedback,
) -> HttpResponse {
    if let Some(refusal) = require(caller, SECTION, READ) {
        return refusal;
    }
    draft.password.clear();
    let listed = core
        .user_service()
        .list(&caller.acting, query.selector(), PAGE_SIZE, query.offset())
        .await;
    let items = match listed {
        Ok(items) => items,
        Err(e) => return page::failed(caller, SECTION, e, "/console/users"),
    };
    let orgs = orgs::options(core, caller).await;
    let status = fb.status();
    let p = UsersPage {
        chrome: Chrome::new(caller, SECTION),
        users: items.iter().map(|u| UserLine::new(u, &orgs)).collect(),
        pager: query.pager("/console/users", items.len()),
        orgs,
        filter_org: query.org.clone(),
        draft,
        fb,
        can_write: caller.acting.powers.allows(WRITE),
    };
    render(status, &p)
}

/// `GET /console/users`
pub async fn list(
    caller: ConsoleCaller,
    core: web::Data<Core>,
    query: web::Query<ListQuery>,
) -> HttpResponse {
    show(
        &core,
        &caller,
        &query,
        UserDraft::default(),
        Feedback::default(),
    )
    .await
}

/// `POST /console/users`
pub async fn create(
    caller: ConsoleCaller,
    core: web::Data<Core>,
    form: web::Form<UserDraft>,
) -> HttpResponse {
    let draft = form.into_inner();
    if !caller.csrf_ok(&draft.csrf) {
        return csrf_refused(&caller, SECTION, "/console/users");
    }
    if let Some(refusal) = require(&caller, SECTION, WRITE) {
        return refusal;
    }
    let new = NewUser {
        username: draft.username.trim().to_string(),
        display_name: page::optional(&draft.display_name),
        email: page::optional(&draft.email),
        // A password is taken as typed: spaces are part of it.
        password: (!draft.password.is_empty()).then(|| draft.password.clone()),
        active: None,
        org: page::optional(&draft.org_id),
    };
    match core
        .user_service()
        .create(&caller.acting, new, Utc::now())
        .await
    {
        Ok(_) => see_other("/console/users"),
        Err(e) => {
            let fb = Feedback::of(Problem::new("create", FIELDS, e));
            show(&core, &caller, &ListQuery::default(), draft, fb).await
        }
    }
}

/// `POST /console/users/{id}/active`: disable or enable.
pub async fn set_active(
    caller: ConsoleCaller,
    core: web::Data<Core>,
    id: web::Path<String>,
    form: web::Form<ActiveForm>,
) -> HttpResponse {
    if !caller.csrf_ok(&form.csrf) {
        return csrf_refused(&caller, SECTION, "/console/users");
    }
    if let Some(refusal) = require(&caller, SECTION, WRITE) {
        return refusal;
    }
    let patch = UserPatch {
        active: Some(form.active == "true"),
        ..UserPatch::default()
    };
    match core
        .user_service()
        .update(&caller.acting, id.into_inner(), patch, Utc::now())
        .await
    {
        Ok(_) => see_other("/console/users"),
        Err(e) => {
            let fb = Feedback::of(Problem::new("users", &[], e));
            show(
                &core,
                &caller,
                &ListQuery::default(),
                UserDraft::default(),
                fb,
            )
            .await
        }
    }
}

#[cfg(test)]
#[path = "tests/users.rs"]
mod tests;
