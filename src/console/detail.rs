//! `/console/clients/{id}`: one service account: its fields, its secrets, its trust policies,
//! and what can be done to it (add or revoke a secret, add or delete a trust policy, revoke its
//! tokens, disable or enable it, the admin flag with its warning beside it).

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use askama::Template;
use chrono::Utc;
use serde::Deserialize;

use super::auth::ConsoleCaller;
use super::clients::{READ, SECTION, WRITE};
use super::orgs::{self, ActiveForm};
use super::page::Problem;
use super::page::{self, csrf_refused, render, require, see_other, Chrome, CsrfForm, Feedback};
use super::secrets::{shown_once, SecretDraft, Shown};
use super::trust::{self, PolicyDraft, PolicyLine};
use crate::domain::clients::{Client, ClientPatch};
use crate::domain::{Core, DomainError};
use crate::storage::clients::SecretRow;

/// A secret as a row of the table (never the secret or its hash).
#[derive(Debug, Clone)]
pub struct SecretLine {
    /// Its id.
    pub id: String,
    /// Its name.
    pub name: String,
    /// Created.
    pub created: String,
    /// Expires.
    pub expires: String,
    /// Last used.
    pub last_used: String,
    /// Revoked, or empty.
    pub revoked: String,
    /// Its last four characters; None for an older secret.
    pub last_four: Option<String>,
    /// `Active`, `Expired` or `Revoked`.
    pub state: &'static str,
}

impl SecretLine {
    fn new(r: &SecretRow, now: chrono::NaiveDateTime) -> Self {
        let state = if r.revoked_at.is_some() {
            "Revoked"
        } else if r.expires_at.is_some_and(|t| t <= now) {
            "Expired"
        } else {
            "Active"
        };
        SecretLine {
            id: r.id.clone(),
            name: r.name.clone(),
            created: page::naive(&r.created_at),
            expires: r.expires_at.as_ref().map_or("never".into(), page::naive),
            last_used: r.last_used_at.as_ref().map_or("never".into(), page::naive),
            revoked: r.revoked_at.as_ref().map_or(String::new(), page::naive),
            last_four: r.last_four.clone(),
            state,
        }
    }
}

