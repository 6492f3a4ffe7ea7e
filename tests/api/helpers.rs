//! The test harness: a real server on a loopback port, real HTTP, a fresh SQLite file or a
//! fresh PostgreSQL database per test.

use std::sync::Arc;

use actix_web::dev::ServerHandle;
use actix_web::web;
use castellan::app::Application;
use castellan::config::{SecretString, Settings};
use castellan::domain::clients::Client;
use castellan::domain::Acting;
use castellan::domain::Core;
use castellan::oauth::claims::AccessTokenClaims;
use chrono::Utc;
use serde_json::Value;

pub use crate::test_db::{Backend, TestDb};
pub use crate::wire::{basic, jwt_part, verify_with_jwks};

pub const ADMIN_ID: &str = "test-admin";
pub const ADMIN_SECRET: &str = "test-admin-secret-0123456789abcdefghijklmnop";
pub const API: &str = "https://api.example.com";

/// Runs each named `async fn(Backend)` twice: on SQLite and on PostgreSQL.
#[macro_export]
macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => { $(
        mod $name {
            #[actix_web::test]
            async fn sqlite() {
                super::$name($crate::helpers::Backend::Sqlite).await
            }
            #[actix_web::test]
            async fn postgres() {
                super::$name($crate::helpers::Backend::Postgres).await
            }
        }
    )* };
}

/// A running Castellan.
pub struct TestApp {
    pub address: String,
    /// The management listener (`/metrics`, `/healthz`, `/readyz`).
    pub management_address: String,
    pub http: reqwest::Client,
    pub state: web::Data<Core>,
    pub settings: Settings,
    pub handle: ServerHandle,
    pub dir: Arc<tempfile::TempDir>,
    pub db: Arc<TestDb>,
}

/// The settings a test server starts from: port 0, its own master key, bootstrap admin.
pub fn test_settings(dir: &std::path::Path, db: &TestDb) -> Settings {
    let mut s = Settings::defaults().expect("defaults");
    s.listen = "127.0.0.1:0".into();
    s.management_listen = "127.0.0.1:0".into();
    s.database_url = db.url.clone();
    s.master_key_file = dir.join("master.key").display().to_string();
    s.bootstrap_client_id = Some(ADMIN_ID.into());
    s.bootstrap_client_secret = Some(SecretString::new(ADMIN_SECRET));
    s.cache.refresh_seconds = 3600;
    s
}

pub async fn spawn_app(backend: Backend) -> Option<TestApp> {
    spawn_app_with(backend, |_| {}).await
}

pub async fn spawn_app_with(
    backend: Backend,
    configure: impl FnOnce(&mut Settings),
) -> Option<TestApp> {
    let dir = Arc::new(tempfile::tempdir().expect("tempdir"));
    let db = Arc::new(TestDb::new(backend, dir.path())?);
    let mut settings = test_settings(dir.path(), &db);
    configure(&mut settings);
    Some(start(settings, dir, db).await)
}

pub async fn start(settings: Settings, dir: Arc<tempfile::TempDir>, db: Arc<TestDb>) -> TestApp {
    let app = Application::build(settings.clone())
        .await
        .expect("server starts");
    running(app, settings, dir, db)
}

/// Serves a built application in the background, as a test's handle on it.
pub fn running(
    app: Application,
    settings: Settings,
    dir: Arc<tempfile::TempDir>,
    db: Arc<TestDb>,
) -> TestApp {
    let address = format!("http://127.0.0.1:{}", app.port());
    let management_address = format!("http://127.0.0.1:{}", app.management_port());
    let state = app.state();
    let handle = app.handle();
    actix_web::rt::spawn(app.run_until_stopped());
    TestApp {
        address,
        management_address,
        http: reqwest::Client::new(),
        state,
        settings,
        handle,
        dir,
        db,
    }
}

