//! The token attacks of RFC 8725 against the admin API, and subjects of another kind than claimed.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use castellan::oauth::claims::{AccessTokenClaims, Audience};
use serde_json::{json, Value};

use crate::admin_misc_support::{claims, sign};
use crate::helpers::{spawn_app, Backend, TestApp, ADMIN_ID};
use crate::on_both_backends;

on_both_backends!(
    rfc_8725_attacks_on_the_admin_api_fail,
    a_subject_of_another_kind_than_claimed_is_refused,
);

/// Signs with the server's key but a header of our choosing (via jsonwebtoken on ring).
async fn sign_with_header(
    app: &TestApp,
    header: &jsonwebtoken::Header,
    claims: &AccessTokenClaims,
) -> String {
    let set = app.state.keys.current();
    let kid = set.signer.kid().to_string();
    let sealed = app
        .state
        .db
        .run(move |conn| {
            use castellan::storage::schema::signing_keys::dsl as k;
            use diesel::prelude::*;
            k::signing_keys
                .filter(k::kid.eq(kid))
                .select(k::sealed_private)
                .first::<Vec<u8>>(conn)
                .map_err(castellan::storage::StoreError::from_diesel)
        })
        .await
        .unwrap();
    let pkcs8 = app.state.master.open(set.signer.kid(), &sealed).unwrap();
    jsonwebtoken::encode(
        header,
        claims,
        &jsonwebtoken::EncodingKey::from_ec_der(&pkcs8),
    )
    .unwrap()
}

async fn rfc_8725_attacks_on_the_admin_api_fail(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let good = claims(&app, ADMIN_ID, "service_account", "admin");
    let kid = app.state.keys.current().signer.kid().to_string();
    // Control: the honest token works.
    assert_eq!(
        app.admin("GET", "/clients", Some(&sign(&app, &good)), None)
            .await
            .status,
        200
    );
    let b64 = |v: &Value| URL_SAFE_NO_PAD.encode(v.to_string());
    let payload = b64(&serde_json::to_value(&good).unwrap());
    let mut attacks: Vec<(&str, String)> = Vec::new();
    // alg: none, with and without a trailing signature part.
    let none = b64(&json!({"alg": "none", "typ": "at+jwt", "kid": kid}));
    attacks.push(("alg none", format!("{none}.{payload}.")));
    // HS256 "signed" with the public key (the JWK as published, and the raw point).
    let jwks = app.jwks().await;
    let jwk = jwks["keys"][0].clone();
    let hs = b64(&json!({"alg": "HS256", "typ": "at+jwt", "kid": kid}));
    let x = URL_SAFE_NO_PAD.decode(jwk["x"].as_str().unwrap()).unwrap();
    let y = URL_SAFE_NO_PAD.decode(jwk["y"].as_str().unwrap()).unwrap();
    let point: Vec<u8> = [vec![4u8], x, y].concat();
    for key in [jwk.to_string().into_bytes(), point] {
        let input = format!("{hs}.{payload}");
        let tag = ring::hmac::sign(
            &ring::hmac::Key::new(ring::hmac::HMAC_SHA256, &key),
            input.as_bytes(),
        );
        attacks.push((
            "HS256 with the public key",
            format!("{input}.{}", URL_SAFE_NO_PAD.encode(tag.as_ref())),
        ));
    }
    // Our own key, but the header says another algorithm.
    let honest = sign(&app, &good);
    let parts: Vec<&str> = honest.split('.').collect();
    let es384 = b64(&json!({"alg": "ES384", "typ": "at+jwt", "kid": kid}));
    attacks.push((
        "header alg swapped",
        format!("{es384}.{}.{}", parts[1], parts[2]),
    ));
    // Stripped signature; tampered payload.
    attacks.push(("stripped signature", format!("{}.{}.", parts[0], parts[1])));
    let mut evil = good.clone();
    evil.scope = "admin".into();
    evil.sub = "someone-else".into();
    attacks.push((
        "tampered payload",
        format!(
            "{}.{}.{}",
            parts[0],
            b64(&serde_json::to_value(&evil).unwrap()),
            parts[2]
        ),
    ));
    // Wrong typ, unknown kid: signed with our real key.
    let mut h = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::ES256);
    h.kid = Some(kid.clone());
    h.typ = Some("JWT".into());
    attacks.push(("typ JWT", sign_with_header(&app, &h, &good).await));
    h.typ = Some("at+jwt".into());
    h.kid = Some("no-such-kid".into());
    attacks.push(("unknown kid", sign_with_header(&app, &h, &good).await));
    // Expired, not yet valid, foreign issuer, wrong audience: properly signed.
    let mut c = good.clone();
    c.exp = chrono::Utc::now().timestamp() - 3600;
    c.iat = c.exp - 300;
    c.nbf = c.iat;
    attacks.push(("expired", sign(&app, &c)));
    let mut c = good.clone();
    c.nbf = chrono::Utc::now().timestamp() + 3600;
    attacks.push(("not yet valid", sign(&app, &c)));
    let mut c = good.clone();
    c.iss = "https://evil.example.com".into();
    attacks.push(("foreign issuer", sign(&app, &c)));
    let mut c = good.clone();
    c.aud = Audience::One("https://api.example.com".into());
    attacks.push(("wrong audience", sign(&app, &c)));
    // A key that is not ours, claiming our kid.
    let other = castellan::keys::signer::Signer::from_pkcs8(
        &kid,
        jsonwebtoken::Algorithm::ES256,
        &castellan::keys::signer::generate_pkcs8(jsonwebtoken::Algorithm::ES256).unwrap(),
    )
    .unwrap();
    attacks.push(("someone else's key", other.sign(&good).unwrap()));
    for (what, token) in attacks {
        let a = app.admin("GET", "/clients", Some(&token), None).await;
        assert_eq!(a.status, 401, "{what}: {}", a.body);
        assert!(
            a.challenge
                .as_deref()
                .unwrap_or("")
                .contains("invalid_token"),
            "{what}"
        );
    }
}

async fn a_subject_of_another_kind_than_claimed_is_refused(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let admin = app.admin_token().await;
    app.admin(
        "POST",
        "/users",
        Some(&admin),
        Some(json!({"username": "dave"})),
    )
    .await;
    // A "user" token whose subject is a client, and a "service_account" token whose subject is
    // a user: both refused, though signed by our own key.
    let user_claiming_client = sign(&app, &claims(&app, ADMIN_ID, "user", "admin"));
    let sa_claiming_user = sign(&app, &claims(&app, "dave", "service_account", "admin"));
    let nobody = sign(&app, &claims(&app, "ghost", "service_account", "admin"));
    for (what, token) in [
        ("user->client", user_claiming_client),
        ("sa->user", sa_claiming_user),
        ("no principal", nobody),
    ] {
        let a = app.admin("GET", "/clients", Some(&token), None).await;
        assert_eq!(a.status, 401, "{what}");
    }
}
