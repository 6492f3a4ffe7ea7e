//! private_key_jwt assertions refused: replayed or wrong ones, mixed methods, a wrong assertion
//! type.

use serde_json::{json, Value};

use crate::helpers::{basic, spawn_app, Backend};
use crate::on_both_backends;
use crate::private_key_jwt::{assertion, claims, key_client, new_key, post_assertion};

on_both_backends!(
    replayed_or_wrong_assertions_are_invalid_client,
    mixing_methods_or_a_wrong_assertion_type_is_invalid_request,
);

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
