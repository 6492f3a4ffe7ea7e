//! A JWKS fetched over HTTP(S) and cached: fresh for as long as the issuer's `Cache-Control`
//! says (within bounds), refreshed in the background when old, refetched when an unknown kid
//! shows up (at most once per interval, with the miss remembered until the next allowed
//! refetch), and kept when the issuer is unreachable. Only https URLs, or http on a loopback
//! host; redirects only within the same origin.

pub(crate) mod http;

use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

pub use http::{check_jwks_uri, MAX_REDIRECTS};

use crate::VerifyKey;

/// Unknown kids remembered at most; past this the misses are still rate-limited, only slower.
const MAX_UNKNOWN_KIDS: usize = 1024;

/// How a [`RemoteJwks`] caches and refetches.
#[derive(Debug, Clone)]
pub struct RemoteJwksOptions {
    /// At most one fetch per this interval, whatever kids arrive (default 10 s).
    pub min_refresh_interval: Duration,
    /// How long keys count as fresh when the answer has no `Cache-Control: max-age`; older ones
    /// are refreshed in the background (default 5 min).
    pub max_age: Duration,
    /// The shortest freshness an answer's `Cache-Control` can ask for; also what `no-store`
    /// and `no-cache` get (default 60 s).
    pub min_cache_lifetime: Duration,
    /// The longest freshness an answer's `Cache-Control` can ask for (default 24 h).
    pub max_cache_lifetime: Duration,
    /// Timeout of one fetch, redirects included (default 5 s).
    pub timeout: Duration,
    /// The largest JWKS document accepted (default 1 MiB).
    pub max_document_bytes: usize,
}

impl Default for RemoteJwksOptions {
    fn default() -> Self {
        RemoteJwksOptions {
            min_refresh_interval: Duration::from_secs(10),
            max_age: Duration::from_secs(300),
            min_cache_lifetime: Duration::from_secs(60),
            max_cache_lifetime: Duration::from_secs(24 * 3600),
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
    /// Until when the keys count as fresh (from the last successful fetch's `Cache-Control`).
    fresh_until: Option<Instant>,
    /// Last fetch started, successful or not: the rate limit counts from here.
    attempted_at: Option<Instant>,
    /// Whether the last fetch failed.
    failed: bool,
    /// Kids a successful fetch did not hold, each until the next refetch allowed after it.
    unknown: HashMap<String, Instant>,
}

/// Verification keys from a remote JWKS (RFC 7517 §5), cached in memory. Each key is pinned to
/// its own algorithm ([`VerifyKey`]), never to what a token's header says.
pub struct RemoteJwks {
    url: url::Url,
    options: RemoteJwksOptions,
    client: reqwest::Client,
    cache: RwLock<Cache>,
    /// Held for the length of a fetch: one at a time, and waiters see its result.
    fetching: tokio::sync::Mutex<()>,
}

impl RemoteJwks {
    /// A cache of the JWKS at `url`, which must pass [`check_jwks_uri`] (https, or http on a
    /// loopback host); nothing is fetched until a key is asked for or
    /// [`refresh`](Self::refresh) is called.
    pub fn new(url: &str, options: RemoteJwksOptions) -> Result<Self, JwksError> {
        let client = http::client(&options)?;
        Self::with_client(url, options, client)
    }

    /// As [`new`](Self::new), with a client made by `http::client` (shared by many URLs).
    pub(super) fn with_client(
        url: &str,
        options: RemoteJwksOptions,
        client: reqwest::Client,
    ) -> Result<Self, JwksError> {
        let url = http::parse_jwks_uri(url).map_err(JwksError::Config)?;
        Ok(RemoteJwks {
            url,
            options,
            client,
            cache: RwLock::new(Cache::default()),
            fetching: tokio::sync::Mutex::new(()),
        })
    }

    /// The options a shared client for [`with_client`](Self::with_client) is made with.
    pub(super) fn client_for(options: &RemoteJwksOptions) -> Result<reqwest::Client, JwksError> {
        http::client(options)
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

    /// Remembers that the last good keys lack `kid`, until the next refetch is allowed.
    fn remember_unknown(&self, kid: &str) {
        let min = self.options.min_refresh_interval;
        self.write(|c| {
            let Some(until) = c.attempted_at.and_then(|t| t.checked_add(min)) else {
                return;
            };
            let now = Instant::now();
            if c.unknown.len() >= MAX_UNKNOWN_KIDS {
                c.unknown.retain(|_, t| *t > now);
            }
            if c.unknown.len() < MAX_UNKNOWN_KIDS {
                c.unknown.insert(kid.to_string(), until);
            }
        });
    }

    /// Fetches now, whatever the interval (at start-up, say); returns how many keys it holds.
    pub async fn refresh(&self) -> Result<usize, JwksError> {
        let _one_at_a_time = self.fetching.lock().await;
        self.write(|c| c.attempted_at = Some(Instant::now()));
        self.fetch_and_store().await
    }

    /// The key with this kid: from the cache, or after a refetch when the rate limit allows.
    /// `Ok(None)` means unknown; `Err` means the JWKS was unreachable and the kid not cached.
    /// A kid the last fetch lacked is answered `Ok(None)` at once, without waiting for a fetch
    /// under way, until the next refetch is allowed.
    pub async fn key(self: &Arc<Self>, kid: &str) -> Result<Option<Arc<VerifyKey>>, JwksError> {
        let now = Instant::now();
        let (hit, stale, known_unknown) = self.read(|c| {
            let stale = c.fresh_until.is_none_or(|t| now >= t);
            let known_unknown = !c.failed && c.unknown.get(kid).is_some_and(|t| now < *t);
            (c.keys.get(kid).cloned(), stale, known_unknown)
        });
        if let Some(key) = hit {
            if stale && self.claim_attempt() {
                self.spawn_refresh();
            }
            return Ok(Some(key));
        }
        if known_unknown {
            return Ok(None);
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
            self.remember_unknown(kid);
            return Ok(None);
        }
        self.fetch_and_store().await?;
        let hit = self.read(|c| c.keys.get(kid).cloned());
        if hit.is_none() {
            self.remember_unknown(kid);
        }
        Ok(hit)
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
        match http::fetch(&self.client, &self.url, &self.options).await {
            Ok(fetched) => {
                let count = fetched.keys.len();
                if count == 0 {
                    log::warn!("the JWKS at {} holds no usable key", self.url);
                }
                let now = Instant::now();
                self.write(|c| {
                    c.unknown.retain(|kid, _| !fetched.keys.contains_key(kid));
                    c.keys = fetched.keys;
                    // A lifetime past what an Instant can hold (a huge `max_age`): a year.
                    c.fresh_until = Some(
                        now.checked_add(fetched.fresh_for)
                            .unwrap_or_else(|| now + Duration::from_secs(365 * 86_400)),
                    );
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
}
