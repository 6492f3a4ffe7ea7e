//! Clients registered for private_key_jwt: no secrets for them, no assertions for secret clients,
//! and the keys the admin API is given, checked.

use serde_json::json;

use crate::helpers::{spawn_app, Backend, API};
use crate::on_both_backends;
use crate::private_key_jwt::{assertion, claims, key_client, new_key, post_assertion};

on_both_backends!(
    key_clients_refuse_secrets_and_secret_clients_refuse_assertions,
    the_admin_api_checks_the_keys_it_is_given,
);

async fn key_clients_refuse_secrets_and_secret_clients_refuse_assertions(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let key = new_key("k");
    let created = key_client(&app, "key-only", &key).await;
    let admin = app.admin_token().await;
    let a = app
        .admin(
            "POST",
            &format!("/clients/{}/secrets", created["id"].as_str().unwrap()),
            Some(&admin),
            None,
        )
        .await;
    assert_eq!(a.status, 422);
    // A secret client holding keys still can't authenticate with an assertion.
    let (_, secret) = app
        .api_create_client(&admin, json!({"client_id": "secret-only", "name": "s", "jwks": {"keys": [key.jwk]}, "audiences": [API]}))
        .await;
    let res = post_assertion(
        &app,
        "/oauth2/token",
        &assertion(&key, claims(&app, "secret-only")),
        &[("grant_type", "client_credentials")],
    )
    .await;
    assert_eq!(res.status(), 401);
    assert_eq!(
        app.token_basic(
            "secret-only",
            &secret.unwrap(),
            &[("grant_type", "client_credentials")]
        )
        .await
        .status(),
        200
    );
}

async fn the_admin_api_checks_the_keys_it_is_given(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let admin = app.admin_token().await;
    let key = new_key("k");
    let mut private = key.jwk.clone();
    private["d"] = json!("c2VjcmV0");
    for (what, body) in [
        (
            "no keys",
            json!({"name": "a", "token_endpoint_auth_method": "private_key_jwt"}),
        ),
        (
            "private key",
            json!({"name": "b", "token_endpoint_auth_method": "private_key_jwt", "jwks": {"keys": [private]}}),
        ),
        (
            "not a JWKS",
            json!({"name": "c", "token_endpoint_auth_method": "private_key_jwt", "jwks": {"kty": "EC"}}),
        ),
        (
            "HS256 key",
            json!({"name": "d", "token_endpoint_auth_method": "private_key_jwt", "jwks": {"keys": [{"kty": "oct", "k": "c2VjcmV0", "alg": "HS256", "kid": "h"}]}}),
        ),
    ] {
        let a = app
            .admin("POST", "/clients", Some(&admin), Some(body))
            .await;
        assert_eq!(a.status, 422, "{what}: {}", a.body);
    }
    // Rotating a client's keys through PATCH takes effect at once.
    let created = key_client(&app, "rotating", &key).await;
    let next = new_key("k2");
    let path = format!("/clients/{}", created["id"].as_str().unwrap());
    let a = app
        .admin(
            "PATCH",
            &path,
            Some(&admin),
            Some(json!({"jwks": {"keys": [next.jwk]}})),
        )
        .await;
    assert_eq!(a.status, 200, "{}", a.body);
    let grant = [("grant_type", "client_credentials")];
    assert_eq!(
        post_assertion(
            &app,
            "/oauth2/token",
            &assertion(&key, claims(&app, "rotating")),
            &grant
        )
        .await
        .status(),
        401
    );
    assert_eq!(
        post_assertion(
            &app,
            "/oauth2/token",
            &assertion(&next, claims(&app, "rotating")),
            &grant
        )
        .await
        .status(),
        200
    );
}
