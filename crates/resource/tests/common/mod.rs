//! A tiny fake issuer (no Castellan server): `/.well-known/jwks.json` and `/oauth2/revocations`
//! on 127.0.0.1:0 from state the test changes, an ES256 key, tokens and lists minted here.

#![allow(dead_code)]

use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use actix_web::dev::ServerHandle;
use actix_web::{web, App, HttpResponse, HttpServer};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use castellan_resource::claims::{AccessTokenClaims, Audience, SERVICE_ACCOUNT, USER};
use castellan_resource::{
    Authenticated, KeySource, RemoteJwks, RemoteJwksOptions, ResourceGuard, RevocationFeed,
    RevocationFeedOptions, Subject, TokenVerifier, REVOCATIONS_TYP,
};
use jsonwebtoken::{encode, Algorithm, EncodingKey, Header};
use ring::rand::{SecureRandom, SystemRandom};
use ring::signature::{EcdsaKeyPair, KeyPair, ECDSA_P256_SHA256_FIXED_SIGNING};
use serde_json::{json, Value};

/// The audience every test token is meant for.
pub const AUDIENCE: &str = "https://orders.example";
/// The verifier's clock-skew leeway, in seconds.
pub const LEEWAY: u64 = 60;
/// The polling interval of the feeds under test.
pub const INTERVAL: Duration = Duration::from_millis(100);

/// Now, in seconds since the epoch.
pub fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

/// An ES256 signing key and its public JWK.
pub struct TestKey {
    pub kid: String,
    encoding: EncodingKey,
    jwk: Value,
}

impl TestKey {
    pub fn new(kid: &str) -> Self {
        castellan_resource::provider::install();
        let rng = SystemRandom::new();
        let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &rng).unwrap();
        let pair = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, pkcs8.as_ref(), &rng)
            .unwrap();
        // The uncompressed point: 0x04 || x || y.
        let point = pair.public_key().as_ref();
        assert_eq!((point.len(), point[0]), (65, 4));
        let jwk = json!({
            "kty": "EC", "crv": "P-256", "kid": kid, "alg": "ES256", "use": "sig",
            "x": URL_SAFE_NO_PAD.encode(&point[1..33]),
            "y": URL_SAFE_NO_PAD.encode(&point[33..]),
        });
        TestKey {
            kid: kid.to_string(),
            encoding: EncodingKey::from_ec_der(pkcs8.as_ref()),
            jwk,
        }
    }

    /// Signs `claims` with this key, header `typ` and this kid.
    pub fn sign(&self, typ: &str, claims: &impl serde::Serialize) -> String {
        let mut header = Header::new(Algorithm::ES256);
        header.typ = Some(typ.to_string());
        header.kid = Some(self.kid.clone());
        encode(&header, claims, &self.encoding).unwrap()
    }
}

/// A jti as Castellan makes them: the issue time in hex microseconds, a dot, random bytes.
pub fn jti_at(micros: i64) -> String {
    let mut bytes = [0u8; 16];
    SystemRandom::new().fill(&mut bytes).unwrap();
    format!("{micros:x}.{}", URL_SAFE_NO_PAD.encode(bytes))
}

/// What the fake issuer serves, changed by the test.
struct Served {
    jwks: String,
    list: String,
    status: u16,
    list_fetches: usize,
}

/// The fake issuer: its URL (the `iss` of its tokens), its key, and what it serves.
pub struct Issuer {
    pub url: String,
    pub key: TestKey,
    served: Arc<Mutex<Served>>,
    handle: ServerHandle,
}

async fn serve_jwks(served: web::Data<Mutex<Served>>) -> HttpResponse {
    let jwks = served.lock().unwrap().jwks.clone();
    HttpResponse::Ok()
        .content_type("application/jwk-set+json")
        .body(jwks)
}

async fn serve_list(served: web::Data<Mutex<Served>>) -> HttpResponse {
    let mut served = served.lock().unwrap();
    served.list_fetches += 1;
    match served.status {
        200 => HttpResponse::Ok()
            .content_type("application/revocations+jwt")
            .body(served.list.clone()),
        status => {
            HttpResponse::build(actix_web::http::StatusCode::from_u16(status).unwrap()).finish()
        }
    }
}

impl Issuer {
    /// Starts serving at once (inside an actix runtime): the key's JWKS and, until a list is
    /// set, a 500 on the revocation list.
    pub async fn start() -> Issuer {
        let key = TestKey::new("key-1");
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://127.0.0.1:{}", listener.local_addr().unwrap().port());
        let served = Arc::new(Mutex::new(Served {
            jwks: json!({"keys": [key.jwk]}).to_string(),
            list: String::new(),
            status: 500,
            list_fetches: 0,
        }));
        let data = web::Data::from(Arc::clone(&served));
        let server = HttpServer::new(move || {
            App::new()
                .app_data(data.clone())
                .route("/.well-known/jwks.json", web::get().to(serve_jwks))
                .route("/oauth2/revocations", web::get().to(serve_list))
        })
        .workers(1)
        .disable_signals()
        .listen(listener)
        .unwrap()
        .run();
        let handle = server.handle();
        actix_web::rt::spawn(server);
        Issuer {
            url,
            key,
            served,
            handle,
        }
    }

    /// Serves `jws` as the revocation list, with a 200.
    pub fn serve_list(&self, jws: &str) {
        let mut served = self.served.lock().unwrap();
        served.list = jws.to_string();
        served.status = 200;
    }

