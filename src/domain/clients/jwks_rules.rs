//! What makes a client's JWKS acceptable: usable public signing keys only.

/// What is wrong with a client's JWKS: it must hold at least one usable public signing key
/// with `kid` and `alg`, and no private key material at all.
pub fn check_jwks(jwks: &serde_json::Value) -> Vec<String> {
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use base64::Engine;
    use jsonwebtoken::Algorithm as A;
    const PRIVATE: &[&str] = &["d", "p", "q", "dp", "dq", "qi", "k", "oth"];
    let Some(keys) = jwks.get("keys").and_then(|k| k.as_array()) else {
        return vec!["jwks must be a JWKS document: {\"keys\": [...]}".into()];
    };
    if keys
        .iter()
        .any(|k| PRIVATE.iter().any(|m| k.get(*m).is_some()))
    {
        return vec!["jwks holds private key material: publish public keys only".into()];
    }
    if keys.is_empty() {
        return vec!["jwks has no keys".into()];
    }
    let field = |key: &serde_json::Value, name: &str| {
        key.get(name).and_then(|v| v.as_str()).map(str::to_string)
    };
    let bytes = |key: &serde_json::Value, name: &str| {
        field(key, name)
            .and_then(|v| URL_SAFE_NO_PAD.decode(v.trim_end_matches('=')).ok())
            .map_or(0, |b| b.len())
    };
    let mut problems = Vec::new();
    for (i, key) in keys.iter().enumerate() {
        let name = field(key, "kid").map_or_else(|| format!("#{}", i + 1), |k| format!("{k:?}"));
        let Some(parsed) = crate::resource::parse_key(key.clone()) else {
            let bits = field(key, "n").and_then(|n| crate::resource::rsa_modulus_bits(&n));
            problems.push(match bits {
                Some(bits) if !crate::resource::RSA_MODULUS_BITS.contains(&bits) => format!(
                    "jwks key {name}: an RSA key must have 2048 to 8192 bits, this one has {bits}"
                ),
                _ => format!(
                    "jwks key {name} is not a usable public signing key: it needs a kid, an alg \
                     (not HS*), use \"sig\" if any, and a key type and curve that fit the alg"
                ),
            });
            continue;
        };
        let fits = match parsed.alg {
            A::ES256 => bytes(key, "x") == 32 && bytes(key, "y") == 32,
            A::EdDSA => bytes(key, "x") == 32,
            A::RS256 | A::RS384 | A::RS512 | A::PS256 | A::PS384 | A::PS512 => true,
            _ => {
                problems.push(format!(
                    "jwks key {name}: only ES256 (P-256), EdDSA (Ed25519) and RSA keys \
                     (RS256..PS512, at least 2048 bits) are accepted"
                ));
                continue;
            }
        };
        if !fits {
            problems.push(format!(
                "jwks key {name}: the public key has the wrong length"
            ));
        }
    }
    if problems.is_empty() {
        let parsed = crate::resource::parse_jwks(jwks.to_string().as_bytes());
        if parsed.map_or(true, |p| p.len() != keys.len()) {
            problems.push("jwks names a kid more than once".into());
        }
    }
    problems
}
