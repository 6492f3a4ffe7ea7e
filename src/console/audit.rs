//! `/console/audit`: the audit trail, newest first, with filters (a GET form, so a filtered
//! view is a link to share).

use actix_web::{web, HttpResponse};
use askama::Template;
use serde::Deserialize;

use super::auth::ConsoleCaller;
use super::orgs::{self, OrgOption};
use super::page::{self, render, require, Chrome, Pager, PAGE_SIZE};
use crate::domain::tenancy::OrgSelector;
use crate::domain::{Core, DomainError};
use crate::storage::audit::{self as audit_rows, AuditFilter, AuditRow};

const READ: &str = "admin:audit:read";
const SECTION: &str = "audit";

/// The filters, as the admin API names them; lenient (what does not parse is ignored).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct AuditQuery {
    /// Only events by this actor.
    pub actor: String,
    /// Only events on this target.
    pub target: String,
    /// Only this action.
    pub action: String,
    /// Only events on targets of this organization (id or slug).
    pub org: String,
    /// With `org`: also those below it (`true`).
    pub subtree: String,
    /// Items to skip.
    pub offset: String,
}

impl AuditQuery {
    fn query_string(&self) -> String {
        let mut q = form_urlencoded::Serializer::new(String::new());
        for (k, v) in [
            ("actor", &self.actor),
            ("target", &self.target),
            ("action", &self.action),
            ("org", &self.org),
            ("subtree", &self.subtree),
        ] {
            if !v.trim().is_empty() {
                q.append_pair(k, v.trim());
            }
        }
        q.finish()
    }
}

/// An event as a row of the table.
#[derive(Debug, Clone)]
pub struct EventLine {
    /// When.
    pub when: String,
    /// Who.
    pub actor: String,
    /// `service_account`, `user` or `system`.
    pub actor_kind: String,
    /// What.
    pub action: String,
    /// On what.
    pub target: String,
    /// What kind of target.
    pub target_kind: String,
    /// The target's organization, as shown.
    pub org: String,
    /// The caller's address, or empty.
    pub ip: String,
    /// The details, as indented JSON.
    pub details: String,
}

impl EventLine {
    fn new(r: AuditRow, orgs: &[OrgOption]) -> Self {
        let details = serde_json::from_str::<serde_json::Value>(&r.details)
            .ok()
            .and_then(|v| serde_json::to_string_pretty(&v).ok())
            .unwrap_or(r.details);
        EventLine {
            when: page::naive(&r.occurred_at),
            actor: r.actor,
            actor_kind: r.actor_kind,
            action: r.action,
            target: r.target,
            target_kind: r.target_kind,
            org: r.org_id.map(|o| orgs::label(orgs, &o)).unwrap_or_default(),
            ip: r.ip.unwrap_or_default(),
            details,
        }
    }
}

#[derive(Template)]
#[template(path = "console/audit.html")]
struct AuditPage {
    chrome: Chrome,
    q: AuditQuery,
    orgs: Vec<OrgOption>,
    events: Vec<EventLine>,
    pager: Pager,
    problem: Vec<String>,
}

/// `GET /console/audit`
pub async fn list(
    caller: ConsoleCaller,
    core: web::Data<Core>,
    query: web::Query<AuditQuery>,
) -> HttpResponse {
    if let Some(refusal) = require(&caller, SECTION, READ) {
        return refusal;
    }
    let q = query.into_inner();
    let offset = q.offset.trim().parse::<i64>().unwrap_or(0).max(0);
    let filter = AuditFilter {
        actor: page::optional(&q.actor),
        target: page::optional(&q.target),
        action: page::optional(&q.action),
    };
    let selector = OrgSelector {
        org: page::optional(&q.org),
        subtree: q.subtree == "true",
    };
    let acting = caller.acting.clone();
    let read = core
        .db
        .read(move |conn| {
            // CONTRACT: events on targets outside the caller's reach are absent.
            let reach = acting.reach_for(conn, &selector)?;
            Ok::<_, DomainError>(audit_rows::list(conn, &reach, &filter, PAGE_SIZE, offset)?)
        })
        .await;
    let orgs = orgs::options(&core, &caller).await;
    let (rows, problem, status) = match read {
        Ok(rows) => (rows, Vec::new(), actix_web::http::StatusCode::OK),
        // An organization outside the reach is the filter's mistake: said beside the filters.
        Err(DomainError::NotFound(what)) => (
            Vec::new(),
            vec![format!("no such {what} within your reach")],
            actix_web::http::StatusCode::NOT_FOUND,
        ),
        Err(e) => return page::failed(&caller, SECTION, e, "/console/audit"),
    };
    let pager = Pager::new("/console/audit", &q.query_string(), offset, rows.len());
    let p = AuditPage {
        chrome: Chrome::new(&caller, SECTION),
        events: rows.into_iter().map(|r| EventLine::new(r, &orgs)).collect(),
        orgs,
        q,
        pager,
        problem,
    };
    render(status, &p)
}

#[cfg(test)]
#[path = "tests/audit.rs"]
mod tests;
