//! The stand-in outside issuer the workload tests run themselves: its own JWKS endpoint on
//! 127.0.0.1:0 (`/jwks`), whose keys a test changes, which it can make fail (500) or stop, and
//! which counts the fetches it answers. Tokens shaped like GitHub Actions' OIDC tokens, the
//! `deployer` service account without a policy, and token requests that answer (status, body).

use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use actix_web::dev::ServerHandle;
use actix_web::{web, App, HttpResponse, HttpServer};
use serde_json::{json, Value};

use crate::helpers::{TestApp, API};
use crate::private_key_jwt::{assertion, post_assertion, ClientKey};
use crate::workload_doors::{AUDIENCE, JWT_TYPE, TOKEN_EXCHANGE};

/// GitHub's issuer string; the policy points its `jwks_uri` at the stand-in.
pub const GH_ISSUER: &str = "https://token.actions.githubusercontent.com";
pub const GH_SUBJECT: &str = "repo:acme/app:ref:refs/heads/main";
/// The interval of the contract: an unknown kid refetches at most once per 10 s per issuer.
pub const REFETCH_INTERVAL: Duration = Duration::from_secs(10);

#[derive(Default)]
struct Published {
    keys: Vec<Value>,
    failing: bool,
    /// When each JWKS request arrived.
    fetches: Vec<Instant>,
}

/// The stand-in issuer, shared with its server.
#[derive(Clone)]
pub struct Issuer {
    state: Arc<Mutex<Published>>,
    /// Its JWKS URL, `http://127.0.0.1:PORT/jwks`.
    pub jwks_uri: String,
    handle: ServerHandle,
}

async fn jwks(state: web::Data<Arc<Mutex<Published>>>) -> HttpResponse {
    let mut s = state.lock().unwrap();
    s.fetches.push(Instant::now());
    if s.failing {
        return HttpResponse::InternalServerError().body("issuer down");
    }
    HttpResponse::Ok()
        .insert_header(("Cache-Control", "public, max-age=300"))
        .json(json!({ "keys": s.keys }))
}

impl Issuer {
    /// Starts the stand-in, publishing `keys`.
    pub fn start(keys: &[&ClientKey]) -> Issuer {
        let state = Arc::new(Mutex::new(Published::default()));
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let data = web::Data::new(state.clone());
        let server = HttpServer::new(move || {
            App::new()
                .app_data(data.clone())
                .route("/jwks", web::get().to(jwks))
        })
        .workers(1)
        .disable_signals()
        .listen(listener)
        .unwrap()
        .run();
        let handle = server.handle();
        actix_web::rt::spawn(server);
        let issuer = Issuer {
            state,
            jwks_uri: format!("http://127.0.0.1:{port}/jwks"),
            handle,
        };
        issuer.publish(keys);
        issuer
    }

    /// From now on the JWKS holds exactly these keys.
    pub fn publish(&self, keys: &[&ClientKey]) {
        self.state.lock().unwrap().keys = keys.iter().map(|k| k.jwk.clone()).collect();
    }

    /// While failing, the JWKS endpoint answers 500.
    pub fn fail(&self, failing: bool) {
        self.state.lock().unwrap().failing = failing;
    }

    /// Stops the server: connections are refused from then on.
    pub async fn stop(&self) {
        self.handle.stop(false).await;
    }

    /// How many times its JWKS was fetched.
    pub fn fetches(&self) -> usize {
        self.state.lock().unwrap().fetches.len()
    }

    /// When it was last fetched.
    pub fn last_fetch(&self) -> Instant {
        *self.state.lock().unwrap().fetches.last().expect("fetched")
    }

    /// The time between its last two fetches.
    pub fn last_gap(&self) -> Duration {
        let s = self.state.lock().unwrap();
        let n = s.fetches.len();
        s.fetches[n - 1].duration_since(s.fetches[n - 2])
    }

    /// Waits until a refetch is allowed again: the interval past the last fetch, and a little.
    pub async fn wait_out_the_interval(&self) {
        let until = self.last_fetch() + REFETCH_INTERVAL + Duration::from_millis(300);
        let left = until.saturating_duration_since(Instant::now());
        actix_web::rt::time::sleep(left).await;
    }
}

