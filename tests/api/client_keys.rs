//! CONTRACT ("Keys"): the JWKs a client registers must be keys Castellan can verify with
//! (RSA of at least 2048 bits, P-256, Ed25519); anything else is refused with 422.

use serde_json::{json, Value};

use crate::helpers::{spawn_app, Backend, API};
use crate::on_both_backends;
use crate::private_key_jwt::new_key;

on_both_backends!(
    an_rsa_key_shorter_than_2048_bits_is_refused_at_registration,
    a_key_of_a_curve_castellan_does_not_take_is_refused_at_registration,
);

/// Public moduli generated for these tests (e = 65537).
const RSA_1024_N: &str = "19moi_JVMX9pUV0FdUSxeyBIdhPGkGLbJRErp4l5UJpPHY0tPk0He_77Od2OZ0oRCyBiCqhqiaddrpGxZZzMDDZaa4lnYTjgYLgSIKzPvaN3t3qAeswz5VGW-eCH8qt6r3OBb4OxrijU9SQNDS98RVS3NSs1i0zvyH0xMuT-cT8";
const RSA_2048_N: &str = "rGTO8Z5fzD5m9fHtN7BqO7LGckAIu4TEL5-h8_bqiMfbr1aNjbZLT3a8cpfHE3GICxOFZhC91-vkl_DaZ8AJgL6fuEBnt0StlDaDGeOC5uFESW5KL9EYVM13jMgLb2x2fKQGElButrF23xF1IR8hfh73p802y6Y0WOKsWJhEIeiQGNqPMdvL1xK8zwRthJH89CH2hlVAbIKL0YcHSnNzspufCPwzk5sDWWrN_PhLY3yD65T70bq2mBTWmXdMgbEijLZAvrvUOSTKe1FV5X6TshddxfN_-G7yoWhDwLmEbg6xxfSmpMh2QF9LDMReZS_75Whla-wjFGbzBoaNi9jkkQ";

fn rsa_jwk(kid: &str, n: &str) -> Value {
    json!({"kty": "RSA", "kid": kid, "alg": "RS256", "use": "sig", "n": n, "e": "AQAB"})
}

fn key_client_body(client_id: &str, keys: Vec<Value>) -> Value {
    json!({"client_id": client_id, "name": client_id, "token_endpoint_auth_method": "private_key_jwt",
           "jwks": {"keys": keys}, "scopes": ["read"], "default_scopes": ["read"], "audiences": [API]})
}

async fn an_rsa_key_shorter_than_2048_bits_is_refused_at_registration(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let admin = app.admin_token().await;
    let short = app
        .admin(
            "POST",
            "/clients",
            Some(&admin),
            Some(key_client_body("rsa-1024", vec![rsa_jwk("r1", RSA_1024_N)])),
        )
        .await;
    assert_eq!(short.status, 422, "{}", short.body);
    let said = short.body.to_string();
    assert!(
        said.contains("2048") && said.contains("1024"),
        "the answer says why: {said}"
    );
    // One bad key among good ones is still refused: every key must be usable.
    let mixed = app
        .admin(
            "POST",
            "/clients",
            Some(&admin),
            Some(key_client_body(
                "rsa-mixed",
                vec![rsa_jwk("r2", RSA_2048_N), rsa_jwk("r1", RSA_1024_N)],
            )),
        )
        .await;
    assert_eq!(mixed.status, 422, "{}", mixed.body);
    let good = app
        .admin(
            "POST",
            "/clients",
            Some(&admin),
            Some(key_client_body("rsa-2048", vec![rsa_jwk("r2", RSA_2048_N)])),
        )
        .await;
    assert_eq!(good.status, 201, "{}", good.body);
    // And a PATCH can't bring a short key in either.
    let path = format!("/clients/{}", good.body["id"].as_str().unwrap());
    let patched = app
        .admin(
            "PATCH",
            &path,
            Some(&admin),
            Some(json!({"jwks": {"keys": [rsa_jwk("r1", RSA_1024_N)]}})),
        )
        .await;
    assert_eq!(patched.status, 422, "{}", patched.body);
}

async fn a_key_of_a_curve_castellan_does_not_take_is_refused_at_registration(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let admin = app.admin_token().await;
    let p256 = new_key("p256").jwk;
    let mut truncated = p256.clone();
    truncated["x"] = json!("AAAA");
    let mut p384 = p256.clone();
    p384["crv"] = json!("P-384");
    p384["alg"] = json!("ES384");
    for (what, key) in [("P-384", p384), ("a short P-256 point", truncated)] {
        let a = app
            .admin(
                "POST",
                "/clients",
                Some(&admin),
                Some(key_client_body("curvy", vec![key])),
            )
            .await;
        assert_eq!(a.status, 422, "{what}: {}", a.body);
    }
    let a = app
        .admin(
            "POST",
            "/clients",
            Some(&admin),
            Some(key_client_body("curvy", vec![p256])),
        )
        .await;
    assert_eq!(a.status, 201, "{}", a.body);
}
