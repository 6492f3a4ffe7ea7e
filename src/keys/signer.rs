//! A signing key held in memory, parsed once: the token endpoint signs with it directly
//! (jsonwebtoken's `encode` would re-parse the key on every call).

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use jsonwebtoken::Algorithm;
use ring::rand::SystemRandom;
use ring::signature::{self as sig, KeyPair};
use serde::Serialize;
use serde_json::json;

use super::KeyError;

enum Pair {
    Es256(sig::EcdsaKeyPair),
    EdDsa(sig::Ed25519KeyPair),
    Rs256(sig::RsaKeyPair),
}

/// A private key ready to sign, with its kid and the JWS header prefix made once.
pub struct Signer {
    kid: String,
    alg: Algorithm,
    pair: Pair,
    rng: SystemRandom,
    /// base64url of the JWS header, followed by '.'.
    header_prefix: String,
}

impl std::fmt::Debug for Signer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Signer")
            .field("kid", &self.kid)
            .field("alg", &self.alg)
            .finish()
    }
}

/// The algorithm names Castellan signs with.
pub fn parse_alg(name: &str) -> Result<Algorithm, KeyError> {
    match name {
        "ES256" => Ok(Algorithm::ES256),
        "EdDSA" => Ok(Algorithm::EdDSA),
        "RS256" => Ok(Algorithm::RS256),
        other => Err(KeyError::Config(format!(
            "unsupported signing algorithm {other:?}"
        ))),
    }
}

/// The name of an algorithm, as in JWS headers.
pub fn alg_name(alg: Algorithm) -> &'static str {
    match alg {
        Algorithm::ES256 => "ES256",
        Algorithm::EdDSA => "EdDSA",
        Algorithm::RS256 => "RS256",
        Algorithm::ES384 => "ES384",
        Algorithm::RS384 => "RS384",
        Algorithm::RS512 => "RS512",
        Algorithm::PS256 => "PS256",
        Algorithm::PS384 => "PS384",
        Algorithm::PS512 => "PS512",
        Algorithm::HS256 => "HS256",
        Algorithm::HS384 => "HS384",
        Algorithm::HS512 => "HS512",
        _ => "unsupported",
    }
}

/// Generates a new PKCS#8 private key (ring cannot generate RSA keys: those are imported).
pub fn generate_pkcs8(alg: Algorithm) -> Result<Vec<u8>, KeyError> {
    let rng = SystemRandom::new();
    match alg {
        Algorithm::ES256 => {
            sig::EcdsaKeyPair::generate_pkcs8(&sig::ECDSA_P256_SHA256_FIXED_SIGNING, &rng)
                .map(|d| d.as_ref().to_vec())
                .map_err(|_| KeyError::Crypto("ES256 key generation"))
        }
        Algorithm::EdDSA => sig::Ed25519KeyPair::generate_pkcs8(&rng)
            .map(|d| d.as_ref().to_vec())
            .map_err(|_| KeyError::Crypto("Ed25519 key generation")),
        _ => Err(KeyError::Config(
            "ring cannot generate RSA keys: configure signing.rsa_private_key_file".into(),
        )),
    }
}

/// Reads a PKCS#8 RSA private key from PEM or DER.
pub fn read_rsa_pkcs8(bytes: &[u8]) -> Result<Vec<u8>, KeyError> {
    let der = match pem::parse(bytes) {
        Ok(p) if p.tag() == "PRIVATE KEY" => p.contents().to_vec(),
        Ok(p) => {
            return Err(KeyError::Config(format!(
                "expected a PKCS#8 \"PRIVATE KEY\" PEM block, found {:?}",
                p.tag()
            )))
        }
        Err(_) => bytes.to_vec(),
    };
    sig::RsaKeyPair::from_pkcs8(&der).map_err(|e| KeyError::Config(format!("RSA key: {e}")))?;
    Ok(der)
}