/// A token shaped like a GitHub Actions OIDC token for `acme/app` on `main`, environment prod.
pub fn gh_token(key: &ClientKey, overrides: Value) -> String {
    let now = chrono::Utc::now().timestamp();
    let mut claims = json!({"iss": GH_ISSUER, "sub": GH_SUBJECT, "aud": AUDIENCE,
        "exp": now + 300, "iat": now, "nbf": now, "jti": uuid::Uuid::new_v4().to_string(),
        "repository": "acme/app", "repository_owner": "acme", "repository_id": "74",
        "ref": "refs/heads/main", "ref_type": "branch", "environment": "prod",
        "workflow": "deploy", "event_name": "push", "runner_environment": "github-hosted"});
    if let (Some(c), Some(o)) = (claims.as_object_mut(), overrides.as_object()) {
        c.extend(o.clone());
    }
    assertion(key, claims)
}

/// The service account `deployer` (client_credentials and token exchange), no policy yet.
pub async fn deployer(app: &TestApp, admin: &str) {
    account(
        app,
        admin,
        "deployer",
        &["client_credentials", TOKEN_EXCHANGE],
    )
    .await;
}

/// A service account with these grant types, holding `deploy:write` at the API; no policy.
pub async fn account(app: &TestApp, admin: &str, client_id: &str, grants: &[&str]) {
    let body = json!({"client_id": client_id, "name": client_id, "grant_types": grants,
        "scopes": ["deploy:write"], "default_scopes": ["deploy:write"], "audiences": [API]});
    let a = app.admin("POST", "/clients", Some(admin), Some(body)).await;
    assert_eq!(a.status, 201, "{}", a.body);
}

/// A policy on `client_id` trusting the stand-in cluster through its `jwks_uri`; its id.
pub async fn k8s_policy(app: &TestApp, admin: &str, client_id: &str, issuer: &Issuer) -> String {
    let body = json!({"issuer": crate::workload_doors::ISSUER, "jwks_uri": issuer.jwks_uri,
        "audience": AUDIENCE, "subject": crate::workload_doors::SUBJECT,
        "claims": {"/kubernetes.io/namespace": "ci"}});
    let path = format!("/clients/{client_id}/trust-policies");
    let p = app.admin("POST", &path, Some(admin), Some(body)).await;
    assert_eq!(p.status, 201, "{}", p.body);
    p.body["id"].as_str().unwrap().to_string()
}

/// Door 1 (a federated client assertion) naming `client_id`.
pub async fn door_one_as(app: &TestApp, client_id: &str, token: &str) -> (u16, Value) {
    let form = [
        ("grant_type", "client_credentials"),
        ("client_id", client_id),
    ];
    let res = post_assertion(app, "/oauth2/token", token, &form).await;
    (res.status().as_u16(), res.json().await.unwrap())
}

/// A token-exchange request naming `client_id`, with this subject token type.
pub async fn exchange_as(
    app: &TestApp,
    client_id: &str,
    token: &str,
    token_type: &str,
) -> (u16, Value) {
    let res = app
        .http
        .post(app.url("/oauth2/token"))
        .form(&[
            ("grant_type", TOKEN_EXCHANGE),
            ("client_id", client_id),
            ("subject_token", token),
            ("subject_token_type", token_type),
        ])
        .send()
        .await
        .unwrap();
    (res.status().as_u16(), res.json().await.unwrap())
}

/// A token exchange as `client_id` with a JWT subject token.
pub async fn exchange_jwt(app: &TestApp, client_id: &str, token: &str) -> (u16, Value) {
    exchange_as(app, client_id, token, JWT_TYPE).await
}

/// `(status, error, error_description)` of an answer.
pub fn refusal(answer: &(u16, Value)) -> (u16, &str, &str) {
    let (status, body) = answer;
    let text = |k: &str| body[k].as_str().unwrap_or("");
    (*status, text("error"), text("error_description"))
}
