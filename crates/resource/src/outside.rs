//! The keys of issuers outside Castellan (Kubernetes clusters, GitHub Actions, GitLab, any OIDC
//! issuer), one cache per JWKS URL: every trust policy or client that names the same URL shares
//! its keys, its rate limit and its negative cache. In memory only.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use super::jwks::{JwksError, RemoteJwks, RemoteJwksOptions};

/// A registry of [`RemoteJwks`] caches for outside issuers, keyed by the JWKS URL exactly as
/// registered. Fetches only the URLs put in it, each checked by
/// [`check_jwks_uri`](super::check_jwks_uri).
pub struct OutsideKeys {
    options: RemoteJwksOptions,
    /// One client (one connection pool) for every URL; its redirect rule holds no URL.
    client: reqwest::Client,
    caches: RwLock<HashMap<String, Arc<RemoteJwks>>>,
}

impl OutsideKeys {
    /// An empty registry whose caches all use `options`.
    pub fn new(options: RemoteJwksOptions) -> Result<Self, JwksError> {
        let client = RemoteJwks::client_for(&options)?;
        Ok(OutsideKeys {
            options,
            client,
            caches: RwLock::new(HashMap::new()),
        })
    }

    /// The cache for `jwks_uri`, made on first use (nothing is fetched until a key is asked
    /// for). `JwksError::Config` when the URL breaks the rule of
    /// [`check_jwks_uri`](super::check_jwks_uri); nothing is then kept.
    pub fn get_or_insert(&self, jwks_uri: &str) -> Result<Arc<RemoteJwks>, JwksError> {
        if let Some(cache) = self.read(|m| m.get(jwks_uri).cloned()) {
            return Ok(cache);
        }
        let made = Arc::new(RemoteJwks::with_client(
            jwks_uri,
            self.options.clone(),
            self.client.clone(),
        )?);
        // Another caller may have made one meanwhile: theirs wins, so there is only ever one.
        Ok(self.write(|m| Arc::clone(m.entry(jwks_uri.to_string()).or_insert(made))))
    }

    /// The cache for `jwks_uri` if there is one.
    pub fn get(&self, jwks_uri: &str) -> Option<Arc<RemoteJwks>> {
        self.read(|m| m.get(jwks_uri).cloned())
    }

    /// Keeps only the caches whose URL `keep` answers true for (the URLs still named by some
    /// policy); the others are dropped, with their keys.
    pub fn retain(&self, mut keep: impl FnMut(&str) -> bool) {
        self.write(|m| m.retain(|uri, _| keep(uri)));
    }

    /// The URLs held, sorted.
    pub fn uris(&self) -> Vec<String> {
        let mut uris: Vec<String> = self.read(|m| m.keys().cloned().collect());
        uris.sort();
        uris
    }

    /// How many URLs are held.
    pub fn len(&self) -> usize {
        self.read(HashMap::len)
    }

    /// Whether none is.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn read<T>(&self, f: impl FnOnce(&HashMap<String, Arc<RemoteJwks>>) -> T) -> T {
        match self.caches.read() {
            Ok(guard) => f(&guard),
            Err(poisoned) => f(&poisoned.into_inner()),
        }
    }

    fn write<T>(&self, f: impl FnOnce(&mut HashMap<String, Arc<RemoteJwks>>) -> T) -> T {
        match self.caches.write() {
            Ok(mut guard) => f(&mut guard),
            Err(poisoned) => f(&mut poisoned.into_inner()),
        }
    }
}
