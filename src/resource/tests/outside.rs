//! Fetching the keys of outside issuers: which URLs, which redirects, how big, how long, and
//! one shared cache per URL (CONTRACT "Workload identity").

use std::sync::Arc;
use std::time::{Duration, Instant};

use super::issuer::{es256, options, serve, token, Issuer};
use super::*;
use crate::resource::{
    check_jwks_uri, AuthError, JwksError, OutsideKeys, RemoteJwks, RemoteJwksOptions,
};

#[test]
fn jwks_uris_must_be_https_or_http_on_a_loopback_host() {
    // CONTRACT: a jwks_uri is https, or http on a loopback host.
    for good in [
        "https://token.actions.githubusercontent.com/.well-known/jwks",
        "https://gitlab.com/oauth/discovery/keys",
        "https://kubernetes.default.svc/openid/v1/jwks",
        "https://10.0.0.7:6443/openid/v1/jwks",
        "http://127.0.0.1:8080/jwks",
        "http://127.9.8.7/jwks",
        "http://[::1]:9000/jwks",
        "http://localhost/jwks",
        "http://LOCALHOST:1/jwks",
    ] {
        assert_eq!(check_jwks_uri(good), Ok(()), "{good}");
        assert!(RemoteJwks::new(good, RemoteJwksOptions::default()).is_ok());
    }
    for bad in [
        "http://example.com/jwks",
        "http://10.0.0.7/jwks",
        "http://192.168.1.1/jwks",
        "http://0.0.0.0/jwks",
        "http://[::ffff:127.0.0.1]/jwks",
        "http://localhost.example.com/jwks",
        "http://127.0.0.1.nip.io/jwks",
        "ftp://127.0.0.1/jwks",
        "file:///etc/passwd",
        "/openid/v1/jwks",
        "not a url",
        "",
        "https://user:secret@example.com/jwks",
        "https://example.com/jwks#keys",
    ] {
        let why = check_jwks_uri(bad).expect_err(bad);
        assert!(why.contains("JWKS URL"), "{bad}: {why}");
        assert!(
            matches!(
                RemoteJwks::new(bad, RemoteJwksOptions::default()),
                Err(JwksError::Config(_))
            ),
            "{bad}"
        );
    }
    let why = check_jwks_uri("http://example.com/jwks").unwrap_err();
    assert!(why.contains("https") && why.contains("loopback"), "{why}");
    let outside = OutsideKeys::new(RemoteJwksOptions::default()).unwrap();
    assert!(matches!(
        outside.get_or_insert("http://example.com/jwks"),
        Err(JwksError::Config(_))
    ));
    assert!(outside.is_empty());
}

fn fetch_error(result: Result<usize, JwksError>) -> String {
    match result {
        Err(JwksError::Fetch(why)) => why,
        other => panic!("expected a fetch error, got {other:?}"),
    }
}

#[actix_web::test]
async fn redirects_are_followed_only_within_the_same_origin_and_at_most_three() {
    let issuer = Issuer::default();
    issuer.publish(&es256("key-a"));
    let (base, handle) = serve(&issuer);
    let other = Issuer::default();
    let (other_base, other_handle) = serve(&other);
    let remote = |path: &str| RemoteJwks::new(&format!("{base}{path}"), options()).unwrap();

    // Same origin: followed, relative or absolute, up to three in a row.
    assert_eq!(remote("/hop/0").refresh().await.unwrap(), 1);
    let absolute = format!("/to?url={base}/jwks");
    assert_eq!(remote(&absolute).refresh().await.unwrap(), 1);
    assert_eq!(remote("/hop/2").refresh().await.unwrap(), 1);
    assert_eq!(issuer.hits(), 3);
    let why = fetch_error(remote("/hop/3").refresh().await);
    assert!(why.contains("more than 3 redirects"), "{why}");
    assert_eq!(issuer.hits(), 3);

    // Another host (the same server, named otherwise), another port, another scheme: refused
    // before any request goes there.
    let port = base.rsplit(':').next().unwrap();
    for target in [
        format!("http://localhost:{port}/jwks"),
        format!("{other_base}/jwks"),
        format!("https://127.0.0.1:{port}/jwks"),
        "https://example.com/jwks".to_string(),
    ] {
        let jwks = Arc::new(remote(&format!("/to?url={target}")));
        let why = fetch_error(jwks.refresh().await);
        assert!(why.contains("another origin"), "{target}: {why}");
        assert!(matches!(jwks.key("key-a").await, Err(JwksError::Fetch(_))));
    }
    assert_eq!(issuer.hits(), 3);
    assert_eq!(other.hits(), 0);
    handle.stop(false).await;
    other_handle.stop(false).await;
}

