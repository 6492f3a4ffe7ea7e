//! RemoteJwks against a tiny JWKS server on 127.0.0.1:0, and the JWK parsing rules.

use std::net::TcpListener;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use actix_web::dev::ServerHandle;
use actix_web::{web, App, HttpResponse, HttpServer};
use jsonwebtoken::Algorithm;
use serde_json::{json, Value};

use super::*;
use crate::resource::{parse_jwks, AuthError, RemoteJwks, RemoteJwksOptions};

#[derive(Clone, Default)]
struct Served {
    keys: Arc<Mutex<Vec<Value>>>,
    hits: Arc<AtomicUsize>,
}

impl Served {
    fn publish(&self, signer: &Signer) {
        self.keys.lock().unwrap().push(signer.public_jwk());
    }
    fn hits(&self) -> usize {
        self.hits.load(Ordering::SeqCst)
    }
}

async fn jwks(served: web::Data<Served>) -> HttpResponse {
    served.hits.fetch_add(1, Ordering::SeqCst);
    let keys = served.keys.lock().unwrap().clone();
    HttpResponse::Ok().json(json!({ "keys": keys }))
}

/// Starts the JWKS server; returns its URL and a handle to stop it.
fn serve(served: &Served) -> (String, ServerHandle) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let data = web::Data::new(served.clone());
    let server = HttpServer::new(move || {
        App::new()
            .app_data(data.clone())
            .route("/.well-known/jwks.json", web::get().to(jwks))
    })
    .workers(1)
    .disable_signals()
    .listen(listener)
    .unwrap()
    .run();
    let handle = server.handle();
    actix_web::rt::spawn(server);
    (
        format!("http://127.0.0.1:{port}/.well-known/jwks.json"),
        handle,
    )
}

fn remote(url: &str, min: Duration, max_age: Duration) -> (Arc<RemoteJwks>, TokenVerifier) {
    let options = RemoteJwksOptions {
        min_refresh_interval: min,
        max_age,
        timeout: Duration::from_secs(2),
        ..RemoteJwksOptions::default()
    };
    let jwks = Arc::new(RemoteJwks::new(url, options).unwrap());
    let verifier = TokenVerifier::new(ISS, AUD, 0, KeySource::Remote(jwks.clone()));
    (jwks, verifier)
}

fn token(signer: &Signer) -> String {
    signer.sign(&service_claims("svc-1", "admin")).unwrap()
}

#[actix_web::test]
async fn fetches_and_rate_limits_unknown_kids() {
    let served = Served::default();
    let a = signer("key-a", Algorithm::ES256);
    served.publish(&a);
    // Every token is made before the clock starts: only the verifications run in the window.
    let garbage: Vec<String> = (0..20)
        .map(|i| token(&signer(&format!("garbage-{i}"), Algorithm::ES256)))
        .collect();
    let (t1, t2, t3) = (
        token(&signer("g1", Algorithm::ES256)),
        token(&signer("g2", Algorithm::ES256)),
        token(&signer("g3", Algorithm::EdDSA)),
    );
    let b = signer("key-b", Algorithm::EdDSA);
    let tb = token(&b);
    let (url, handle) = serve(&served);
    let interval = Duration::from_millis(1500);
    let (jwks, verifier) = remote(&url, interval, Duration::from_secs(60));

    assert_eq!(verifier.verify(&token(&a)).await.unwrap().kid, "key-a");
    assert_eq!(served.hits(), 1);
    assert_eq!(jwks.cached_kids(), vec!["key-a".to_string()]);

    // Garbage kids right after a fetch: refused without a refetch.
    for t in &garbage {
        assert!(matches!(
            verifier.verify(t).await,
            Err(AuthError::InvalidToken(_))
        ));
    }
    assert_eq!(served.hits(), 1);

    // After the interval one unknown kid may refetch, once, even when several arrive together.
    tokio::time::sleep(interval + Duration::from_millis(50)).await;
    let (r1, r2, r3) = tokio::join!(
        verifier.verify(&t1),
        verifier.verify(&t2),
        verifier.verify(&t3)
    );
    assert!(r1.is_err() && r2.is_err() && r3.is_err());
    assert_eq!(served.hits(), 2);
    assert!(verifier.verify(&t1).await.is_err());
    assert_eq!(served.hits(), 2);

    // A rotated-in key is picked up at the next allowed refetch.
    served.publish(&b);
    assert!(verifier.verify(&tb).await.is_err());
    assert_eq!(served.hits(), 2);
    tokio::time::sleep(interval + Duration::from_millis(50)).await;
    assert_eq!(verifier.verify(&tb).await.unwrap().kid, "key-b");
    assert_eq!(served.hits(), 3);
    assert!(verifier.verify(&token(&a)).await.is_ok());
    assert_eq!(served.hits(), 3);
    handle.stop(false).await;
}

