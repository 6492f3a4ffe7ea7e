//! CONTRACT ("Workload identity", item: private_key_jwt gains jwks_uri): a `private_key_jwt`
//! client may have its keys fetched from a `jwks_uri` (https, or http on loopback) instead of
//! registering them; a key rotated at its JWKS is picked up on the unknown kid.

use std::sync::{Arc, Mutex};

use actix_web::{web, App, HttpResponse, HttpServer};
use serde_json::{json, Value};

use crate::helpers::{spawn_app, Backend, API};
use crate::on_both_backends;
use crate::private_key_jwt::{assertion, claims, new_key, post_assertion};

/// A JWKS served over loopback HTTP; the test swaps its keys.
async fn jwks_server(keys: Arc<Mutex<Value>>) -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let server = HttpServer::new(move || {
        let keys = keys.clone();
        App::new().route(
            "/jwks",
            web::get().to(move || {
                let doc = keys.lock().unwrap().clone();
                async move { HttpResponse::Ok().json(doc) }
            }),
        )
    })
    .workers(1)
    .listen(listener)
    .unwrap()
    .run();
    actix_web::rt::spawn(server);
    format!("http://127.0.0.1:{port}/jwks")
}

async fn a_key_client_with_a_jwks_uri_gets_tokens_and_follows_a_rotation(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let (first, second) = (new_key("k1"), new_key("k2"));
    let keys = Arc::new(Mutex::new(json!({"keys": [first.jwk]})));
    let uri = jwks_server(keys.clone()).await;
    let admin = app.admin_token().await;
    let bad = app
        .admin("POST", "/clients", Some(&admin), Some(json!({"client_id": "fetched", "name": "f",
            "token_endpoint_auth_method": "private_key_jwt", "jwks_uri": "http://example.com/jwks"})))
        .await;
    assert_eq!(
        bad.status, 422,
        "http off loopback is refused: {}",
        bad.body
    );
    let made = app
        .admin(
            "POST",
            "/clients",
            Some(&admin),
            Some(json!({"client_id": "fetched", "name": "f",
            "token_endpoint_auth_method": "private_key_jwt", "jwks_uri": uri,
            "scopes": ["read"], "default_scopes": ["read"], "audiences": [API]})),
        )
        .await;
    assert_eq!(made.status, 201, "{}", made.body);
    let token = |key| {
        let a = assertion(key, claims(&app, "fetched"));
        let app = &app;
        async move {
            post_assertion(
                app,
                "/oauth2/token",
                &a,
                &[("grant_type", "client_credentials")],
            )
            .await
            .status()
            .as_u16()
        }
    };
    assert_eq!(token(&first).await, 200);
    // Rotated at the client's JWKS: the new kid is fetched on its first use once the refetch
    // interval (10 s: an unknown kid refetches at most that often) has passed since the last
    // fetch.
    *keys.lock().unwrap() = json!({"keys": [second.jwk]});
    actix_web::rt::time::sleep(std::time::Duration::from_millis(10_200)).await;
    assert_eq!(token(&second).await, 200);
    assert_eq!(token(&new_key("k3")).await, 401, "an unpublished kid");
}

on_both_backends!(a_key_client_with_a_jwks_uri_gets_tokens_and_follows_a_rotation);
