//! `/console/groups/{id}`: one group, its members, adding and removing them.

use actix_web::{web, HttpResponse};
use askama::Template;
use chrono::Utc;
use serde::Deserialize;

use super::auth::ConsoleCaller;
use super::groups::{GroupLine, READ, SECTION, WRITE};
use super::orgs;
use super::page::Problem;
use super::page::{self, csrf_refused, render, require, see_other, Chrome, CsrfForm, Feedback};
use crate::domain::groups::Member;
use crate::domain::{Core, DomainError};

/// A member as a row of the table.
#[derive(Debug, Clone)]
pub struct MemberLine {
    /// The client's or user's id.
    pub id: String,
    /// `Service account` or `User`.
    pub kind: &'static str,
    /// Its client_id or username.
    pub principal: String,
    /// Joined, as shown.
    pub added: String,
}

impl From<&Member> for MemberLine {
    fn from(m: &Member) -> Self {
        MemberLine {
            id: m.id.clone(),
            kind: if m.kind == "user" {
                "User"
            } else {
                "Service account"
            },
            principal: m.principal.clone(),
            added: page::when(&m.added_at),
        }
    }
}

/// `POST …/members` body, named as the API's.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct MemberDraft {
    /// CSRF token.
    pub csrf: String,
    /// A service account's client_id or a user's username.
    pub principal: String,
}

#[derive(Template)]
#[template(path = "console/group.html")]
struct GroupPage {
    chrome: Chrome,
    group: GroupLine,
    description: String,
    members: Vec<MemberLine>,
    draft: MemberDraft,
    fb: Feedback,
    can_write: bool,
}

async fn show(
    core: &Core,
    caller: &ConsoleCaller,
    id: &str,
    draft: MemberDraft,
    fb: Feedback,
) -> HttpResponse {
    if let Some(refusal) = require(caller, SECTION, READ) {
        return refusal;
    }
    let service = core.group_service();
    let read = async {
        let group = service.get(&caller.acting, id.to_string()).await?;
        let members = service.members(&caller.acting, id.to_string()).await?;
        Ok::<_, DomainError>((group, members))
    };
    let (group, members) = match read.await {
        Ok(found) => found,
        Err(e) => return page::failed(caller, SECTION, e, "/console/groups"),
    };
    let orgs = orgs::options(core, caller).await;
    let status = fb.status();
    let p = GroupPage {
        chrome: Chrome::new(caller, SECTION),
        group: GroupLine::new(&group, &orgs),
        description: group.description.clone(),
        members: members.iter().map(MemberLine::from).collect(),
        draft,
        fb,
        can_write: caller.acting.powers.allows(WRITE),
    };
    render(status, &p)
}

/// `GET /console/groups/{id}`
pub async fn get(
    caller: ConsoleCaller,
    core: web::Data<Core>,
    id: web::Path<String>,
) -> HttpResponse {
    show(
        &core,
        &caller,
        &id,
        MemberDraft::default(),
        Feedback::default(),
    )
    .await
}

/// `POST /console/groups/{id}/members`
pub async fn add(
    caller: ConsoleCaller,
    core: web::Data<Core>,
    id: web::Path<String>,
    form: web::Form<MemberDraft>,
) -> HttpResponse {
    let id = id.into_inner();
    let back = format!("/console/groups/{id}");
    let draft = form.into_inner();
    if !caller.csrf_ok(&draft.csrf) {
        return csrf_refused(&caller, SECTION, &back);
    }
    if let Some(refusal) = require(&caller, SECTION, WRITE) {
        return refusal;
    }
    let principal = draft.principal.trim().to_string();
    let added = if principal.is_empty() {
        Err(DomainError::Invalid(vec![
            "principal: name a service account's client_id or a user's username".into(),
        ]))
    } else {
        core.group_service()
            .add_member(&caller.acting, id.clone(), principal, Utc::now())
            .await
            .map(|_| ())
    };
    match added {
        Ok(()) => see_other(&back),
        Err(e) => {
            let fb = Feedback::of(Problem::new("add-member", &["principal"], e));
            show(&core, &caller, &id, draft, fb).await
        }
    }
}

/// `POST /console/groups/{id}/members/{member}/remove`
pub async fn remove(
    caller: ConsoleCaller,
    core: web::Data<Core>,
    path: web::Path<(String, String)>,
    form: web::Form<CsrfForm>,
) -> HttpResponse {
    let (id, member) = path.into_inner();
    let back = format!("/console/groups/{id}");
    if !caller.csrf_ok(&form.csrf) {
        return csrf_refused(&caller, SECTION, &back);
    }
    if let Some(refusal) = require(&caller, SECTION, WRITE) {
        return refusal;
    }
    match core
        .group_service()
        .remove_member(&caller.acting, id.clone(), member, Utc::now())
        .await
    {
        Ok(()) => see_other(&back),
        Err(e) => {
            let fb = Feedback::of(Problem::new("members", &[], e));
            show(&core, &caller, &id, MemberDraft::default(), fb).await
        }
    }
}

#[cfg(test)]
#[path = "tests/members.rs"]
mod tests;
