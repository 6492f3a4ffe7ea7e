//! OAuth error responses: RFC 6749 §5.2 and RFC 8707 §2 codes, as JSON.

use actix_web::http::{header, StatusCode};
use actix_web::HttpResponse;
use serde_json::json;

use crate::storage::StoreError;

/// `Retry-After` of a 503 answered while the database can't be reached.
pub const RETRY_AFTER_SECONDS: u64 = 2;

/// The error codes of RFC 6749 §5.2 and RFC 8707.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorCode {
    /// Malformed request.
    InvalidRequest,
    /// Client authentication failed.
    InvalidClient,
    /// The client may not use this grant.
    UnauthorizedClient,
    /// The code or refresh token is invalid, expired, revoked, used, or not this client's.
    InvalidGrant,
    /// The grant type is not supported.
    UnsupportedGrantType,
    /// The scope is unknown, malformed or not allowed.
    InvalidScope,
    /// The resource or audience is unknown, malformed or not allowed (RFC 8707).
    InvalidTarget,
    /// Too many requests (answered with 429 and Retry-After).
    SlowDown,
    /// Our fault.
    ServerError,
    /// The store can't be reached now (503 with Retry-After; RFC 6749 §4.1.2.1's code).
    TemporarilyUnavailable,
}

impl ErrorCode {
    /// The code as sent.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::InvalidRequest => "invalid_request",
            ErrorCode::InvalidClient => "invalid_client",
            ErrorCode::UnauthorizedClient => "unauthorized_client",
            ErrorCode::InvalidGrant => "invalid_grant",
            ErrorCode::UnsupportedGrantType => "unsupported_grant_type",
            ErrorCode::InvalidScope => "invalid_scope",
            ErrorCode::InvalidTarget => "invalid_target",
            ErrorCode::SlowDown => "slow_down",
            ErrorCode::ServerError => "server_error",
            ErrorCode::TemporarilyUnavailable => "temporarily_unavailable",
        }
    }
}

/// An error answer of an OAuth endpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OAuthError {
    /// The code.
    pub code: ErrorCode,
    /// A sentence for the developer; never echoes a secret.
    pub description: String,
    /// The client used HTTP Basic: answer 401 with `WWW-Authenticate: Basic` (RFC 6749 §5.2).
    pub basic_challenge: bool,
    /// Seconds to wait, for 429.
    pub retry_after: Option<u64>,
    /// HTTP status override (405 for a wrong method).
    pub status: Option<StatusCode>,
}

impl OAuthError {
    /// An error with a code and description.
    pub fn new(code: ErrorCode, description: impl Into<String>) -> Self {
        OAuthError {
            code,
            description: error_text(&description.into()),
            basic_challenge: false,
            retry_after: None,
            status: None,
        }
    }

    /// `invalid_request`.
    pub fn invalid_request(description: impl Into<String>) -> Self {
        Self::new(ErrorCode::InvalidRequest, description)
    }

    /// `invalid_client`, the one answer for an unknown client and a wrong secret alike.
    pub fn invalid_client(basic: bool) -> Self {
        OAuthError {
            basic_challenge: basic,
            ..Self::new(ErrorCode::InvalidClient, "client authentication failed")
        }
    }

    /// `server_error`; the cause goes to the log, not to the caller.
    pub fn server_error() -> Self {
        Self::new(
            ErrorCode::ServerError,
            "the server could not complete the request",
        )
    }

    /// 503 `temporarily_unavailable` with `Retry-After`: the database can't be reached now.
    pub fn temporarily_unavailable() -> Self {
        OAuthError {
            retry_after: Some(RETRY_AFTER_SECONDS),
            ..Self::new(
                ErrorCode::TemporarilyUnavailable,
                "the server is temporarily unavailable; retry later",
            )
        }
    }

    /// A store failure: 503 when the database can't be reached, else `server_error`; the cause
    /// is logged with `context`.
    pub fn from_store(context: &str, e: &StoreError) -> Self {
        log::error!("{context}: {e}");
        match e {
            StoreError::Unavailable(_) => Self::temporarily_unavailable(),
            _ => Self::server_error(),
        }
    }

    /// The HTTP status.
    pub fn status(&self) -> StatusCode {
        if let Some(status) = self.status {
            return status;
        }
        match self.code {
            ErrorCode::InvalidClient => StatusCode::UNAUTHORIZED,
            ErrorCode::SlowDown => StatusCode::TOO_MANY_REQUESTS,
            ErrorCode::ServerError => StatusCode::INTERNAL_SERVER_ERROR,
            ErrorCode::TemporarilyUnavailable => StatusCode::SERVICE_UNAVAILABLE,
            _ => StatusCode::BAD_REQUEST,
        }
    }

    /// The JSON response.
    pub fn response(&self) -> HttpResponse {
        let mut res = HttpResponse::build(self.status());
        res.insert_header((header::CACHE_CONTROL, "no-store"))
            .insert_header((header::PRAGMA, "no-cache"));
        if self.basic_challenge && self.code == ErrorCode::InvalidClient {
            res.insert_header((
                header::WWW_AUTHENTICATE,
                "Basic realm=\"castellan\", charset=\"UTF-8\"",
            ));
        }
        if let Some(secs) = self.retry_after {
            res.insert_header((header::RETRY_AFTER, secs.to_string()));
        }
        if self.status == Some(StatusCode::METHOD_NOT_ALLOWED) {
            res.insert_header((header::ALLOW, "POST"));
        }
        res.json(json!({"error": self.code.as_str(), "error_description": self.description}))
    }
}

/// CONTRACT (Error texts): an `error_description` keeps to RFC 6749 §5.2's set, printable
/// ASCII without `"` and `\`; anything else (a quote, a backslash, a non-ASCII character
/// echoed from a request) becomes `?`.
pub fn error_text(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            '\x20'..='\x21' | '\x23'..='\x5B' | '\x5D'..='\x7E' => c,
            _ => '?',
        })
        .collect()
}

impl std::fmt::Display for OAuthError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.code.as_str(), self.description)
    }
}