#[derive(Template)]
#[template(path = "console/client.html")]
struct ClientPage {
    chrome: Chrome,
    client: Client,
    facts: Vec<(&'static str, String)>,
    secrets: Vec<SecretLine>,
    draft: SecretDraft,
    policies: Vec<PolicyLine>,
    policy: PolicyDraft,
    fb: Feedback,
    can_write: bool,
}

fn list(items: &[String]) -> String {
    if items.is_empty() {
        "none".into()
    } else {
        items.join(" ")
    }
}

fn facts(c: &Client, org: String) -> Vec<(&'static str, String)> {
    vec![
        ("client_id", c.client_id.clone()),
        ("Organization", org),
        ("Description", c.description.clone()),
        ("Type", c.client_type.clone()),
        ("Authentication", c.token_endpoint_auth_method.clone()),
        ("Grant types", list(&c.grant_types)),
        ("Scopes", list(&c.scopes)),
        ("Default scopes", list(&c.default_scopes)),
        ("Audiences", list(&c.audiences)),
        (
            "Default audiences",
            c.default_audiences
                .as_deref()
                .map_or("all of its audiences".into(), list),
        ),
        (
            "Token lifetime",
            c.token_ttl_seconds
                .map_or("server default".into(), |s| format!("{s} s")),
        ),
        (
            "Tokens revoked before",
            page::when_or(&c.tokens_revoked_before, "never"),
        ),
        ("Created", page::when(&c.created_at)),
        ("Updated", page::when(&c.updated_at)),
    ]
}

/// The page of one service account, with the feedback of a refused form.
pub async fn show(
    core: &Core,
    caller: &ConsoleCaller,
    id: &str,
    draft: SecretDraft,
    fb: Feedback,
) -> HttpResponse {
    show_with(core, caller, id, draft, PolicyDraft::default(), fb).await
}

/// The page, with what was typed in the secret and the trust policy forms.
pub async fn show_with(
    core: &Core,
    caller: &ConsoleCaller,
    id: &str,
    draft: SecretDraft,
    policy: PolicyDraft,
    fb: Feedback,
) -> HttpResponse {
    if let Some(refusal) = require(caller, SECTION, READ) {
        return refusal;
    }
    let service = core.client_service();
    let read = async {
        let client = service.get(&caller.acting, id.to_string()).await?;
        let secrets = service.secrets(&caller.acting, id.to_string()).await?;
        let policies = trust::lines(core, caller, id).await?;
        Ok::<_, DomainError>((client, secrets, policies))
    };
    let (client, secrets, policies) = match read.await {
        Ok(found) => found,
        Err(e) => return page::failed(caller, SECTION, e, "/console/clients"),
    };
    let orgs = orgs::options(core, caller).await;
    let now = Utc::now().naive_utc();
    let status = fb.status();
    let p = ClientPage {
        chrome: Chrome::new(caller, SECTION),
        facts: facts(&client, orgs::label(&orgs, &client.org_id)),
        secrets: secrets.iter().map(|r| SecretLine::new(r, now)).collect(),
        client,
        draft,
        policies,
        policy,
        fb,
        can_write: caller.acting.powers.allows(WRITE),
    };
    render(status, &p)
}

/// `GET /console/clients/{id}`
pub async fn get(
    caller: ConsoleCaller,
    core: web::Data<Core>,
    id: web::Path<String>,
) -> HttpResponse {
    show(
        &core,
        &caller,
        &id,
        SecretDraft::default(),
        Feedback::default(),
    )
    .await
}

/// Checks the token and the scope of a change to `id`: the refusal, if any.
fn allowed(caller: &ConsoleCaller, id: &str, csrf: &str) -> Option<HttpResponse> {
    if !caller.csrf_ok(csrf) {
        return Some(csrf_refused(
            caller,
            SECTION,
            &format!("/console/clients/{id}"),
        ));
    }
    require(caller, SECTION, WRITE)
}

/// Applies `patch`; a promotion shows its new secret once, anything else redirects back.
async fn patch(
    core: &Core,
    caller: &ConsoleCaller,
    id: String,
    patch: ClientPatch,
    form: &'static str,
) -> HttpResponse {
    let service = core.client_service();
    match service
        .update(&caller.acting, id.clone(), patch, Utc::now())
        .await
    {
        Ok(updated) => match updated.secret {
            Some((row, plain)) => shown_once(
                caller,
                StatusCode::OK,
                Shown::promoted(&updated.client, &row, plain),
            ),
            None => see_other(&format!("/console/clients/{id}")),
        },
        Err(e) => {
            let fb = Feedback::of(Problem::new(form, &[], e));
            show(core, caller, &id, SecretDraft::default(), fb).await
        }
    }
}

/// `POST /console/clients/{id}/active`: disable or enable.
pub async fn set_active(
    caller: ConsoleCaller,
    core: web::Data<Core>,
    id: web::Path<String>,
    form: web::Form<ActiveForm>,
) -> HttpResponse {
    if let Some(refusal) = allowed(&caller, &id, &form.csrf) {
        return refusal;
    }
    let p = ClientPatch {
        active: Some(form.active == "true"),
        ..ClientPatch::default()
    };
    patch(&core, &caller, id.into_inner(), p, "status").await
}

/// `POST …/admin-flag` body: the checkbox is sent only when ticked.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct AdminFlagForm {
    /// CSRF token.
    pub csrf: String,
    /// Present (`true`) when the box is ticked.
    pub is_admin_service_account: Option<String>,
}

/// `POST /console/clients/{id}/admin-flag`: sets or clears the flag. Setting it on a service
/// account without admin privilege is a promotion: its new secret is shown once.
pub async fn set_admin_flag(
    caller: ConsoleCaller,
    core: web::Data<Core>,
    id: web::Path<String>,
    form: web::Form<AdminFlagForm>,
) -> HttpResponse {
    if let Some(refusal) = allowed(&caller, &id, &form.csrf) {
        return refusal;
    }
    let p = ClientPatch {
        is_admin_service_account: Some(form.is_admin_service_account.is_some()),
        ..ClientPatch::default()
    };
    patch(&core, &caller, id.into_inner(), p, "admin-flag").await
}

/// `POST /console/clients/{id}/revoke-tokens`: every token issued until now stops working.
pub async fn revoke_tokens(
    caller: ConsoleCaller,
    core: web::Data<Core>,
    id: web::Path<String>,
    form: web::Form<CsrfForm>,
) -> HttpResponse {
    if let Some(refusal) = allowed(&caller, &id, &form.csrf) {
        return refusal;
    }
    let id = id.into_inner();
    match core
        .client_service()
        .revoke_tokens(&caller.acting, id.clone(), Utc::now())
        .await
    {
        Ok(_) => see_other(&format!("/console/clients/{id}")),
        Err(e) => {
            let fb = Feedback::of(Problem::new("tokens", &[], e));
            show(&core, &caller, &id, SecretDraft::default(), fb).await
        }
    }
}

#[cfg(test)]
#[path = "tests/detail.rs"]
mod tests;
