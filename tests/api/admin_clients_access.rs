//! The admin API's gate: who may call it at all, and no principal granting what it does not hold.

use serde_json::json;

use crate::helpers::{spawn_app, Backend, ADMIN_ID, API};
use crate::on_both_backends;

on_both_backends!(
    no_token_or_a_bad_one_gets_401_with_a_bearer_challenge,
    a_token_without_the_scope_gets_403,
    a_token_for_another_audience_is_refused,
    a_service_account_that_is_not_admin_is_refused,
    no_principal_grants_what_it_does_not_hold,
);

async fn no_token_or_a_bad_one_gets_401_with_a_bearer_challenge(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let a = app.admin("GET", "/clients", None, None).await;
    assert_eq!(a.status, 401);
    assert_eq!(a.challenge.as_deref(), Some("Bearer realm=\"castellan\""));
    assert_eq!(a.content_type, "application/problem+json");
    let a = app.admin("GET", "/clients", Some("not.a.jwt"), None).await;
    assert_eq!(a.status, 401);
    assert!(a.challenge.unwrap().contains("error=\"invalid_token\""));
    assert_eq!(a.body["status"], 401);
}

async fn a_token_without_the_scope_gets_403(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let (token, _) = app.limited_admin("reader", &["admin:users:read"]).await;
    assert_eq!(
        app.admin("GET", "/users", Some(&token), None).await.status,
        200
    );
    let a = app.admin("GET", "/clients", Some(&token), None).await;
    assert_eq!(a.status, 403);
    assert!(a.challenge.unwrap().contains("insufficient_scope"));
    assert_eq!(a.content_type, "application/problem+json");
    let a = app.admin("POST", "/keys/rotate", Some(&token), None).await;
    assert_eq!(a.status, 403);
}

async fn a_token_for_another_audience_is_refused(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let admin = app.admin_token().await;
    let (_, secret) = app
        .api_create_client(
            &admin,
            json!({"client_id": "two-aud", "name": "x", "scopes": ["admin"],
            "audiences": ["urn:castellan:admin", API], "is_admin_service_account": true}),
        )
        .await;
    let token = app
        .access_token(
            "two-aud",
            &secret.unwrap(),
            &[("resource", API), ("scope", "admin")],
        )
        .await;
    let a = app.admin("GET", "/clients", Some(&token), None).await;
    assert_eq!(a.status, 401);
}

async fn a_service_account_that_is_not_admin_is_refused(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let admin = app.admin_token().await;
    let (_, secret) = app
        .api_create_client(&admin, json!({"client_id": "plain", "name": "p", "scopes": ["admin"], "default_scopes": ["admin"], "audiences": ["urn:castellan:admin"]}))
        .await;
    let token = app.access_token("plain", &secret.unwrap(), &[]).await;
    let a = app.admin("GET", "/clients", Some(&token), None).await;
    assert_eq!(a.status, 403);
    assert_eq!(a.content_type, "application/problem+json");
}

async fn no_principal_grants_what_it_does_not_hold(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let (writer, _) = app
        .limited_admin(
            "writer",
            &["admin:clients:write", "admin:clients:read", "read"],
        )
        .await;
    // It may create ordinary clients and give the scopes it holds…
    let a = app
        .admin(
            "POST",
            "/clients",
            Some(&writer),
            Some(json!({"name": "ok", "scopes": ["read", "admin:clients:read"]})),
        )
        .await;
    assert_eq!(a.status, 201, "{}", a.body);
    // …but not scopes it lacks, on a new client or on itself.
    let a = app
        .admin(
            "POST",
            "/clients",
            Some(&writer),
            Some(json!({"name": "x", "scopes": ["admin"]})),
        )
        .await;
    assert_eq!(a.status, 403);
    let a = app
        .admin(
            "POST",
            "/clients",
            Some(&writer),
            Some(json!({"name": "x", "scopes": ["admin:keys:write"]})),
        )
        .await;
    assert_eq!(a.status, 403);
    let me = app.state.clients.get("writer").unwrap().id.clone();
    let a = app
        .admin(
            "PATCH",
            &format!("/clients/{me}"),
            Some(&writer),
            Some(json!({"scopes": ["admin:clients:write", "admin:clients:read", "read", "admin"]})),
        )
        .await;
    assert_eq!(a.status, 403);
    // Nor take over a broader client: no new secret for it, no change to it (keys, flags…).
    let boot = app.state.clients.get(ADMIN_ID).unwrap().id.clone();
    let a = app
        .admin(
            "POST",
            &format!("/clients/{boot}/secrets"),
            Some(&writer),
            None,
        )
        .await;
    assert_eq!(a.status, 403, "{}", a.body);
    let a = app
        .admin(
            "PATCH",
            &format!("/clients/{boot}"),
            Some(&writer),
            Some(json!({"name": "mine now"})),
        )
        .await;
    assert_eq!(a.status, 403);
    let full = app.admin_token().await;
    let (holder, _) = app
        .api_create_client(
            &full,
            json!({"client_id": "holder", "name": "h", "scopes": ["admin"]}),
        )
        .await;
    let a = app
        .admin(
            "PATCH",
            &format!("/clients/{}", holder["id"].as_str().unwrap()),
            Some(&writer),
            Some(json!({"is_admin_service_account": true})),
        )
        .await;
    assert_eq!(a.status, 403);
    // A token narrowed to fewer scopes than its client has can't grant the rest either.
    let admin = app.admin_token().await;
    let _ = admin;
    let (_, secret) = app
        .limited_admin("broad", &["admin", "admin:clients:write"])
        .await;
    let narrow = app
        .access_token("broad", &secret, &[("scope", "admin:clients:write")])
        .await;
    let a = app
        .admin(
            "POST",
            "/clients",
            Some(&narrow),
            Some(json!({"name": "y", "scopes": ["admin"]})),
        )
        .await;
    assert_eq!(a.status, 403);
}
