//! Credentials and tokens on the wire: `Basic` encoding, JWT parts read without verifying, and
//! verification against a published JWKS.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use castellan::oauth::claims::AccessTokenClaims;
use serde_json::Value;

pub fn verify_with_jwks(
    jwks: &Value,
    token: &str,
    issuer: &str,
    audience: &str,
) -> Result<AccessTokenClaims, String> {
    let header = jsonwebtoken::decode_header(token).map_err(|e| e.to_string())?;
    let kid = header.kid.ok_or("no kid")?;
    let jwk_value = jwks["keys"]
        .as_array()
        .and_then(|keys| keys.iter().find(|k| k["kid"] == kid.as_str()))
        .ok_or("kid not in the JWKS")?;
    let jwk: jsonwebtoken::jwk::Jwk =
        serde_json::from_value(jwk_value.clone()).map_err(|e| e.to_string())?;
    let alg: jsonwebtoken::Algorithm = jwk_value["alg"]
        .as_str()
        .ok_or("no alg")?
        .parse()
        .map_err(|_| "bad alg")?;
    let key = jsonwebtoken::DecodingKey::from_jwk(&jwk).map_err(|e| e.to_string())?;
    let mut validation = jsonwebtoken::Validation::new(alg);
    validation.set_issuer(&[issuer]);
    validation.set_audience(&[audience]);
    validation.set_required_spec_claims(&["exp", "nbf", "iss", "aud", "sub"]);
    validation.validate_nbf = true;
    jsonwebtoken::decode::<AccessTokenClaims>(token, &key, &validation)
        .map(|d| d.claims)
        .map_err(|e| e.to_string())
}

/// `Basic` credentials with the form-urlencoding of RFC 6749 §2.3.1.
pub fn basic(id: &str, secret: &str) -> String {
    let enc = |s: &str| form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
    let raw = format!("{}:{}", enc(id), enc(secret));
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(raw)
    )
}

/// Decodes a JWT part without verifying (to look at what a test is about to check).
pub fn jwt_part(token: &str, index: usize) -> Value {
    let part = token.split('.').nth(index).expect("part");
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(part).expect("base64")).expect("json")
}
