//! Organizations from outside the API: `castellan bootstrap --org`, and `[[clients]]` entries
//! with an `org`.

use std::process::Command;

use serde_json::{json, Value};

use crate::helpers::{spawn_app, Backend, API};
use crate::on_both_backends;
use crate::rules_support::ADMIN_AUD;
use crate::startup::BIN;

fn org_id_in(token: &str) -> String {
    let payload = token.split('.').nth(1).unwrap();
    let bytes =
        base64::Engine::decode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, payload).unwrap();
    let claims: Value = serde_json::from_slice(&bytes).unwrap();
    claims["org_id"].as_str().unwrap().to_string()
}

fn bootstrap(app: &crate::helpers::TestApp, args: &[&str]) -> std::process::Output {
    Command::new(BIN)
        .args(["bootstrap", "--name", "acme-admin", "--json"])
        .args(args)
        .env_clear()
        .env("CASTELLAN_DATABASE_URL", &app.settings.database_url)
        .env("CASTELLAN_MASTER_KEY_FILE", &app.settings.master_key_file)
        .output()
        .unwrap()
}

async fn cli_bootstrap_with_org_makes_an_administrator_of_that_organization_only(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    // An unknown slug stops with a message, and creates nothing.
    let out = bootstrap(&app, &["--org", "acme"]);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("\"acme\"") && stderr.contains("--create-org"),
        "{stderr}"
    );
    let out = bootstrap(&app, &["--org", "acme", "--create-org"]);
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
    let root = app.admin_token().await;
    let acme = app.admin("GET", "/orgs/acme", Some(&root), None).await;
    assert_eq!(acme.status, 200);
    assert_eq!(
        acme.body["parent_id"],
        castellan::storage::orgs::ROOT_ORG_ID
    );
    let token = app
        .access_token(id, secret, &[("resource", ADMIN_AUD), ("scope", "admin")])
        .await;
    assert_eq!(org_id_in(&token), acme.body["id"].as_str().unwrap());
    // CONTRACT: it administers its organization and nothing outside it.
    let clients = app.admin("GET", "/clients", Some(&token), None).await;
    let ids: Vec<&str> = clients.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["client_id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, vec![id]);
    let root_admin = app
        .admin(
            "GET",
            &format!("/clients/{}", crate::helpers::ADMIN_ID),
            Some(&token),
            None,
        )
        .await;
    assert_eq!(root_admin.status, 404);
}

async fn a_configured_client_lives_in_the_organization_its_entry_names(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let root = app.admin_token().await;
    let acme = app
        .admin(
            "POST",
            "/orgs",
            Some(&root),
            Some(json!({"slug": "acme", "name": "Acme"})),
        )
        .await;
    assert_eq!(acme.status, 201, "{}", acme.body);
    let var = format!("CASTELLAN_TEST_SECRET_{}", uuid::Uuid::new_v4().simple());
    let secret = "acme-reporter-secret-0123456789abcdefghijklmn";
    // Safe here: a variable no other code reads.
    unsafe { std::env::set_var(&var, secret) };
    let entry = |org: &str| castellan::config::ConfiguredClient {
        client_id: "acme-reporter".into(),
        name: "Acme reporter".into(),
        secret_env: Some(var.clone()),
        secret_sha256: None,
        token_ttl_seconds: None,
        scopes: vec![],
        default_scopes: vec![],
        audiences: vec![API.into()],
        is_admin_service_account: false,
        org: Some(org.into()),
    };
    // An entry naming no existing organization stops start-up, naming the slug.
    let mut settings = app.settings.clone();
    settings.clients = vec![entry("nowhere")];
    let err = match castellan::app::Application::build(settings).await {
        Ok(_) => panic!("an unknown org slug must stop start-up"),
        Err(e) => e.to_string(),
    };
    assert!(err.contains("\"nowhere\""), "{err}");
    let mut settings = app.settings.clone();
    settings.listen = "127.0.0.1:0".into();
    settings.issuer = None;
    settings.clients = vec![entry("acme")];
    let again = crate::helpers::start(settings, app.dir.clone(), app.db.clone()).await;
    let token = again.access_token("acme-reporter", secret, &[]).await;
    assert_eq!(org_id_in(&token), acme.body["id"].as_str().unwrap());
}

on_both_backends!(
    cli_bootstrap_with_org_makes_an_administrator_of_that_organization_only,
    a_configured_client_lives_in_the_organization_its_entry_names
);
