//! `/console/orgs`: the organization tree as far as the person reaches; create, disable,
//! enable. Also the organization names other pages show and offer in their forms.

use std::collections::{HashMap, HashSet};

use actix_web::{web, HttpResponse};
use askama::Template;
use chrono::Utc;
use serde::Deserialize;

use super::auth::ConsoleCaller;
use super::page::{self, csrf_refused, render, require, see_other, Chrome, Feedback, Problem};
use crate::domain::orgs::{NewOrg, Org, OrgPatch};
use crate::domain::{Core, DomainError};

const READ: &str = "admin:orgs:read";
const WRITE: &str = "admin:orgs:write";
const SECTION: &str = "orgs";

/// An organization in the tree, in display order.
#[derive(Debug, Clone)]
pub struct OrgEntry {
    /// Id.
    pub id: String,
    /// Slug.
    pub slug: String,
    /// Name.
    pub name: String,
    /// Depth below the top of what the person sees (0 for the top).
    pub depth: usize,
    /// Enabled.
    pub active: bool,
    /// Created, as shown.
    pub created: String,
}

impl OrgEntry {
    /// The marks that indent it in a drop-down list.
    pub fn indent(&self) -> String {
        "· ".repeat(self.depth)
    }
}

/// An organization as a form offers it.
#[derive(Debug, Clone)]
pub struct OrgOption {
    /// Its id (the value sent).
    pub id: String,
    /// What the person reads: indented name and slug.
    pub label: String,
}

/// Every organization the caller reaches, as a tree in display order (parents before their
/// children). A few thousand at most: read in pages of 200.
pub async fn tree(core: &Core, caller: &ConsoleCaller) -> Result<Vec<OrgEntry>, DomainError> {
    let service = core.org_service();
    let mut all: Vec<Org> = Vec::new();
    let mut offset = 0;
    loop {
        let page = service.list(&caller.acting, 200, offset).await?;
        let n = page.len();
        all.extend(page);
        if n < 200 || all.len() >= 5000 {
            break;
        }
        offset += 200;
    }
    Ok(arrange(&all))
}

/// Organizations in display order: each followed by its children, depth counted from the
/// top of what is listed.
fn arrange(all: &[Org]) -> Vec<OrgEntry> {
    let ids: HashSet<&str> = all.iter().map(|o| o.id.as_str()).collect();
    let mut children: HashMap<&str, Vec<&Org>> = HashMap::new();
    for o in all {
        if let Some(p) = o.parent_id.as_deref() {
            children.entry(p).or_default().push(o);
        }
    }
    let is_top = |o: &Org| o.parent_id.as_deref().is_none_or(|p| !ids.contains(p));
    let mut out = Vec::with_capacity(all.len());
    let mut stack: Vec<(&Org, usize)> = all
        .iter()
        .filter(|o| is_top(o))
        .rev()
        .map(|o| (o, 0))
        .collect();
    while let Some((org, depth)) = stack.pop() {
        out.push(OrgEntry {
            id: org.id.clone(),
            slug: org.slug.clone(),
            name: org.name.clone(),
            depth,
            active: org.active,
            created: page::when(&org.created_at),
        });
        if let Some(below) = children.get(org.id.as_str()) {
            stack.extend(below.iter().rev().map(|c| (*c, depth + 1)));
        }
    }
    out
}

/// The organizations a form may offer, when the person may read them (else none: the form
/// then asks for a slug or id as text).
pub async fn options(core: &Core, caller: &ConsoleCaller) -> Vec<OrgOption> {
    if !caller.acting.powers.allows(READ) {
        return Vec::new();
    }
    match tree(core, caller).await {
        Ok(entries) => entries
            .into_iter()
            .map(|o| OrgOption {
                label: format!("{}{} ({})", o.indent(), o.name, o.slug),
                id: o.id,
            })
            .collect(),
        Err(e) => {
            log::warn!("console: the organizations could not be listed: {e}");
            Vec::new()
        }
    }
}

