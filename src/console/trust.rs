//! A service account's trust policies (workload identity) on its page: the table of them, the
//! form that adds one (the claims typed one `/pointer = value` per line, the keys given as a
//! JWKS URL or pinned as JSON), and the button that deletes one.

use actix_web::{web, HttpResponse};
use chrono::Utc;
use serde::Deserialize;
use serde_json::{Map, Value};

use super::auth::ConsoleCaller;
use super::clients::{SECTION, WRITE};
use super::detail;
use super::page::{self, csrf_refused, require, see_other, CsrfForm, Feedback, Problem};
use super::secrets::SecretDraft;
use crate::domain::workload::{NewPolicy, Policy, DEFAULT_MAX_TOKEN_AGE_SECONDS};
use crate::domain::{Core, DomainError};

/// A trust policy as a row of the table.
#[derive(Debug, Clone)]
pub struct PolicyLine {
    /// Its id.
    pub id: String,
    /// The outside issuer.
    pub issuer: String,
    /// The subject it pins.
    pub subject: String,
    /// The audience it requires.
    pub audience: String,
    /// Its claims, one `pointer = value` each, as the form takes them.
    pub claims: Vec<String>,
    /// The oldest `iat` accepted, as shown.
    pub max_age: String,
    /// Where its keys come from: the JWKS URL, or `pinned (N keys)`.
    pub keys: String,
    /// Whether `keys` is a JWKS URL (fetched), not pinned keys.
    pub fetched: bool,
    /// Created.
    pub created: String,
}

impl From<&Policy> for PolicyLine {
    fn from(p: &Policy) -> Self {
        let keys = match (&p.jwks_uri, &p.jwks) {
            (Some(uri), _) => uri.clone(),
            (None, Some(jwks)) => {
                let n = jwks["keys"].as_array().map_or(0, Vec::len);
                format!("pinned ({n} {})", if n == 1 { "key" } else { "keys" })
            }
            (None, None) => "none".into(),
        };
        PolicyLine {
            id: p.id.clone(),
            issuer: p.issuer.clone(),
            subject: p.subject.clone(),
            audience: p.audience.clone(),
            claims: p
                .claims
                .iter()
                .map(|(pointer, v)| format!("{pointer} = {}", shown(v)))
                .collect(),
            max_age: format!("{} s", p.max_token_age_seconds),
            fetched: p.jwks_uri.is_some(),
            keys,
            created: page::when(&p.created_at),
        }
    }
}

/// A claim's value as typed in the form: a string bare, unless typed bare it would read as
/// something else (a number, a boolean, a quoted string); then as JSON.
fn shown(v: &Value) -> String {
    match v {
        Value::String(s) if !s.is_empty() && s.trim() == s && claim_value(s) == *v => s.clone(),
        other => other.to_string(),
    }
}

/// A claim's value as typed: a JSON number, boolean or string (in double quotes) is that; any
/// other text is the string itself.
fn claim_value(raw: &str) -> Value {
    match serde_json::from_str::<Value>(raw) {
        Ok(v @ (Value::Number(_) | Value::Bool(_) | Value::String(_))) => v,
        _ => Value::String(raw.to_string()),
    }
}

/// The claims field: one `/pointer = value` per line, blank lines ignored.
fn claims(raw: &str, problems: &mut Vec<String>) -> Map<String, Value> {
    let mut map = Map::new();
    for (n, line) in raw.lines().enumerate().map(|(i, l)| (i + 1, l.trim())) {
        if line.is_empty() {
            continue;
        }
        let Some((pointer, value)) = line.split_once('=') else {
            problems.push(format!(
                "claims line {n} must read /pointer = value (for example /repository = acme/shop)"
            ));
            continue;
        };
        let (pointer, value) = (pointer.trim(), value.trim());
        if value.is_empty() {
            problems.push(format!(
                "claims line {n} has no value (write \"\" for the empty string)"
            ));
        } else if map.contains_key(pointer) {
            problems.push(format!("claims key {pointer:?} is given twice"));
        } else {
            map.insert(pointer.to_string(), claim_value(value));
        }
    }
    map
}

/// The pinned keys field: a JWKS document (or a single key, taken as a set of one).
fn pinned(raw: &str, problems: &mut Vec<String>) -> Option<Value> {
    let raw = raw.trim();
    if raw.is_empty() {
        return None;
    }
    match serde_json::from_str::<Value>(raw) {
        Ok(key) if key.get("kty").is_some() && key.get("keys").is_none() => {
            Some(serde_json::json!({ "keys": [key] }))
        }
        Ok(jwks) => Some(jwks),
        Err(e) => {
            problems.push(format!("jwks is not JSON: {e}"));
            None
        }
    }
}

