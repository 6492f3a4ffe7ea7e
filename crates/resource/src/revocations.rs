//! The revocation feed: Castellan's signed list of revoked tokens (`GET /oauth2/revocations`,
//! `typ: revocations+jwt`), polled in the background so that a token revoked at the issuer is
//! refused here too, offline, within one polling interval.
//!
//! The list is verified with the same keys as the access tokens, its `iss` must be the issuer's,
//! and a list older than the one held (by `iat`) is never taken: a replayed old list can't
//! bring a revoked token back. Through an outage the last good list stays in force.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, RwLock, Weak};
use std::time::Duration;

use jsonwebtoken::{decode, decode_header, Validation};
use serde::Deserialize;
use url::Url;

use crate::claims::AccessTokenClaims;
use crate::jwks::http;
use crate::{AuthError, JwksError, KeySource, RemoteJwksOptions, TokenVerifier};

/// The `typ` of a revocation list.
pub const REVOCATIONS_TYP: &str = "revocations+jwt";

/// How a [`RevocationFeed`] polls.
#[derive(Debug, Clone)]
pub struct RevocationFeedOptions {
    /// Time between two fetches (default 5 s).
    pub interval: Duration,
    /// Timeout of one fetch (default 5 s).
    pub timeout: Duration,
    /// The largest list accepted (default 4 MiB).
    pub max_document_bytes: usize,
    /// Until a first list has been fetched, refuse every token with 503 (`true`, the default:
    /// a token revoked before this service started is never let through), or check tokens
    /// without a list (`false`).
    pub fail_closed: bool,
}

impl Default for RevocationFeedOptions {
    fn default() -> Self {
        RevocationFeedOptions {
            interval: Duration::from_secs(5),
            timeout: Duration::from_secs(5),
            max_document_bytes: 4 << 20,
            fail_closed: true,
        }
    }
}

#[derive(Debug, Deserialize)]
struct ListClaims {
    iat: i64,
    #[serde(default)]
    jtis: Vec<RevokedJti>,
    #[serde(default)]
    clients: Vec<RevokedClient>,
}

#[derive(Debug, Deserialize)]
struct RevokedJti {
    jti: String,
}

#[derive(Debug, Deserialize)]
struct RevokedClient {
    client_id: String,
    revoked_before: f64,
}

/// One list, as held.
#[derive(Debug, Default)]
struct Held {
    iat: i64,
    jtis: HashSet<String>,
    /// Client id to "revoked before", in microseconds since the epoch.
    clients: HashMap<String, i64>,
}

/// The revocation list of one issuer, kept fresh by [`RevocationFeed::spawn`].
pub struct RevocationFeed {
    url: Url,
    issuer: String,
    keys: Arc<KeySource>,
    leeway: u64,
    options: RevocationFeedOptions,
    client: reqwest::Client,
    held: RwLock<Option<Arc<Held>>>,
}

impl RevocationFeed {
    /// The feed at `{issuer}/oauth2/revocations`, checked with `verifier`'s keys and issuer.
    pub fn for_verifier(
        verifier: &TokenVerifier,
        options: RevocationFeedOptions,
    ) -> Result<Self, JwksError> {
        let url = format!(
            "{}/oauth2/revocations",
            verifier.issuer().trim_end_matches('/')
        );
        Self::new(&url, verifier, options)
    }

    /// The feed at `url` (https, or http on a loopback host), checked with `verifier`'s keys
    /// and issuer.
    pub fn new(
        url: &str,
        verifier: &TokenVerifier,
        options: RevocationFeedOptions,
    ) -> Result<Self, JwksError> {
        let url = http::parse_jwks_uri(url).map_err(JwksError::Config)?;
        let client = http::client(&RemoteJwksOptions {
            timeout: options.timeout,
            ..RemoteJwksOptions::default()
        })?;
        Ok(RevocationFeed {
            url,
            issuer: verifier.issuer().to_string(),
            keys: Arc::clone(verifier.keys()),
            leeway: verifier.leeway(),
            options,
            client,
            held: RwLock::new(None),
        })
    }

    /// Fetches the list now; on success it replaces the one held, unless it is older. Returns
    /// how many tokens and clients it lists.
    pub async fn refresh(&self) -> Result<(usize, usize), JwksError> {
        let accept = "application/revocations+jwt";
        let max = self.options.max_document_bytes;
        let (_, body) = http::get_capped(&self.client, &self.url, accept, max).await?;
        let text = std::str::from_utf8(&body)
            .map_err(|_| JwksError::Document("the list is not text".into()))?;
        let list = self.verify(text.trim()).await?;
        let counts = (list.jtis.len(), list.clients.len());
        let mut held = self.held.write().unwrap_or_else(|e| e.into_inner());
        if held.as_ref().is_some_and(|h| h.iat > list.iat) {
            return Err(JwksError::Document(
                "the list is older than the one held; kept the newer".into(),
            ));
        }
        *held = Some(Arc::new(list));
        Ok(counts)
    }