impl Signer {
    /// Parses a PKCS#8 private key once.
    pub fn from_pkcs8(kid: &str, alg: Algorithm, pkcs8: &[u8]) -> Result<Self, KeyError> {
        let rng = SystemRandom::new();
        let pair = match alg {
            Algorithm::ES256 => Pair::Es256(
                sig::EcdsaKeyPair::from_pkcs8(&sig::ECDSA_P256_SHA256_FIXED_SIGNING, pkcs8, &rng)
                    .map_err(|_| KeyError::Crypto("ES256 key does not parse"))?,
            ),
            Algorithm::EdDSA => Pair::EdDsa(
                sig::Ed25519KeyPair::from_pkcs8_maybe_unchecked(pkcs8)
                    .map_err(|_| KeyError::Crypto("Ed25519 key does not parse"))?,
            ),
            Algorithm::RS256 => Pair::Rs256(
                sig::RsaKeyPair::from_pkcs8(pkcs8)
                    .map_err(|_| KeyError::Crypto("RSA key does not parse"))?,
            ),
            _ => return Err(KeyError::Config("unsupported signing algorithm".into())),
        };
        let header = json!({"alg": alg_name(alg), "typ": "at+jwt", "kid": kid});
        let header_prefix = format!("{}.", URL_SAFE_NO_PAD.encode(header.to_string()));
        Ok(Signer {
            kid: kid.to_string(),
            alg,
            pair,
            rng,
            header_prefix,
        })
    }

    /// The key id.
    pub fn kid(&self) -> &str {
        &self.kid
    }

    /// The algorithm.
    pub fn alg(&self) -> Algorithm {
        self.alg
    }

    /// The public key as a JWK (RFC 7517), with `kid`, `alg` and `use: sig`; never a private part.
    pub fn public_jwk(&self) -> serde_json::Value {
        let b64 = |b: &[u8]| URL_SAFE_NO_PAD.encode(b);
        match &self.pair {
            Pair::Es256(p) => {
                let public = p.public_key().as_ref();
                json!({"kty": "EC", "crv": "P-256", "x": b64(&public[1..33]), "y": b64(&public[33..65]),
                       "kid": self.kid, "alg": "ES256", "use": "sig"})
            }
            Pair::EdDsa(p) => {
                json!({"kty": "OKP", "crv": "Ed25519", "x": b64(p.public_key().as_ref()),
                                      "kid": self.kid, "alg": "EdDSA", "use": "sig"})
            }
            Pair::Rs256(p) => {
                let public = sig::RsaPublicKeyComponents::<Vec<u8>>::from(p.public());
                json!({"kty": "RSA",
                       "n": b64(&public.n),
                       "e": b64(&public.e),
                       "kid": self.kid, "alg": "RS256", "use": "sig"})
            }
        }
    }

    /// Signs `claims` as a compact JWS with header `{alg, typ: "at+jwt", kid}`.
    pub fn sign<C: Serialize>(&self, claims: &C) -> Result<String, KeyError> {
        self.sign_after(&self.header_prefix, claims)
    }

    /// Signs `claims` with another `typ` in the header (the revocation list's
    /// `revocations+jwt`), so that no such document can pass for an access token.
    pub fn sign_as<C: Serialize>(&self, typ: &str, claims: &C) -> Result<String, KeyError> {
        let header = json!({"alg": alg_name(self.alg), "typ": typ, "kid": self.kid});
        let prefix = format!("{}.", URL_SAFE_NO_PAD.encode(header.to_string()));
        self.sign_after(&prefix, claims)
    }

    fn sign_after<C: Serialize>(
        &self,
        header_prefix: &str,
        claims: &C,
    ) -> Result<String, KeyError> {
        let payload =
            serde_json::to_vec(claims).map_err(|_| KeyError::Crypto("claims do not serialize"))?;
        let mut out = String::with_capacity(header_prefix.len() + payload.len() * 4 / 3 + 128);
        out.push_str(header_prefix);
        URL_SAFE_NO_PAD.encode_string(&payload, &mut out);
        let signature = match &self.pair {
            Pair::Es256(p) => p
                .sign(&self.rng, out.as_bytes())
                .map_err(|_| KeyError::Crypto("sign"))?
                .as_ref()
                .to_vec(),
            Pair::EdDsa(p) => p.sign(out.as_bytes()).as_ref().to_vec(),
            Pair::Rs256(p) => {
                let mut sig_buf = vec![0; p.public().modulus_len()];
                p.sign(
                    &sig::RSA_PKCS1_SHA256,
                    &self.rng,
                    out.as_bytes(),
                    &mut sig_buf,
                )
                .map_err(|_| KeyError::Crypto("sign"))?;
                sig_buf
            }
        };
        out.push('.');
        URL_SAFE_NO_PAD.encode_string(&signature, &mut out);
        Ok(out)
    }
}
