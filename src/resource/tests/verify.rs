//! TokenVerifier against pinned keys: the good token, every claim check, and the RFC 8725 attacks.

use std::collections::HashMap;
use std::sync::Arc;

use jsonwebtoken::{Algorithm, DecodingKey};
use ring::hmac;
use serde_json::json;

use super::*;
use crate::resource::{AuthError, KeySource, TokenVerifier};

fn assert_invalid(result: Result<crate::resource::VerifiedToken, AuthError>, what: &str) {
    match result {
        Err(AuthError::InvalidToken(_)) => {}
        other => panic!("{what}: expected invalid_token, got {other:?}"),
    }
}

#[actix_web::test]
async fn a_good_token_passes() {
    let s = signer("k1", Algorithm::ES256);
    let claims = service_claims("svc-1", "admin");
    let token = s.sign(&claims).unwrap();
    let verified = static_verifier(&[&s]).verify(&token).await.unwrap();
    assert_eq!(verified.claims, claims);
    assert_eq!(verified.kid, "k1");

    let e = signer("ed", Algorithm::EdDSA);
    let token = e.sign(&claims).unwrap();
    assert!(static_verifier(&[&e]).verify(&token).await.is_ok());
}

#[actix_web::test]
async fn audience_may_be_one_of_several() {
    let s = signer("k1", Algorithm::ES256);
    let mut claims = service_claims("svc-1", "admin");
    claims.aud = Audience::Many(vec!["https://other".into(), AUD.into()]);
    assert!(static_verifier(&[&s])
        .verify(&s.sign(&claims).unwrap())
        .await
        .is_ok());
}

#[actix_web::test]
async fn wrong_issuer_or_audience_fails() {
    let s = signer("k1", Algorithm::ES256);
    let v = static_verifier(&[&s]);
    let mut claims = service_claims("svc-1", "admin");
    claims.iss = "https://issuer.example/".into();
    assert_invalid(v.verify(&s.sign(&claims).unwrap()).await, "iss");

    let mut claims = service_claims("svc-1", "admin");
    claims.aud = Audience::Many(vec!["https://api.example".into()]);
    assert_invalid(v.verify(&s.sign(&claims).unwrap()).await, "aud");
}

#[actix_web::test]
async fn expired_and_not_yet_valid_fail_and_leeway_applies() {
    let s = signer("k1", Algorithm::ES256);
    let v = static_verifier(&[&s]);
    let mut expired = service_claims("svc-1", "admin");
    expired.exp = now() - 60;
    assert_invalid(v.verify(&s.sign(&expired).unwrap()).await, "exp");

    let mut early = service_claims("svc-1", "admin");
    early.nbf = now() + 120;
    assert_invalid(v.verify(&s.sign(&early).unwrap()).await, "nbf");

    let mut keys = HashMap::new();
    keys.insert("k1".to_string(), verify_key(&s));
    let lenient = TokenVerifier::new(ISS, AUD, 300, KeySource::Static(keys));
    assert!(lenient.verify(&s.sign(&expired).unwrap()).await.is_ok());
    assert!(lenient.verify(&s.sign(&early).unwrap()).await.is_ok());
}

#[actix_web::test]
async fn missing_claims_fail() {
    let s = signer("k1", Algorithm::ES256);
    let v = static_verifier(&[&s]);
    for claim in [
        "exp",
        "nbf",
        "iat",
        "iss",
        "aud",
        "sub",
        "jti",
        "client_id",
        "scope",
        "principal_type",
    ] {
        let mut value = serde_json::to_value(service_claims("svc-1", "admin")).unwrap();
        value.as_object_mut().unwrap().remove(claim);
        assert_invalid(v.verify(&s.sign(&value).unwrap()).await, claim);
    }
}

#[actix_web::test]
async fn header_checks_kid_and_typ() {
    let s = signer("k1", Algorithm::ES256);
    let v = static_verifier(&[&s]);
    let token = s.sign(&service_claims("svc-1", "admin")).unwrap();
    let (_, payload, _) = parts(&token);
    // Headers re-signed by hand would need the private key; the signature is left as it was,
    // and each must fail on the header before or at the signature check.
    for header in [
        json!({"alg": "ES256", "typ": "at+jwt"}),
        json!({"alg": "ES256", "typ": "JWT", "kid": "k1"}),
        json!({"alg": "ES256", "kid": "k1"}),
        json!({"alg": "ES256", "typ": "at+jwt", "kid": "k1", "crit": ["exp"]}),
    ] {
        let forged = format!("{}.{payload}.{}", b64_json(&header), parts(&token).2);
        assert_invalid(v.verify(&forged).await, &header.to_string());
    }
    let unknown = signer("unknown-kid", Algorithm::ES256);
    assert_invalid(
        v.verify(&unknown.sign(&service_claims("svc-1", "admin")).unwrap())
            .await,
        "unknown kid",
    );
}

