//! private_key_jwt client authentication (RFC 7523 §2.2) at the token, introspection and
//! revocation endpoints.

use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{json, Value};

use crate::helpers::{basic, spawn_app, Backend, TestApp, API};
use crate::on_both_backends;

on_both_backends!(
    a_client_signing_an_assertion_gets_a_token,
    replayed_or_wrong_assertions_are_invalid_client,
    mixing_methods_or_a_wrong_assertion_type_is_invalid_request,
    key_clients_refuse_secrets_and_secret_clients_refuse_assertions,
    the_admin_api_checks_the_keys_it_is_given,
);

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

async fn replayed_or_wrong_assertions_are_invalid_client(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let key = new_key("k1");
    key_client(&app, "strict", &key).await;
    let grant = [("grant_type", "client_credentials")];
    let once = assertion(&key, claims(&app, "strict"));
    assert_eq!(
        post_assertion(&app, "/oauth2/token", &once, &grant)
            .await
            .status(),
        200
    );
    let now = chrono::Utc::now().timestamp();
    let mut cases: Vec<(&str, String)> = vec![("replayed", once)];
    let with = |f: &dyn Fn(&mut Value)| {
        let mut c = claims(&app, "strict");
        f(&mut c);
        assertion(&key, c)
    };
    cases.push((
        "wrong audience",
        with(&|c| c["aud"] = json!("https://elsewhere.example.com")),
    ));
    cases.push(("expired", with(&|c| c["exp"] = json!(now - 300))));
    cases.push((
        "exp too far ahead",
        with(&|c| c["exp"] = json!(now + 86_400)),
    ));
    cases.push((
        "no jti",
        with(&|c| {
            c.as_object_mut().unwrap().remove("jti");
        }),
    ));
    cases.push((
        "iss not the client",
        with(&|c| c["iss"] = json!("someone-else")),
    ));
    let other = new_key("k1");
    cases.push((
        "signed by another key",
        assertion(&other, claims(&app, "strict")),
    ));
    // HS256 "signed" with the client's public JWK.
    let header = base64::Engine::encode(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD,
        json!({"alg": "HS256", "kid": "k1"}).to_string(),
    );
    let body = base64::Engine::encode(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD,
        claims(&app, "strict").to_string(),
    );
    let input = format!("{header}.{body}");
    let tag = ring::hmac::sign(
        &ring::hmac::Key::new(ring::hmac::HMAC_SHA256, key.jwk.to_string().as_bytes()),
        input.as_bytes(),
    );
    cases.push((
        "HS256 with the public key",
        format!(
            "{input}.{}",
            base64::Engine::encode(
                &base64::engine::general_purpose::URL_SAFE_NO_PAD,
                tag.as_ref()
            )
        ),
    ));
    for (what, a) in cases {
        let res = post_assertion(&app, "/oauth2/token", &a, &grant).await;
        assert_eq!(res.status(), 401, "{what}");
        assert_eq!(
            res.json::<Value>().await.unwrap()["error"],
            "invalid_client",
            "{what}"
        );
    }
}

async fn mixing_methods_or_a_wrong_assertion_type_is_invalid_request(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let key = new_key("k");
    key_client(&app, "mixer", &key).await;
    let a = assertion(&key, claims(&app, "mixer"));
    let res = app
        .http
        .post(app.url("/oauth2/token"))
        .header("Authorization", basic("mixer", "x"))
        .form(&[
            ("grant_type", "client_credentials"),
            (
                "client_assertion_type",
                "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
            ),
            ("client_assertion", &a),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    for form in [
        vec![
            ("grant_type", "client_credentials"),
            (
                "client_assertion_type",
                "urn:ietf:params:oauth:client-assertion-type:saml2-bearer",
            ),
            ("client_assertion", a.as_str()),
        ],
        vec![
            ("grant_type", "client_credentials"),
            ("client_assertion", a.as_str()),
        ],
        vec![
            ("grant_type", "client_credentials"),
            (
                "client_assertion_type",
                "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
            ),
        ],
    ] {
        let res = app
            .http
            .post(app.url("/oauth2/token"))
            .form(&form)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 400);
        assert_eq!(
            res.json::<Value>().await.unwrap()["error"],
            "invalid_request"
        );
    }
}

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