/// `POST …/trust-policies` body, named as the API's fields.
#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct PolicyDraft {
    /// CSRF token.
    pub csrf: String,
    /// The outside issuer.
    pub issuer: String,
    /// Where its keys are fetched (or empty).
    pub jwks_uri: String,
    /// Its keys, pinned, as JSON (or empty).
    pub jwks: String,
    /// The audience.
    pub audience: String,
    /// The subject.
    pub subject: String,
    /// One `/pointer = value` per line.
    pub claims: String,
    /// Seconds; empty: the default.
    pub max_token_age_seconds: String,
}

impl Default for PolicyDraft {
    fn default() -> Self {
        PolicyDraft {
            csrf: String::new(),
            issuer: String::new(),
            jwks_uri: String::new(),
            jwks: String::new(),
            audience: String::new(),
            subject: String::new(),
            claims: String::new(),
            max_token_age_seconds: DEFAULT_MAX_TOKEN_AGE_SECONDS.to_string(),
        }
    }
}

impl PolicyDraft {
    /// The policy to add, or every problem the form has that the domain could not say (the
    /// fields that are not even JSON or numbers); the domain checks the rest.
    pub fn parse(&self) -> Result<NewPolicy, DomainError> {
        let mut problems = Vec::new();
        let claims = claims(&self.claims, &mut problems);
        let jwks = pinned(&self.jwks, &mut problems);
        let max_token_age_seconds = match self.max_token_age_seconds.trim() {
            "" => None,
            raw => match raw.parse::<i64>() {
                Ok(s) => Some(s),
                Err(_) => {
                    problems.push(
                        "max_token_age_seconds must be a whole number of seconds (1 to 86400)"
                            .into(),
                    );
                    None
                }
            },
        };
        if !problems.is_empty() {
            return Err(DomainError::Invalid(problems));
        }
        Ok(NewPolicy {
            issuer: self.issuer.trim().to_string(),
            jwks_uri: page::optional(&self.jwks_uri),
            jwks,
            audience: self.audience.trim().to_string(),
            subject: self.subject.trim().to_string(),
            claims,
            max_token_age_seconds,
        })
    }
}

/// The fields of the add form (a message whose first word names one goes beside it).
const FIELDS: &[&str] = &[
    "issuer",
    "jwks_uri",
    "jwks",
    "audience",
    "subject",
    "claims",
    "max_token_age_seconds",
];

/// The trust policies of the service account `id`, as table rows.
pub async fn lines(
    core: &Core,
    caller: &ConsoleCaller,
    id: &str,
) -> Result<Vec<PolicyLine>, DomainError> {
    let policies = core
        .client_service()
        .policies(&caller.acting, id.to_string())
        .await?;
    Ok(policies.iter().map(PolicyLine::from).collect())
}

/// The refusal of a change to `id`'s policies, if any: the session's token, then the scope.
fn refused(caller: &ConsoleCaller, id: &str, csrf: &str) -> Option<HttpResponse> {
    if !caller.csrf_ok(csrf) {
        return Some(csrf_refused(
            caller,
            SECTION,
            &format!("/console/clients/{id}"),
        ));
    }
    require(caller, SECTION, WRITE)
}

/// `POST /console/clients/{id}/trust-policies`: adds one; a refusal is said beside the field.
pub async fn add(
    caller: ConsoleCaller,
    core: web::Data<Core>,
    id: web::Path<String>,
    form: web::Form<PolicyDraft>,
) -> HttpResponse {
    let id = id.into_inner();
    let draft = form.into_inner();
    if let Some(refusal) = refused(&caller, &id, &draft.csrf) {
        return refusal;
    }
    let added = match draft.parse() {
        Ok(new) => {
            core.client_service()
                .add_policy(&caller.acting, id.clone(), new, Utc::now())
                .await
        }
        Err(e) => Err(e),
    };
    match added {
        Ok(_) => see_other(&format!("/console/clients/{id}#trust-policies")),
        Err(e) => {
            let fb = Feedback::of(Problem::new("add-policy", FIELDS, e));
            detail::show_with(&core, &caller, &id, SecretDraft::default(), draft, fb).await
        }
    }
}

/// `POST /console/clients/{id}/trust-policies/{policy_id}/delete`: from then on, that
/// workload's tokens are refused.
pub async fn delete(
    caller: ConsoleCaller,
    core: web::Data<Core>,
    path: web::Path<(String, String)>,
    form: web::Form<CsrfForm>,
) -> HttpResponse {
    let (id, policy_id) = path.into_inner();
    if let Some(refusal) = refused(&caller, &id, &form.csrf) {
        return refusal;
    }
    match core
        .client_service()
        .delete_policy(&caller.acting, id.clone(), policy_id, Utc::now())
        .await
    {
        Ok(()) => see_other(&format!("/console/clients/{id}#trust-policies")),
        Err(e) => {
            let fb = Feedback::of(Problem::new("policies", &[], e));
            detail::show(&core, &caller, &id, SecretDraft::default(), fb).await
        }
    }
}

#[cfg(test)]
#[path = "tests/trust.rs"]
mod tests;
