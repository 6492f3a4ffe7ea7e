//! POST /oauth2/token, the successes: both authentication methods, and scope, audience and
//! lifetime negotiated against the client.

use serde_json::Value;

use crate::helpers::{jwt_part, service_account, spawn_app, spawn_app_with, Backend, API};
use crate::on_both_backends;
use crate::token_support::form_error;

on_both_backends!(
    basic_auth_gets_a_verifiable_rfc_9068_token,
    client_secret_post_gets_a_token,
    basic_credentials_are_form_urlencoded,
    scope_is_negotiated_against_the_client,
    audience_is_negotiated_against_the_client,
    token_lifetime_follows_the_client_up_to_the_maximum,
);

async fn basic_auth_gets_a_verifiable_rfc_9068_token(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let (id, secret) = app.service_account("svc-ci").await;
    let res = app
        .token_basic(&id, &secret, &[("grant_type", "client_credentials")])
        .await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["cache-control"], "no-store");
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["expires_in"], 300);
    assert_eq!(body["scope"], "read");
    assert!(body.get("refresh_token").is_none());
    let token = body["access_token"].as_str().unwrap();

    let header = jwt_part(token, 0);
    assert_eq!(header["typ"], "at+jwt");
    assert_eq!(header["alg"], "ES256");
    let claims = app
        .verify(token, API)
        .await
        .expect("verifies against the JWKS");
    assert_eq!(claims.iss, app.state.issuer);
    assert_eq!(claims.sub, "svc-ci");
    assert_eq!(claims.client_id, "svc-ci");
    assert_eq!(claims.scope, "read");
    assert_eq!(claims.principal_type, "service_account");
    assert!(claims.aud.contains(API) && claims.aud.contains("urn:svc:b"));
    assert_eq!(claims.exp - claims.iat, 300);
    assert_eq!(claims.nbf, claims.iat);
    assert!(claims.jti.len() >= 16);
    // Each token is unique.
    let other = app.access_token(&id, &secret, &[]).await;
    assert_ne!(jwt_part(&other, 1)["jti"], jwt_part(token, 1)["jti"]);
}

async fn client_secret_post_gets_a_token(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let mut post = service_account("svc-post");
    post.token_endpoint_auth_method = "client_secret_post".into();
    let secret = app.create_client(post).await.unwrap();
    let id = "svc-post".to_string();
    let res = app
        .http
        .post(app.url("/oauth2/token"))
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", &id),
            ("client_secret", &secret),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let body: Value = res.json().await.unwrap();
    app.verify(body["access_token"].as_str().unwrap(), API)
        .await
        .unwrap();
}

async fn basic_credentials_are_form_urlencoded(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    // A client_id with characters that RFC 6749 §2.3.1 requires to be form-encoded.
    // (A client_id is printable ASCII: RFC 6749 VSCHAR.)
    let id = "svc:a+b%c/d&e=f";
    let secret = app.create_client(service_account(id)).await.unwrap();
    let res = app
        .token_basic(id, &secret, &[("grant_type", "client_credentials")])
        .await;
    assert_eq!(res.status(), 200);
    // The same credentials sent raw (not form-encoded) do not name that client.
    let raw = format!(
        "Basic {}",
        base64::Engine::encode(
            &base64::engine::general_purpose::STANDARD,
            format!("{id}:{secret}")
        )
    );
    let res = app
        .http
        .post(app.url("/oauth2/token"))
        .header("Authorization", raw)
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap();
    assert_ne!(res.status(), 200);
}

async fn scope_is_negotiated_against_the_client(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let (id, secret) = app.service_account("svc-scope").await;
    let scope_of = |body: Value| body["scope"].as_str().unwrap().to_string();
    let ok = |extra: &'static [(&'static str, &'static str)]| {
        let mut form = vec![("grant_type", "client_credentials")];
        form.extend_from_slice(extra);
        let (id, secret) = (id.clone(), secret.clone());
        let app = &app;
        async move { app.token_basic(&id, &secret, &form).await }
    };
    let res = ok(&[("scope", "write account:usage:read")]).await;
    assert_eq!(res.status(), 200);
    assert_eq!(
        scope_of(res.json().await.unwrap()),
        "write account:usage:read"
    );
    let res = ok(&[("scope", "read write")]).await;
    let token = res.json::<Value>().await.unwrap()["access_token"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(app.verify(&token, API).await.unwrap().scope, "read write");
    for (bad, why) in [
        ("admin", "not allowed"),
        ("read admin", "one not allowed"),
        ("re\"ad", "malformed"),
    ] {
        let res = app
            .token_basic(
                &id,
                &secret,
                &[("grant_type", "client_credentials"), ("scope", bad)],
            )
            .await;
        let (status, body, _) = form_error(res).await;
        assert_eq!(
            (status, body["error"].as_str()),
            (400, Some("invalid_scope")),
            "{why}"
        );
    }
}

async fn audience_is_negotiated_against_the_client(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let (id, secret) = app.service_account("svc-aud").await;
    let token = app.access_token(&id, &secret, &[("resource", API)]).await;
    assert_eq!(jwt_part(&token, 1)["aud"], API);
    let token = app
        .access_token(&id, &secret, &[("audience", "urn:svc:b")])
        .await;
    assert_eq!(jwt_part(&token, 1)["aud"], "urn:svc:b");
    assert!(
        app.verify(&token, API).await.is_err(),
        "a token for urn:svc:b is not for the API"
    );
    for (name, value) in [
        ("resource", "https://elsewhere.example.com"),
        ("resource", "not-a-uri"),
        ("resource", "https://api.example.com#frag"),
        ("audience", "urn:other"),
    ] {
        let res = app
            .token_basic(
                &id,
                &secret,
                &[("grant_type", "client_credentials"), (name, value)],
            )
            .await;
        let (status, body, _) = form_error(res).await;
        assert_eq!(
            (status, body["error"].as_str()),
            (400, Some("invalid_target")),
            "{name}={value}"
        );
    }
    // A client with no audiences and a request naming none: invalid_target, never an aud-less token.
    let mut c = service_account("svc-no-aud");
    c.audiences.clear();
    let secret = app.create_client(c).await.unwrap();
    let res = app
        .token_basic(
            "svc-no-aud",
            &secret,
            &[("grant_type", "client_credentials")],
        )
        .await;
    assert_eq!(form_error(res).await.1["error"], "invalid_target");
}

async fn token_lifetime_follows_the_client_up_to_the_maximum(backend: Backend) {
    let Some(app) = spawn_app_with(backend, |s| s.token.max_ttl_seconds = 900).await else {
        return;
    };
    let mut c = service_account("svc-ttl");
    c.token_ttl_seconds = Some(60);
    let secret = app.create_client(c).await.unwrap();
    let res = app
        .token_basic("svc-ttl", &secret, &[("grant_type", "client_credentials")])
        .await;
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["expires_in"], 60);
    let claims = jwt_part(body["access_token"].as_str().unwrap(), 1);
    assert_eq!(
        claims["exp"].as_i64().unwrap() - claims["iat"].as_i64().unwrap(),
        60
    );
    // A lifetime above the maximum is refused when the client is made, never clipped silently.
    let mut c = service_account("svc-too-long");
    c.token_ttl_seconds = Some(901);
    assert!(c.validate(900).is_err());
}
