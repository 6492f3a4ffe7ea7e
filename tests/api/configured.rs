//! Clients declared in the configuration file (`[[clients]]`).

use castellan::config::ConfiguredClient;
use serde_json::json;

use crate::helpers::{spawn_app, spawn_app_with, Backend, API};
use crate::on_both_backends;

on_both_backends!(
    configured_clients_get_tokens_with_env_and_sha256_secrets,
    the_admin_api_shows_configured_clients_but_cannot_change_them,
    a_configured_id_that_collides_stops_start_up_naming_both,
    a_client_removed_from_the_configuration_leaves_the_store,
);

fn entry(client_id: &str) -> ConfiguredClient {
    ConfiguredClient {
        client_id: client_id.into(),
        name: format!("{client_id} (configured)"),
        secret_env: None,
        secret_sha256: None,
        token_ttl_seconds: Some(120),
        scopes: vec!["account:usage:read".into()],
        default_scopes: vec!["account:usage:read".into()],
        audiences: vec![API.into()],
        is_admin_service_account: false,
        org: None,
    }
}

/// A secret in an environment variable of its own (unique per test: tests share the process).
fn env_secret(name: &str) -> (String, String) {
    let var = format!("CASTELLAN_TEST_SECRET_{}", uuid::Uuid::new_v4().simple());
    let secret = format!("{name}-secret-0123456789abcdefghijklmnopqrstuvwxyz");
    // Safe here: each test uses a variable no other code reads.
    unsafe { std::env::set_var(&var, &secret) };
    (var, secret)
}

fn sha256_hex(s: &str) -> String {
    ring::digest::digest(&ring::digest::SHA256, s.as_bytes())
        .as_ref()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

async fn configured_clients_get_tokens_with_env_and_sha256_secrets(backend: Backend) {
    let (var, env_secret_value) = env_secret("usage");
    let hashed_secret = "hashed-client-secret-0123456789abcdefghijkl";
    let Some(app) = spawn_app_with(backend, |s| {
        let mut a = entry("usage-reporter");
        a.secret_env = Some(var.clone());
        let mut b = entry("hashed-reporter");
        b.secret_sha256 = Some(sha256_hex(hashed_secret));
        s.clients = vec![a, b];
    })
    .await
    else {
        return;
    };
    let res = app
        .token_basic(
            "usage-reporter",
            &env_secret_value,
            &[("grant_type", "client_credentials")],
        )
        .await;
    assert_eq!(res.status(), 200);
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body["expires_in"], 120);
    assert_eq!(body["scope"], "account:usage:read");
    app.verify(body["access_token"].as_str().unwrap(), API)
        .await
        .unwrap();
    let res = app
        .token_basic(
            "hashed-reporter",
            hashed_secret,
            &[("grant_type", "client_credentials")],
        )
        .await;
    assert_eq!(res.status(), 200);
    // The hash itself is not the secret.
    let res = app
        .token_basic(
            "hashed-reporter",
            &sha256_hex(hashed_secret),
            &[("grant_type", "client_credentials")],
        )
        .await;
    assert_eq!(res.status(), 401);
    // A background reload keeps the in-memory secrets.
    app.reload().await;
    assert_eq!(
        app.token_basic(
            "usage-reporter",
            &env_secret_value,
            &[("grant_type", "client_credentials")]
        )
        .await
        .status(),
        200
    );
    // No secret of a configured client is written to the store.
    let secrets = app
        .state
        .db
        .run(|c| {
            let row = castellan::storage::clients::find_by_client_id(c, "usage-reporter")?;
            castellan::storage::clients::list_secrets(c, &row.id)
        })
        .await
        .unwrap();
    assert!(secrets.is_empty());
}

