//! Signing keys, the JWKS, discovery, persistence across restarts, health.

use serde_json::Value;

use crate::helpers::{jwt_part, spawn_app, spawn_app_with, Backend, API};
use crate::on_both_backends;

on_both_backends!(
    jwks_publishes_public_keys_only,
    a_token_minted_before_a_restart_verifies_after_it,
    the_store_holds_no_plain_private_key,
    eddsa_by_configuration,
    discovery_documents_agree_with_the_server,
    health_and_readiness,
);

async fn jwks_publishes_public_keys_only(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let jwks = app.jwks().await;
    let keys = jwks["keys"].as_array().unwrap();
    assert_eq!(keys.len(), 1);
    let k = &keys[0];
    assert_eq!(
        (
            k["kty"].as_str(),
            k["alg"].as_str(),
            k["use"].as_str(),
            k["crv"].as_str()
        ),
        (Some("EC"), Some("ES256"), Some("sig"), Some("P-256"))
    );
    assert!(k["kid"].is_string());
    for private in ["d", "p", "q", "dp", "dq", "qi", "k"] {
        assert!(
            k.get(private).is_none(),
            "private member {private} published"
        );
    }
}

async fn a_token_minted_before_a_restart_verifies_after_it(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let (id, secret) = app.service_account("svc-restart").await;
    let token = app.access_token(&id, &secret, &[]).await;
    let kid = jwt_part(&token, 0)["kid"].clone();
    let app = app.restart().await;
    // Same key, same client, same secret after the restart.
    assert_eq!(app.jwks().await["keys"][0]["kid"], kid);
    let issuer = app.state.issuer.clone();
    let claims =
        crate::helpers::verify_with_jwks(&app.jwks().await, &token, &claims_issuer(&token), API);
    assert!(claims.is_ok(), "{claims:?}");
    let again = app.access_token(&id, &secret, &[]).await;
    assert_eq!(jwt_part(&again, 0)["kid"], kid);
    assert_eq!(jwt_part(&again, 1)["iss"], issuer.as_str());
}

fn claims_issuer(token: &str) -> String {
    jwt_part(token, 1)["iss"].as_str().unwrap().to_string()
}

async fn the_store_holds_no_plain_private_key(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    // The master key file is created owner-only.
    let meta = std::fs::metadata(app.dir.path().join("master.key")).unwrap();
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(meta.permissions().mode() & 0o777, 0o600);
    // The sealed key opens under the master key, and its plaintext is nowhere in the store.
    let state = app.state.clone();
    let (kid, sealed) = app
        .state
        .db
        .run(|conn| {
            use castellan::storage::schema::signing_keys::dsl::*;
            use diesel::prelude::*;
            signing_keys
                .select((kid, sealed_private))
                .first::<(String, Vec<u8>)>(conn)
                .map_err(castellan::storage::StoreError::from_diesel)
        })
        .await
        .unwrap();
    let pkcs8 = state.master.open(&kid, &sealed).unwrap();
    assert!(pkcs8.len() > 32);
    assert!(!sealed
        .windows(32)
        .any(|w| pkcs8.windows(32).any(|p| p == w)));
    if backend == Backend::Sqlite {
        // Every file of the embedded database, WAL included.
        for entry in std::fs::read_dir(app.dir.path()).unwrap() {
            let bytes = std::fs::read(entry.unwrap().path()).unwrap();
            for chunk in pkcs8.chunks(32).filter(|c| c.len() == 32) {
                assert!(
                    !bytes.windows(32).any(|w| w == chunk),
                    "plain private key bytes on disk"
                );
            }
        }
    }
}

async fn eddsa_by_configuration(backend: Backend) {
    let Some(app) = spawn_app_with(backend, |s| s.signing.algorithm = "EdDSA".into()).await else {
        return;
    };
    let token = app.admin_token().await;
    assert_eq!(jwt_part(&token, 0)["alg"], "EdDSA");
    let jwks = app.jwks().await;
    assert_eq!(jwks["keys"][0]["kty"], "OKP");
    assert_eq!(jwks["keys"][0]["crv"], "Ed25519");
    app.verify(&token, "urn:castellan:admin").await.unwrap();
}

async fn discovery_documents_agree_with_the_server(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let get = |path: &'static str| {
        let app = &app;
        async move {
            app.http
                .get(app.url(path))
                .send()
                .await
                .unwrap()
                .json::<Value>()
                .await
                .unwrap()
        }
    };
    let oauth = get("/.well-known/oauth-authorization-server").await;
    let oidc = get("/.well-known/openid-configuration").await;
    assert_eq!(oauth, oidc);
    assert_eq!(oauth["issuer"], app.state.issuer.as_str());
    assert_eq!(oauth["token_endpoint"], app.url("/oauth2/token"));
    assert_eq!(oauth["jwks_uri"], app.url("/.well-known/jwks.json"));
    assert_eq!(
        oauth["grant_types_supported"],
        serde_json::json!([
            "client_credentials",
            "authorization_code",
            "refresh_token",
            "urn:ietf:params:oauth:grant-type:token-exchange"
        ])
    );
    let methods = oauth["token_endpoint_auth_methods_supported"]
        .as_array()
        .unwrap();
    assert!(
        methods.contains(&"client_secret_basic".into())
            && methods.contains(&"client_secret_post".into())
    );
    // The JWKS it points to answers, and the admin token's issuer is the metadata's.
    let token = app.admin_token().await;
    assert_eq!(jwt_part(&token, 1)["iss"], oauth["issuer"]);
}

async fn health_and_readiness(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let res = app.http.get(app.url("/healthz")).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let res = app.http.get(app.url("/readyz")).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body, serde_json::json!({"database": true, "keys": true}));
}