#[actix_web::test]
async fn refreshes_in_the_background_when_old() {
    let served = Served::default();
    let a = signer("key-a", Algorithm::ES256);
    served.publish(&a);
    let (url, handle) = serve(&served);
    let (jwks, verifier) = remote(&url, Duration::from_millis(50), Duration::from_millis(100));
    assert_eq!(jwks.refresh().await.unwrap(), 1);
    assert_eq!(served.hits(), 1);

    let b = signer("key-b", Algorithm::ES256);
    served.publish(&b);
    tokio::time::sleep(Duration::from_millis(150)).await;
    // The stale cache still answers at once; the refresh runs beside it.
    assert!(verifier.verify(&token(&a)).await.is_ok());
    for _ in 0..50 {
        if jwks.cached_kids().len() == 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(
        jwks.cached_kids(),
        vec!["key-a".to_string(), "key-b".to_string()]
    );
    assert_eq!(served.hits(), 2);
    handle.stop(false).await;
}

#[actix_web::test]
async fn cached_keys_keep_working_when_the_jwks_is_down() {
    let served = Served::default();
    let a = signer("key-a", Algorithm::ES256);
    served.publish(&a);
    let (url, handle) = serve(&served);
    let (jwks, verifier) = remote(&url, Duration::from_millis(50), Duration::from_millis(50));
    assert!(verifier.verify(&token(&a)).await.is_ok());
    handle.stop(false).await;

    for _ in 0..3 {
        tokio::time::sleep(Duration::from_millis(80)).await;
        assert!(verifier.verify(&token(&a)).await.is_ok());
    }
    assert!(jwks.refresh().await.is_err());
    assert!(verifier.verify(&token(&a)).await.is_ok());
    assert_eq!(jwks.cached_kids(), vec!["key-a".to_string()]);

    // An unknown kid while the JWKS is down can't be judged: 503, not 401.
    tokio::time::sleep(Duration::from_millis(80)).await;
    let other = signer("key-x", Algorithm::ES256);
    assert!(matches!(
        verifier.verify(&token(&other)).await,
        Err(AuthError::Unavailable(_))
    ));
    assert_eq!(served.hits(), 1);
}

#[actix_web::test]
async fn unreachable_from_the_start_is_unavailable() {
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("http://127.0.0.1:{port}/jwks");
    let (_, verifier) = remote(&url, Duration::from_secs(10), Duration::from_secs(60));
    let a = signer("key-a", Algorithm::ES256);
    assert!(matches!(
        verifier.verify(&token(&a)).await,
        Err(AuthError::Unavailable(_))
    ));
    assert!(matches!(
        verifier.verify(&token(&a)).await,
        Err(AuthError::Unavailable(_))
    ));
    assert!(RemoteJwks::new("ftp://example.com/jwks", RemoteJwksOptions::default()).is_err());
    assert!(RemoteJwks::new("not a url", RemoteJwksOptions::default()).is_err());
}

#[test]
fn jwk_parsing_skips_what_it_cannot_pin() {
    let es = signer("es", Algorithm::ES256).public_jwk();
    let ed = signer("ed", Algorithm::EdDSA).public_jwk();
    let with = |base: &Value, key: &str, value: Value| {
        let mut v = base.clone();
        v[key] = value;
        v
    };
    let without = |base: &Value, key: &str| {
        let mut v = base.clone();
        v.as_object_mut().unwrap().remove(key);
        v
    };
    let doc = json!({"keys": [
        es,
        ed,
        with(&without(&es, "alg"), "kid", json!("no-alg")),
        with(&with(&es, "alg", json!("HS256")), "kid", json!("hs")),
        with(&with(&es, "alg", json!("none")), "kid", json!("none")),
        with(&with(&es, "alg", json!("ES384")), "kid", json!("wrong-curve")),
        with(&with(&ed, "alg", json!("ES256")), "kid", json!("wrong-type")),
        with(&with(&es, "use", json!("enc")), "kid", json!("enc")),
        without(&with(&es, "kid", json!("x")), "kid"),
        {"kty": "oct", "k": "c2VjcmV0", "alg": "HS256", "kid": "oct"},
        {"kty": "EC", "crv": "P-256", "x": "AA", "y": "AA", "alg": "ES256", "kid": "broken"},
        "not even an object",
        with(&signer("dup", Algorithm::ES256).public_jwk(), "kid", json!("dup")),
        with(&signer("dup", Algorithm::ES256).public_jwk(), "kid", json!("dup")),
    ]});
    let keys = parse_jwks(doc.to_string().as_bytes()).unwrap();
    let mut kids: Vec<_> = keys.keys().cloned().collect();
    kids.sort();
    // "broken" parses (the points are checked at verification, where they fail).
    assert_eq!(kids, vec!["broken", "ed", "es"]);
    assert_eq!(keys["es"].alg, Algorithm::ES256);
    assert_eq!(keys["ed"].alg, Algorithm::EdDSA);
    assert!(parse_jwks(b"{}").is_err());
    assert!(parse_jwks(b"[]").is_err());
    assert!(parse_jwks(b"\xff").is_err());
}
