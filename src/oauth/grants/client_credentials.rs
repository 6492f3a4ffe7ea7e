//! The client_credentials grant (RFC 6749 §4.4): a service account trades its credentials
//! for a token carrying scopes and audiences it may ask for.

use std::sync::Arc;

use chrono::{DateTime, Utc};

use super::{claims, Decided, TokenFor};
use crate::domain::clients::{valid_scope_token, CachedClient};
use crate::domain::directory::View;
use crate::domain::workload::Workload;
use crate::domain::Core;
use crate::oauth::claims::Actor;
use crate::oauth::client_auth::authenticate_client;
use crate::oauth::error::{ErrorCode, OAuthError};
use crate::oauth::request::{ClientAuth, Params};
use crate::resource::claims::SERVICE_ACCOUNT;

fn unauthorized() -> OAuthError {
    OAuthError::new(
        ErrorCode::UnauthorizedClient,
        "the client may not use the client_credentials grant",
    )
}

/// Decides the token for an authenticated service account, or why not.
pub async fn grant(
    state: &Core,
    auth: &ClientAuth,
    params: &Params,
    now: DateTime<Utc>,
) -> Result<Decided, OAuthError> {
    let targets = requested_targets(params)?;
    let requested = requested_scopes(params)?;
    // Door 1 of workload identity: an assertion issued by a trusted outside issuer.
    if let Some(federated) = super::workload::federated_client(state, auth, now).await {
        let (client, workload) = federated?;
        return decide(state, client, requested, targets, Some(workload), now);
    }
    let client = match authenticate_client(state, auth, now).await {
        Ok(client) => client,
        // CONTRACT: a public client asking for client_credentials is unauthorized_client (it
        // has nothing to authenticate with). Looked up only once authentication failed, so a
        // successful request pays for one lookup, not two.
        Err(err) if err.code == ErrorCode::InvalidClient && is_public(state, auth, params) => {
            return Err(unauthorized())
        }
        Err(err) => return Err(err),
    };
    // CONTRACT: only an active, confidential service account with client_credentials.
    if !(client.confidential && client.is_service_account && client.client_credentials) {
        return Err(unauthorized());
    }
    decide(state, client, requested, targets, None, now)
}

/// The token a service account gets: the scopes and audiences it asked for among those it
/// holds now (its own and its groups'), for its lifetime; `act` names a workload acting for it.
pub fn decide(
    state: &Core,
    client: Arc<CachedClient>,
    requested: Option<Vec<&str>>,
    targets: Vec<String>,
    workload: Option<Workload>,
    now: DateTime<Utc>,
) -> Result<Decided, OAuthError> {
    let (scope, audiences) = {
        // What it holds now: its own grants and its groups', from memory.
        let view = state.directory.view();
        let held = Held::of(&client, &view);
        let scope = granted_scope(&client, &held, requested)?;
        let audiences = granted_audiences(&client, &held, targets, &state.settings.admin.audience)?;
        (scope, audiences)
    };
    let token = &state.settings.token;
    let ttl = client
        .token_ttl_seconds
        .unwrap_or(token.default_ttl_seconds)
        .min(token.max_ttl_seconds);
    let claims = claims(
        TokenFor {
            issuer: &state.issuer,
            subject: client.client_id.clone(),
            client_id: client.client_id.clone(),
            audiences,
            scope,
            principal_type: SERVICE_ACCOUNT,
            ttl,
            org_id: client.org_id.clone(),
            act: workload.as_ref().map(|w| Actor {
                iss: w.iss.clone(),
                sub: w.sub.clone(),
            }),
        },
        now,
    )?;
    Ok(Decided {
        client,
        claims,
        expires_in: ttl,
        refresh_token: None,
        workload,
    })
}

/// Whether the client the request names (by its credentials, or by `client_id` alone) is a
/// public client.
fn is_public(state: &Core, auth: &ClientAuth, params: &Params) -> bool {
    auth.client_id()
        .or_else(|| params.get("client_id"))
        .and_then(|id| state.clients.get(id))
        .is_some_and(|c| !c.confidential)
}

/// `scope`: None when omitted (the client's defaults apply).
pub fn requested_scopes(params: &Params) -> Result<Option<Vec<&str>>, OAuthError> {
    let Some(scope) = params.get("scope") else {
        return Ok(None);
    };
    let list: Vec<&str> = scope.split(' ').filter(|s| !s.is_empty()).collect();
    if list.iter().any(|s| !valid_scope_token(s)) {
        return Err(OAuthError::new(
            ErrorCode::InvalidScope,
            "the scope is malformed",
        ));
    }
    Ok(Some(list))
}