/// An organization's name for a table cell: `name (slug)` when known, else its id.
pub fn label(options: &[OrgOption], id: &str) -> String {
    options.iter().find(|o| o.id == id).map_or_else(
        || id.to_string(),
        |o| o.label.trim_start_matches("· ").to_string(),
    )
}

/// The create form as sent (and shown again when refused).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct OrgDraft {
    /// CSRF token.
    pub csrf: String,
    /// Slug.
    pub slug: String,
    /// Name.
    pub name: String,
    /// Parent id (empty: the person's own organization).
    pub parent_id: String,
}

/// `POST …/active` body.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct ActiveForm {
    /// CSRF token.
    pub csrf: String,
    /// `true` to enable, `false` to disable.
    pub active: String,
}

#[derive(Template)]
#[template(path = "console/orgs.html")]
struct OrgsPage {
    chrome: Chrome,
    orgs: Vec<OrgEntry>,
    draft: OrgDraft,
    fb: Feedback,
    can_write: bool,
}

async fn show(core: &Core, caller: &ConsoleCaller, draft: OrgDraft, fb: Feedback) -> HttpResponse {
    if let Some(refusal) = require(caller, SECTION, READ) {
        return refusal;
    }
    let orgs = match tree(core, caller).await {
        Ok(orgs) => orgs,
        Err(e) => return page::failed(caller, SECTION, e, "/console"),
    };
    let status = fb.status();
    let p = OrgsPage {
        chrome: Chrome::new(caller, SECTION),
        orgs,
        draft,
        fb,
        can_write: caller.acting.powers.allows(WRITE),
    };
    render(status, &p)
}

/// `GET /console/orgs`
pub async fn list(caller: ConsoleCaller, core: web::Data<Core>) -> HttpResponse {
    show(&core, &caller, OrgDraft::default(), Feedback::default()).await
}

/// `POST /console/orgs`
pub async fn create(
    caller: ConsoleCaller,
    core: web::Data<Core>,
    form: web::Form<OrgDraft>,
) -> HttpResponse {
    let draft = form.into_inner();
    if !caller.csrf_ok(&draft.csrf) {
        return csrf_refused(&caller, SECTION, "/console/orgs");
    }
    if let Some(refusal) = require(&caller, SECTION, WRITE) {
        return refusal;
    }
    let new = NewOrg {
        slug: draft.slug.trim().to_string(),
        name: draft.name.clone(),
        parent_id: page::optional(&draft.parent_id),
        active: None,
    };
    match core
        .org_service()
        .create(&caller.acting, new, Utc::now())
        .await
    {
        Ok(_) => see_other("/console/orgs"),
        Err(e) => {
            let fb = Feedback::of(Problem::new("create", &["slug", "name", "parent_id"], e));
            show(&core, &caller, draft, fb).await
        }
    }
}

/// `POST /console/orgs/{id}/active`: disable or enable.
pub async fn set_active(
    caller: ConsoleCaller,
    core: web::Data<Core>,
    id: web::Path<String>,
    form: web::Form<ActiveForm>,
) -> HttpResponse {
    if !caller.csrf_ok(&form.csrf) {
        return csrf_refused(&caller, SECTION, "/console/orgs");
    }
    if let Some(refusal) = require(&caller, SECTION, WRITE) {
        return refusal;
    }
    let patch = OrgPatch {
        name: None,
        active: Some(form.active == "true"),
    };
    let id = id.into_inner();
    match core
        .org_service()
        .update(&caller.acting, id, patch, Utc::now())
        .await
    {
        Ok(_) => see_other("/console/orgs"),
        Err(e) => {
            let fb = Feedback::of(Problem::new("tree", &[], e));
            show(&core, &caller, OrgDraft::default(), fb).await
        }
    }
}

#[cfg(test)]
#[path = "tests/orgs.rs"]
mod tests;
