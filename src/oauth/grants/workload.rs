//! Workload identity at the token endpoint: the one check (`domain::workload::check`) behind
//! door 1 (a federated client assertion: its `iss` is a trusted outside issuer, not the client)
//! and door 2 (RFC 8693 token exchange). From memory: the policies are in the registry entry,
//! the outside keys in their cache.

use std::sync::Arc;

use chrono::{DateTime, Utc};

use crate::domain::clients::CachedClient;
use crate::domain::workload::{check, unverified_iss, Workload};
use crate::domain::Core;
use crate::oauth::error::{ErrorCode, OAuthError};
use crate::oauth::request::ClientAuth;

/// The service account a workload may act for: active, confidential, a service account, its
/// organization active.
pub fn workload_client(state: &Core, client_id: &str) -> Option<Arc<CachedClient>> {
    state
        .clients
        .get(client_id)
        .filter(|c| c.active && c.confidential && c.is_service_account)
        .filter(|c| state.directory.view().org_active(&c.org_id))
}

/// Checks a workload's token for a service account; the refusal says which check failed.
pub async fn verify(
    state: &Core,
    client: &CachedClient,
    token: &str,
    now: DateTime<Utc>,
) -> Result<Workload, String> {
    let leeway = state.settings.token.leeway_seconds;
    check(
        &state.outside,
        &client.trust_policies,
        token,
        now.timestamp(),
        leeway,
    )
    .await
}

/// Door 1: a client assertion whose `iss` is not the client itself, for a client with trust
/// policies (whatever its `token_endpoint_auth_method`). None: not a federated assertion, the
/// client authenticates as usual. A refusal is `invalid_client`.
pub async fn federated_client(
    state: &Core,
    auth: &ClientAuth,
    now: DateTime<Utc>,
) -> Option<Result<(Arc<CachedClient>, Workload), OAuthError>> {
    let ClientAuth::Assertion {
        client_id,
        assertion,
    } = auth
    else {
        return None;
    };
    let iss = unverified_iss(assertion)?;
    if iss == *client_id {
        return None;
    }
    let refused = |why: String| OAuthError::new(ErrorCode::InvalidClient, why);
    // An unknown, disabled or not-so-configured account gets one answer (nothing tells a
    // guesser which service accounts exist).
    let Some(client) = workload_client(state, client_id)
        .filter(|c| c.client_credentials && !c.trust_policies.is_empty())
    else {
        return Some(Err(refused(
            "the client is unknown or may not use workload identity".into(),
        )));
    };
    Some(
        verify(state, &client, assertion, now)
            .await
            .map(|w| (client, w))
            .map_err(refused),
    )
}