/// A service account as most tests want it; adjust with the closure.
pub fn service_account(client_id: &str) -> Client {
    Client {
        scopes: vec!["read".into(), "write".into(), "account:usage:read".into()],
        default_scopes: vec!["read".into()],
        audiences: vec![API.into(), "urn:svc:b".into()],
        ..Client::service_account(client_id, &format!("{client_id} (test)"), Utc::now())
    }
}

impl TestApp {
    /// Stops this server and starts another on the same database and master key.
    pub async fn restart(self) -> TestApp {
        self.handle.stop(true).await;
        let mut settings = self.settings.clone();
        settings.listen = "127.0.0.1:0".into();
        settings.issuer = None;
        start(settings, self.dir.clone(), self.db.clone()).await
    }

    /// Another node of the same deployment: same database, master key and issuer.
    pub async fn another_node(&self) -> TestApp {
        let mut settings = self.settings.clone();
        settings.listen = "127.0.0.1:0".into();
        settings.management_listen = "127.0.0.1:0".into();
        settings.issuer = Some(self.state.issuer.clone());
        start(settings, self.dir.clone(), self.db.clone()).await
    }

    /// Creates a client straight in the store (as the CLI would) and reloads the registry.
    /// Returns its first secret.
    pub async fn create_client(&self, client: Client) -> Option<String> {
        let created = self
            .state
            .client_service()
            .create(&Acting::system(), client, None, Utc::now())
            .await
            .expect("client created");
        created.secret.map(|(_, plain)| plain)
    }

    /// A service account with the default test shape; returns (client_id, secret).
    pub async fn service_account(&self, client_id: &str) -> (String, String) {
        let secret = self
            .create_client(service_account(client_id))
            .await
            .expect("secret");
        (client_id.to_string(), secret)
    }

    /// Re-reads organizations, groups, clients and keys from the store, as the background job
    /// does.
    pub async fn reload(&self) {
        let state = self.state.clone();
        self.state
            .db
            .run(move |conn| {
                state.directory.reload(conn)?;
                state.clients.reload(conn)?;
                state
                    .keys
                    .reload(conn, Utc::now())
                    .map_err(|e| castellan::storage::StoreError::Pool(e.to_string()))
            })
            .await
            .expect("reload");
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.address, path)
    }

    /// A URL on the management listener.
    pub fn management_url(&self, path: &str) -> String {
        format!("{}{}", self.management_address, path)
    }

    /// POST /oauth2/token with client_secret_basic (RFC 6749 §2.3.1 encoding) and a form.
    pub async fn token_basic(
        &self,
        id: &str,
        secret: &str,
        form: &[(&str, &str)],
    ) -> reqwest::Response {
        self.http
            .post(self.url("/oauth2/token"))
            .header("Authorization", basic(id, secret))
            .form(form)
            .send()
            .await
            .expect("request")
    }

    /// A token for (id, secret) with extra form fields; panics unless 200.
    pub async fn access_token(&self, id: &str, secret: &str, extra: &[(&str, &str)]) -> String {
        let mut form = vec![("grant_type", "client_credentials")];
        form.extend_from_slice(extra);
        let res = self.token_basic(id, secret, &form).await;
        assert_eq!(res.status(), 200, "token request failed");
        let body: Value = res.json().await.expect("json");
        body["access_token"]
            .as_str()
            .expect("access_token")
            .to_string()
    }

    /// The admin service account's token (scope `admin`).
    pub async fn admin_token(&self) -> String {
        self.access_token(ADMIN_ID, ADMIN_SECRET, &[]).await
    }

    pub async fn jwks(&self) -> Value {
        self.http
            .get(self.url("/.well-known/jwks.json"))
            .send()
            .await
            .expect("jwks")
            .json()
            .await
            .expect("jwks json")
    }

    /// Verifies a token against the published JWKS with jsonwebtoken, the algorithm taken
    /// from the JWK (never from the token), as an outside resource server would.
    pub async fn verify(&self, token: &str, audience: &str) -> Result<AccessTokenClaims, String> {
        let jwks = self.jwks().await;
        verify_with_jwks(&jwks, token, &self.state.issuer, audience)
    }
}
