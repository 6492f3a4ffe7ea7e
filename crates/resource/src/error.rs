//! Why a request was refused, answered as RFC 6750 §3 (`WWW-Authenticate: Bearer …`) with an
//! RFC 9457 `application/problem+json` body.

use actix_web::http::header::{self, HeaderValue};
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;

/// The realm named in `WWW-Authenticate` unless a [`ResourceGuard`](super::ResourceGuard) says
/// otherwise.
pub const DEFAULT_REALM: &str = "castellan";

/// Why a bearer token was not accepted. Descriptions never contain the token or its contents.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    /// No bearer token in the request: 401 without an `error` attribute (RFC 6750 §3.1).
    #[error("no bearer token")]
    MissingToken,
    /// The request carried credentials in a way RFC 6750 does not allow: 400 `invalid_request`.
    #[error("invalid request: {0}")]
    InvalidRequest(String),
    /// The token is malformed, expired, badly signed, or not for us: 401 `invalid_token`.
    #[error("invalid token: {0}")]
    InvalidToken(String),
    /// A good token without any of the scopes the call needs: 403 `insufficient_scope`.
    #[error("insufficient scope: needs one of {scope}")]
    InsufficientScope {
        /// The scopes any one of which would do, space-separated.
        scope: String,
    },
    /// A service-account token on a route made for people: 403 `insufficient_scope`.
    #[error("this route is for users")]
    UserRequired,
    /// The verification keys can't be had right now (the JWKS is unreachable): 503, opaque.
    #[error("keys unavailable: {0}")]
    Unavailable(String),
    /// A failure on our side (the store, a missing guard): 500, opaque; the cause is logged.
    #[error("internal error: {0}")]
    Internal(String),
}

/// An RFC 9457 problem document.
#[derive(Serialize)]
struct Problem<'a> {
    #[serde(rename = "type")]
    kind: &'a str,
    title: &'a str,
    status: u16,
    detail: &'a str,
}

impl AuthError {
    fn status(&self) -> StatusCode {
        match self {
            AuthError::MissingToken | AuthError::InvalidToken(_) => StatusCode::UNAUTHORIZED,
            AuthError::InvalidRequest(_) => StatusCode::BAD_REQUEST,
            AuthError::InsufficientScope { .. } | AuthError::UserRequired => StatusCode::FORBIDDEN,
            AuthError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            AuthError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The `WWW-Authenticate` challenge for this error in `realm`, if it has one.
    pub fn challenge(&self, realm: &str) -> Option<String> {
        let realm = quoted(realm);
        let with = |error: &str, description: &str| {
            format!(
                "Bearer realm=\"{realm}\", error=\"{error}\", error_description=\"{}\"",
                attribute(description)
            )
        };
        match self {
            // RFC 6750 §3.1: a request without credentials gets no error code.
            AuthError::MissingToken => Some(format!("Bearer realm=\"{realm}\"")),
            AuthError::InvalidRequest(d) => Some(with("invalid_request", d)),
            AuthError::InvalidToken(d) => Some(with("invalid_token", d)),
            AuthError::InsufficientScope { scope } => Some(format!(
                "Bearer realm=\"{realm}\", error=\"insufficient_scope\", scope=\"{}\"",
                attribute(scope)
            )),
            AuthError::UserRequired => Some(with("insufficient_scope", USERS_ONLY)),
            AuthError::Unavailable(_) | AuthError::Internal(_) => None,
        }
    }

    /// The full response for this error, challenging in `realm`.
    pub fn response(&self, realm: &str) -> HttpResponse {
        let status = self.status();
        let title = status.canonical_reason().unwrap_or("Error");
        let scope_detail;
        let (kind, detail) = match self {
            AuthError::MissingToken => (
                "about:blank",
                "this call needs a bearer token in the Authorization header",
            ),
            AuthError::InvalidRequest(d) => ("urn:castellan:problem:invalid-request", d.as_str()),
            AuthError::InvalidToken(d) => ("urn:castellan:problem:invalid-token", d.as_str()),
            AuthError::InsufficientScope { scope } => {
                scope_detail = format!("the token needs one of these scopes: {scope}");
                (
                    "urn:castellan:problem:insufficient-scope",
                    scope_detail.as_str(),
                )
            }
            AuthError::UserRequired => ("urn:castellan:problem:users-only", USERS_ONLY),
            AuthError::Unavailable(cause) => {
                log::error!("bearer token check: verification keys unavailable: {cause}");
                (
                    "about:blank",
                    "the token can't be checked right now; retry later",
                )
            }
            AuthError::Internal(cause) => {
                log::error!("bearer token check failed: {cause}");
                ("about:blank", "an internal error occurred")
            }
        };
        let body = serde_json::to_string(&Problem {
            kind,
            title,
            status: status.as_u16(),
            detail,
        })
        .unwrap_or_default();
        let mut response = HttpResponse::build(status);
        response
            .content_type("application/problem+json")
            .insert_header((header::CACHE_CONTROL, "no-store"));
        if let Some(challenge) = self.challenge(realm) {
            if let Ok(value) = HeaderValue::from_str(&challenge) {
                response.insert_header((header::WWW_AUTHENTICATE, value));
            }
        }
        if let AuthError::Unavailable(_) = self {
            response.insert_header((header::RETRY_AFTER, "5"));
        }
        response.body(body)
    }
}

const USERS_ONLY: &str = "this route is for users; service-account tokens are refused";

/// A realm as an RFC 9110 §5.6.4 quoted-string body: `"` and `\` escaped, controls dropped.
fn quoted(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        match c {
            '"' | '\\' => {
                out.push('\\');
                out.push(c);
            }
            ' '..='~' => out.push(c),
            _ => {}
        }
    }
    out
}

/// `error_description` and `scope` values: RFC 6750 §3 allows only %x20-21 / %x23-5B / %x5D-7E
/// there, so `"` and `\` can't even be escaped; they become `'` and `/`.
fn attribute(value: &str) -> String {
    value
        .chars()
        .filter_map(|c| match c {
            '"' => Some('\''),
            '\\' => Some('/'),
            ' '..='~' => Some(c),
            _ => None,
        })
        .collect()
}

impl ResponseError for AuthError {
    fn status_code(&self) -> StatusCode {
        self.status()
    }

    fn error_response(&self) -> HttpResponse {
        self.response(DEFAULT_REALM)
    }
}
