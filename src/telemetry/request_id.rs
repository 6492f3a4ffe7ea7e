//! The request id: taken from the caller or made, returned on the response, and held in a
//! task-local while the request is handled so that every log line can name it.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::OnceLock;

use actix_web::dev::ServiceRequest;
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

/// A new request id, 16 base64url characters: 48 random bits drawn once per process, then a
/// 48-bit counter. Unique per process and, with the random part, across nodes; not secret, so
/// no randomness is drawn per request.
pub fn new_request_id() -> String {
    static PREFIX: OnceLock<[u8; 6]> = OnceLock::new();
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let prefix = PREFIX.get_or_init(|| {
        let mut bytes = [0u8; 6];
        if SystemRandom::new().fill(&mut bytes).is_err() {
            // No randomness: the clock; an id need be unique, not secret.
            let nanos = Utc::now().timestamp_nanos_opt().unwrap_or_default();
            bytes.copy_from_slice(&nanos.to_le_bytes()[..6]);
        }
        bytes
    });
    let count = COUNTER.fetch_add(1, Ordering::Relaxed).to_be_bytes();
    let mut bytes = [0u8; 12];
    bytes[..6].copy_from_slice(prefix);
    bytes[6..].copy_from_slice(&count[2..]);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// The caller's `X-Request-Id` when it is safe, else a new one.
pub fn request_id_of(req: &ServiceRequest) -> String {
    req.headers()
        .get(REQUEST_ID_HEADER)
        .and_then(|v| v.to_str().ok())
        .filter(|v| is_safe_request_id(v))
        .map(str::to_owned)
        .unwrap_or_else(new_request_id)
}

/// Runs `fut` with `id` as the request id of every log line it writes.
pub async fn with_id<F: std::future::Future>(id: String, fut: F) -> F::Output {
    REQUEST_ID.scope(id, fut).await
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
