//! An authorization request (RFC 6749 §4.1.1, RFC 7636, RFC 8707), checked in the order RFC
//! 6749 §4.1.2.1 asks: what can't be trusted to redirect (the client, the redirect URI) is shown
//! to the person; everything after is sent back to the client with `state` and `iss`.

use std::sync::Arc;

use crate::domain::clients::{valid_scope_token, CachedClient};
use crate::domain::people::valid_challenge;
use crate::domain::Core;
use crate::oauth::request::Params;

/// A checked authorization request.
#[derive(Debug, Clone)]
pub struct AuthorizationRequest {
    /// The client.
    pub client: Arc<CachedClient>,
    /// The redirect URI as given (it matched a registered one).
    pub redirect_uri: String,
    /// `state`, echoed back.
    pub state: Option<String>,
    /// The S256 challenge.
    pub code_challenge: String,
    /// Scopes asked for.
    pub scope: Vec<String>,
    /// Audiences asked for (`resource`, `audience`).
    pub audiences: Vec<String>,
}

/// Why a request was refused.
#[derive(Debug)]
pub enum Refusal {
    /// Shown to the person: the client or the redirect URI can't be trusted.
    Shown(&'static str),
    /// Sent back to the client's redirect URI: (redirect URI, error code, description, state).
    Redirected(String, &'static str, &'static str, Option<String>),
}

/// The parameters carried through the sign-in form, in order.
pub const CARRIED: &[&str] = &[
    "client_id",
    "redirect_uri",
    "response_type",
    "state",
    "code_challenge",
    "code_challenge_method",
    "scope",
];

/// RFC 6749 §3.1.2.3: exact match; RFC 8252 §7.3: a loopback IP literal matches on any port.
pub fn redirect_matches(registered: &str, given: &str) -> bool {
    if registered == given {
        return true;
    }
    let (Ok(r), Ok(g)) = (url::Url::parse(registered), url::Url::parse(given)) else {
        return false;
    };
    let loopback = matches!(r.host_str(), Some("127.0.0.1" | "[::1]"));
    loopback
        && r.scheme() == "http"
        && g.scheme() == "http"
        && r.host_str() == g.host_str()
        && r.path() == g.path()
        && r.query() == g.query()
        && g.fragment().is_none()
        && g.username().is_empty()
        && g.password().is_none()
}

/// Checks an authorization request.
pub fn check(state: &Core, params: &Params) -> Result<AuthorizationRequest, Refusal> {
    let client = params
        .get("client_id")
        .and_then(|id| state.clients.get(id))
        .ok_or(Refusal::Shown("the client is unknown"))?;
    let redirect_uri = params
        .get("redirect_uri")
        .filter(|given| {
            client
                .redirect_uris
                .iter()
                .any(|r| redirect_matches(r, given))
        })
        .ok_or(Refusal::Shown(
            "the redirect URI is missing or not one registered for this client",
        ))?
        .to_string();
    let st = params.get("state").map(str::to_string);
    let refuse = |code, why| Refusal::Redirected(redirect_uri.clone(), code, why, st.clone());
    if params.get("response_type") != Some("code") {
        return Err(refuse(
            "unsupported_response_type",
            "only response_type=code is supported",
        ));
    }
    if !client.authorization_code || !client.active {
        return Err(refuse(
            "unauthorized_client",
            "the client may not use the authorization_code grant",
        ));
    }
    if !state.directory.view().org_active(&client.org_id) {
        return Err(refuse(
            "unauthorized_client",
            "the client's organization is disabled",
        ));
    }
    let code_challenge = match (
        params.get("code_challenge"),
        params.get("code_challenge_method"),
    ) {
        (Some(c), Some("S256")) if valid_challenge(c) => c.to_string(),
        (None, _) => {
            return Err(refuse(
                "invalid_request",
                "PKCE is required: send code_challenge",
            ))
        }
        _ => {
            return Err(refuse(
                "invalid_request",
                "code_challenge_method must be S256 with a 43-character challenge",
            ))
        }
    };
    let scope: Vec<String> = params
        .get("scope")
        .unwrap_or("")
        .split(' ')
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect();
    if scope.iter().any(|s| !valid_scope_token(s)) {
        return Err(refuse("invalid_scope", "the scope is malformed"));
    }
    let mut audiences = Vec::new();
    for r in params.all("resource") {
        if url::Url::parse(r).map_or(true, |u| u.fragment().is_some()) {
            return Err(refuse(
                "invalid_target",
                "a resource must be an absolute URI without a fragment",
            ));
        }
        audiences.push(r.clone());
    }
    for a in params.all("audience") {
        if a.is_empty() || a.chars().any(char::is_whitespace) {
            return Err(refuse(
                "invalid_target",
                "an audience may not contain spaces",
            ));
        }
        audiences.push(a.clone());
    }
    Ok(AuthorizationRequest {
        client,
        redirect_uri,
        state: st,
        code_challenge,
        scope,
        audiences,
    })
}

/// The redirect back to the client: the parameters added to its redirect URI's query, with
/// `state` (when the request had one) and `iss` (RFC 9207) always.
pub fn redirect_to(
    redirect_uri: &str,
    params: &[(&str, &str)],
    st: Option<&str>,
    issuer: &str,
) -> String {
    let Ok(mut url) = url::Url::parse(redirect_uri) else {
        return redirect_uri.to_string();
    };
    {
        let mut q = url.query_pairs_mut();
        for (k, v) in params {
            q.append_pair(k, v);
        }
        if let Some(s) = st {
            q.append_pair("state", s);
        }
        q.append_pair("iss", issuer);
    }
    url.to_string()
}