async fn the_admin_api_shows_configured_clients_but_cannot_change_them(backend: Backend) {
    let (var, _) = env_secret("ro");
    let Some(app) = spawn_app_with(backend, |s| {
        let mut a = entry("read-only");
        a.secret_env = Some(var.clone());
        s.clients = vec![a];
    })
    .await
    else {
        return;
    };
    let admin = app.admin_token().await;
    let id = app.state.clients.get("read-only").unwrap().id.clone();
    let a = app
        .admin("GET", &format!("/clients/{id}"), Some(&admin), None)
        .await;
    assert_eq!(a.body["managed_by"], "config");
    for (method, path, body) in [
        (
            "PATCH",
            format!("/clients/{id}"),
            Some(json!({"name": "renamed"})),
        ),
        ("DELETE", format!("/clients/{id}"), None),
        ("POST", format!("/clients/{id}/secrets"), None),
    ] {
        let a = app.admin(method, &path, Some(&admin), body).await;
        assert_eq!(a.status, 409, "{method} {path}");
        assert!(a.body["detail"].as_str().unwrap().contains("configuration"));
    }
    // Its identifier is taken for users and API clients alike.
    assert_eq!(
        app.admin(
            "POST",
            "/users",
            Some(&admin),
            Some(json!({"username": "read-only"}))
        )
        .await
        .status,
        409
    );
    assert_eq!(
        app.admin(
            "POST",
            "/clients",
            Some(&admin),
            Some(json!({"client_id": "read-only", "name": "x"}))
        )
        .await
        .status,
        409
    );
}

async fn a_configured_id_that_collides_stops_start_up_naming_both(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let admin = app.admin_token().await;
    app.admin(
        "POST",
        "/clients",
        Some(&admin),
        Some(json!({"client_id": "api-made", "name": "x"})),
    )
    .await;
    app.admin(
        "POST",
        "/users",
        Some(&admin),
        Some(json!({"username": "erin"})),
    )
    .await;
    let (var, _) = env_secret("c");
    app.handle.stop(true).await;
    let cases: Vec<(Vec<&str>, Vec<&str>)> = vec![
        (vec!["api-made"], vec!["api-made", "admin API"]),
        (vec!["erin"], vec!["erin", "user"]),
        (vec!["twin", "twin"], vec!["#1", "#2", "twin"]),
        // The first entry is fine, the second collides: nothing of the first may remain.
        (vec!["fresh-one", "api-made"], vec!["#2", "api-made"]),
        (
            vec![crate::helpers::ADMIN_ID],
            vec![crate::helpers::ADMIN_ID, "admin API"],
        ),
    ];
    for (ids, expected) in cases {
        let mut settings = app.settings.clone();
        settings.clients = ids
            .iter()
            .map(|id| {
                let mut e = entry(id);
                e.secret_env = Some(var.clone());
                e
            })
            .collect();
        let err = match castellan::app::Application::build(settings).await {
            Ok(_) => panic!("{ids:?}: start-up must fail"),
            Err(e) => e.to_string(),
        };
        for word in expected {
            assert!(err.contains(word), "{ids:?}: {err}");
        }
    }
    // A missing secret also stops start-up, with the entry named.
    let mut settings = app.settings.clone();
    let mut e = entry("no-secret");
    e.secret_env = Some("CASTELLAN_TEST_NOT_SET_ANYWHERE".into());
    settings.clients = vec![e];
    let err = castellan::app::Application::build(settings)
        .await
        .err()
        .unwrap()
        .to_string();
    assert!(
        err.contains("no-secret") && err.contains("CASTELLAN_TEST_NOT_SET_ANYWHERE"),
        "{err}"
    );
    // Nothing was half-written by the refused starts.
    for id in ["twin", "fresh-one"] {
        let kinds = app
            .state
            .db
            .run(move |c| castellan::storage::principals::resolve(c, id))
            .await
            .unwrap();
        assert!(kinds.is_empty(), "{id} was half-written");
    }
}

async fn a_client_removed_from_the_configuration_leaves_the_store(backend: Backend) {
    let (var, secret) = env_secret("gone");
    let Some(app) = spawn_app_with(backend, |s| {
        let mut a = entry("temporary");
        a.secret_env = Some(var.clone());
        s.clients = vec![a];
    })
    .await
    else {
        return;
    };
    assert_eq!(
        app.token_basic(
            "temporary",
            &secret,
            &[("grant_type", "client_credentials")]
        )
        .await
        .status(),
        200
    );
    let mut settings = app.settings.clone();
    settings.clients.clear();
    app.handle.stop(true).await;
    let again = castellan::app::Application::build(settings).await.unwrap();
    assert!(again.state().clients.get("temporary").is_none());
    let kinds = app
        .state
        .db
        .run(|c| castellan::storage::principals::resolve(c, "temporary"))
        .await
        .unwrap();
    assert!(kinds.is_empty());
}
