//! A stand-in outside issuer for the JWKS tests: its own JWKS endpoint on 127.0.0.1:0 that can
//! be slowed, taken down, made to answer with a `Cache-Control`, to redirect, or to send more
//! than any JWKS should.

use std::collections::HashMap;
use std::net::TcpListener;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use actix_web::dev::ServerHandle;
use actix_web::{web, App, HttpResponse, HttpServer};
use jsonwebtoken::Algorithm;
use serde_json::{json, Value};

use super::*;
use crate::resource::RemoteJwksOptions;

/// What the stand-in issuer serves, shared with the test.
#[derive(Clone, Default)]
pub(super) struct Issuer {
    keys: Arc<Mutex<Vec<Value>>>,
    hits: Arc<AtomicUsize>,
    cache_control: Arc<Mutex<Option<String>>>,
    delay: Arc<Mutex<Duration>>,
    down: Arc<AtomicBool>,
}

impl Issuer {
    /// Publishes the signer's public key at the JWKS endpoint.
    pub fn publish(&self, signer: &Signer) {
        self.keys.lock().unwrap().push(signer.public_jwk());
    }
    /// How many times the JWKS endpoint (`/jwks`) was asked.
    pub fn hits(&self) -> usize {
        self.hits.load(Ordering::SeqCst)
    }
    /// The `Cache-Control` header of the JWKS answers from now on.
    pub fn cache_control(&self, value: Option<&str>) {
        *self.cache_control.lock().unwrap() = value.map(str::to_string);
    }
    /// How long the JWKS endpoint waits before answering.
    pub fn delay(&self, delay: Duration) {
        *self.delay.lock().unwrap() = delay;
    }
    /// While down, the JWKS endpoint answers 503.
    pub fn down(&self, down: bool) {
        self.down.store(down, Ordering::SeqCst);
    }
}

async fn jwks(issuer: web::Data<Issuer>) -> HttpResponse {
    issuer.hits.fetch_add(1, Ordering::SeqCst);
    let delay = *issuer.delay.lock().unwrap();
    actix_web::rt::time::sleep(delay).await;
    if issuer.down.load(Ordering::SeqCst) {
        return HttpResponse::ServiceUnavailable().finish();
    }
    let keys = issuer.keys.lock().unwrap().clone();
    let mut answer = HttpResponse::Ok();
    if let Some(value) = issuer.cache_control.lock().unwrap().clone() {
        answer.insert_header(("Cache-Control", value));
    }
    answer.json(json!({ "keys": keys }))
}

fn found(location: &str) -> HttpResponse {
    HttpResponse::Found()
        .insert_header(("Location", location))
        .finish()
}

/// `/hop/N`: N more redirects (relative, same origin) before `/jwks`.
async fn hop(n: web::Path<usize>) -> HttpResponse {
    match n.into_inner() {
        0 => found("/jwks"),
        n => found(&format!("/hop/{}", n - 1)),
    }
}

/// `/to?url=…`: a redirect to any URL.
async fn to(query: web::Query<HashMap<String, String>>) -> HttpResponse {
    found(query.get("url").map_or("/jwks", String::as_str))
}

/// `/big/N`: an empty JWK set padded with spaces to N bytes, with its Content-Length.
async fn big(n: web::Path<usize>) -> HttpResponse {
    let mut body = br#"{"keys": []}"#.to_vec();
    body.resize(n.into_inner().max(body.len()), b' ');
    HttpResponse::Ok()
        .content_type("application/json")
        .body(body)
}

static SPACES: [u8; 1024] = [b' '; 1024];

/// A body without end, sent chunked (no Content-Length).
struct Endless;

impl futures_core::Stream for Endless {
    type Item = Result<web::Bytes, std::io::Error>;
    fn poll_next(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        Poll::Ready(Some(Ok(web::Bytes::from_static(&SPACES))))
    }
}

async fn endless() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/json")
        .streaming(Endless)
}

/// Starts the stand-in issuer; returns its base URL (`http://127.0.0.1:PORT`) and a handle to
/// stop it.
pub(super) fn serve(issuer: &Issuer) -> (String, ServerHandle) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let data = web::Data::new(issuer.clone());
    let server = HttpServer::new(move || {
        App::new()
            .app_data(data.clone())
            .route("/jwks", web::get().to(jwks))
            .route("/hop/{n}", web::get().to(hop))
            .route("/to", web::get().to(to))
            .route("/big/{n}", web::get().to(big))
            .route("/endless", web::get().to(endless))
    })
    .workers(1)
    .disable_signals()
    .listen(listener)
    .unwrap()
    .run();
    let handle = server.handle();
    actix_web::rt::spawn(server);
    (format!("http://127.0.0.1:{port}"), handle)
}

/// Options for tests: refetches allowed every 100 ms, any Cache-Control honoured as given
/// (bounds 0 s to 1 h), keys without one fresh for a minute, a 2 s timeout, 64 KiB documents.
pub(super) fn options() -> RemoteJwksOptions {
    RemoteJwksOptions {
        min_refresh_interval: Duration::from_millis(100),
        max_age: Duration::from_secs(60),
        min_cache_lifetime: Duration::ZERO,
        max_cache_lifetime: Duration::from_secs(3600),
        timeout: Duration::from_secs(2),
        max_document_bytes: 64 * 1024,
    }
}

/// An access token signed by `signer` (the verifier checks the same shape).
pub(super) fn token(signer: &Signer) -> String {
    signer.sign(&service_claims("svc-1", "admin")).unwrap()
}

/// An ES256 signer named `kid`.
pub(super) fn es256(kid: &str) -> Signer {
    signer(kid, Algorithm::ES256)
}

/// Waits (up to 3 s) until `done` holds; whether it did.
pub(super) async fn eventually(done: impl Fn() -> bool) -> bool {
    for _ in 0..150 {
        if done() {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    done()
}
