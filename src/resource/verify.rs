//! Offline verification of Castellan access tokens (RFC 9068 §4, RFC 8725).

use std::collections::HashMap;
use std::sync::Arc;

use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{decode, decode_header, Validation};

use crate::keys::{KeyRing, VerifyKey};
use crate::oauth::claims::AccessTokenClaims;

use super::jwks::RemoteJwks;
use super::AuthError;

/// Tokens longer than this are refused before any parsing (ours are well under 2 KiB).
pub const MAX_TOKEN_LEN: usize = 8192;
/// The largest clock-skew leeway accepted; larger values are clamped.
pub const MAX_LEEWAY_SECONDS: u64 = 3600;

/// Where the verification keys come from.
pub enum KeySource {
    /// The issuer's own key ring, in process.
    Local(Arc<KeyRing>),
    /// A JWKS fetched over HTTP(S) and cached.
    Remote(Arc<RemoteJwks>),
    /// Keys pinned by configuration (or tests), by kid.
    Static(HashMap<String, Arc<VerifyKey>>),
}

impl KeySource {
    async fn key(&self, kid: &str) -> Result<Option<Arc<VerifyKey>>, AuthError> {
        match self {
            KeySource::Local(ring) => Ok(ring.verifier(kid)),
            KeySource::Static(keys) => Ok(keys.get(kid).cloned()),
            KeySource::Remote(jwks) => jwks
                .key(kid)
                .await
                .map_err(|e| AuthError::Unavailable(e.to_string())),
        }
    }
}

/// A token whose signature and claims checked out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedToken {
    /// Its claims.
    pub claims: AccessTokenClaims,
    /// The kid of the key that verified it.
    pub kid: String,
}

/// Verifies access tokens for one issuer and one audience.
pub struct TokenVerifier {
    issuer: String,
    audience: String,
    leeway: u64,
    keys: KeySource,
}

fn invalid(description: &str) -> AuthError {
    AuthError::InvalidToken(description.to_string())
}

/// What went wrong, in words that never repeat the token.
fn describe(kind: &ErrorKind) -> String {
    match kind {
        ErrorKind::ExpiredSignature => "the token has expired".into(),
        ErrorKind::ImmatureSignature => "the token is not valid yet (nbf)".into(),
        ErrorKind::InvalidIssuer => "the token was issued by another issuer".into(),
        ErrorKind::InvalidAudience => "the token is not meant for this audience".into(),
        ErrorKind::MissingRequiredClaim(claim) => format!("the token lacks the claim {claim}"),
        ErrorKind::InvalidClaimFormat(claim) => format!("the token's {claim} claim is malformed"),
        ErrorKind::InvalidSignature => "the token's signature does not verify".into(),
        ErrorKind::InvalidAlgorithm | ErrorKind::MissingAlgorithm => {
            "the token's algorithm is not the one its key is pinned to".into()
        }
        ErrorKind::Json(_) => "the token's claims are missing or malformed".into(),
        _ => "the token is malformed".into(),
    }
}

impl TokenVerifier {
    /// A verifier for tokens of `issuer` meant for `audience`, allowing `leeway_seconds` of
    /// clock skew on `exp` and `nbf` (clamped to [`MAX_LEEWAY_SECONDS`]). Installs the ring
    /// crypto provider if none is installed yet.
    pub fn new(
        issuer: impl Into<String>,
        audience: impl Into<String>,
        leeway_seconds: u64,
        keys: KeySource,
    ) -> Self {
        crate::keys::provider::install();
        TokenVerifier {
            issuer: issuer.into(),
            audience: audience.into(),
            leeway: leeway_seconds.min(MAX_LEEWAY_SECONDS),
            keys,
        }
    }

    /// The issuer tokens must name.
    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    /// The audience tokens must include.
    pub fn audience(&self) -> &str {
        &self.audience
    }

    /// Checks the token's header, signature and claims. The algorithm is the one the key is
    /// pinned to, never the header's alone (RFC 8725 §3.1).
    pub async fn verify(&self, token: &str) -> Result<VerifiedToken, AuthError> {
        if token.is_empty() || token.len() > MAX_TOKEN_LEN {
            return Err(invalid("the token is empty or too long"));
        }
        let header =
            decode_header(token).map_err(|e| AuthError::InvalidToken(describe(e.kind())))?;
        // RFC 9068 §4: the resource server MUST check typ, so an ID token or another JWT signed
        // by the same key can't pass as an access token (RFC 8725 §3.11).
        let typ_ok = header.typ.as_deref().is_some_and(|t| {
            t.eq_ignore_ascii_case("at+jwt") || t.eq_ignore_ascii_case("application/at+jwt")
        });
        if !typ_ok {
            return Err(invalid(
                "the token is not an access token (typ must be at+jwt)",
            ));
        }
        // RFC 7515 §4.1.11: we understand no extension, so any crit header must fail.
        if header.crit.is_some() {
            return Err(invalid(
                "the token has critical header parameters we don't understand",
            ));
        }
        let kid = match header.kid {
            Some(kid) if !kid.is_empty() => kid,
            _ => return Err(invalid("the token has no kid")),
        };
        let key = self
            .keys
            .key(&kid)
            .await?
            .ok_or_else(|| invalid("the token was signed by an unknown key"))?;

        let mut validation = Validation::new(key.alg);
        validation.leeway = self.leeway;
        validation.validate_exp = true;
        validation.validate_nbf = true;
        validation.validate_aud = true;
        validation.set_issuer(&[self.issuer.as_str()]);
        validation.set_audience(&[self.audience.as_str()]);
        validation.set_required_spec_claims(&["exp", "nbf", "iss", "aud", "sub"]);

        let data = decode::<AccessTokenClaims>(token, &key.key, &validation)
            .map_err(|e| AuthError::InvalidToken(describe(e.kind())))?;
        let claims = data.claims;
        // Checked again on the typed claims: exact issuer (RFC 9068 §4 step 3), audience
        // (step 4), whatever jsonwebtoken accepts in other shapes.
        if claims.iss != self.issuer {
            return Err(invalid("the token was issued by another issuer"));
        }
        if !claims.aud.contains(&self.audience) {
            return Err(invalid("the token is not meant for this audience"));
        }
        Ok(VerifiedToken {
            claims,
            kid: key.kid.clone(),
        })
    }
}
