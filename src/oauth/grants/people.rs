//! The grants of people: `authorization_code` (RFC 6749 §4.1.3 with PKCE) and `refresh_token`
//! (RFC 6749 §6, rotated). The code's checks, the decision of what the token carries and the
//! recording of its `jti` run in one transaction of the domain (`domain::people`); this adapter
//! authenticates the client, builds the claims and maps the refusals.

use std::sync::Arc;

use chrono::{DateTime, Utc};

use super::{claims, Decided, TokenFor};
use crate::domain::clients::{AuthMethod, CachedClient};
use crate::domain::people::{Built, Exchange, GrantError, Refresh, UserGrant};
use crate::domain::{Core, DomainError};
use crate::oauth::client_auth::authenticate_client;
use crate::oauth::error::{ErrorCode, OAuthError};
use crate::oauth::request::{ClientAuth, Params};
use crate::resource::claims::USER;

/// The client of a people's grant: a confidential client by its registered method, a public
/// one by its `client_id` alone (PKCE binds the code to it); either must have `grant`.
async fn client_for(
    state: &Core,
    auth: &ClientAuth,
    params: &Params,
    grant: &str,
    now: DateTime<Utc>,
) -> Result<Arc<CachedClient>, OAuthError> {
    let client = match auth {
        ClientAuth::None => params
            .get("client_id")
            .and_then(|id| state.clients.get(id))
            .filter(|c| !c.confidential && c.auth_method == AuthMethod::None && c.active)
            .filter(|c| state.directory.view().org_active(&c.org_id))
            .ok_or_else(|| OAuthError::invalid_client(false))?,
        _ => authenticate_client(state, auth, now).await?,
    };
    let allowed = match grant {
        "authorization_code" => client.authorization_code,
        _ => client.refresh_token,
    };
    if !allowed {
        return Err(OAuthError::new(
            ErrorCode::UnauthorizedClient,
            format!("the client may not use the {grant} grant"),
        ));
    }
    Ok(client)
}

/// The claims of a person's token, for the domain to record.
fn builder(
    state: &Core,
    client: &Arc<CachedClient>,
    now: DateTime<Utc>,
) -> impl FnOnce(
    &UserGrant,
) -> Result<Built<(i64, crate::oauth::claims::AccessTokenClaims)>, GrantError>
       + Send
       + 'static {
    let issuer = state.issuer.clone();
    let client_id = client.client_id.clone();
    let token = &state.settings.token;
    let ttl = client
        .token_ttl_seconds
        .unwrap_or(token.default_ttl_seconds)
        .min(token.max_ttl_seconds);
    move |grant: &UserGrant| {
        let claims = claims(
            TokenFor {
                issuer: &issuer,
                // CONTRACT ("User tokens"): sub is the user's id.
                subject: grant.user.id.clone(),
                client_id,
                audiences: grant.audiences.clone(),
                scope: grant.scope.join(" "),
                principal_type: USER,
                ttl,
                org_id: grant.user.org_id.clone(),
                act: None,
            },
            now,
        )
        .map_err(|_| GrantError::Failed(DomainError::Internal("no token id".into())))?;
        let expires_at = DateTime::from_timestamp(claims.exp, 0)
            .map(|t| t.naive_utc())
            .ok_or(GrantError::Failed(DomainError::Internal(
                "exp out of range".into(),
            )))?;
        Ok(Built {
            jti: claims.jti.clone(),
            expires_at,
            value: (ttl, claims),
        })
    }
}

fn refused(e: GrantError) -> OAuthError {
    match e {
        GrantError::InvalidGrant(why) => OAuthError::new(ErrorCode::InvalidGrant, why),
        GrantError::InvalidTarget(why) => OAuthError::new(ErrorCode::InvalidTarget, why),
        GrantError::Failed(e) => {
            log::error!("a people's grant could not run: {e}");
            match e {
                DomainError::Store(crate::storage::StoreError::Unavailable(_)) => {
                    OAuthError::temporarily_unavailable()
                }
                _ => OAuthError::server_error(),
            }
        }
    }
}

/// `grant_type=authorization_code`.
pub async fn authorization_code(
    state: &Core,
    auth: &ClientAuth,
    params: &Params,
    now: DateTime<Utc>,
) -> Result<Decided, OAuthError> {
    let client = client_for(state, auth, params, "authorization_code", now).await?;
    let code = params
        .get("code")
        .ok_or_else(|| OAuthError::invalid_request("code is missing"))?;
    let mut audiences: Vec<String> = params.all("resource").to_vec();
    audiences.extend(params.all("audience").iter().cloned());
    let exchange = Exchange {
        code: code.to_string(),
        redirect_uri: params.get("redirect_uri").map(str::to_string),
        verifier: params.get("code_verifier").map(str::to_string),
        audiences,
    };
    let build = builder(state, &client, now);
    let ((ttl, claims), refresh) = state
        .people()
        .exchange(
            client.clone(),
            exchange,
            state.settings.admin.audience.clone(),
            now,
            build,
        )
        .await
        .map_err(refused)?;
    Ok(Decided {
        client,
        claims,
        expires_in: ttl,
        refresh_token: refresh,
        workload: None,
    })
}

/// `grant_type=refresh_token`.
pub async fn refresh_token(
    state: &Core,
    auth: &ClientAuth,
    params: &Params,
    now: DateTime<Utc>,
) -> Result<Decided, OAuthError> {
    let client = client_for(state, auth, params, "refresh_token", now).await?;
    let token = params
        .get("refresh_token")
        .ok_or_else(|| OAuthError::invalid_request("refresh_token is missing"))?;
    let scope = params.get("scope").map(|s| {
        s.split(' ')
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect()
    });
    let presented = Refresh {
        token: token.to_string(),
        scope,
    };
    let build = builder(state, &client, now);
    let ((ttl, claims), next) = state
        .people()
        .refresh(
            client.clone(),
            presented,
            state.settings.admin.audience.clone(),
            now,
            build,
        )
        .await
        .map_err(refused)?;
    Ok(Decided {
        client,
        claims,
        expires_in: ttl,
        refresh_token: Some(next),
        workload: None,
    })
}
