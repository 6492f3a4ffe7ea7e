//! A JWKS fetched over HTTP(S) and cached: refreshed when an unknown kid shows up (at most once
//! per interval), refreshed in the background when old, and kept when the issuer is briefly
//! unreachable.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use super::jwk::parse_jwks;
use crate::keys::VerifyKey;

/// How a [`RemoteJwks`] caches and refetches.
#[derive(Debug, Clone)]
pub struct RemoteJwksOptions {
    /// At most one fetch per this interval, whatever kids arrive (default 10 s).
    pub min_refresh_interval: Duration,
    /// Keys older than this are refreshed in the background (default 5 min).
    pub max_age: Duration,
    /// Timeout of one fetch (default 5 s).
    pub timeout: Duration,
    /// The largest JWKS document accepted (default 1 MiB).
    pub max_document_bytes: usize,
}

impl Default for RemoteJwksOptions {
    fn default() -> Self {
        RemoteJwksOptions {
            min_refresh_interval: Duration::from_secs(10),
            max_age: Duration::from_secs(300),
            timeout: Duration::from_secs(5),
            max_document_bytes: 1 << 20,
        }
    }
}

/// Why the JWKS could not be had.
#[derive(Debug, thiserror::Error)]
pub enum JwksError {
    /// The URL or the HTTP client could not be set up.
    #[error("JWKS configuration: {0}")]
    Config(String),
    /// The fetch failed (network, status, size).
    #[error("JWKS fetch: {0}")]
    Fetch(String),
    /// The document is not a JWK set.
    #[error("JWKS document: {0}")]
    Document(String),
}

#[derive(Default)]
struct Cache {
    keys: HashMap<String, Arc<VerifyKey>>,
    /// Last successful fetch.
    fetched_at: Option<Instant>,
    /// Last fetch started, successful or not: the rate limit counts from here.
    attempted_at: Option<Instant>,
    /// Whether the last fetch failed.
    failed: bool,
}

/// Verification keys from a remote JWKS (RFC 7517 §5), cached in memory.
pub struct RemoteJwks {
    url: url::Url,
    options: RemoteJwksOptions,
    client: reqwest::Client,
    cache: RwLock<Cache>,
    /// Held for the length of a fetch: one at a time, and waiters see its result.
    fetching: tokio::sync::Mutex<()>,
}

