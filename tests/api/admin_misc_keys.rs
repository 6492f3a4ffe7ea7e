//! The admin API's keys routes, and its OpenAPI document.

use crate::helpers::{spawn_app, Backend, ADMIN_ID};
use crate::on_both_backends;

on_both_backends!(
    keys_list_with_states_and_rotate,
    the_openapi_document_describes_every_route,
);

async fn keys_list_with_states_and_rotate(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let admin = app.admin_token().await;
    let a = app.admin("GET", "/keys", Some(&admin), None).await;
    let keys = a.body["keys"].as_array().unwrap().clone();
    assert_eq!(keys.len(), 1);
    assert_eq!(keys[0]["state"], "current");
    let a = app
        .admin(
            "POST",
            "/keys/rotate",
            Some(&admin),
            Some(serde_json::json!({"now": true})),
        )
        .await;
    assert_eq!(a.status, 201);
    let new_kid = a.body["kid"].as_str().unwrap().to_string();
    assert_eq!(a.body["state"], "current");
    // The token signed by the old key still works; new tokens use the new key.
    let a = app.admin("GET", "/keys", Some(&admin), None).await;
    let states: Vec<(String, String)> = a.body["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| {
            (
                k["kid"].as_str().unwrap().to_string(),
                k["state"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert!(states.contains(&(new_kid.clone(), "current".into())));
    assert!(states.contains(&(
        keys[0]["kid"].as_str().unwrap().to_string(),
        "retiring".into()
    )));
    let fresh = app.admin_token().await;
    assert_eq!(crate::helpers::jwt_part(&fresh, 0)["kid"], new_kid.as_str());
    // A client revoking its own token at /oauth2/revoke is audited too.
    let res = app
        .http
        .post(app.url("/oauth2/revoke"))
        .header(
            "Authorization",
            crate::helpers::basic(ADMIN_ID, crate::helpers::ADMIN_SECRET),
        )
        .form(&[("token", admin.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let revoked = app
        .admin(
            "GET",
            "/audit-events?action=token.revoked",
            Some(&fresh),
            None,
        )
        .await
        .body;
    assert_eq!(revoked["items"][0]["actor"], ADMIN_ID);
    assert_eq!(
        revoked["items"][0]["details"]["jti"],
        crate::helpers::jwt_part(&admin, 1)["jti"]
    );
    let events = app
        .admin(
            "GET",
            "/audit-events?action=key.rotated",
            Some(&fresh),
            None,
        )
        .await
        .body;
    assert_eq!(events["items"][0]["target"], new_kid.as_str());
    assert_eq!(events["items"][0]["ip"], "127.0.0.1");
}

async fn the_openapi_document_describes_every_route(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let a = app.admin("GET", "/openapi.json", None, None).await;
    assert_eq!(a.status, 200);
    assert!(a.body["openapi"].as_str().unwrap().starts_with("3."));
    let paths = a.body["paths"].as_object().unwrap();
    for (path, method) in [
        ("/admin/v1/clients", "get"),
        ("/admin/v1/clients", "post"),
        ("/admin/v1/clients/{id}", "patch"),
        ("/admin/v1/clients/{id}", "delete"),
        ("/admin/v1/clients/{id}/secrets", "post"),
        ("/admin/v1/clients/{id}/secrets/{secret_id}", "delete"),
        ("/admin/v1/clients/{id}/revoke-tokens", "post"),
        ("/admin/v1/users", "post"),
        ("/admin/v1/users/{id}", "patch"),
        ("/admin/v1/audit-events", "get"),
        ("/admin/v1/keys", "get"),
        ("/admin/v1/keys/rotate", "post"),
        ("/admin/v1/me/password", "put"),
    ] {
        assert!(
            paths.get(path).and_then(|p| p.get(method)).is_some(),
            "{method} {path}"
        );
    }
    let schemas = a.body["components"]["schemas"].as_object().unwrap();
    for s in [
        "Client",
        "CreateClientRequest",
        "UpdateClientRequest",
        "User",
        "AuditEvent",
        "SecretInfo",
    ] {
        assert!(schemas.contains_key(s), "{s}");
    }
}
