//! `castellan admin clients|secrets|revoke-tokens …`, the built binary against a real server:
//! each command does what the admin API says, JSON output is the API's, and a new secret is
//! printed once (by `clients create` and `secrets add` only).

use serde_json::{json, Value};

use crate::helpers::{spawn_app, Backend, TestApp, ADMIN_ID, ADMIN_SECRET, API};
use crate::on_both_backends;

on_both_backends!(
    cli_clients_are_created_listed_read_updated_disabled_and_deleted,
    cli_secrets_are_shown_once_listed_without_values_and_revoked,
);

/// Whether `client_id`/`secret` still gets a token.
async fn token_works(app: &TestApp, client_id: &str, secret: &str) -> bool {
    let form = [("grant_type", "client_credentials"), ("audience", API)];
    app.token_basic(client_id, secret, &form).await.status() == 200
}

async fn cli_clients_are_created_listed_read_updated_disabled_and_deleted(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    // Created in JSON: the API's answer, with the first secret, which works.
    let created = app
        .cli_json(&[
            "clients",
            "create",
            "cli-svc",
            "--name",
            "CLI service",
            "--scopes",
            "read write",
            "--default-scopes",
            "read",
            "--audiences",
            API,
        ])
        .await;
    assert_eq!(created["client_id"], "cli-svc");
    assert_eq!(created["scopes"], json!(["read", "write"]));
    let secret = created["client_secret"].as_str().unwrap().to_string();
    assert!(token_works(&app, "cli-svc", &secret).await);

    // Listed (table and JSON), read back (by client_id): never the secret again.
    let table = app.cli(&["clients", "list"]).await.ok();
    assert!(
        table.stdout.lines().any(|l| l.starts_with("cli-svc ")),
        "{}",
        table.stdout
    );
    let page = app.cli_json(&["clients", "list", "--limit", "200"]).await;
    let ids: Vec<&str> = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["client_id"].as_str().unwrap())
        .collect();
    assert!(
        ids.contains(&"cli-svc") && ids.contains(&ADMIN_ID),
        "{ids:?}"
    );
    let got = app.cli_json(&["clients", "get", "cli-svc"]).await;
    let api = app
        .admin(
            "GET",
            "/clients/cli-svc",
            Some(&app.admin_token().await),
            None,
        )
        .await;
    assert_eq!(got, api.body, "--output json is the API's JSON");
    for run in [
        app.cli(&["clients", "get", "cli-svc"]).await.ok(),
        app.cli(&["clients", "list"]).await.ok(),
    ] {
        assert!(!run.all().contains(&secret), "secret shown again: {run:?}");
    }

    // Updated: only what is given changes; lists are replaced; a ttl is cleared.
    let updated = app
        .cli_json(&[
            "clients",
            "update",
            "cli-svc",
            "--name",
            "Renamed",
            "--scopes",
            "read",
            "--ttl",
            "120",
            "--grant-types",
            "client_credentials,token_exchange",
        ])
        .await;
    assert_eq!(updated["name"], "Renamed");
    assert_eq!(updated["scopes"], json!(["read"]));
    assert_eq!(updated["default_scopes"], json!(["read"]));
    assert_eq!(updated["token_ttl_seconds"], 120);
    assert!(updated.get("client_secret").is_none(), "{updated}");
    let updated = app
        .cli_json(&["clients", "update", "cli-svc", "--clear-ttl"])
        .await;
    assert_eq!(updated["token_ttl_seconds"], Value::Null);
    assert_eq!(updated["name"], "Renamed");

    // Disabled: no token; enabled: tokens again.
    let disabled = app.cli_json(&["clients", "disable", "cli-svc"]).await;
    assert_eq!(disabled["active"], false);
    assert!(!token_works(&app, "cli-svc", &secret).await);
    app.cli(&["clients", "enable", "cli-svc"]).await.ok();
    assert!(token_works(&app, "cli-svc", &secret).await);

    // Deleted: gone, and a second delete is the API's 404 (exit 1).
    let deleted = app.cli(&["clients", "delete", "cli-svc"]).await.ok();
    assert!(deleted.stdout.contains("deleted"), "{deleted:?}");
    let again = app.cli(&["clients", "get", "cli-svc"]).await.exits(1);
    assert!(again.stderr.contains("404"), "{again:?}");
    assert!(!token_works(&app, "cli-svc", &secret).await);

    // A rule the API holds comes back as its problem, every broken rule on its own line.
    let refused = app
        .cli(&[
            "clients",
            "create",
            "--name",
            "bad",
            "--scopes",
            "a",
            "--default-scopes",
            "b",
        ])
        .await
        .exits(1);
    assert!(refused.stderr.contains("422"), "{refused:?}");
    assert!(refused.stderr.contains("\n  - "), "{refused:?}");
}

