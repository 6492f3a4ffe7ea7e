//! The binary itself: first start with no configuration, the CLI commands, bootstrap rules.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::helpers::{spawn_app, spawn_app_with, verify_with_jwks, Backend, ADMIN_ID};
use crate::on_both_backends;

on_both_backends!(
    bootstrap_variables_create_exactly_one_admin,
    cli_bootstrap_prints_working_credentials
);

pub(crate) const BIN: &str = env!("CARGO_BIN_EXE_castellan");

/// A `castellan serve` child that is killed when the test ends, even by a panic: no server
/// outlives its test.
pub(crate) struct Served(std::process::Child);

impl std::ops::Deref for Served {
    type Target = std::process::Child;
    fn deref(&self) -> &Self::Target {
        &self.0
    }
}

impl std::ops::DerefMut for Served {
    fn deref_mut(&mut self) -> &mut Self::Target {
        &mut self.0
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        if let Ok(None) = self.0.try_wait() {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
}

/// Runs `castellan serve` in `dir` with only `env` set (plus RUST_LOG=info); returns the child
/// and a channel of its standard-error lines.
pub(crate) fn spawn_serve(
    dir: &std::path::Path,
    env: &[(&str, &str)],
) -> (Served, std::sync::mpsc::Receiver<String>) {
    let mut child = Command::new(BIN)
        .arg("serve")
        .current_dir(dir)
        .env_clear()
        // Not the default 127.0.0.1:9000: tests run side by side.
        .env("CASTELLAN_MANAGEMENT_LISTEN", "127.0.0.1:0")
        .envs(env.iter().copied())
        .env("RUST_LOG", "info")
        .stderr(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    (Served(child), rx)
}

/// Runs `castellan serve` in an empty folder with no configuration but a free port, reads the
/// credentials block and the port from standard error, and gets a token with them.
#[actix_web::test]
async fn first_start_with_no_configuration_works() {
    let dir = tempfile::tempdir().unwrap();
    let (mut child, rx) = spawn_serve(dir.path(), &[("CASTELLAN_LISTEN", "127.0.0.1:0")]);
    let (mut id, mut secret, mut port) = (None, None, None);
    let deadline = Instant::now() + Duration::from_secs(30);
    while port.is_none() && Instant::now() < deadline {
        let Ok(line) = rx.recv_timeout(Duration::from_secs(1)) else {
            continue;
        };
        if let Some(v) = line.trim().strip_prefix("client_id:") {
            id = Some(v.trim().to_string());
        }
        if let Some(v) = line.trim().strip_prefix("client_secret:") {
            secret = Some(v.trim().to_string());
        }
        if let Some(rest) = line.split("(port ").nth(1) {
            port = rest.split(')').next().map(str::to_string);
        }
    }
    let result = async {
        let (id, secret, port) = (
            id.expect("client_id printed"),
            secret.expect("secret printed"),
            port.expect("port printed"),
        );
        assert!(dir.path().join("data/castellan.db").exists());
        assert!(dir.path().join("data/master.key").exists());
        let base = format!("http://127.0.0.1:{port}");
        let http = reqwest::Client::new();
        let res = http
            .post(format!("{base}/oauth2/token"))
            .header("Authorization", crate::helpers::basic(&id, &secret))
            .form(&[("grant_type", "client_credentials")])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
        let token = res.json::<Value>().await.unwrap()["access_token"]
            .as_str()
            .unwrap()
            .to_string();
        let jwks: Value = http
            .get(format!("{base}/.well-known/jwks.json"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        verify_with_jwks(&jwks, &token, &base, "urn:castellan:admin").unwrap();
    }
    .await;
    let _ = child.kill();
    let _ = child.wait();
    result
}

async fn bootstrap_variables_create_exactly_one_admin(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    app.admin_token().await;
    // A second start with other bootstrap values: an admin exists, nothing new is created.
    let settings = {
        let mut s = app.settings.clone();
        s.bootstrap_client_id = Some("another-admin".into());
        s
    };
    app.handle.stop(true).await;
    let again = castellan::app::Application::build(settings).await.unwrap();
    let state = again.state();
    assert!(state.clients.get(ADMIN_ID).is_some());
    assert!(state.clients.get("another-admin").is_none());
}

async fn cli_bootstrap_prints_working_credentials(backend: Backend) {
    let Some(app) = spawn_app_with(backend, |_| {}).await else {
        return;
    };
    let out = Command::new(BIN)
        .args(["bootstrap", "--name", "ci-admin", "--json"])
        .env_clear()
        .env("CASTELLAN_DATABASE_URL", &app.settings.database_url)
        .env("CASTELLAN_MASTER_KEY_FILE", &app.settings.master_key_file)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let creds: Value = serde_json::from_slice(&out.stdout).unwrap();
    let (id, secret) = (
        creds["client_id"].as_str().unwrap(),
        creds["client_secret"].as_str().unwrap(),
    );
    app.reload().await;
    let token = app.access_token(id, secret, &[]).await;
    app.verify(&token, "urn:castellan:admin").await.unwrap();
    // keys rotate and migrate work against the same database.
    for args in [&["keys", "rotate"][..], &["migrate"][..]] {
        let out = Command::new(BIN)
            .args(args)
            .env_clear()
            .env("CASTELLAN_DATABASE_URL", &app.settings.database_url)
            .env("CASTELLAN_MASTER_KEY_FILE", &app.settings.master_key_file)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    app.reload().await;
    assert_eq!(app.jwks().await["keys"].as_array().unwrap().len(), 2);
}

/// Bad configuration stops start-up with a clear message, never a silent repair.
#[test]
fn invalid_configuration_fails_loudly() {
    let dir = tempfile::tempdir().unwrap();
    // (A misspelt variable name is only a warning: see tests/api/environment.rs.)
    let cases: [(&str, &str, &str); 2] = [
        ("CASTELLAN_SIGNING__ALGORITHM", "HS256", "signing.algorithm"),
        ("CASTELLAN_BOOTSTRAP_CLIENT_ID", "only-the-id", "BOOTSTRAP"),
    ];
    for (var, value, expected) in cases {
        let out = Command::new(BIN)
            .arg("migrate")
            .current_dir(dir.path())
            .env_clear()
            .env(var, value)
            .output()
            .unwrap();
        assert!(!out.status.success(), "{var}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.to_lowercase().contains(&expected.to_lowercase()),
            "{var}: {err}"
        );
    }
}

/// SIGTERM while a token request is half sent: the server stops accepting, finishes that
/// request (200 with a token), then exits cleanly. It also said where it listens, which
/// database and which issuer.
#[actix_web::test]
async fn sigterm_finishes_in_flight_requests_then_exits() {
    use std::io::{Read, Write};
    let dir = tempfile::tempdir().unwrap();
    let (mut child, rx) = spawn_serve(
        dir.path(),
        &[
            ("CASTELLAN_LISTEN", "127.0.0.1:0"),
            ("CASTELLAN_BOOTSTRAP_CLIENT_ID", "graceful"),
            (
                "CASTELLAN_BOOTSTRAP_CLIENT_SECRET",
                "graceful-secret-0123456789abcdefghijkl",
            ),
        ],
    );
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut announce = None;
    while announce.is_none() && Instant::now() < deadline {
        if let Ok(line) = rx.recv_timeout(Duration::from_secs(1)) {
            if line.contains("(port ") {
                announce = Some(line);
            }
        }
    }
    let announce = announce.expect("serve announces itself");
    assert!(
        announce.contains("database: sqlite") && announce.contains("issuer: http://127.0.0.1:"),
        "{announce}"
    );
    let port: u16 = announce
        .split("(port ")
        .nth(1)
        .unwrap()
        .split(')')
        .next()
        .unwrap()
        .parse()
        .unwrap();

    let body = "grant_type=client_credentials";
    let auth = crate::helpers::basic("graceful", "graceful-secret-0123456789abcdefghijkl");
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    write!(
        stream,
        "POST /oauth2/token HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: {auth}\r\n\
         Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{}",
        body.len(),
        &body[..5]
    )
    .unwrap();
    std::thread::sleep(Duration::from_millis(300));
    let killed = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    std::thread::sleep(Duration::from_millis(300));
    stream.write_all(&body.as_bytes()[5..]).unwrap();
    let mut response = String::new();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    stream.read_to_string(&mut response).unwrap();
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
    assert!(response.contains("\"access_token\""));
    // Then it exits by itself, successfully, and new connections are refused.
    let exit_deadline = Instant::now() + Duration::from_secs(15);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        assert!(
            Instant::now() < exit_deadline,
            "the server did not exit after SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(100));
    };
    assert!(status.success(), "{status:?}");
    assert!(std::net::TcpStream::connect(("127.0.0.1", port)).is_err());
}
