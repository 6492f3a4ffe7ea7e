//! Admin API errors: RFC 9457 problem details, built by named constructors. 500s are opaque;
//! their cause goes to the log.

use actix_web::http::{header, StatusCode};
use actix_web::{HttpResponse, ResponseError};
use serde_json::{json, Value};

use crate::domain::DomainError;
use crate::storage::StoreError;

/// An admin API error answer.
#[derive(Debug, Clone)]
pub struct ApiError {
    status: StatusCode,
    title: &'static str,
    detail: String,
    /// Extension members (e.g. the list of broken rules).
    extra: Option<Value>,
    /// `Retry-After` seconds, for 503.
    retry_after: Option<u64>,
}

impl ApiError {
    fn new(status: StatusCode, title: &'static str, detail: impl Into<String>) -> Self {
        ApiError {
            status,
            title,
            detail: detail.into(),
            extra: None,
            retry_after: None,
        }
    }

    /// 400: the request can't be read.
    pub fn bad_request(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "Bad request", detail)
    }

    /// 403: the caller may not do this.
    pub fn forbidden(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, "Forbidden", detail)
    }

    /// 404.
    pub fn not_found(what: &str) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "Not found",
            format!("no such {what}"),
        )
    }

    /// 409: an identifier is taken.
    pub fn conflict(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::CONFLICT, "Conflict", detail)
    }

    /// 422: the change would break a rule; `errors` lists each broken rule.
    pub fn unprocessable(errors: Vec<String>) -> Self {
        let mut e = Self::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "Unprocessable content",
            errors.join("; "),
        );
        e.extra = Some(json!({ "errors": errors }));
        e
    }

    /// 500: logs the cause, tells the caller nothing about it.
    pub fn internal(cause: impl std::fmt::Display) -> Self {
        log::error!("admin API internal error: {cause}");
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "Internal server error",
            "the server could not complete the request",
        )
    }

    /// 503 with `Retry-After`: the database can't be reached now; retrying later will do.
    pub fn unavailable(cause: impl std::fmt::Display) -> Self {
        log::error!("admin API: the database is unavailable: {cause}");
        let mut e = Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "Service unavailable",
            "the database can't be reached right now; retry later",
        );
        e.retry_after = Some(crate::oauth::error::RETRY_AFTER_SECONDS);
        e
    }

    /// The status.
    pub fn status(&self) -> StatusCode {
        self.status
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.title, self.detail)
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        self.status
    }

    fn error_response(&self) -> HttpResponse {
        let mut body = json!({
            "type": "about:blank",
            "title": self.title,
            "status": self.status.as_u16(),
            "detail": self.detail,
        });
        if let (Some(Value::Object(extra)), Some(map)) = (&self.extra, body.as_object_mut()) {
            map.extend(extra.clone());
        }
        let mut response = HttpResponse::build(self.status);
        response
            .insert_header((header::CONTENT_TYPE, "application/problem+json"))
            .insert_header((header::CACHE_CONTROL, "no-store"));
        if let Some(seconds) = self.retry_after {
            response.insert_header((header::RETRY_AFTER, seconds.to_string()));
        }
        response.body(body.to_string())
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound => ApiError::not_found("resource"),
            StoreError::Conflict(m) => ApiError::conflict(m),
            // The store refused what the API's own checks should have caught: still the
            // caller's mistake, and still no silent repair.
            StoreError::Constraint(m) => ApiError::unprocessable(vec![m]),
            StoreError::Unavailable(m) => ApiError::unavailable(m),
            other => ApiError::internal(other),
        }
    }
}

impl From<DomainError> for ApiError {
    fn from(e: DomainError) -> Self {
        match e {
            DomainError::NotFound(what) => ApiError::not_found(what),
            DomainError::Invalid(errors) => ApiError::unprocessable(errors),
            DomainError::Conflict(m) => ApiError::conflict(m),
            DomainError::Forbidden(m) => ApiError::forbidden(m),
            DomainError::Store(e) => e.into(),
            DomainError::Internal(m) => ApiError::internal(m),
        }
    }
}

/// JSON, path and query extractor failures as problem details (400), not actix's plain text.
pub fn json_config() -> actix_web::web::JsonConfig {
    actix_web::web::JsonConfig::default()
        .limit(64 * 1024)
        .error_handler(|err, _req| {
            ApiError::bad_request(format!("invalid JSON body: {err}")).into()
        })
}

/// Query-string extractor failures as problem details.
pub fn query_config() -> actix_web::web::QueryConfig {
    actix_web::web::QueryConfig::default()
        .error_handler(|err, _req| ApiError::bad_request(format!("invalid query: {err}")).into())
}

/// Path extractor failures as problem details.
pub fn path_config() -> actix_web::web::PathConfig {
    actix_web::web::PathConfig::default()
        .error_handler(|err, _req| ApiError::bad_request(format!("invalid path: {err}")).into())
}
