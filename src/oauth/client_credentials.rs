//! The client_credentials grant (RFC 6749 §4.4), driven by oxide-auth's state machine.
//!
//! oxide-auth's flow decides the order of the steps; this module supplies its `Registrar`
//! (the in-memory client registry), its `Issuer` (our JWT signer), and bridges where it departs
//! from the RFCs: it answers every registrar refusal as `invalid_client` with a Basic challenge
//! and a failed negotiation as "ignore", and it has no `unauthorized_client`, `invalid_scope`
//! detail or RFC 8707 `invalid_target`. So each step records the precise error here, and the
//! caller prefers it to oxide-auth's. See docs/oxide-auth.md.

use std::borrow::Cow;
use std::cell::RefCell;
use std::sync::Arc;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use chrono::{DateTime, Utc};
use oxide_auth::code_grant::client_credentials::{
    client_credentials, Endpoint, Error as FlowError, Extension, Request,
};
use oxide_auth::primitives::grant::Grant;
use oxide_auth::primitives::issuer::{IssuedToken, Issuer, RefreshedToken, TokenType};
use oxide_auth::primitives::registrar::{
    BoundClient, ClientUrl, PreGrant, RegisteredUrl, Registrar, RegistrarError,
};
use oxide_auth::primitives::scope::Scope;
use ring::rand::{SecureRandom, SystemRandom};

use super::claims::{AccessTokenClaims, Audience, SERVICE_ACCOUNT};
use super::error::{ErrorCode, OAuthError};
use super::request::{assertion_audiences, ClientAuth, Params};
use crate::clients::{valid_scope_token, CachedClient};
use crate::server::AppState;

/// A token just issued.
#[derive(Debug)]
pub struct Issued {
    /// The signed JWT.
    pub access_token: String,
    /// Seconds until it expires.
    pub expires_in: i64,
    /// Granted scopes, space-separated.
    pub scope: String,
    /// The client it was issued to.
    pub client: Arc<CachedClient>,
}

/// Runs the grant for an already parsed request.
pub fn grant(
    state: &AppState,
    auth: ClientAuth,
    params: &Params,
    now: DateTime<Utc>,
) -> Result<Issued, OAuthError> {
    let basic = auth.is_basic();
    let by_assertion = matches!(auth, ClientAuth::Assertion { .. });
    let (client_id, secret) = match auth {
        ClientAuth::Basic { client_id, secret } | ClientAuth::Post { client_id, secret } => {
            (client_id, secret)
        }
        // The assertion travels through oxide-auth as the credential; `Registrar::check`
        // verifies it (RFC 7523 §2.2).
        ClientAuth::Assertion {
            client_id,
            assertion,
        } => (client_id, assertion),
        ClientAuth::None => {
            // RFC 6749 §4.4: the client MUST authenticate.
            return Err(match params.get("grant_type") {
                None => OAuthError::invalid_request("grant_type is missing"),
                Some(_) => OAuthError::invalid_client(false),
            });
        }
    };
    if let Some(scope) = params.get("scope") {
        if scope
            .split(' ')
            .any(|s| !s.is_empty() && !valid_scope_token(s))
        {
            return Err(OAuthError::new(
                ErrorCode::InvalidScope,
                "the scope is malformed",
            ));
        }
    }
    let mut targets: Vec<String> = Vec::new();
    for r in params.all("resource") {
        // RFC 8707 §2: an absolute URI without a fragment.
        if !is_absolute_uri(r) {
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
    targets.dedup();

    let request = FlowRequest {
        grant_type: params.get("grant_type"),
        scope: params.get("scope"),
        client_id: &client_id,
        secret: secret.as_bytes(),
    };
    let mut endpoint = FlowEndpoint {
        flow: Flow {
            state,
            by_assertion,
            now,
            targets,
            client: RefCell::new(None),
            failure: RefCell::new(None),
            audiences: RefCell::new(Vec::new()),
            granted_scope: RefCell::new(String::new()),
            issued: None,
        },
        extension: (),
    };
    let outcome = client_credentials(&mut endpoint, &request)
        .and_then(|pending| pending.issue(&mut endpoint, client_id.clone(), false));
    let flow = endpoint.flow;
    if let Err(err) = outcome {
        if let Some(failure) = flow.failure.into_inner() {
            return Err(failure);
        }
        return Err(map_flow_error(err, basic));
    }
    flow.issued.ok_or_else(|| {
        log::error!("client_credentials flow finished without a token");
        OAuthError::server_error()
    })
}

fn map_flow_error(mut err: FlowError, basic: bool) -> OAuthError {
    use oxide_auth::code_grant::error::AccessTokenErrorType as T;
    let kind = err.description().map(|d| d.kind());
    match (err, kind) {
        (FlowError::Unauthorized(..), _) => OAuthError::invalid_client(basic),
        (_, Some(T::UnsupportedGrantType)) => OAuthError::new(
            ErrorCode::UnsupportedGrantType,
            "only grant_type=client_credentials is supported",
        ),
        (_, Some(T::InvalidScope)) => {
            OAuthError::new(ErrorCode::InvalidScope, "the scope is not allowed")
        }
        (_, Some(T::InvalidClient)) => OAuthError::invalid_client(basic),
        (_, Some(T::UnauthorizedClient)) => OAuthError::new(
            ErrorCode::UnauthorizedClient,
            "the client may not use the client_credentials grant",
        ),
        (FlowError::Invalid(_), _) => {
            OAuthError::invalid_request("the request is missing grant_type or is malformed")
        }
        _ => {
            log::error!("client_credentials flow failed inside oxide-auth");
            OAuthError::server_error()
        }
    }
}

/// An absolute URI (RFC 3986 §4.3): a scheme, no fragment.
fn is_absolute_uri(s: &str) -> bool {
    match url::Url::parse(s) {
        Ok(u) => u.fragment().is_none() && !s.contains('#'),
        Err(_) => false,
    }
}

/// The request as oxide-auth sees it; already parsed and checked by us.
struct FlowRequest<'a> {
    grant_type: Option<&'a str>,
    scope: Option<&'a str>,
    client_id: &'a str,
    secret: &'a [u8],
}

impl Request for FlowRequest<'_> {
    fn valid(&self) -> bool {
        true
    }
    fn authorization(&self) -> Option<(Cow<'_, str>, Cow<'_, [u8]>)> {
        // Both client_secret_basic and client_secret_post arrive here as one credential pair:
        // our parser already refused requests that used two methods.
        Some((Cow::Borrowed(self.client_id), Cow::Borrowed(self.secret)))
    }
    fn scope(&self) -> Option<Cow<'_, str>> {
        self.scope.map(Cow::Borrowed)
    }
    fn grant_type(&self) -> Option<Cow<'_, str>> {
        self.grant_type.map(Cow::Borrowed)
    }
    fn extension(&self, _key: &str) -> Option<Cow<'_, str>> {
        None
    }
}

