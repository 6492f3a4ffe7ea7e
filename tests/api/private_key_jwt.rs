//! private_key_jwt client authentication (RFC 7523 §2.2) at the token, introspection and
//! revocation endpoints: the helpers every such test shares, and the success.

use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{json, Value};

use crate::helpers::{spawn_app, Backend, TestApp, API};
use crate::on_both_backends;

on_both_backends!(a_client_signing_an_assertion_gets_a_token);

/// The client assertion type of RFC 7523 §2.2.
pub(crate) const JWT_BEARER: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

pub(crate) struct ClientKey {
    kid: String,
    pkcs8: Vec<u8>,
    pub(crate) jwk: Value,
}

pub(crate) fn new_key(kid: &str) -> ClientKey {
    let pkcs8 = castellan::keys::signer::generate_pkcs8(Algorithm::ES256).unwrap();
    let jwk = castellan::keys::signer::Signer::from_pkcs8(kid, Algorithm::ES256, &pkcs8)
        .unwrap()
        .public_jwk();
    ClientKey {
        kid: kid.into(),
        pkcs8,
        jwk,
    }
}

pub(crate) fn assertion(key: &ClientKey, claims: Value) -> String {
    let mut header = Header::new(Algorithm::ES256);
    header.kid = Some(key.kid.clone());
    jsonwebtoken::encode(&header, &claims, &EncodingKey::from_ec_der(&key.pkcs8)).unwrap()
}

pub(crate) fn claims(app: &TestApp, client_id: &str) -> Value {
    let now = chrono::Utc::now().timestamp();
    json!({"iss": client_id, "sub": client_id, "aud": app.url("/oauth2/token"), "exp": now + 60,
           "iat": now, "jti": uuid::Uuid::new_v4().to_string()})
}

pub(crate) async fn key_client(app: &TestApp, client_id: &str, key: &ClientKey) -> Value {
    let admin = app.admin_token().await;
    let a = app
        .admin("POST", "/clients", Some(&admin), Some(json!({
            "client_id": client_id, "name": client_id, "token_endpoint_auth_method": "private_key_jwt",
            "jwks": {"keys": [key.jwk]}, "scopes": ["read"], "default_scopes": ["read"], "audiences": [API]})))
        .await;
    assert_eq!(a.status, 201, "{}", a.body);
    a.body
}

pub(crate) async fn post_assertion(
    app: &TestApp,
    path: &str,
    assertion: &str,
    extra: &[(&str, &str)],
) -> reqwest::Response {
    let mut form = vec![
        (
            "client_assertion_type",
            "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
        ),
        ("client_assertion", assertion),
    ];
    form.extend_from_slice(extra);
    app.http
        .post(app.url(path))
        .form(&form)
        .send()
        .await
        .unwrap()
}

async fn a_client_signing_an_assertion_gets_a_token(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let key = new_key("ci-key-1");
    let created = key_client(&app, "keyed", &key).await;
    assert_eq!(
        created["client_secret"],
        Value::Null,
        "no shared secret for a key client"
    );
    // aud = token endpoint, client_id taken from the assertion.
    let grant = [("grant_type", "client_credentials")];
    let res = post_assertion(
        &app,
        "/oauth2/token",
        &assertion(&key, claims(&app, "keyed")),
        &grant,
    )
    .await;
    assert_eq!(res.status(), 200);
    let token = res.json::<Value>().await.unwrap()["access_token"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(app.verify(&token, API).await.unwrap().sub, "keyed");
    // aud = issuer, client_id given in the body too.
    let mut c = claims(&app, "keyed");
    c["aud"] = json!(app.state.issuer);
    let res = post_assertion(
        &app,
        "/oauth2/token",
        &assertion(&key, c),
        &[("grant_type", "client_credentials"), ("client_id", "keyed")],
    )
    .await;
    assert_eq!(res.status(), 200);
    // The same method works at introspection.
    let res = post_assertion(
        &app,
        "/oauth2/introspect",
        &assertion(&key, claims(&app, "keyed")),
        &[("token", &token)],
    )
    .await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.json::<Value>().await.unwrap()["active"], true);
    // Discovery says so.
    let meta: Value = app
        .http
        .get(app.url("/.well-known/oauth-authorization-server"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(meta["token_endpoint_auth_methods_supported"]
        .as_array()
        .unwrap()
        .contains(&json!("private_key_jwt")));
    assert!(!meta["token_endpoint_auth_signing_alg_values_supported"]
        .as_array()
        .unwrap()
        .contains(&json!("HS256")));
}