    async fn verify(&self, jws: &str) -> Result<Held, JwksError> {
        let bad = |why: &str| JwksError::Document(format!("the revocation list {why}"));
        let header = decode_header(jws).map_err(|_| bad("is not a JWS"))?;
        if !header
            .typ
            .as_deref()
            .is_some_and(|t| t.eq_ignore_ascii_case(REVOCATIONS_TYP))
        {
            return Err(bad("has the wrong typ"));
        }
        let kid = header.kid.ok_or_else(|| bad("has no kid"))?;
        let key = self
            .keys
            .key(&kid)
            .await
            .map_err(|e| JwksError::Fetch(e.to_string()))?
            .ok_or_else(|| bad("is signed by an unknown key"))?;
        let mut validation = Validation::new(key.alg);
        validation.leeway = self.leeway;
        validation.validate_aud = false;
        validation.set_issuer(&[self.issuer.as_str()]);
        validation.set_required_spec_claims(&["exp", "iss", "iat"]);
        let claims = decode::<ListClaims>(jws, &key.key, &validation)
            .map_err(|e| bad(&format!("does not verify ({e})")))?
            .claims;
        // A list from the future would pin the feed: every later list would look older.
        let leeway = i64::try_from(self.leeway).unwrap_or(i64::MAX);
        if claims.iat > chrono::Utc::now().timestamp().saturating_add(leeway) {
            return Err(bad("was issued in the future (iat)"));
        }
        Ok(Held {
            iat: claims.iat,
            jtis: claims.jtis.into_iter().map(|j| j.jti).collect(),
            clients: claims
                .clients
                .into_iter()
                .map(|c| (c.client_id, (c.revoked_before * 1_000_000.0).round() as i64))
                .collect(),
        })
    }

    /// Whether a list is held (a first fetch succeeded).
    pub fn is_loaded(&self) -> bool {
        self.held().is_some()
    }

    /// The `iat` of the list held.
    pub fn list_issued_at(&self) -> Option<i64> {
        self.held().map(|h| h.iat)
    }

    fn held(&self) -> Option<Arc<Held>> {
        self.held.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Refuses a token the list names: its `jti`, or its client revoked in bulk at or after
    /// the token was issued. Before any list, refuses everything with 503 when the options say
    /// `fail_closed`.
    pub fn check(&self, claims: &AccessTokenClaims) -> Result<(), AuthError> {
        let Some(held) = self.held() else {
            return if self.options.fail_closed {
                Err(AuthError::Unavailable(
                    "the revocation list has not been fetched yet".into(),
                ))
            } else {
                Ok(())
            };
        };
        if held.jtis.contains(&claims.jti) {
            return Err(AuthError::InvalidToken("the token was revoked".into()));
        }
        if let Some(before) = held.clients.get(&claims.client_id) {
            if issued_at_micros(&claims.jti, claims.iat) <= *before {
                return Err(AuthError::InvalidToken("the token was revoked".into()));
            }
        }
        Ok(())
    }

    /// Polls in the background on the current tokio runtime: a first fetch at once, then one
    /// per interval. Stops once the last `Arc` to the feed is dropped. Failures are logged
    /// (never a token) and the last good list is kept.
    pub fn spawn(self: &Arc<Self>) -> tokio::task::JoinHandle<()> {
        let feed: Weak<Self> = Arc::downgrade(self);
        let interval = self.options.interval;
        tokio::spawn(async move {
            loop {
                let Some(this) = feed.upgrade() else { return };
                if let Err(e) = this.refresh().await {
                    log::warn!("revocation list from {}: {e}", this.url);
                }
                drop(this);
                tokio::time::sleep(interval).await;
            }
        })
    }
}

/// When a Castellan token was issued, in microseconds since the epoch: its `jti` starts with
/// the issue time in hex microseconds; when that disagrees with `iat` (another issuer's token,
/// or an older format) the start of `iat`'s second, the earlier and so the safer reading.
pub fn issued_at_micros(jti: &str, iat: i64) -> i64 {
    jti.split_once('.')
        .and_then(|(hex, _)| i64::from_str_radix(hex, 16).ok())
        .filter(|us| us.div_euclid(1_000_000) == iat)
        .unwrap_or_else(|| iat.saturating_mul(1_000_000))
}
