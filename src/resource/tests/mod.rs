//! Tests of the resource-server module. Keys are made in process: no database.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod any_audience;
mod extract;
mod issuer;
mod jwks;
mod outside;
mod outside_cache;
mod verify;

use std::collections::HashMap;
use std::sync::Arc;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use jsonwebtoken::Algorithm;

use super::{parse_key, KeySource, TokenVerifier};
use crate::keys::signer::{generate_pkcs8, Signer};
use crate::keys::VerifyKey;
use crate::resource::claims::{AccessTokenClaims, Audience, SERVICE_ACCOUNT, USER};

pub(super) const ISS: &str = "https://issuer.example";
pub(super) const AUD: &str = "urn:castellan:admin";

pub(super) fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

pub(super) fn signer(kid: &str, alg: Algorithm) -> Signer {
    Signer::from_pkcs8(kid, alg, &generate_pkcs8(alg).unwrap()).unwrap()
}

/// The verification key a relying party would build from the signer's published JWK.
pub(super) fn verify_key(signer: &Signer) -> Arc<VerifyKey> {
    Arc::new(parse_key(signer.public_jwk()).unwrap())
}

pub(super) fn static_verifier(signers: &[&Signer]) -> TokenVerifier {
    let keys: HashMap<_, _> = signers
        .iter()
        .map(|s| (s.kid().to_string(), verify_key(s)))
        .collect();
    TokenVerifier::new(ISS, AUD, 0, KeySource::Static(keys))
}

/// A service account's claims, valid now for five minutes.
pub(super) fn service_claims(client_id: &str, scope: &str) -> AccessTokenClaims {
    let t = now();
    AccessTokenClaims {
        iss: ISS.into(),
        sub: client_id.into(),
        aud: Audience::One(AUD.into()),
        exp: t + 300,
        iat: t,
        nbf: t,
        jti: format!("jti-{client_id}-{t}"),
        client_id: client_id.into(),
        scope: scope.into(),
        principal_type: SERVICE_ACCOUNT.into(),
        org_id: Some("00000000-0000-0000-0000-000000000000".into()),
        act: None,
    }
}

/// A user's claims, valid now, issued through the client `web-app`.
pub(super) fn user_claims(username: &str, scope: &str) -> AccessTokenClaims {
    AccessTokenClaims {
        sub: username.into(),
        client_id: "web-app".into(),
        principal_type: USER.into(),
        ..service_claims("web-app", scope)
    }
}

pub(super) fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

pub(super) fn b64_json(value: &serde_json::Value) -> String {
    b64(value.to_string().as_bytes())
}

/// The three parts of a compact JWS.
pub(super) fn parts(token: &str) -> (String, String, String) {
    let mut it = token.split('.').map(str::to_string);
    (it.next().unwrap(), it.next().unwrap(), it.next().unwrap())
}