#[actix_web::test]
async fn a_document_over_the_limit_is_refused_without_being_read_whole() {
    let issuer = Issuer::default();
    let (base, handle) = serve(&issuer);
    let limited = RemoteJwksOptions {
        max_document_bytes: 4096,
        ..options()
    };
    let remote = |path: &str| RemoteJwks::new(&format!("{base}{path}"), limited.clone()).unwrap();

    assert_eq!(remote("/big/4096").refresh().await.unwrap(), 0);
    let why = fetch_error(remote("/big/4097").refresh().await);
    assert!(why.contains("too large"), "{why}");
    // No Content-Length and no end: the streamed body is cut at the limit, long before the
    // timeout.
    let started = Instant::now();
    let why = fetch_error(remote("/endless").refresh().await);
    assert!(why.contains("too large"), "{why}");
    assert!(started.elapsed() < Duration::from_secs(1));
    handle.stop(false).await;
}

#[actix_web::test]
async fn a_fetch_slower_than_the_timeout_fails_and_keeps_nothing_waiting() {
    let issuer = Issuer::default();
    issuer.publish(&es256("key-a"));
    issuer.delay(Duration::from_secs(3));
    let (base, handle) = serve(&issuer);
    let opts = RemoteJwksOptions {
        timeout: Duration::from_millis(300),
        ..options()
    };
    let jwks = Arc::new(RemoteJwks::new(&format!("{base}/jwks"), opts).unwrap());
    let started = Instant::now();
    assert!(matches!(jwks.key("key-a").await, Err(JwksError::Fetch(_))));
    assert!(started.elapsed() < Duration::from_millis(1500));
    handle.stop(false).await;
}

#[actix_web::test]
async fn outside_keys_share_one_cache_and_one_rate_limit_per_uri() {
    let (a_issuer, b_issuer) = (Issuer::default(), Issuer::default());
    let (a_key, b_key) = (es256("key-a"), es256("key-b"));
    a_issuer.publish(&a_key);
    b_issuer.publish(&b_key);
    let (a_base, a_handle) = serve(&a_issuer);
    let (b_base, b_handle) = serve(&b_issuer);
    let (a_uri, b_uri) = (format!("{a_base}/jwks"), format!("{b_base}/jwks"));
    let shared = RemoteJwksOptions {
        min_refresh_interval: Duration::from_secs(10),
        ..options()
    };
    let outside = OutsideKeys::new(shared).unwrap();

    // Two policies naming the same issuer get the same cache, from any thread.
    let first = outside.get_or_insert(&a_uri).unwrap();
    std::thread::scope(|s| {
        let handles: Vec<_> = (0..8)
            .map(|_| s.spawn(|| outside.get_or_insert(&a_uri).unwrap()))
            .collect();
        for h in handles {
            assert!(Arc::ptr_eq(&first, &h.join().unwrap()));
        }
    });
    let b = outside.get_or_insert(&b_uri).unwrap();
    assert!(!Arc::ptr_eq(&first, &b));
    assert_eq!(outside.uris(), {
        let mut uris = vec![a_uri.clone(), b_uri.clone()];
        uris.sort();
        uris
    });

    // One fetch serves both holders, and the rate limit is theirs together.
    let second = outside.get_or_insert(&a_uri).unwrap();
    assert!(first.key("key-a").await.unwrap().is_some());
    assert!(second.key("key-a").await.unwrap().is_some());
    assert!(second.key("ghost").await.unwrap().is_none());
    assert_eq!(a_issuer.hits(), 1);
    assert_eq!(b_issuer.hits(), 0);

    // Verification through the shared cache, each key pinned to its own algorithm.
    let verifier = TokenVerifier::new(ISS, AUD, 0, KeySource::Remote(second.clone()));
    assert_eq!(verifier.verify(&token(&a_key)).await.unwrap().kid, "key-a");
    let (_, payload, sig) = parts(&token(&a_key));
    for alg in ["ES384", "EdDSA", "RS256", "HS256", "none"] {
        let header = b64_json(&serde_json::json!({"alg": alg, "typ": "at+jwt", "kid": "key-a"}));
        assert!(matches!(
            verifier.verify(&format!("{header}.{payload}.{sig}")).await,
            Err(AuthError::InvalidToken(_))
        ));
    }
    // B's key means nothing to A's cache.
    assert!(verifier.verify(&token(&b_key)).await.is_err());
    assert_eq!(a_issuer.hits(), 1);

    // Dropping what no policy names any more; a later use starts afresh.
    outside.retain(|uri| uri == a_uri);
    assert_eq!(outside.len(), 1);
    assert!(outside.get(&b_uri).is_none());
    assert!(Arc::ptr_eq(&outside.get(&a_uri).unwrap(), &first));
    let b_again = outside.get_or_insert(&b_uri).unwrap();
    assert!(!Arc::ptr_eq(&b, &b_again));
    assert!(b_again.cached_kids().is_empty());
    a_handle.stop(false).await;
    b_handle.stop(false).await;
}
