//! RFC 8693 token exchange, door 2 of workload identity: a workload's JWT (`subject_token`) for
//! a token of the service account named by `client_id`, which must have the token-exchange
//! grant. A refusal of the workload's token is `invalid_grant`, saying which check failed.

use chrono::{DateTime, Utc};

use super::client_credentials::{decide, requested_scopes, requested_targets};
use super::workload::{verify, workload_client};
use super::Decided;
use crate::domain::workload::{ACCESS_TOKEN_TYPE, JWT_TOKEN_TYPE};
use crate::domain::Core;
use crate::oauth::error::{ErrorCode, OAuthError};
use crate::oauth::request::{ClientAuth, Params};

/// `grant_type=urn:ietf:params:oauth:grant-type:token-exchange`.
pub async fn grant(
    state: &Core,
    auth: &ClientAuth,
    params: &Params,
    now: DateTime<Utc>,
) -> Result<Decided, OAuthError> {
    let targets = requested_targets(params)?;
    let requested = requested_scopes(params)?;
    if params.get("subject_token_type") != Some(JWT_TOKEN_TYPE) {
        return Err(OAuthError::invalid_request(format!(
            "subject_token_type must be {JWT_TOKEN_TYPE}"
        )));
    }
    if params
        .get("requested_token_type")
        .is_some_and(|t| t != ACCESS_TOKEN_TYPE)
    {
        return Err(OAuthError::invalid_request(format!(
            "requested_token_type can only be {ACCESS_TOKEN_TYPE}"
        )));
    }
    if params.get("actor_token").is_some() {
        return Err(OAuthError::invalid_request("actor_token is not supported"));
    }
    let subject_token = params
        .get("subject_token")
        .ok_or_else(|| OAuthError::invalid_request("subject_token is missing"))?;
    let client_id = auth
        .client_id()
        .or_else(|| params.get("client_id"))
        .ok_or_else(|| OAuthError::invalid_request("client_id names the service account"))?;
    // An unknown, disabled or not-so-configured account gets one answer: nothing here tells
    // a guesser which service accounts exist (the policy checks below run only for an account
    // that trusts some issuer).
    let no_policy = || {
        OAuthError::new(
            ErrorCode::InvalidGrant,
            "no trust policy of this service account names the token's issuer",
        )
    };
    let client = workload_client(state, client_id)
        .filter(|c| c.token_exchange && !c.trust_policies.is_empty())
        .ok_or_else(no_policy)?;
    let workload = verify(state, &client, subject_token, now)
        .await
        .map_err(|why| OAuthError::new(ErrorCode::InvalidGrant, why))?;
    decide(state, client, requested, targets, Some(workload), now)
}