    /// Answers the revocation list with `status` (an outage) and no body.
    pub fn fail_list(&self, status: u16) {
        self.served.lock().unwrap().status = status;
    }

    /// How many times the revocation list was asked for.
    pub fn list_fetches(&self) -> usize {
        self.served.lock().unwrap().list_fetches
    }

    /// Stops the server: connections are refused from now on.
    pub async fn stop(&self) {
        self.handle.stop(false).await;
    }

    /// An access token of this issuer's, issued at `micros` (microseconds since the epoch).
    pub fn token(&self, kind: &str, sub: &str, client_id: &str, micros: i64) -> String {
        let iat = micros.div_euclid(1_000_000);
        let claims = AccessTokenClaims {
            iss: self.url.clone(),
            sub: sub.to_string(),
            aud: Audience::One(AUDIENCE.to_string()),
            exp: iat + 300,
            iat,
            nbf: iat,
            jti: jti_at(micros),
            client_id: client_id.to_string(),
            scope: "orders:read orders:write".to_string(),
            principal_type: kind.to_string(),
            org_id: Some("org-1".to_string()),
            act: None,
        };
        self.key.sign("at+jwt", &claims)
    }

    /// A token of a service account (`sub` = `client_id`) issued now.
    pub fn service_token(&self, client_id: &str) -> String {
        self.service_token_at(client_id, chrono::Utc::now().timestamp_micros())
    }

    /// A token of a service account issued at `micros`.
    pub fn service_token_at(&self, client_id: &str, micros: i64) -> String {
        self.token(SERVICE_ACCOUNT, client_id, client_id, micros)
    }

    /// A token of the user `user_id`, through the client `client_id`, issued now.
    pub fn user_token(&self, user_id: &str, client_id: &str) -> String {
        let micros = chrono::Utc::now().timestamp_micros();
        self.token(USER, user_id, client_id, micros)
    }

    /// The claims of a revocation list made at `iat`.
    pub fn list_claims(&self, iat: i64, jtis: &[&str], clients: &[(&str, f64)]) -> Value {
        json!({
            "iss": self.url,
            "iat": iat,
            "exp": iat + 60,
            "jtis": jtis.iter().map(|j| json!({"jti": j, "exp": iat + 300})).collect::<Vec<_>>(),
            "clients": clients
                .iter()
                .map(|(c, before)| json!({"client_id": c, "revoked_before": before}))
                .collect::<Vec<_>>(),
        })
    }

    /// A signed revocation list made at `iat`.
    pub fn list(&self, iat: i64, jtis: &[&str], clients: &[(&str, f64)]) -> String {
        self.key
            .sign(REVOCATIONS_TYP, &self.list_claims(iat, jtis, clients))
    }

    /// A verifier of this issuer's tokens, with keys from its JWKS.
    pub fn verifier(&self) -> TokenVerifier {
        let jwks_url = format!("{}/.well-known/jwks.json", self.url);
        let jwks = RemoteJwks::new(&jwks_url, RemoteJwksOptions::default()).unwrap();
        TokenVerifier::new(
            &self.url,
            AUDIENCE,
            LEEWAY,
            KeySource::Remote(Arc::new(jwks)),
        )
    }

    /// A guard with a revocation feed made with `options` (not spawned), and the feed.
    pub fn guard_with_feed(
        &self,
        options: RevocationFeedOptions,
    ) -> (ResourceGuard, Arc<RevocationFeed>) {
        let verifier = self.verifier();
        let feed = Arc::new(RevocationFeed::for_verifier(&verifier, options).unwrap());
        let guard = ResourceGuard::new(verifier).with_revocations(Arc::clone(&feed));
        (guard, feed)
    }
}

/// The default feed options, but polling every [`INTERVAL`].
pub fn polling() -> RevocationFeedOptions {
    RevocationFeedOptions {
        interval: INTERVAL,
        ..RevocationFeedOptions::default()
    }
}

/// Who called, typed: the route of the test apps.
async fn whoami(auth: Authenticated) -> HttpResponse {
    match &auth.subject {
        Subject::ServiceAccount(id) => {
            HttpResponse::Ok().json(json!({"service_account": id.as_str()}))
        }
        Subject::User(id) => HttpResponse::Ok().json(json!({"user_id": id.as_str()})),
    }
}

/// `GET /whoami`, for `App::configure`.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/whoami", web::get().to(whoami));
}

/// A GET of `path` with `token` as its bearer token (`.to_request()` it).
pub fn get(path: &str, token: &str) -> actix_web::test::TestRequest {
    actix_web::test::TestRequest::get()
        .uri(path)
        .insert_header(("Authorization", format!("Bearer {token}")))
}

/// Waits (up to 5 s) until `done` holds.
pub async fn eventually(what: &str, mut done: impl FnMut() -> bool) {
    for _ in 0..250 {
        if done() {
            return;
        }
        actix_web::rt::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("timed out waiting until {what}");
}

/// Waits until the feed has asked for the list at least twice more: the first of those asks
/// began after this call, so its answer has been handled by the time the second one comes.
pub async fn two_more_polls(issuer: &Issuer) {
    let seen = issuer.list_fetches();
    eventually("the feed polled twice more", || {
        issuer.list_fetches() >= seen + 2
    })
    .await;
}
