//! The HTTP side of a [`RemoteJwks`](super::RemoteJwks): which URLs may be fetched, the client
//! (timeouts, redirects only within the same origin), the size cap, and how long an answer's
//! `Cache-Control` lets its keys count as fresh.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use reqwest::header::{HeaderMap, AGE, CACHE_CONTROL};
use reqwest::redirect::Policy;
use url::{Host, Url};

use super::{JwksError, RemoteJwksOptions};
use crate::jwk::parse_jwks;
use crate::VerifyKey;

/// Redirects followed at most, all within the origin of the URL asked for.
pub const MAX_REDIRECTS: usize = 3;

/// Whether `uri` may serve a JWKS: an absolute `https` URL, or `http` on a loopback host
/// (`127.0.0.0/8`, `[::1]`, `localhost`), without credentials or a fragment. The `Err` says why,
/// in words fit for an administrator.
pub fn check_jwks_uri(uri: &str) -> Result<(), String> {
    parse_jwks_uri(uri).map(|_| ())
}

pub(crate) fn parse_jwks_uri(uri: &str) -> Result<Url, String> {
    let url = Url::parse(uri).map_err(|e| format!("the JWKS URL {uri:?} is not a URL: {e}"))?;
    match url.scheme() {
        "https" => {}
        "http" if is_loopback(&url) => {}
        "http" => {
            return Err(format!(
                "the JWKS URL {uri:?} must be https (http only on a loopback host: \
                 127.0.0.0/8, [::1] or localhost)"
            ))
        }
        other => {
            return Err(format!(
                "the JWKS URL {uri:?} must be https, not {other} (http only on a loopback host)"
            ))
        }
    }
    if url.host().is_none() {
        return Err(format!("the JWKS URL {uri:?} has no host"));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(format!(
            "the JWKS URL {uri:?} must not carry a user name or password"
        ));
    }
    if url.fragment().is_some() {
        return Err(format!("the JWKS URL {uri:?} must not have a fragment"));
    }
    Ok(url)
}

fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(Host::Ipv4(ip)) => ip.is_loopback(),
        Some(Host::Ipv6(ip)) => ip.is_loopback(),
        Some(Host::Domain(name)) => name.eq_ignore_ascii_case("localhost"),
        None => false,
    }
}

/// A client with the options' timeouts that follows at most [`MAX_REDIRECTS`] redirects, and
/// only to the scheme, host and port of the URL first asked for; any other redirect is an error.
/// It holds no URL, so one client can serve many JWKS URLs.
pub(crate) fn client(options: &RemoteJwksOptions) -> Result<reqwest::Client, JwksError> {
    let redirects = Policy::custom(|attempt| {
        let next = attempt.url().origin();
        let first = attempt.previous().first().map(Url::origin);
        if attempt.previous().len() > MAX_REDIRECTS {
            attempt.error(format!("more than {MAX_REDIRECTS} redirects"))
        } else if first.as_ref() == Some(&next) {
            attempt.follow()
        } else {
            let to = next.ascii_serialization();
            attempt.error(format!(
                "a redirect to another origin ({to}) is not followed"
            ))
        }
    });
    reqwest::Client::builder()
        .timeout(options.timeout)
        .connect_timeout(options.timeout)
        .redirect(redirects)
        .build()
        .map_err(|e| JwksError::Config(e.to_string()))
}

/// A fetched key set and how long it counts as fresh.
pub(super) struct Fetched {
    pub keys: HashMap<String, Arc<VerifyKey>>,
    pub fresh_for: Duration,
}

/// Fetches and parses the JWKS at `url`.
pub(super) async fn fetch(
    client: &reqwest::Client,
    url: &Url,
    options: &RemoteJwksOptions,
) -> Result<Fetched, JwksError> {
    let accept = "application/jwk-set+json, application/json";
    let (headers, body) = get_capped(client, url, accept, options.max_document_bytes).await?;
    Ok(Fetched {
        keys: parse_jwks(&body)?,
        fresh_for: cache_lifetime(&headers, options),
    })
}

/// GETs `url` and reads its body. A document larger than `max` bytes is refused from its
/// `Content-Length`, or, without one, as soon as the streamed body passes the limit.
pub(crate) async fn get_capped(
    client: &reqwest::Client,
    url: &Url,
    accept: &str,
    max: usize,
) -> Result<(HeaderMap, Vec<u8>), JwksError> {
    let mut response = client
        .get(url.clone())
        .header(reqwest::header::ACCEPT, accept)
        .send()
        .await
        .map_err(|e| JwksError::Fetch(describe(&e)))?;
    if !response.status().is_success() {
        return Err(JwksError::Fetch(format!(
            "HTTP status {}",
            response.status()
        )));
    }
    let too_large = || JwksError::Fetch(format!("the document is too large (over {max} bytes)"));
    if response
        .content_length()
        .is_some_and(|len| len > max as u64)
    {
        return Err(too_large());
    }
    let headers = response.headers().clone();
    let mut body = Vec::new();
    while let Some(chunk) = response
        .chunk()
        .await
        .map_err(|e| JwksError::Fetch(describe(&e)))?
    {
        if body.len() + chunk.len() > max {
            return Err(too_large());
        }
        body.extend_from_slice(&chunk);
    }
    Ok((headers, body))
}

