//! One middleware around every request of the main listener: the request id (taken or made,
//! returned, visible to every log line), the duration histogram, and the access log line. One
//! layer instead of three, so the token endpoint pays for one boxed future, not three.

use std::borrow::Cow;
use std::time::Instant;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{web, HttpRequest};

use super::request_id::{request_id_of, with_id, REQUEST_ID_HEADER};
use super::{caller_ip, Metrics, TOKEN_PATH};

/// The log target of access lines (filter them with `RUST_LOG=castellan::access=warn`).
pub const ACCESS_TARGET: &str = "castellan::access";

/// Paths never written to the access log: probes.
const QUIET: &[&str] = &["/healthz", "/readyz"];

/// Put in a response's extensions by a handler that knows which client called (the token
/// endpoint, once the client authenticated); the access line names it.
#[derive(Debug, Clone)]
pub struct CallerClient(pub String);

/// The route pattern a request matched (`/admin/v1/clients/{id}`), never the raw path, or
/// `other` when none did.
fn endpoint_label(req: &HttpRequest) -> Cow<'static, str> {
    if req.path() == TOKEN_PATH {
        return Cow::Borrowed(TOKEN_PATH);
    }
    match req.match_pattern() {
        Some(pattern) => Cow::Owned(pattern),
        None => Cow::Borrowed("other"),
    }
}

/// The middleware of the main listener.
pub async fn observe(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let started = Instant::now();
    let id = request_id_of(&req);
    let header = HeaderValue::from_str(&id).ok();
    let metrics = req.app_data::<web::Data<Metrics>>().cloned();
    // The id moves into the task-local; the access line reads it back from the header value.
    let result = with_id(id, next.call(req)).await;
    let seconds = started.elapsed().as_secs_f64();
    record(metrics, &result, seconds);
    let mut res = result?;
    if log::log_enabled!(target: ACCESS_TARGET, log::Level::Info)
        && !QUIET.contains(&res.request().path())
    {
        let id = header.as_ref().and_then(|h| h.to_str().ok()).unwrap_or("");
        access_line(&res, id, seconds);
    }
    if let Some(value) = header {
        res.headers_mut()
            .insert(HeaderName::from_static(REQUEST_ID_HEADER), value);
    }
    Ok(res)
}

/// One line per request: method, path (never the query string: it could carry a secret),
/// status, latency, the caller's address, the request id, and the client when known.
fn access_line<B>(res: &ServiceResponse<B>, id: &str, seconds: f64) {
    let req = res.request();
    let ip = caller_ip(req).map(|ip| ip.to_string()).unwrap_or_default();
    let extensions = res.response().extensions();
    let client = extensions.get::<CallerClient>().map(|c| c.0.as_str());
    let status = res.status().as_u16();
    let latency_ms = (seconds * 1_000_000.0).round() / 1000.0;
    let (method, path) = (req.method().as_str(), req.path());
    log::info!(
        target: ACCESS_TARGET,
        request_id = id, method = method, path = path, status = status,
        latency_ms = latency_ms, ip = ip.as_str(), client_id = client.unwrap_or("");
        "{method} {path} {status}"
    );
}

/// The management listener's middleware: the duration histogram only (no access log: it serves
/// probes and scrapes).
pub async fn observe_management(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let started = Instant::now();
    let metrics = req.app_data::<web::Data<Metrics>>().cloned();
    let result = next.call(req).await;
    record(metrics, &result, started.elapsed().as_secs_f64());
    result
}

/// The duration histogram's observation of one answer (or of an error that became one).
fn record<B>(
    metrics: Option<web::Data<Metrics>>,
    result: &Result<ServiceResponse<B>, actix_web::Error>,
    seconds: f64,
) {
    let Some(metrics) = metrics else { return };
    match result {
        Ok(res) => metrics.observe(&endpoint_label(res.request()), res.status(), seconds),
        Err(e) => metrics.observe("other", e.as_response_error().status_code(), seconds),
    }
}
