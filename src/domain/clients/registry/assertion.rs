//! Client assertions (RFC 7523 §2.2, §3) against the registry's keys, and this node's memory
//! of the ones already used.

use std::sync::Arc;

use chrono::{DateTime, Utc};

use super::AuthMethod;
use super::{CachedClient, ClientRegistry};
use crate::keys::VerifyKey;

/// Clock skew allowed on a client assertion's `exp`/`nbf`, seconds.
pub const ASSERTION_LEEWAY_SECONDS: u64 = 60;
/// How far ahead a client assertion's `exp` may be (RFC 7523 §3 lets us refuse "unreasonably
/// far" expiries; it also bounds the replay cache).
pub const MAX_ASSERTION_LIFETIME_SECONDS: i64 = 3600;

/// Longest `jti` accepted, bytes: it is stored, one row per assertion, until it expires.
pub const MAX_JTI_BYTES: usize = 256;

/// The claims of a client assertion this registry reads.
#[derive(Debug, serde::Deserialize)]
struct AssertionClaims {
    sub: String,
    exp: i64,
    nbf: Option<i64>,
    iat: Option<i64>,
    #[serde(default)]
    jti: String,
}

/// A client assertion that passed every check but the replay check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedAssertion {
    /// Its `jti`.
    pub jti: String,
    /// The last instant it is accepted (`exp` plus the leeway): its use must be remembered
    /// until then.
    pub accepted_until: DateTime<Utc>,
}

impl ClientRegistry {
    /// Authenticates a client by a `private_key_jwt` assertion on this node: verified (see
    /// [`Self::verify_assertion`]) and its `jti` not seen here before. The deployment-wide
    /// replay check (`crate::oauth::client_auth`) must follow.
    pub fn authenticate_assertion(
        &self,
        client_id: &str,
        assertion: &str,
        audiences: &[String],
        now: DateTime<Utc>,
    ) -> Option<Arc<CachedClient>> {
        let (client, verified) =
            self.verify_assertion(client_id, assertion, None, audiences, now)?;
        self.first_sight(client_id, &verified, now)
            .then_some(client)
    }

    /// Verifies a `private_key_jwt` assertion (RFC 7523 §2.2, §3): signed by one of the
    /// client's registered keys with that key's algorithm (never the header's alone), `iss`
    /// and `sub` the client_id, `aud` one of `audiences` (our issuer or token endpoint), `exp`
    /// present, not past and at most an hour ahead, `nbf` and `iat` not in the future, `jti`
    /// present (the caller checks it for replay). Only active clients registered for
    /// `private_key_jwt` pass. Times are judged against `now`, with
    /// [`ASSERTION_LEEWAY_SECONDS`] for clock skew.
    pub fn verify_assertion(
        &self,
        client_id: &str,
        assertion: &str,
        fetched: Option<Arc<VerifyKey>>,
        audiences: &[String],
        now: DateTime<Utc>,
    ) -> Option<(Arc<CachedClient>, VerifiedAssertion)> {
        let client = self.get(client_id)?;
        if client.auth_method != AuthMethod::PrivateKeyJwt || !client.active {
            return None;
        }
        let header = jsonwebtoken::decode_header(assertion).ok()?;
        // A client registered with a jwks_uri: the key the caller fetched for the header's kid
        // (from the outside-keys cache), and only that.
        let fetched_key;
        let key = if client.assertion_jwks_uri.is_some() {
            fetched_key = fetched.filter(|k| header.kid.as_deref() == Some(k.kid.as_str()))?;
            &fetched_key
        } else {
            match header.kid.as_deref() {
                Some(kid) => client.assertion_keys.get(kid)?,
                // Without a kid, only a client with a single key is unambiguous.
                None if client.assertion_keys.len() == 1 => {
                    client.assertion_keys.values().next()?
                }
                None => return None,
            }
        };
        let mut validation = jsonwebtoken::Validation::new(key.alg);
        validation.set_issuer(&[client_id]);
        validation.set_audience(audiences);
        validation.set_required_spec_claims(&["exp", "iss", "sub", "aud"]);
        // The times are checked below against `now`, not the library's own clock.
        validation.validate_exp = false;
        validation.validate_nbf = false;
        let claims = jsonwebtoken::decode::<AssertionClaims>(assertion, &key.key, &validation)
            .ok()?
            .claims;
        if claims.sub != client_id || claims.jti.is_empty() || claims.jti.len() > MAX_JTI_BYTES {
            return None;
        }
        let now_s = now.timestamp();
        let leeway = ASSERTION_LEEWAY_SECONDS as i64;
        // RFC 7519 §4.1.4, §4.1.5: not on or after exp, not before nbf (with leeway); an
        // assertion "issued" in the future is refused alike.
        if claims.exp.saturating_add(leeway) < now_s
            || claims.exp > now_s.saturating_add(MAX_ASSERTION_LIFETIME_SECONDS)
            || claims
                .nbf
                .is_some_and(|nbf| nbf > now_s.saturating_add(leeway))
            || claims
                .iat
                .is_some_and(|iat| iat > now_s.saturating_add(leeway))
        {
            return None;
        }
        let accepted_until = DateTime::from_timestamp(claims.exp.saturating_add(leeway), 0)?;
        let verified = VerifiedAssertion {
            jti: claims.jti,
            accepted_until,
        };
        Some((client, verified))
    }

    /// Whether this node sees the assertion for the first time (and remembers it until it
    /// expires). A fast first filter only: other nodes and earlier runs are not known here.
    pub fn first_sight(
        &self,
        client_id: &str,
        verified: &VerifiedAssertion,
        now: DateTime<Utc>,
    ) -> bool {
        let mut seen = match self.seen_assertions.lock() {
            Ok(g) => g,
            Err(poisoned) => poisoned.into_inner(),
        };
        let now_s = now.timestamp();
        if seen.len() > 10_000 {
            seen.retain(|_, until| *until >= now_s);
        }
        let replay_key = format!("{client_id}\u{0}{}", verified.jti);
        if seen.contains_key(&replay_key) {
            return false;
        }
        seen.insert(replay_key, verified.accepted_until.timestamp());
        true
    }
}
