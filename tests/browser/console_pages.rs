//! The sign-in page and every console page, with some data on them, pass the automated
//! accessibility check (axe-core: no serious or critical violation), and each is saved as a
//! screenshot: under `docs/console/` for the README when `CASTELLAN_SCREENSHOTS=1` asks (the
//! SQLite run), else in the test's own directory.

use std::path::PathBuf;

use fantoccini::Locator;
use serde_json::json;

use crate::console_support::{
    admin_post, click_in_row, create_service_account, person, shown_secret_name, sign_in, submit,
};
use crate::harness::{assert_accessible, Browser};
use crate::helpers::{spawn_app, Backend, TestApp, API};
use crate::on_both_backends;

on_both_backends!(the_sign_in_page_and_every_console_page_pass_the_accessibility_check);

/// Organizations, service accounts, users and a group with members, so that no page is empty.
async fn seed(app: &TestApp) -> String {
    let admin = app.admin_token().await;
    let post = |path: &'static str, body: serde_json::Value| {
        let admin = admin.clone();
        async move { admin_post(app, &admin, path, body).await }
    };
    post("/orgs", json!({"slug": "acme", "name": "Acme Corp"})).await;
    post(
        "/orgs",
        json!({"slug": "globex", "name": "Globex", "parent_id": "acme"}),
    )
    .await;
    for (client_id, name, org) in [
        ("inventory-sync", "Inventory sync", "acme"),
        ("metrics-agent", "Metrics agent", "globex"),
    ] {
        post(
            "/clients",
            json!({"client_id": client_id, "name": name, "org_id": org,
                   "scopes": ["read"], "audiences": [API]}),
        )
        .await;
    }
    for (username, org) in [("grace", "acme"), ("linus", "globex")] {
        post(
            "/users",
            // No password: argon2id is slow in a debug build, and nobody signs in as them.
            json!({"username": username, "display_name": username, "org_id": org,
                   "email": format!("{username}@example.com")}),
        )
        .await;
    }
    let group = post(
        "/groups",
        json!({"org_id": "acme", "name": "acme-operators",
               "description": "Runs Acme's nightly jobs",
               "scopes": ["read", "write"], "audiences": [API]}),
    )
    .await;
    let gid = group["id"].as_str().expect("group id").to_string();
    let members = format!("/groups/{gid}/members");
    for principal in ["inventory-sync", "grace"] {
        admin_post(app, &admin, &members, json!({"principal": principal})).await;
    }
    gid
}

/// Where the screenshots go: the repository's docs when `CASTELLAN_SCREENSHOTS=1` asks for
/// them (the SQLite run only: the two runs go side by side and must not write the same files),
/// else the test's own directory, so that an ordinary run leaves the tree as it was.
fn shots(app: &TestApp, backend: Backend) -> PathBuf {
    let refresh = std::env::var("CASTELLAN_SCREENSHOTS").is_ok_and(|v| v == "1");
    match backend {
        Backend::Sqlite if refresh => {
            PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/console"))
        }
        _ => app.dir.path().join("console"),
    }
}

async fn the_sign_in_page_and_every_console_page_pass_the_accessibility_check(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    person(&app, "ada", &["admin"]).await;
    let gid = seed(&app).await;
    let Some(browser) = Browser::start().await else {
        return;
    };
    let dir = shots(&app, backend);

    // The sign-in page, as a person first sees it.
    browser.goto(&app.url("/console/login")).await;
    browser.wait_for("#sign-in").await;
    assert_accessible(&browser, "the sign-in page").await;
    browser.screenshot(dir.join("sign-in.png")).await;
    sign_in(&browser, &app, "ada").await;

    // A service account created here: the page that shows its secret once.
    create_service_account(&browser, &app, "Billing export", "billing-export").await;
    let first = shown_secret_name(&browser).await;
    browser.wait_for("#copy-secret").await;
    assert_accessible(&browser, "the secret shown once").await;
    browser.screenshot(dir.join("secret-shown.png")).await;

    // Its page, with a second secret and the first one revoked.
    browser.click_button("secret-done").await;
    browser.fill("name", "rotation-2026").await;
    browser.click_button("Add secret").await;
    browser.click_button("secret-done").await;
    browser.wait_for("#secrets-table").await;
    click_in_row(&browser, "secrets-table", &first).await;

    let pages = [
        ("the service account page", String::new(), "client"),
        ("the organizations", "/console/orgs".into(), "orgs"),
        ("the service accounts", "/console/clients".into(), "clients"),
        ("the groups", "/console/groups".into(), "groups"),
        ("a group's page", format!("/console/groups/{gid}"), "group"),
        ("the users", "/console/users".into(), "users"),
        ("the audit trail", "/console/audit".into(), "audit"),
        ("the keys, after a rotation", "/console/keys".into(), "keys"),
    ];
    for (page, path, file) in pages {
        if !path.is_empty() {
            browser.goto(&app.url(&path)).await;
        }
        if file == "keys" {
            // A rotation, so that the table shows a current key and a retiring one.
            submit(&browser, "rotate-keys").await;
            let rows = browser.find_all(Locator::Css("#keys tbody tr")).await;
            assert_eq!(rows.unwrap().len(), 2, "the new key and the retiring one");
        }
        browser.wait_for("main h1").await;
        assert!(
            browser.exists(".signed-in").await,
            "{page}: still signed in"
        );
        assert_accessible(&browser, page).await;
        let png = dir.join(format!("{file}.png"));
        if file == "client" {
            browser.screenshot_full_page(png).await;
        } else {
            browser.screenshot(png).await;
        }
    }

    // A refused form: the errors beside the fields pass the check too.
    browser.goto(&app.url("/console/clients")).await;
    browser.wait_for("#create-client").await;
    submit(&browser, "Create service account").await;
    browser.wait_for("#create-errors").await;
    browser.wait_for("#create-name-error").await;
    assert_accessible(&browser, "a refused form (service accounts)").await;
    browser.close().await;
}