async fn cli_secrets_are_shown_once_listed_without_values_and_revoked(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let made = app
        .cli(&[
            "clients",
            "create",
            "rot-svc",
            "--name",
            "Rotating",
            "--audiences",
            API,
        ])
        .await
        .ok();
    // The table output shows the first secret once, and says so on stderr.
    let first = made
        .stdout
        .lines()
        .find_map(|l| l.strip_prefix("client_secret:"))
        .map(|s| s.trim().to_string())
        .unwrap_or_else(|| panic!("no secret in {made:?}"));
    assert!(made.stderr.contains("shown once"), "{made:?}");
    assert!(token_works(&app, "rot-svc", &first).await);

    let before = chrono::Utc::now();
    let added = app
        .cli_json(&[
            "secrets",
            "add",
            "rot-svc",
            "--name",
            "second",
            "--expires-in",
            "2d",
        ])
        .await;
    let second = added["secret"].as_str().unwrap().to_string();
    let expires: chrono::DateTime<chrono::Utc> =
        added["expires_at"].as_str().unwrap().parse().unwrap();
    let expected = before + chrono::Duration::days(2);
    assert!(
        (expires - expected).num_seconds().abs() <= 60,
        "{expires} vs {expected}"
    );
    assert!(token_works(&app, "rot-svc", &second).await);
    let at = app
        .cli_json(&[
            "secrets",
            "add",
            "rot-svc",
            "--expires-at",
            "2099-01-31T00:00:00Z",
        ])
        .await;
    assert_eq!(at["expires_at"], "2099-01-31T00:00:00Z");
    let past = app
        .cli(&[
            "secrets",
            "add",
            "rot-svc",
            "--expires-at",
            "2001-01-01T00:00:00Z",
        ])
        .await
        .exits(1);
    assert!(past.stderr.contains("422"), "{past:?}");

    // Listed: metadata only, in both outputs.
    let list = app.cli_json(&["secrets", "list", "rot-svc"]).await;
    assert_eq!(list.as_array().unwrap().len(), 3, "{list}");
    let table = app.cli(&["secrets", "list", "rot-svc"]).await.ok();
    for out in [list.to_string(), table.all()] {
        assert!(!out.contains(&first) && !out.contains(&second), "{out}");
    }

    // Revoked: that secret stops, the other goes on.
    let id = added["id"].as_str().unwrap();
    app.cli(&["secrets", "revoke", "rot-svc", id]).await.ok();
    assert!(!token_works(&app, "rot-svc", &second).await);
    assert!(token_works(&app, "rot-svc", &first).await);

    // revoke-tokens: a token issued before is refused at introspection.
    let token = app
        .access_token("rot-svc", &first, &[("audience", API)])
        .await;
    let revoked = app.cli_json(&["revoke-tokens", "rot-svc"]).await;
    assert!(revoked["tokens_revoked_before"].is_string(), "{revoked}");
    let res = app
        .http
        .post(app.url("/oauth2/introspect"))
        .basic_auth(ADMIN_ID, Some(ADMIN_SECRET))
        .form(&[("token", token.as_str())])
        .send()
        .await
        .unwrap();
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["active"], false, "{body}");
}