#[actix_web::test]
async fn typ_application_at_jwt_in_any_case_is_accepted() {
    let s = signer("k1", Algorithm::ES256);
    let v = static_verifier(&[&s]);
    // Re-sign with ring directly: the Signer always writes "at+jwt".
    let pkcs8 = crate::keys::signer::generate_pkcs8(Algorithm::ES256).unwrap();
    let own = crate::keys::Signer::from_pkcs8("k9", Algorithm::ES256, &pkcs8).unwrap();
    let mut keys = HashMap::new();
    keys.insert("k9".to_string(), verify_key(&own));
    let v9 = TokenVerifier::new(ISS, AUD, 0, KeySource::Static(keys));
    let pair = ring::signature::EcdsaKeyPair::from_pkcs8(
        &ring::signature::ECDSA_P256_SHA256_FIXED_SIGNING,
        &pkcs8,
        &ring::rand::SystemRandom::new(),
    )
    .unwrap();
    for typ in ["Application/AT+JWT", "AT+JWT"] {
        let header = b64_json(&json!({"alg": "ES256", "typ": typ, "kid": "k9"}));
        let payload = b64_json(&serde_json::to_value(service_claims("svc-1", "admin")).unwrap());
        let input = format!("{header}.{payload}");
        let sig = pair
            .sign(&ring::rand::SystemRandom::new(), input.as_bytes())
            .unwrap();
        let token = format!("{input}.{}", b64(sig.as_ref()));
        assert!(v9.verify(&token).await.is_ok(), "{typ}");
        assert_invalid(v.verify(&token).await, "other key ring");
    }
}

#[actix_web::test]
async fn alg_none_and_stripped_signature_fail() {
    let s = signer("k1", Algorithm::ES256);
    let v = static_verifier(&[&s]);
    let token = s.sign(&service_claims("svc-1", "admin")).unwrap();
    let (header, payload, _) = parts(&token);
    let none = b64_json(&json!({"alg": "none", "typ": "at+jwt", "kid": "k1"}));
    assert_invalid(v.verify(&format!("{none}.{payload}.")).await, "alg none");
    assert_invalid(
        v.verify(&format!("{none}.{payload}")).await,
        "alg none, two parts",
    );
    assert_invalid(
        v.verify(&format!("{header}.{payload}.")).await,
        "stripped signature",
    );
    assert_invalid(v.verify(&format!("{header}.{payload}")).await, "two parts");
    for junk in [
        "",
        ".",
        "..",
        "a.b.c",
        "a.b.c.d",
        "\u{0}",
        &"x".repeat(10_000),
    ] {
        assert_invalid(v.verify(junk).await, "junk");
    }
}

#[actix_web::test]
async fn hs256_signed_with_the_public_key_fails() {
    let s = signer("k1", Algorithm::ES256);
    let v = static_verifier(&[&s]);
    let payload = b64_json(&serde_json::to_value(service_claims("svc-1", "admin")).unwrap());
    let header = b64_json(&json!({"alg": "HS256", "typ": "at+jwt", "kid": "k1"}));
    let jwk = s.public_jwk();
    let mut point = vec![4u8];
    point.extend(URL_SAFE_NO_PAD.decode(jwk["x"].as_str().unwrap()).unwrap());
    point.extend(URL_SAFE_NO_PAD.decode(jwk["y"].as_str().unwrap()).unwrap());
    // Whatever bytes of the public key an attacker picks as the HMAC secret.
    let secrets = [point.clone(), jwk.to_string().into_bytes()];
    for secret in &secrets {
        let key = hmac::Key::new(hmac::HMAC_SHA256, secret);
        let input = format!("{header}.{payload}");
        let tag = hmac::sign(&key, input.as_bytes());
        let forged = format!("{input}.{}", b64(tag.as_ref()));
        assert_invalid(v.verify(&forged).await, "HS256 with the public key");

        // Even a key wrongly pinned to HS256 can't pass: the ring provider has no HMAC.
        let mut keys = HashMap::new();
        keys.insert(
            "k1".to_string(),
            Arc::new(crate::keys::VerifyKey {
                kid: "k1".into(),
                alg: Algorithm::HS256,
                key: DecodingKey::from_secret(secret),
            }),
        );
        let misconfigured = TokenVerifier::new(ISS, AUD, 0, KeySource::Static(keys));
        assert_invalid(misconfigured.verify(&forged).await, "HS256-pinned key");
    }
}

#[actix_web::test]
async fn eddsa_key_with_a_header_saying_es256_fails() {
    let e = signer("ed", Algorithm::EdDSA);
    let v = static_verifier(&[&e]);
    let token = e.sign(&service_claims("svc-1", "admin")).unwrap();
    let (_, payload, sig) = parts(&token);
    for alg in ["ES256", "RS256", "PS256", "ES384"] {
        let header = b64_json(&json!({"alg": alg, "typ": "at+jwt", "kid": "ed"}));
        assert_invalid(v.verify(&format!("{header}.{payload}.{sig}")).await, alg);
    }
}

#[actix_web::test]
async fn tampered_payload_or_signature_fails() {
    let s = signer("k1", Algorithm::ES256);
    let v = static_verifier(&[&s]);
    let token = s.sign(&service_claims("svc-1", "read")).unwrap();
    let (header, _, sig) = parts(&token);
    let tampered = b64_json(&serde_json::to_value(service_claims("svc-1", "admin")).unwrap());
    assert_invalid(
        v.verify(&format!("{header}.{tampered}.{sig}")).await,
        "payload",
    );

    let mut bytes = URL_SAFE_NO_PAD.decode(&sig).unwrap();
    bytes[10] ^= 1;
    let (_, payload, _) = parts(&token);
    assert_invalid(
        v.verify(&format!("{header}.{payload}.{}", b64(&bytes)))
            .await,
        "signature",
    );

    // Another key with the same kid: a kid is a name, not a key.
    let impostor = signer("k1", Algorithm::ES256);
    assert_invalid(
        v.verify(&impostor.sign(&service_claims("svc-1", "admin")).unwrap())
            .await,
        "impostor",
    );
}
