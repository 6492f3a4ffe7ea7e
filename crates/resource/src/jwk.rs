//! Reading a JWK set into keys pinned to their own algorithm (RFC 7517, RFC 8725 §3.1).

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use jsonwebtoken::jwk::{AlgorithmParameters, EllipticCurve, Jwk, PublicKeyUse};
use jsonwebtoken::{Algorithm, AlgorithmFamily, DecodingKey};
use serde::Deserialize;

use super::JwksError;
use crate::VerifyKey;

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
    if let AlgorithmParameters::RSA(p) = &jwk.algorithm {
        // ring verifies RSA signatures only for these keys; any other would fail every check.
        if !RSA_MODULUS_BITS.contains(&rsa_modulus_bits(&p.n)?) || !rsa_exponent_ok(&p.e) {
            return None;
        }
    }
    let key = DecodingKey::from_jwk(&jwk).ok()?;
    if key.family() != alg.family() {
        return None;
    }
    Some(VerifyKey { kid, alg, key })
}

/// The RSA modulus sizes ring verifies (`RSA_PKCS1_2048_8192_*`, `RSA_PSS_2048_8192_*`).
pub const RSA_MODULUS_BITS: std::ops::RangeInclusive<usize> = 2048..=8192;

/// The size in bits of an RSA modulus given as a JWK `n` (base64url, big-endian), or `None`
/// when it is not base64url.
pub fn rsa_modulus_bits(n: &str) -> Option<usize> {
    let bytes = URL_SAFE_NO_PAD.decode(n.trim_end_matches('=')).ok()?;
    let first = bytes.iter().position(|b| *b != 0)?;
    let top = bytes.get(first)?;
    Some((bytes.len() - first - 1) * 8 + (8 - top.leading_zeros() as usize))
}

/// An RSA public exponent ring accepts: odd, at least 3, below 2^33.
fn rsa_exponent_ok(e: &str) -> bool {
    let Ok(bytes) = URL_SAFE_NO_PAD.decode(e.trim_end_matches('=')) else {
        return false;
    };
    let digits: Vec<u8> = bytes.into_iter().skip_while(|b| *b == 0).collect();
    if digits.len() > 5 {
        return false;
    }
    let value = digits
        .iter()
        .fold(0u64, |acc, b| (acc << 8) | u64::from(*b));
    value >= 3 && value % 2 == 1 && value < (1u64 << 33)
}

#[cfg(test)]
mod rsa_tests {
    use super::*;

    #[test]
    fn rsa_moduli_are_measured_in_bits_and_exponents_checked_as_ring_does() {
        let encode = |bytes: &[u8]| URL_SAFE_NO_PAD.encode(bytes);
        let mut n = vec![0u8; 256];
        n[0] = 0x80;
        assert_eq!(rsa_modulus_bits(&encode(&n)), Some(2048));
        n[0] = 0x01;
        assert_eq!(rsa_modulus_bits(&encode(&n)), Some(2041));
        assert_eq!(rsa_modulus_bits(&encode(&[0, 0, 0xff])), Some(8));
        assert_eq!(rsa_modulus_bits("not base64!"), None);
        assert!(rsa_exponent_ok("AQAB"));
        assert!(!rsa_exponent_ok(&encode(&[1])));
        assert!(!rsa_exponent_ok(&encode(&[4])));
        assert!(!rsa_exponent_ok(&encode(&[2, 0, 0, 0, 1])));
    }
}
