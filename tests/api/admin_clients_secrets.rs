//! A client's secrets over the admin API: the first shown once, rotation, listing without values,
//! revocation.

use serde_json::json;

use crate::helpers::{spawn_app, Backend, API};
use crate::on_both_backends;

on_both_backends!(
    a_confidential_client_shows_its_first_secret_once,
    secrets_rotate_list_without_values_and_revoke,
);

async fn a_confidential_client_shows_its_first_secret_once(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let admin = app.admin_token().await;
    let (body, secret) = app
        .api_create_client(&admin, json!({"name": "CI", "scopes": ["read"], "default_scopes": ["read"], "audiences": [API]}))
        .await;
    let secret = secret.expect("first secret");
    let client_id = body["client_id"].as_str().unwrap();
    assert!(
        uuid::Uuid::parse_str(client_id).is_ok(),
        "generated client_id"
    );
    assert_eq!(body["is_service_account"], true);
    assert_eq!(body["client_type"], "confidential");
    // Shown once: reading the client again never shows it.
    let a = app
        .admin(
            "GET",
            &format!("/clients/{}", body["id"].as_str().unwrap()),
            Some(&admin),
            None,
        )
        .await;
    assert_eq!(a.status, 200);
    assert!(!a.body.to_string().contains(&secret));
    assert!(a.body.get("client_secret").is_none());
    // And it works at once.
    let token = app.access_token(client_id, &secret, &[]).await;
    app.verify(&token, API).await.unwrap();
}

async fn secrets_rotate_list_without_values_and_revoke(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let admin = app.admin_token().await;
    let (body, first) = app
        .api_create_client(
            &admin,
            json!({"client_id": "rot", "name": "r", "audiences": [API]}),
        )
        .await;
    let first = first.unwrap();
    let path = format!("/clients/{}/secrets", body["id"].as_str().unwrap());
    let a = app
        .admin(
            "POST",
            &path,
            Some(&admin),
            Some(json!({"name": "next", "expires_at": "2099-01-01T00:00:00Z"})),
        )
        .await;
    assert_eq!(a.status, 201);
    let second = a.body["secret"].as_str().unwrap().to_string();
    assert_eq!(a.body["name"], "next");
    app.access_token("rot", &first, &[]).await;
    app.access_token("rot", &second, &[]).await;
    let list = app.admin("GET", &path, Some(&admin), None).await;
    let items = list.body.as_array().unwrap();
    assert_eq!(items.len(), 2);
    let text = list.body.to_string();
    assert!(!text.contains(&first) && !text.contains(&second) && !text.contains("hash"));
    for item in items {
        for key in ["id", "name", "created_at", "expires_at", "last_used_at"] {
            assert!(item.get(key).is_some(), "{key}");
        }
    }
    // Revoke the first: it stops working at once; the second keeps working.
    let first_id = items.iter().find(|i| i["name"] == "initial").unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(
        app.admin("DELETE", &format!("{path}/{first_id}"), Some(&admin), None)
            .await
            .status,
        204
    );
    let grant = [("grant_type", "client_credentials")];
    assert_eq!(app.token_basic("rot", &first, &grant).await.status(), 401);
    assert_eq!(app.token_basic("rot", &second, &grant).await.status(), 200);
    assert_eq!(
        app.admin("DELETE", &format!("{path}/{first_id}"), Some(&admin), None)
            .await
            .status,
        404
    );
    // A body that does not parse is refused, never a secret that does not expire.
    for body in [
        r#"{"expires_at": "tomorrow"}"#,
        r#"{"expiry": "2099-01-01T00:00:00Z"}"#,
        "{",
    ] {
        let res = app
            .http
            .post(app.url(&format!("/admin/v1{path}")))
            .bearer_auth(&admin)
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 400, "{body}");
    }
    assert_eq!(
        app.admin("GET", &path, Some(&admin), None)
            .await
            .body
            .as_array()
            .unwrap()
            .len(),
        2
    );
    // Expiry in the past, and secrets on a public client: refused.
    let a = app
        .admin(
            "POST",
            &path,
            Some(&admin),
            Some(json!({"expires_at": "2001-01-01T00:00:00Z"})),
        )
        .await;
    assert_eq!(a.status, 422);
    let (public, _) = app
        .api_create_client(
            &admin,
            json!({"name": "pub", "client_type": "public", "grant_types": ["authorization_code"],
                "redirect_uris": ["https://pub.example/cb"], "is_service_account": false}),
        )
        .await;
    let a = app
        .admin(
            "POST",
            &format!("/clients/{}/secrets", public["id"].as_str().unwrap()),
            Some(&admin),
            None,
        )
        .await;
    assert_eq!(a.status, 422);
    // Creating and revoking secrets is audited.
    let (actions, events) = app.audit_actions(&admin, "target=rot").await;
    let actions: Vec<&str> = actions.iter().map(String::as_str).collect();
    assert!(actions.contains(&"secret.created") && actions.contains(&"secret.revoked"));
    assert!(!events.to_string().contains(&second));
}
