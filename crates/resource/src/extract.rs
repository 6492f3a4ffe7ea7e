//! The actix-web extractor: `Authorization: Bearer <token>` in, a checked [`Principal`] out.

use std::future::Future;
use std::ops::Deref;
use std::pin::Pin;

use actix_web::http::header;
use actix_web::{dev::Payload, web, FromRequest, HttpRequest};

use super::{AuthError, Principal, ResourceGuard, DEFAULT_REALM};

/// A request whose bearer token verified and whose subject checked out. Needs a
/// `web::Data<ResourceGuard>` in the app. On failure the response carries the guard's realm.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Authenticated(pub Principal);

impl Authenticated {
    /// The principal.
    pub fn principal(&self) -> &Principal {
        &self.0
    }

    /// See [`Principal::require_scope`].
    pub fn require_scope(&self, any_of: &[&str]) -> Result<(), AuthError> {
        self.0.require_scope(any_of)
    }

    /// See [`Principal::require_user`].
    pub fn require_user(&self) -> Result<&crate::UserId, AuthError> {
        self.0.require_user()
    }
}

impl Deref for Authenticated {
    type Target = Principal;

    fn deref(&self) -> &Principal {
        &self.0
    }
}

/// True for RFC 6750 §2.1 `b64token`: `1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="`.
fn is_b64token(token: &str) -> bool {
    let body = token.trim_end_matches('=');
    !body.is_empty()
        && body.bytes().all(|b| {
            b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b'+' | b'/')
        })
}

/// The bearer token of a request. Only the Authorization header is read: a token in the query
/// string or a form body is refused (RFC 6750 §2.1; RFC 9700 §2.4 on URI-borne tokens).
pub fn bearer_token(req: &HttpRequest) -> Result<String, AuthError> {
    let mut values = req.headers().get_all(header::AUTHORIZATION);
    let Some(value) = values.next() else {
        let in_query = form_urlencoded::parse(req.query_string().as_bytes())
            .any(|(name, _)| name == "access_token");
        if in_query {
            return Err(AuthError::InvalidRequest(
                "send the token in the Authorization header, not in the URL".into(),
            ));
        }
        return Err(AuthError::MissingToken);
    };
    if values.next().is_some() {
        return Err(AuthError::InvalidRequest(
            "more than one Authorization header".into(),
        ));
    }
    let value = value
        .to_str()
        .map_err(|_| AuthError::InvalidRequest("the Authorization header is not ASCII".into()))?;
    let (scheme, rest) = value.split_once(' ').unwrap_or((value, ""));
    // RFC 9110 §11.1: the scheme is case-insensitive. Other schemes carry no bearer token.
    if !scheme.eq_ignore_ascii_case("bearer") {
        return Err(AuthError::MissingToken);
    }
    let token = rest.trim_matches(' ');
    if token.is_empty() {
        return Err(AuthError::InvalidRequest(
            "the Bearer credentials are empty".into(),
        ));
    }
    if !is_b64token(token) {
        return Err(AuthError::InvalidToken(
            "the token is not a valid b64token".into(),
        ));
    }
    Ok(token.to_string())
}

/// The error as actix sees it: answered in the guard's realm.
fn in_realm(error: AuthError, realm: &str) -> actix_web::Error {
    if realm == DEFAULT_REALM {
        return error.into();
    }
    let response = error.response(realm);
    actix_web::error::InternalError::from_response(error, response).into()
}

impl FromRequest for Authenticated {
    type Error = actix_web::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let Some(guard) = req.app_data::<web::Data<ResourceGuard>>().cloned() else {
            let error = AuthError::Internal("no web::Data<ResourceGuard> in the app".into());
            return Box::pin(async move { Err(error.into()) });
        };
        let token = bearer_token(req);
        Box::pin(async move {
            let result = match token {
                Ok(token) => guard.authenticate(&token).await,
                Err(e) => Err(e),
            };
            match result {
                Ok(principal) => Ok(Authenticated(principal)),
                Err(e) => {
                    log::debug!("bearer token refused: {e}");
                    Err(in_realm(e, &guard.realm))
                }
            }
        })
    }
}
