//! Helpers for tests with several nodes and database outages: a second node on the same
//! database, a loopback TCP forwarder that can cut PostgreSQL off and bring it back.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use castellan::config::Settings;
use serde_json::Value;
use tokio::io::copy_bidirectional;
use tokio::net::{TcpSocket, TcpStream};
use tokio::task::JoinHandle;

use crate::helpers::{basic, TestApp, TestDb, ADMIN_ID, ADMIN_SECRET};

/// One issuer for every node of a deployment (behind one load balancer).
pub const ISSUER: &str = "http://castellan.test";

/// Starts a node from `settings` on `db`, as the harness does.
pub async fn start_node(
    settings: Settings,
    dir: Arc<tempfile::TempDir>,
    db: Arc<TestDb>,
) -> TestApp {
    crate::helpers::start(settings, dir, db).await
}

/// Another node of `first`'s deployment: same database, master key and issuer.
pub async fn second_node(first: &TestApp) -> TestApp {
    let mut settings = first.settings.clone();
    settings.listen = "127.0.0.1:0".into();
    start_node(settings, first.dir.clone(), first.db.clone()).await
}

/// POST /oauth2/introspect as the admin service account.
pub async fn introspect(app: &TestApp, token: &str) -> reqwest::Response {
    app.http
        .post(app.url("/oauth2/introspect"))
        .header("Authorization", basic(ADMIN_ID, ADMIN_SECRET))
        .form(&[("token", token)])
        .send()
        .await
        .unwrap()
}

/// Whether introspection at `app` says the token is active.
pub async fn is_active(app: &TestApp, token: &str) -> bool {
    let res = introspect(app, token).await;
    assert_eq!(res.status(), 200);
    let body: Value = res.json().await.unwrap();
    body["active"] == true
}

/// The kids the JWKS of `app` lists.
pub async fn published_kids(app: &TestApp) -> Vec<String> {
    app.jwks().await["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["kid"].as_str().unwrap().to_string())
        .collect()
}

/// The kid in a token's header.
pub fn kid_of(token: &str) -> String {
    crate::helpers::jwt_part(token, 0)["kid"]
        .as_str()
        .unwrap()
        .to_string()
}

/// A loopback TCP forwarder to `target`; [`stop`](Self::stop) closes the listener and cuts
/// every connection, as a database outage would.
pub struct Forwarder {
    pub port: u16,
    accept: JoinHandle<()>,
    connections: Arc<Mutex<Vec<JoinHandle<()>>>>,
}

impl Forwarder {
    /// Listens on 127.0.0.1:`port` (0: any free port) and forwards each connection to `target`.
    pub async fn start(port: u16, target: SocketAddr) -> Forwarder {
        let socket = TcpSocket::new_v4().unwrap();
        socket.set_reuseaddr(true).unwrap();
        socket
            .bind(SocketAddr::from(([127, 0, 0, 1], port)))
            .unwrap();
        let listener = socket.listen(128).unwrap();
        let port = listener.local_addr().unwrap().port();
        let connections = Arc::new(Mutex::new(Vec::new()));
        let held = connections.clone();
        let accept = actix_web::rt::spawn(async move {
            while let Ok((mut inbound, _)) = listener.accept().await {
                let task = actix_web::rt::spawn(async move {
                    if let Ok(mut outbound) = TcpStream::connect(target).await {
                        let _ = copy_bidirectional(&mut inbound, &mut outbound).await;
                    }
                });
                held.lock().unwrap().push(task);
            }
        });
        Forwarder {
            port,
            accept,
            connections,
        }
    }

    /// Drops the listener and every forwarded connection.
    pub async fn stop(self) {
        self.accept.abort();
        let _ = self.accept.await;
        let tasks: Vec<_> = std::mem::take(&mut *self.connections.lock().unwrap());
        for task in &tasks {
            task.abort();
        }
        for task in tasks {
            let _ = task.await;
        }
    }
}
