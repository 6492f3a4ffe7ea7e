//! Offline verification of Castellan access tokens (RFC 9068 §4, RFC 8725).

use std::collections::HashMap;
use std::sync::Arc;

use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{decode, decode_header, Validation};

use crate::claims::AccessTokenClaims;
use crate::VerifyKey;

use super::jwks::RemoteJwks;
use super::AuthError;

/// Tokens longer than this are refused before any parsing (ours are well under 2 KiB).
pub const MAX_TOKEN_LEN: usize = 8192;
/// The largest clock-skew leeway accepted; larger values are clamped.
pub const MAX_LEEWAY_SECONDS: u64 = 3600;

/// What a `Future` boxed for a trait object looks like here.
pub type BoxFuture<'a, T> = std::pin::Pin<Box<dyn std::future::Future<Output = T> + Send + 'a>>;

/// Keys held in the same process as the verifier (the authorization server's own key ring).
pub trait LocalKeys: Send + Sync + 'static {
    /// The key with this kid; when it is not held, the holder may reload first. `Ok(None)`:
    /// unknown. `Err`: the keys could not be read (the words say why, never a secret).
    fn key_or_reload<'a>(
        &'a self,
        kid: &'a str,
    ) -> BoxFuture<'a, Result<Option<Arc<VerifyKey>>, String>>;
}

/// Where the verification keys come from.
pub enum KeySource {
    /// Keys held in process (the issuer's own key ring).
    Local(Arc<dyn LocalKeys>),
    /// A JWKS fetched over HTTP(S) and cached.
    Remote(Arc<RemoteJwks>),
    /// Keys pinned by configuration (or tests), by kid.
    Static(HashMap<String, Arc<VerifyKey>>),
}

impl KeySource {
    /// The key with this kid, wherever it comes from.
    pub async fn key(&self, kid: &str) -> Result<Option<Arc<VerifyKey>>, AuthError> {
        match self {
            // A kid of ours this node doesn't hold (a rotation on another node): reload first.
            KeySource::Local(ring) => ring
                .key_or_reload(kid)
                .await
                .map_err(AuthError::Unavailable),
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

/// Verifies access tokens for one issuer and one audience (or, for introspection, any).
pub struct TokenVerifier {
    issuer: String,
    audience: String,
    check_audience: bool,
    leeway: u64,
    keys: Arc<KeySource>,
    /// The longest lifetime (`exp - iat`) the issuer gives a token, when known.
    max_lifetime: Option<u64>,
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
        crate::provider::install();
        TokenVerifier {
            issuer: issuer.into(),
            audience: audience.into(),
            check_audience: true,
            leeway: leeway_seconds.min(MAX_LEEWAY_SECONDS),
            keys: Arc::new(keys),
            max_lifetime: None,
        }
    }

    /// Also refuses tokens whose lifetime (`exp - iat`) exceeds `seconds` plus the leeway: the
    /// issuer never mints them, so one is forged or minted with a stolen key.
    pub fn with_max_lifetime(mut self, seconds: u64) -> Self {
        self.max_lifetime = Some(seconds);
        self
    }

    /// A verifier for tokens of `issuer` meant for any audience: for the authorization
    /// server's own introspection and revocation endpoints (RFC 7662, RFC 7009), never for a
    /// resource server. Every other check is the same as [`TokenVerifier::new`]'s; its
    /// [`audience`](TokenVerifier::audience) is empty.
    pub fn any_audience(issuer: impl Into<String>, leeway_seconds: u64, keys: KeySource) -> Self {
        TokenVerifier {
            check_audience: false,
            ..Self::new(issuer, "", leeway_seconds, keys)
        }
    }

    /// Where its keys come from (shared with a [`RevocationFeed`](crate::RevocationFeed), whose
    /// lists are signed by the same keys).
    pub fn keys(&self) -> &Arc<KeySource> {
        &self.keys
    }

    /// The leeway on time claims, in seconds.
    pub fn leeway(&self) -> u64 {
        self.leeway
    }

    /// The issuer tokens must name.
    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    /// The audience tokens must include (empty for an [`any_audience`](Self::any_audience)
    /// verifier).
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
        validation.validate_aud = self.check_audience;
        validation.set_issuer(&[self.issuer.as_str()]);
        if self.check_audience {
            validation.set_audience(&[self.audience.as_str()]);
        }
        validation.set_required_spec_claims(&["exp", "nbf", "iss", "aud", "sub"]);

        let data = decode::<AccessTokenClaims>(token, &key.key, &validation)
            .map_err(|e| AuthError::InvalidToken(describe(e.kind())))?;
        let claims = data.claims;
        // Checked again on the typed claims: exact issuer (RFC 9068 §4 step 3), audience
        // (step 4), whatever jsonwebtoken accepts in other shapes.
        if claims.iss != self.issuer {
            return Err(invalid("the token was issued by another issuer"));
        }
        if self.check_audience && !claims.aud.contains(&self.audience) {
            return Err(invalid("the token is not meant for this audience"));
        }
        self.check_times(&claims, chrono::Utc::now().timestamp())?;
        Ok(VerifiedToken {
            claims,
            kid: key.kid.clone(),
        })
    }
}

impl TokenVerifier {
    /// CONTRACT (time claims): a token issued later than now plus leeway, or living longer than
    /// the maximum lifetime plus leeway, is refused.
    fn check_times(&self, claims: &AccessTokenClaims, now: i64) -> Result<(), AuthError> {
        let leeway = i64::try_from(self.leeway).unwrap_or(i64::MAX);
        if claims.iat > now.saturating_add(leeway) {
            return Err(invalid("the token was issued in the future (iat)"));
        }
        if let Some(max) = self.max_lifetime {
            let max = i64::try_from(max)
                .unwrap_or(i64::MAX)
                .saturating_add(leeway);
            if claims.exp.saturating_sub(claims.iat) > max {
                return Err(invalid("the token lives longer than the issuer allows"));
            }
        }
        Ok(())
    }
}