impl RemoteJwks {
    /// A cache of the JWKS at `url` (http or https); nothing is fetched until a key is asked
    /// for or [`refresh`](Self::refresh) is called.
    pub fn new(url: &str, options: RemoteJwksOptions) -> Result<Self, JwksError> {
        let url = url::Url::parse(url).map_err(|e| JwksError::Config(format!("{url}: {e}")))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(JwksError::Config(
                "the JWKS URL must be http or https".into(),
            ));
        }
        let client = reqwest::Client::builder()
            .timeout(options.timeout)
            .connect_timeout(options.timeout)
            .redirect(reqwest::redirect::Policy::limited(3))
            .build()
            .map_err(|e| JwksError::Config(e.to_string()))?;
        Ok(RemoteJwks {
            url,
            options,
            client,
            cache: RwLock::new(Cache::default()),
            fetching: tokio::sync::Mutex::new(()),
        })
    }

    /// The JWKS URL.
    pub fn url(&self) -> &str {
        self.url.as_str()
    }

    /// The kids held now.
    pub fn cached_kids(&self) -> Vec<String> {
        let mut kids: Vec<String> = self.read(|c| c.keys.keys().cloned().collect());
        kids.sort();
        kids
    }

    fn read<T>(&self, f: impl FnOnce(&Cache) -> T) -> T {
        match self.cache.read() {
            Ok(guard) => f(&guard),
            Err(poisoned) => f(&poisoned.into_inner()),
        }
    }

    fn write<T>(&self, f: impl FnOnce(&mut Cache) -> T) -> T {
        match self.cache.write() {
            Ok(mut guard) => f(&mut guard),
            Err(poisoned) => f(&mut poisoned.into_inner()),
        }
    }

    /// Takes the one fetch allowed per interval; false when it was taken too recently.
    fn claim_attempt(&self) -> bool {
        let min = self.options.min_refresh_interval;
        self.write(|c| {
            let now = Instant::now();
            let allowed = c.attempted_at.is_none_or(|t| now.duration_since(t) >= min);
            if allowed {
                c.attempted_at = Some(now);
            }
            allowed
        })
    }

    /// Fetches now, whatever the interval (at start-up, say); returns how many keys it holds.
    pub async fn refresh(&self) -> Result<usize, JwksError> {
        let _one_at_a_time = self.fetching.lock().await;
        self.write(|c| c.attempted_at = Some(Instant::now()));
        self.fetch_and_store().await
    }

    /// The key with this kid: from the cache, or after a refetch when the rate limit allows.
    /// `Ok(None)` means unknown; `Err` means the JWKS was unreachable and the kid not cached.
    pub async fn key(self: &Arc<Self>, kid: &str) -> Result<Option<Arc<VerifyKey>>, JwksError> {
        let max_age = self.options.max_age;
        let (hit, stale) = self.read(|c| {
            let stale = c.fetched_at.is_none_or(|t| t.elapsed() >= max_age);
            (c.keys.get(kid).cloned(), stale)
        });
        if let Some(key) = hit {
            if stale && self.claim_attempt() {
                self.spawn_refresh();
            }
            return Ok(Some(key));
        }
        let _one_at_a_time = self.fetching.lock().await;
        // A fetch that finished while this call waited may have brought the key.
        let (hit, failed) = self.read(|c| (c.keys.get(kid).cloned(), c.failed));
        if hit.is_some() {
            return Ok(hit);
        }
        if !self.claim_attempt() {
            // Rate-limited: the miss stands until the interval has passed, so made-up kids
            // can't turn us into a load generator against the issuer.
            if failed {
                return Err(JwksError::Fetch(
                    "the JWKS was unreachable at the last try".into(),
                ));
            }
            return Ok(None);
        }
        self.fetch_and_store().await?;
        Ok(self.read(|c| c.keys.get(kid).cloned()))
    }

    fn spawn_refresh(self: &Arc<Self>) {
        let this = Arc::clone(self);
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            runtime.spawn(async move {
                let _one_at_a_time = this.fetching.lock().await;
                // Failures are logged inside and the old keys kept.
                let _ = this.fetch_and_store().await;
            });
        }
    }

    /// Fetches and, on success, replaces the keys; on failure keeps them.
    async fn fetch_and_store(&self) -> Result<usize, JwksError> {
        match self.fetch().await {
            Ok(keys) => {
                let count = keys.len();
                if count == 0 {
                    log::warn!("the JWKS at {} holds no usable key", self.url);
                }
                self.write(|c| {
                    c.keys = keys;
                    c.fetched_at = Some(Instant::now());
                    c.failed = false;
                });
                Ok(count)
            }
            Err(e) => {
                log::warn!("{e} ({}); keeping the keys already held", self.url);
                self.write(|c| c.failed = true);
                Err(e)
            }
        }
    }

    async fn fetch(&self) -> Result<HashMap<String, Arc<VerifyKey>>, JwksError> {
        let max = self.options.max_document_bytes;
        let mut response = self
            .client
            .get(self.url.clone())
            .header(
                reqwest::header::ACCEPT,
                "application/jwk-set+json, application/json",
            )
            .send()
            .await
            .map_err(|e| JwksError::Fetch(e.to_string()))?;
        if !response.status().is_success() {
            return Err(JwksError::Fetch(format!(
                "HTTP status {}",
                response.status()
            )));
        }
        if response
            .content_length()
            .is_some_and(|len| len > max as u64)
        {
            return Err(JwksError::Fetch("the document is too large".into()));
        }
        let mut body = Vec::new();
        while let Some(chunk) = response
            .chunk()
            .await
            .map_err(|e| JwksError::Fetch(e.to_string()))?
        {
            if body.len() + chunk.len() > max {
                return Err(JwksError::Fetch("the document is too large".into()));
            }
            body.extend_from_slice(&chunk);
        }
        parse_jwks(&body)
    }
}
