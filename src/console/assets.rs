//! The console's two static files (one stylesheet, one small script), compiled into the
//! binary, and the security headers every console answer carries.

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{web, HttpResponse};

/// The stylesheet.
pub const CSS: &str = include_str!("../../static/console/console.css");
/// The script (the copy button; every page works without it).
pub const JS: &str = include_str!("../../static/console/console.js");

/// FNV-1a of a file, at compile time: the version in its URL, so that a long cache never
/// serves an old copy after an upgrade.
const fn fnv(bytes: &[u8]) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    let mut i = 0;
    while i < bytes.len() {
        hash ^= bytes[i] as u64;
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
        i += 1;
    }
    hash
}

/// The stylesheet's version (`/console/static/console.css?v=…`).
pub const CSS_VERSION: u64 = fnv(CSS.as_bytes());
/// The script's version (`/console/static/console.js?v=…`).
pub const JS_VERSION: u64 = fnv(JS.as_bytes());

/// The console's Content-Security-Policy: nothing inline, nothing from elsewhere.
pub const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; \
                       form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// `GET /console/static/{name}`: the two files, cached for a year (their URLs carry their
/// version).
pub async fn get_static(name: web::Path<String>) -> HttpResponse {
    let (body, content_type) = match name.as_str() {
        "console.css" => (CSS, "text/css; charset=utf-8"),
        "console.js" => (JS, "text/javascript; charset=utf-8"),
        _ => return not_found().await,
    };
    HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, content_type))
        .insert_header((header::CACHE_CONTROL, "public, max-age=31536000, immutable"))
        .body(body)
}

/// Anything else under `/console`: a plain 404 page.
pub async fn not_found() -> HttpResponse {
    HttpResponse::NotFound()
        .insert_header((header::CONTENT_TYPE, "text/html; charset=utf-8"))
        .body(
            "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
             <title>Not found · Castellan</title>\
             <link rel=\"stylesheet\" href=\"/console/static/console.css\"></head>\
             <body><main id=\"main\"><h1>Not found</h1><p>There is no such page. \
             <a href=\"/console\">Back to the console</a></p></main></body></html>",
        )
}

/// Adds the security headers to every console answer; pages that set no `Cache-Control`
/// get `no-store`.
pub async fn security_headers(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let mut res = next.call(req).await?;
    let headers = res.headers_mut();
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CSP),
    );
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    if !headers.contains_key(header::CACHE_CONTROL) {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    Ok(res)
}
