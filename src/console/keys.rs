//! `/console/keys`: the signing keys and their states; rotation.

use actix_web::{web, HttpResponse};
use askama::Template;
use chrono::Utc;

use super::auth::ConsoleCaller;
use super::page::Problem;
use super::page::{self, csrf_refused, render, require, see_other, Chrome, CsrfForm, Feedback};
use crate::domain::{Core, DomainError};
use crate::keys::{KeyError, KeyInfo, KeyState};
use crate::storage::StoreError;

const WRITE: &str = "admin:keys:write";
const SECTION: &str = "keys";

/// A key as a row of the table (public facts only).
#[derive(Debug, Clone)]
pub struct KeyLine {
    /// Key id.
    pub kid: String,
    /// Algorithm.
    pub alg: String,
    /// `Next`, `Current` or `Retiring`.
    pub state: &'static str,
    /// Created.
    pub created: String,
    /// Signs from.
    pub activates: String,
    /// Stopped signing at.
    pub retired: String,
    /// Leaves the JWKS at.
    pub unpublish: String,
}

impl From<&KeyInfo> for KeyLine {
    fn from(k: &KeyInfo) -> Self {
        KeyLine {
            kid: k.kid.clone(),
            alg: k.alg.clone(),
            state: match k.state {
                KeyState::Next => "Next",
                KeyState::Current => "Current",
                KeyState::Retiring => "Retiring",
            },
            created: page::when(&k.created_at),
            activates: page::when(&k.activates_at),
            retired: page::when_or(&k.retired_at, ""),
            unpublish: page::when_or(&k.unpublish_at, ""),
        }
    }
}

#[derive(Template)]
#[template(path = "console/keys.html")]
struct KeysPage {
    chrome: Chrome,
    keys: Vec<KeyLine>,
    fb: Feedback,
    can_rotate: bool,
}

fn show(core: &Core, caller: &ConsoleCaller, fb: Feedback) -> HttpResponse {
    // Keys are public; any admin who may change them may list them (as the admin API).
    if let Some(refusal) = require(caller, SECTION, WRITE) {
        return refusal;
    }
    let status = fb.status();
    let p = KeysPage {
        chrome: Chrome::new(caller, SECTION),
        keys: core
            .keys
            .current()
            .infos
            .iter()
            .map(KeyLine::from)
            .collect(),
        fb,
        can_rotate: caller.acting.require_root().is_ok(),
    };
    render(status, &p)
}

/// `GET /console/keys`
pub async fn list(caller: ConsoleCaller, core: web::Data<Core>) -> HttpResponse {
    show(&core, &caller, Feedback::default())
}

/// `POST /console/keys/rotate`: a new key is published now and signs a minute later (so that
/// verifiers caching the JWKS learn it first); the old one then stays published until every
/// token it signed has expired.
pub async fn rotate(
    caller: ConsoleCaller,
    core: web::Data<Core>,
    form: web::Form<CsrfForm>,
) -> HttpResponse {
    if !caller.csrf_ok(&form.csrf) {
        return csrf_refused(&caller, SECTION, "/console/keys");
    }
    if let Some(refusal) = require(&caller, SECTION, WRITE) {
        return refusal;
    }
    if let Err(e) = caller.acting.require_root() {
        return show(&core, &caller, Feedback::of(Problem::new("rotate", &[], e)));
    }
    let state = core.clone();
    let actor = caller.acting.actor.clone();
    let rotated = core
        .db
        .run(move |conn| {
            Ok::<_, StoreError>(state.keys.rotate_at(
                conn,
                Utc::now(),
                crate::keys::Switch::default(),
                &actor,
            ))
        })
        .await;
    let failure = match rotated {
        Ok(Ok(_)) => return see_other("/console/keys"),
        Ok(Err(KeyError::Store(e))) | Err(e) => DomainError::from(e),
        Ok(Err(other)) => DomainError::Internal(other.to_string()),
    };
    show(
        &core,
        &caller,
        Feedback::of(Problem::new("rotate", &[], failure)),
    )
}

#[cfg(test)]
#[path = "tests/keys.rs"]
mod tests;