/// `resource` (RFC 8707, absolute URIs) and `audience` (plain names), in order, once each.
pub fn requested_targets(params: &Params) -> Result<Vec<String>, OAuthError> {
    let mut targets: Vec<String> = Vec::new();
    for r in params.all("resource") {
        // RFC 8707 §2: an absolute URI without a fragment.
        let absolute = url::Url::parse(r).is_ok_and(|u| u.fragment().is_none()) && !r.contains('#');
        if !absolute {
            return Err(OAuthError::new(
                ErrorCode::InvalidTarget,
                "a resource must be an absolute URI without a fragment",
            ));
        }
        targets.push(r.clone());
    }
    for a in params.all("audience") {
        if a.chars().any(char::is_whitespace) {
            return Err(OAuthError::new(
                ErrorCode::InvalidTarget,
                "an audience may not contain spaces",
            ));
        }
        targets.push(a.clone());
    }
    let mut seen = Vec::with_capacity(targets.len());
    targets.retain(|t| {
        let first = !seen.contains(t);
        seen.push(t.clone());
        first
    });
    Ok(targets)
}

/// What a client may ask for now: its own scopes and audiences, then its groups' (borrowed
/// from the registry entry and the directory; nothing copied).
struct Held<'a> {
    scopes: Vec<&'a str>,
    audiences: Vec<&'a str>,
}

impl<'a> Held<'a> {
    fn of(client: &'a CachedClient, view: &'a View<'_>) -> Self {
        let mut held = Held {
            scopes: client.scopes.iter().map(String::as_str).collect(),
            audiences: client.audiences.iter().map(String::as_str).collect(),
        };
        for grants in client.groups.iter().filter_map(|g| view.group(g)) {
            for s in &grants.scopes {
                if !held.scopes.contains(&s.as_str()) {
                    held.scopes.push(s);
                }
            }
            for a in &grants.audiences {
                if !held.audiences.contains(&a.as_str()) {
                    held.audiences.push(a);
                }
            }
        }
        held
    }
}

/// The scopes granted, in the order held (a stable scope string).
fn granted_scope(
    client: &CachedClient,
    held: &Held<'_>,
    requested: Option<Vec<&str>>,
) -> Result<String, OAuthError> {
    let granted: Vec<&str> = match requested {
        None => held
            .scopes
            .iter()
            .copied()
            .filter(|s| client.default_scopes.iter().any(|d| d == s))
            .collect(),
        Some(requested) => {
            if let Some(bad) = requested.iter().find(|s| !held.scopes.contains(s)) {
                return Err(OAuthError::new(
                    ErrorCode::InvalidScope,
                    format!("the scope {bad} is not allowed for this client"),
                ));
            }
            held.scopes
                .iter()
                .copied()
                .filter(|s| requested.contains(s))
                .collect()
        }
    };
    Ok(granted.join(" "))
}

/// The audiences granted: those asked for, else the client's defaults (all it holds when it
/// has none set). CONTRACT: a token that carries the admin audience carries no other.
fn granted_audiences(
    client: &Arc<CachedClient>,
    held: &Held<'_>,
    targets: Vec<String>,
    admin_audience: &str,
) -> Result<Vec<String>, OAuthError> {
    let audiences = if targets.is_empty() {
        let defaults: Vec<String> = match &client.default_audiences {
            Some(d) => d.clone(),
            None => held.audiences.iter().map(|a| a.to_string()).collect(),
        };
        if defaults.is_empty() {
            return Err(OAuthError::new(
                ErrorCode::InvalidTarget,
                "no resource or audience was asked for and the client has none configured",
            ));
        }
        if defaults.len() > 1 && defaults.iter().any(|a| a == admin_audience) {
            return Err(OAuthError::new(
                ErrorCode::InvalidTarget,
                "name the audience: a token for the admin API carries no other audience",
            ));
        }
        defaults
    } else {
        if let Some(bad) = targets
            .iter()
            .find(|t| !held.audiences.contains(&t.as_str()))
        {
            return Err(OAuthError::new(
                ErrorCode::InvalidTarget,
                format!("the audience {bad} is not allowed for this client"),
            ));
        }
        targets
    };
    if audiences.len() > 1 && audiences.iter().any(|a| a == admin_audience) {
        return Err(OAuthError::new(
            ErrorCode::InvalidTarget,
            "a token for the admin API carries no other audience: ask for it alone",
        ));
    }
    Ok(audiences)
}
