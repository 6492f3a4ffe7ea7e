//! An any-audience verifier (introspection and revocation) checks everything else the same.

use jsonwebtoken::Algorithm;

use super::super::{AuthError, KeySource, TokenVerifier};
use super::{service_claims, signer, verify_key, ISS};
use crate::resource::claims::Audience;

fn verifier(s: &crate::keys::Signer) -> TokenVerifier {
    let keys = [(s.kid().to_string(), verify_key(s))].into_iter().collect();
    TokenVerifier::any_audience(ISS, 0, KeySource::Static(keys))
}

#[actix_web::test]
async fn any_audience_accepts_every_audience_and_nothing_else_changes() {
    let s = signer("k1", Algorithm::ES256);
    let v = verifier(&s);
    assert_eq!(v.audience(), "");
    let mut claims = service_claims("svc-1", "read");
    claims.aud = Audience::Many(vec!["https://api.example".into(), "urn:b".into()]);
    assert!(v.verify(&s.sign(&claims).unwrap()).await.is_ok());

    let mut foreign = claims.clone();
    foreign.iss = "https://issuer.example/other".into();
    assert!(matches!(
        v.verify(&s.sign(&foreign).unwrap()).await,
        Err(AuthError::InvalidToken(_))
    ));
    let other = signer("k1", Algorithm::ES256);
    assert!(matches!(
        v.verify(&other.sign(&claims).unwrap()).await,
        Err(AuthError::InvalidToken(_))
    ));
}

#[actix_web::test]
async fn any_audience_still_requires_an_aud_claim() {
    let s = signer("k1", Algorithm::ES256);
    let mut claims = serde_json::to_value(service_claims("svc-1", "read")).unwrap();
    claims.as_object_mut().unwrap().remove("aud");
    assert!(matches!(
        verifier(&s).verify(&s.sign(&claims).unwrap()).await,
        Err(AuthError::InvalidToken(_))
    ));
}
