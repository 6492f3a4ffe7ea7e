//! The request id: taken from the caller or made, returned on the response, and held in a
//! task-local while the request is handled so that every log line can name it.

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::middleware::Next;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use chrono::Utc;
use ring::rand::{SecureRandom, SystemRandom};

/// The header that carries a request id, in and out.
pub const REQUEST_ID_HEADER: &str = "x-request-id";

tokio::task_local! {
    static REQUEST_ID: String;
}

/// Runs `f` with the id of the request being handled on this task, if any.
pub fn with_request_id<R>(f: impl FnOnce(&str) -> R) -> Option<R> {
    REQUEST_ID.try_with(|id| f(id)).ok()
}

/// Whether a caller's request id may be used as given: short, and nothing a log or a header
/// could misread.
pub fn is_safe_request_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 64
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
}

/// A new request id: 96 random bits, base64url (16 characters).
pub fn new_request_id() -> String {
    let mut bytes = [0u8; 12];
    if SystemRandom::new().fill(&mut bytes).is_err() {
        // No randomness: fall back on the clock; an id need be unique, not secret.
        let nanos = Utc::now().timestamp_nanos_opt().unwrap_or_default();
        bytes[..8].copy_from_slice(&nanos.to_le_bytes());
    }
    URL_SAFE_NO_PAD.encode(bytes)
}

/// Middleware: takes the caller's `X-Request-Id` when it is safe or makes one, returns it in
/// the response, and makes it visible to every log line written while the request is handled.
pub async fn request_id(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let id = req
        .headers()
        .get(REQUEST_ID_HEADER)
        .and_then(|v| v.to_str().ok())
        .filter(|v| is_safe_request_id(v))
        .map(str::to_owned)
        .unwrap_or_else(new_request_id);
    let value = HeaderValue::from_str(&id).ok();
    let mut res = REQUEST_ID.scope(id, next.call(req)).await?;
    if let Some(value) = value {
        res.headers_mut()
            .insert(HeaderName::from_static(REQUEST_ID_HEADER), value);
    }
    Ok(res)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_ids_are_checked_and_generated_safe() {
        assert!(is_safe_request_id("abc-DEF_123.x"));
        assert!(is_safe_request_id(&"a".repeat(64)));
        assert!(!is_safe_request_id(&"a".repeat(65)));
        assert!(!is_safe_request_id(""));
        assert!(!is_safe_request_id("a b"));
        assert!(!is_safe_request_id("a\nb"));
        assert!(!is_safe_request_id("<script>"));
        let id = new_request_id();
        assert_eq!(id.len(), 16);
        assert!(is_safe_request_id(&id));
        assert_ne!(id, new_request_id());
    }

    #[actix_web::test]
    async fn the_request_id_is_visible_inside_its_scope_only() {
        assert_eq!(with_request_id(str::to_owned), None);
        let seen = REQUEST_ID
            .scope("rid-1".to_owned(), async { with_request_id(str::to_owned) })
            .await;
        assert_eq!(seen.as_deref(), Some("rid-1"));
    }
}
