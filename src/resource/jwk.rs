//! Reading a JWK set into keys pinned to their own algorithm (RFC 7517, RFC 8725 §3.1).

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use jsonwebtoken::jwk::{AlgorithmParameters, EllipticCurve, Jwk, PublicKeyUse};
use jsonwebtoken::{Algorithm, AlgorithmFamily, DecodingKey};
use serde::Deserialize;

use super::JwksError;
use crate::keys::VerifyKey;

#[derive(Deserialize)]
struct JwkSet {
    keys: Vec<serde_json::Value>,
}

/// Parses a JWK set into keys by kid. Keys without a kid or an `alg`, with an HMAC or unknown
/// `alg`, with a `use` other than `sig`, or whose key type or curve does not fit their `alg`
/// are skipped; a kid given twice is dropped, as it can't say which key it means.
pub fn parse_jwks(document: &[u8]) -> Result<HashMap<String, Arc<VerifyKey>>, JwksError> {
    let set: JwkSet = serde_json::from_slice(document)
        .map_err(|_| JwksError::Document("not a JSON object with a keys array".into()))?;
    let mut keys = HashMap::new();
    let mut twice = HashSet::new();
    for value in set.keys {
        let Some(key) = parse_key(value) else {
            continue;
        };
        if keys.contains_key(&key.kid) {
            twice.insert(key.kid.clone());
        } else {
            keys.insert(key.kid.clone(), Arc::new(key));
        }
    }
    for kid in twice {
        log::warn!("the JWKS names the kid {kid:?} twice: ignoring it");
        keys.remove(&kid);
    }
    Ok(keys)
}

/// One JWK as a key pinned to its own `alg` (RFC 8725 §3.1), or `None` when unusable.
pub fn parse_key(value: serde_json::Value) -> Option<VerifyKey> {
    let jwk: Jwk = serde_json::from_value(value).ok()?;
    let kid = jwk.common.key_id.clone().filter(|k| !k.is_empty())?;
    if matches!(&jwk.common.public_key_use, Some(u) if *u != PublicKeyUse::Signature) {
        return None;
    }
    let alg = Algorithm::try_from(jwk.common.key_algorithm?).ok()?;
    if alg.family() == AlgorithmFamily::Hmac {
        return None;
    }
    let curve_ok = match (&jwk.algorithm, alg) {
        (AlgorithmParameters::EllipticCurve(p), Algorithm::ES256) => p.curve == EllipticCurve::P256,
        (AlgorithmParameters::EllipticCurve(p), Algorithm::ES384) => p.curve == EllipticCurve::P384,
        (AlgorithmParameters::OctetKeyPair(p), Algorithm::EdDSA) => {
            p.curve == EllipticCurve::Ed25519
        }
        (AlgorithmParameters::RSA(_), _) => alg.family() == AlgorithmFamily::Rsa,
        _ => false,
    };
    if !curve_ok {
        return None;
    }
    let key = DecodingKey::from_jwk(&jwk).ok()?;
    if key.family() != alg.family() {
        return None;
    }
    Some(VerifyKey { kid, alg, key })
}
