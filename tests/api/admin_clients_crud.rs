//! The admin API's clients: listing, partial updates, identifiers shared with users, bad input.

use serde_json::{json, Value};

use crate::helpers::{spawn_app, Backend, ADMIN_ID};
use crate::on_both_backends;

on_both_backends!(
    clients_list_in_pages,
    partial_updates_keep_fields_not_sent,
    users_and_clients_never_share_an_identifier,
    bad_input_gets_problem_details,
);

async fn clients_list_in_pages(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let admin = app.admin_token().await;
    for i in 0..3 {
        app.api_create_client(
            &admin,
            json!({"client_id": format!("page-{i}"), "name": "p"}),
        )
        .await;
    }
    let a = app
        .admin("GET", "/clients?limit=2", Some(&admin), None)
        .await;
    assert_eq!(a.body["items"].as_array().unwrap().len(), 2);
    assert_eq!(a.body["next_offset"], 2);
    let b = app
        .admin("GET", "/clients?limit=2&offset=2", Some(&admin), None)
        .await;
    assert_eq!(b.body["items"].as_array().unwrap().len(), 2); // 3 + the bootstrap admin
    let all: Vec<Value> = a.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .chain(b.body["items"].as_array().unwrap())
        .cloned()
        .collect();
    let mut ids: Vec<&str> = all
        .iter()
        .map(|c| c["client_id"].as_str().unwrap())
        .collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 4);
    assert_eq!(
        app.admin("GET", "/clients?limit=0", Some(&admin), None)
            .await
            .status,
        400
    );
}

async fn partial_updates_keep_fields_not_sent(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let admin = app.admin_token().await;
    let (body, _) = app
        .api_create_client(&admin, json!({"client_id": "keep", "name": "before", "description": "d", "scopes": ["admin:audit:read"],
            "audiences": ["urn:castellan:admin"], "is_admin_service_account": true, "token_ttl_seconds": 120}))
        .await;
    let path = format!("/clients/{}", body["id"].as_str().unwrap());
    let a = app
        .admin("PATCH", &path, Some(&admin), Some(json!({"name": "after"})))
        .await;
    assert_eq!(a.status, 200);
    let now = app.admin("GET", &path, Some(&admin), None).await.body;
    assert_eq!(now["name"], "after");
    for field in [
        "description",
        "scopes",
        "audiences",
        "is_admin_service_account",
        "token_ttl_seconds",
        "grant_types",
        "client_id",
    ] {
        assert_eq!(now[field], body[field], "{field} changed");
    }
    // null resets the lifetime to the server default.
    let a = app
        .admin(
            "PATCH",
            &path,
            Some(&admin),
            Some(json!({"token_ttl_seconds": null})),
        )
        .await;
    assert_eq!(a.body["token_ttl_seconds"], Value::Null);
    // client_id can't change.
    let a = app
        .admin(
            "PATCH",
            &path,
            Some(&admin),
            Some(json!({"client_id": "other"})),
        )
        .await;
    assert_eq!(a.status, 422);
}

async fn users_and_clients_never_share_an_identifier(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let admin = app.admin_token().await;
    let a = app
        .admin(
            "POST",
            "/users",
            Some(&admin),
            Some(json!({"username": ADMIN_ID})),
        )
        .await;
    assert_eq!(a.status, 409);
    let a = app
        .admin(
            "POST",
            "/users",
            Some(&admin),
            Some(json!({"username": "alice"})),
        )
        .await;
    assert_eq!(a.status, 201);
    let a = app
        .admin(
            "POST",
            "/clients",
            Some(&admin),
            Some(json!({"client_id": "alice", "name": "a"})),
        )
        .await;
    assert_eq!(a.status, 409);
    assert_eq!(a.content_type, "application/problem+json");
    // The same holds below the API: the principal table refuses the second kind.
    let row = crate::helpers::service_account("alice").to_row();
    let result = app
        .state
        .db
        .run(move |conn| castellan::storage::clients::insert(conn, &row, None))
        .await;
    assert!(matches!(
        result,
        Err(castellan::storage::StoreError::Conflict(_))
    ));
}

async fn bad_input_gets_problem_details(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let admin = app.admin_token().await;
    let raw = app
        .http
        .post(app.url("/admin/v1/clients"))
        .bearer_auth(&admin)
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(raw.status(), 400);
    assert_eq!(raw.headers()["content-type"], "application/problem+json");
    for (method, path, body, status) in [
        ("POST", "/clients", json!({"name": "x", "surprise": 1}), 400),
        (
            "POST",
            "/clients",
            json!({"name": "x", "token_ttl_seconds": 999999}),
            422,
        ),
        (
            "POST",
            "/clients",
            json!({"name": "x", "scopes": ["bad scope"]}),
            422,
        ),
        (
            "POST",
            "/clients",
            json!({"name": "x", "default_scopes": ["read"]}),
            422,
        ),
        ("GET", "/clients/nope", Value::Null, 404),
        ("GET", "/nothing-here", Value::Null, 404),
    ] {
        let a = app
            .admin(
                method,
                path,
                Some(&admin),
                (!body.is_null()).then_some(body.clone()),
            )
            .await;
        assert_eq!(a.status, status, "{method} {path} {body}");
        assert_eq!(
            a.content_type, "application/problem+json",
            "{method} {path}"
        );
        assert_eq!(a.body["status"], status);
    }
}