/// A reqwest error with its causes: reqwest's own text leaves out why a redirect was refused
/// or a request timed out.
fn describe(error: &reqwest::Error) -> String {
    let mut text = error.to_string();
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

/// How long an answer's keys count as fresh: its `Cache-Control: max-age` less its `Age`,
/// bounded to the options' `[min_cache_lifetime, max_cache_lifetime]`; the minimum for
/// `no-store`, `no-cache` or a malformed `max-age`; the options' `max_age` without any.
pub(super) fn cache_lifetime(headers: &HeaderMap, options: &RemoteJwksOptions) -> Duration {
    let (min, max) = (options.min_cache_lifetime, options.max_cache_lifetime);
    let bounded = |d: Duration| d.min(max).max(min);
    let mut max_age: Option<u64> = None;
    for value in headers.get_all(CACHE_CONTROL) {
        let Ok(value) = value.to_str() else {
            return min;
        };
        for directive in value.split(',') {
            let (name, argument) = match directive.split_once('=') {
                Some((name, argument)) => (name.trim(), Some(argument.trim().trim_matches('"'))),
                None => (directive.trim(), None),
            };
            if name.eq_ignore_ascii_case("no-store") || name.eq_ignore_ascii_case("no-cache") {
                return min;
            }
            if name.eq_ignore_ascii_case("max-age") {
                let Some(seconds) = argument.and_then(|a| a.parse::<u64>().ok()) else {
                    return min;
                };
                // Given twice, the shorter wins.
                max_age = Some(max_age.map_or(seconds, |m| m.min(seconds)));
            }
        }
    }
    let Some(max_age) = max_age else {
        return options.max_age;
    };
    let age = headers
        .get(AGE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok())
        .unwrap_or(0);
    bounded(Duration::from_secs(max_age.saturating_sub(age)))
}

#[cfg(test)]
mod cache_control_tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use reqwest::header::HeaderValue;

    fn lifetime(pairs: &[(&str, &str)]) -> Duration {
        let mut headers = HeaderMap::new();
        for (name, value) in pairs {
            headers.append(
                reqwest::header::HeaderName::from_bytes(name.as_bytes()).unwrap(),
                HeaderValue::from_str(value).unwrap(),
            );
        }
        cache_lifetime(&headers, &RemoteJwksOptions::default())
    }

    #[test]
    fn max_age_is_bounded_and_no_store_or_no_cache_or_malformed_mean_the_minimum() {
        let s = Duration::from_secs;
        assert_eq!(lifetime(&[]), s(300), "no Cache-Control: the fixed max_age");
        assert_eq!(
            lifetime(&[("cache-control", "public, max-age=3600")]),
            s(3600)
        );
        assert_eq!(lifetime(&[("cache-control", "max-age=\"600\"")]), s(600));
        assert_eq!(lifetime(&[("cache-control", "max-age=5")]), s(60));
        assert_eq!(lifetime(&[("cache-control", "max-age=0")]), s(60));
        assert_eq!(
            lifetime(&[("cache-control", "MAX-AGE=999999999")]),
            s(86_400)
        );
        assert_eq!(lifetime(&[("cache-control", "no-store")]), s(60));
        assert_eq!(
            lifetime(&[("cache-control", "max-age=3600, no-cache")]),
            s(60)
        );
        assert_eq!(lifetime(&[("cache-control", "max-age=soon")]), s(60));
        assert_eq!(lifetime(&[("cache-control", "max-age")]), s(60));
        assert_eq!(lifetime(&[("cache-control", "private")]), s(300));
        // Two headers, or the directive twice: the shorter.
        assert_eq!(
            lifetime(&[
                ("cache-control", "max-age=7200"),
                ("cache-control", "max-age=900")
            ]),
            s(900)
        );
        // What a cache in front already spent of it is gone.
        assert_eq!(
            lifetime(&[("cache-control", "max-age=3600"), ("age", "600")]),
            s(3000)
        );
        assert_eq!(
            lifetime(&[("cache-control", "max-age=3600"), ("age", "9999")]),
            s(60)
        );
    }
}
