//! `/console/groups`: the groups the person reaches, and creating one.

use actix_web::{web, HttpResponse};
use askama::Template;
use chrono::Utc;
use serde::Deserialize;

use super::auth::ConsoleCaller;
use super::orgs::{self, OrgOption};
use super::page::{self, csrf_refused, render, require, see_other, Chrome, Feedback, ListQuery};
use super::page::{Pager, Problem, PAGE_SIZE};
use crate::domain::groups::{Group, NewGroup};
use crate::domain::Core;

pub(super) const READ: &str = "admin:groups:read";
pub(super) const WRITE: &str = "admin:groups:write";
pub(super) const SECTION: &str = "groups";

/// A group as a row of the list.
#[derive(Debug, Clone)]
pub struct GroupLine {
    /// Id (its page's path).
    pub id: String,
    /// Name.
    pub name: String,
    /// Its organization, as shown.
    pub org: String,
    /// Scopes it gives, space-separated.
    pub scopes: String,
    /// Audiences it gives, space-separated.
    pub audiences: String,
}

impl GroupLine {
    pub(super) fn new(g: &Group, orgs: &[OrgOption]) -> Self {
        GroupLine {
            id: g.id.clone(),
            name: g.name.clone(),
            org: orgs::label(orgs, &g.org_id),
            scopes: g.scopes.join(" "),
            audiences: g.audiences.join(" "),
        }
    }
}

/// The create form as sent (shown again when refused), named as the API's fields.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct GroupDraft {
    /// CSRF token.
    pub csrf: String,
    /// Organization id or slug; empty: the person's own.
    pub org_id: String,
    /// Name.
    pub name: String,
    /// Free text.
    pub description: String,
    /// Space- or comma-separated.
    pub scopes: String,
    /// Space- or comma-separated.
    pub audiences: String,
}

const FIELDS: &[&str] = &["org_id", "name", "description", "scopes", "audiences"];

#[derive(Template)]
#[template(path = "console/groups.html")]
struct GroupsPage {
    chrome: Chrome,
    groups: Vec<GroupLine>,
    orgs: Vec<OrgOption>,
    filter_org: String,
    pager: Pager,
    draft: GroupDraft,
    fb: Feedback,
    can_write: bool,
}

async fn show(
    core: &Core,
    caller: &ConsoleCaller,
    query: &ListQuery,
    draft: GroupDraft,
    fb: Feedback,
) -> HttpResponse {
    if let Some(refusal) = require(caller, SECTION, READ) {
        return refusal;
    }
    let listed = core
        .group_service()
        .list(&caller.acting, query.selector(), PAGE_SIZE, query.offset())
        .await;
    let items = match listed {
        Ok(items) => items,
        Err(e) => return page::failed(caller, SECTION, e, "/console/groups"),
    };
    let orgs = orgs::options(core, caller).await;
    let status = fb.status();
    let p = GroupsPage {
        chrome: Chrome::new(caller, SECTION),
        groups: items.iter().map(|g| GroupLine::new(g, &orgs)).collect(),
        pager: query.pager("/console/groups", items.len()),
        orgs,
        filter_org: query.org.clone(),
        draft,
        fb,
        can_write: caller.acting.powers.allows(WRITE),
    };
    render(status, &p)
}

/// `GET /console/groups`
pub async fn list(
    caller: ConsoleCaller,
    core: web::Data<Core>,
    query: web::Query<ListQuery>,
) -> HttpResponse {
    show(
        &core,
        &caller,
        &query,
        GroupDraft::default(),
        Feedback::default(),
    )
    .await
}

/// `POST /console/groups`
pub async fn create(
    caller: ConsoleCaller,
    core: web::Data<Core>,
    form: web::Form<GroupDraft>,
) -> HttpResponse {
    let draft = form.into_inner();
    if !caller.csrf_ok(&draft.csrf) {
        return csrf_refused(&caller, SECTION, "/console/groups");
    }
    if let Some(refusal) = require(&caller, SECTION, WRITE) {
        return refusal;
    }
    let new = NewGroup {
        org_id: page::optional(&draft.org_id),
        name: draft.name.trim().to_string(),
        description: page::optional(&draft.description),
        scopes: page::words(&draft.scopes),
        audiences: page::words(&draft.audiences),
    };
    match core
        .group_service()
        .create(&caller.acting, new, Utc::now())
        .await
    {
        Ok(group) => see_other(&format!("/console/groups/{}", group.id)),
        Err(e) => {
            let fb = Feedback::of(Problem::new("create", FIELDS, e));
            show(&core, &caller, &ListQuery::default(), draft, fb).await
        }
    }
}

#[cfg(test)]
#[path = "tests/groups.rs"]
mod tests;