/// One request's run through the flow: registrar, negotiation and issuer in one place.
struct Flow<'a> {
    state: &'a AppState,
    by_assertion: bool,
    now: DateTime<Utc>,
    targets: Vec<String>,
    client: RefCell<Option<Arc<CachedClient>>>,
    failure: RefCell<Option<OAuthError>>,
    audiences: RefCell<Vec<String>>,
    granted_scope: RefCell<String>,
    issued: Option<Issued>,
}

impl Flow<'_> {
    fn fail(&self, err: OAuthError) -> RegistrarError {
        *self.failure.borrow_mut() = Some(err);
        RegistrarError::Unspecified
    }

    fn client(&self) -> Result<Arc<CachedClient>, RegistrarError> {
        self.client
            .borrow()
            .clone()
            .ok_or(RegistrarError::PrimitiveError)
    }
}

/// client_credentials has no redirect, but oxide-auth's types want one; parsed once, not per
/// request (this is the token endpoint's hot path).
static PLACEHOLDER_REDIRECT: std::sync::LazyLock<Option<url::Url>> =
    std::sync::LazyLock::new(|| url::Url::parse("urn:castellan:client-credentials").ok());

fn placeholder_redirect() -> Result<RegisteredUrl, RegistrarError> {
    PLACEHOLDER_REDIRECT
        .clone()
        .map(RegisteredUrl::Semantic)
        .ok_or(RegistrarError::PrimitiveError)
}

impl Registrar for Flow<'_> {
    fn check(&self, client_id: &str, passphrase: Option<&[u8]>) -> Result<(), RegistrarError> {
        let credential = passphrase.unwrap_or_default();
        let client = if self.by_assertion {
            std::str::from_utf8(credential).ok().and_then(|assertion| {
                self.state.clients.authenticate_assertion(
                    client_id,
                    assertion,
                    &assertion_audiences(&self.state.issuer),
                    self.now,
                )
            })
        } else {
            self.state
                .clients
                .authenticate(client_id, credential, self.now)
        };
        match client {
            Some(client) => {
                *self.client.borrow_mut() = Some(client);
                Ok(())
            }
            None => Err(RegistrarError::Unspecified),
        }
    }

    fn bound_redirect<'b>(&self, bound: ClientUrl<'b>) -> Result<BoundClient<'b>, RegistrarError> {
        let client = self.client()?;
        // CONTRACT: only an active, confidential service account with client_credentials.
        if !(client.confidential && client.is_service_account && client.client_credentials) {
            return Err(self.fail(OAuthError::new(
                ErrorCode::UnauthorizedClient,
                "the client may not use the client_credentials grant",
            )));
        }
        Ok(BoundClient {
            client_id: bound.client_id,
            redirect_uri: Cow::Owned(placeholder_redirect()?),
        })
    }

    fn negotiate(
        &self,
        bound: BoundClient,
        scope: Option<Scope>,
    ) -> Result<PreGrant, RegistrarError> {
        let client = self.client()?;
        let granted: Vec<&str> = match &scope {
            // Default scopes are among the client's scopes (validated): keep the client's order.
            None => client
                .scopes
                .iter()
                .map(String::as_str)
                .filter(|s| client.default_scopes.iter().any(|d| d == s))
                .collect(),
            Some(requested) => {
                if let Some(bad) = requested
                    .iter()
                    .find(|s| !client.scopes.iter().any(|a| a == s))
                {
                    return Err(self.fail(OAuthError::new(
                        ErrorCode::InvalidScope,
                        format!("the scope {bad:?} is not allowed for this client"),
                    )));
                }
                // Keep the client's order, so the granted scope string is stable.
                client
                    .scopes
                    .iter()
                    .map(String::as_str)
                    .filter(|s| requested.iter().any(|r| r == *s))
                    .collect()
            }
        };
        let audiences = if self.targets.is_empty() {
            if client.audiences.is_empty() {
                return Err(self.fail(OAuthError::new(
                    ErrorCode::InvalidTarget,
                    "no resource or audience was asked for and the client has none configured",
                )));
            }
            client.audiences.clone()
        } else {
            if let Some(bad) = self.targets.iter().find(|t| !client.audiences.contains(t)) {
                return Err(self.fail(OAuthError::new(
                    ErrorCode::InvalidTarget,
                    format!("the audience {bad:?} is not allowed for this client"),
                )));
            }
            self.targets.clone()
        };
        *self.audiences.borrow_mut() = audiences;
        // The granted scope string, in the client's order, is what the token carries: kept
        // here so `issue` does not recompute it from oxide-auth's unordered Scope.
        let granted = granted.join(" ");
        let scope: Scope = granted.parse().map_err(|_| {
            self.fail(OAuthError::new(
                ErrorCode::InvalidScope,
                "the scope is malformed",
            ))
        })?;
        *self.granted_scope.borrow_mut() = granted;
        Ok(PreGrant {
            client_id: bound.client_id.into_owned(),
            redirect_uri: bound.redirect_uri.into_owned(),
            scope,
        })
    }
}

fn new_jti() -> Option<String> {
    let mut bytes = [0u8; 16];
    SystemRandom::new().fill(&mut bytes).ok()?;
    Some(URL_SAFE_NO_PAD.encode(bytes))
}

impl Issuer for Flow<'_> {
    // oxide-auth's Grant holds the scope as an unordered set and a fixed 10-minute `until`;
    // the token uses what negotiation recorded and the client's lifetime instead.
    fn issue(&mut self, _grant: Grant) -> Result<IssuedToken, ()> {
        let client = self.client().map_err(|_| ())?;
        let settings = &self.state.settings.token;
        let ttl = client
            .token_ttl_seconds
            .unwrap_or(settings.default_ttl_seconds)
            .min(settings.max_ttl_seconds);
        let iat = self.now.timestamp();
        let scope = self.granted_scope.take();
        let claims = AccessTokenClaims {
            iss: self.state.issuer.clone(),
            sub: client.client_id.clone(),
            aud: Audience::from_list(self.audiences.take()),
            exp: iat + ttl,
            iat,
            nbf: iat,
            jti: new_jti().ok_or(())?,
            client_id: client.client_id.clone(),
            scope: scope.clone(),
            principal_type: SERVICE_ACCOUNT.to_string(),
        };
        let keys = self.state.keys.current();
        let token = keys.signer.sign(&claims).map_err(|e| {
            log::error!("signing an access token failed: {e}");
        })?;
        self.issued = Some(Issued {
            access_token: token.clone(),
            expires_in: ttl,
            scope,
            client: client.clone(),
        });
        Ok(IssuedToken {
            token,
            refresh: None,
            until: self.now + chrono::Duration::seconds(ttl),
            token_type: TokenType::Bearer,
        })
    }

    fn refresh(&mut self, _refresh: &str, _grant: Grant) -> Result<RefreshedToken, ()> {
        Err(())
    }

    fn recover_token(&self, _token: &str) -> Result<Option<Grant>, ()> {
        Ok(None)
    }

    fn recover_refresh(&self, _token: &str) -> Result<Option<Grant>, ()> {
        Ok(None)
    }
}

struct FlowEndpoint<'a> {
    flow: Flow<'a>,
    extension: (),
}

impl Endpoint for FlowEndpoint<'_> {
    fn registrar(&self) -> &dyn Registrar {
        &self.flow
    }
    fn issuer(&mut self) -> &mut dyn Issuer {
        &mut self.flow
    }
    fn extension(&mut self) -> &mut dyn Extension {
        &mut self.extension
    }
}
