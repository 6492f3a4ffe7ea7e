//! How long an outside issuer's keys are kept: its Cache-Control within bounds, unknown kids
//! remembered until the next allowed refetch, and the last good keys through an outage
//! (CONTRACT "Workload identity").

use std::sync::Arc;
use std::time::{Duration, Instant};

use super::issuer::{es256, eventually, options, serve, token, Issuer};
use super::*;
use crate::resource::{AuthError, JwksError, RemoteJwks, RemoteJwksOptions};

fn remote(base: &str, options: RemoteJwksOptions) -> Arc<RemoteJwks> {
    Arc::new(RemoteJwks::new(&format!("{base}/jwks"), options).unwrap())
}

#[actix_web::test]
async fn cache_control_max_age_decides_when_keys_are_refetched() {
    let issuer = Issuer::default();
    issuer.publish(&es256("key-a"));
    issuer.cache_control(Some("public, max-age=1"));
    let (base, handle) = serve(&issuer);
    // The fixed max_age (60 s) would keep them much longer; refetches are allowed every 100 ms.
    let jwks = remote(&base, options());

    let fetched = Instant::now();
    assert!(jwks.key("key-a").await.unwrap().is_some());
    assert_eq!(issuer.hits(), 1);
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert!(jwks.key("key-a").await.unwrap().is_some());
    assert_eq!(issuer.hits(), 1, "within max-age: no refetch");

    // Past max-age the key still answers at once, and a refetch runs beside it.
    tokio::time::sleep(Duration::from_secs(1).saturating_sub(fetched.elapsed())).await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert!(jwks.key("key-a").await.unwrap().is_some());
    assert!(eventually(|| issuer.hits() == 2).await);
    // That answer's max-age starts again.
    assert!(jwks.key("key-a").await.unwrap().is_some());
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(jwks.key("key-a").await.unwrap().is_some());
    assert_eq!(issuer.hits(), 2);
    handle.stop(false).await;
}

#[actix_web::test]
async fn cache_control_is_bounded_and_no_store_gets_the_minimum() {
    let issuer = Issuer::default();
    issuer.publish(&es256("key-a"));
    issuer.cache_control(Some("max-age=86400"));
    let (base, handle) = serve(&issuer);
    let bounded = RemoteJwksOptions {
        min_cache_lifetime: Duration::from_millis(400),
        max_cache_lifetime: Duration::from_millis(800),
        ..options()
    };
    let jwks = remote(&base, bounded);

    // A day asked, 800 ms given.
    assert_eq!(jwks.refresh().await.unwrap(), 1);
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(jwks.key("key-a").await.unwrap().is_some());
    assert_eq!(issuer.hits(), 1);
    issuer.cache_control(Some("no-store"));
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert!(jwks.key("key-a").await.unwrap().is_some());
    assert!(eventually(|| issuer.hits() == 2).await);

    // no-store: the minimum, 400 ms, not every request.
    let fetched = Instant::now();
    tokio::time::sleep(Duration::from_millis(150)).await;
    assert!(jwks.key("key-a").await.unwrap().is_some());
    assert_eq!(issuer.hits(), 2);
    tokio::time::sleep(Duration::from_millis(450).saturating_sub(fetched.elapsed())).await;
    assert!(jwks.key("key-a").await.unwrap().is_some());
    assert!(eventually(|| issuer.hits() == 3).await);
    handle.stop(false).await;
}

#[actix_web::test]
async fn an_unknown_kid_is_remembered_until_the_next_allowed_refetch() {
    // CONTRACT: an unknown kid refetches at most once per interval per issuer.
    let issuer = Issuer::default();
    issuer.publish(&es256("key-a"));
    let (base, handle) = serve(&issuer);
    let interval = Duration::from_millis(1500);
    let opts = RemoteJwksOptions {
        min_refresh_interval: interval,
        ..options()
    };
    let jwks = remote(&base, opts);

    // The first miss fetches; the same kid again, and others, don't.
    assert!(jwks.key("ghost").await.unwrap().is_none());
    assert!(jwks.key("ghost").await.unwrap().is_none());
    assert_eq!(issuer.hits(), 1);
    for i in 0..20 {
        assert!(jwks.key(&format!("ghost-{i}")).await.unwrap().is_none());
    }
    assert_eq!(issuer.hits(), 1);

    // While a slow fetch is under way, the remembered kid is answered at once; a kid not yet
    // judged waits for that fetch, which might bring it.
    issuer.delay(Duration::from_millis(800));
    let refreshing = Arc::clone(&jwks);
    let refresh = actix_web::rt::spawn(async move { refreshing.refresh().await });
    tokio::time::sleep(Duration::from_millis(100)).await;
    let asked = Instant::now();
    assert!(jwks.key("ghost").await.unwrap().is_none());
    assert!(asked.elapsed() < Duration::from_millis(300));
    assert!(jwks.key("never-seen").await.unwrap().is_none());
    assert!(asked.elapsed() >= Duration::from_millis(500));
    assert_eq!(refresh.await.unwrap().unwrap(), 1);
    assert_eq!(issuer.hits(), 2);
    issuer.delay(Duration::ZERO);

    // The kid appears at the issuer: still unknown until a refetch is allowed, then found.
    let ghost = es256("ghost");
    issuer.publish(&ghost);
    assert!(jwks.key("ghost").await.unwrap().is_none());
    assert_eq!(issuer.hits(), 2);
    tokio::time::sleep(interval + Duration::from_millis(100)).await;
    assert!(jwks.key("ghost").await.unwrap().is_some());
    assert_eq!(issuer.hits(), 3);
    handle.stop(false).await;
}

#[actix_web::test]
async fn the_last_good_keys_outlive_an_outage_and_rotation_resumes_after_it() {
    let issuer = Issuer::default();
    let a = es256("key-a");
    issuer.publish(&a);
    issuer.cache_control(Some("max-age=0"));
    let (base, handle) = serve(&issuer);
    let opts = RemoteJwksOptions {
        min_cache_lifetime: Duration::from_millis(200),
        ..options()
    };
    let jwks = remote(&base, opts);
    let verifier = TokenVerifier::new(ISS, AUD, 0, KeySource::Remote(jwks.clone()));
    assert!(verifier.verify(&token(&a)).await.is_ok());
    assert_eq!(issuer.hits(), 1);

    issuer.down(true);
    for _ in 0..3 {
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert!(verifier.verify(&token(&a)).await.is_ok());
    }
    assert!(eventually(|| issuer.hits() >= 2).await);
    assert!(matches!(jwks.refresh().await, Err(JwksError::Fetch(_))));
    assert_eq!(jwks.cached_kids(), vec!["key-a".to_string()]);
    assert!(verifier.verify(&token(&a)).await.is_ok());
    // A kid not held can't be judged while the issuer is down: unavailable, not invalid.
    tokio::time::sleep(Duration::from_millis(150)).await;
    let b = es256("key-b");
    assert!(matches!(
        verifier.verify(&token(&b)).await,
        Err(AuthError::Unavailable(_))
    ));

    // Back up with a rotated key: the next allowed refetch brings it.
    issuer.publish(&b);
    issuer.down(false);
    tokio::time::sleep(Duration::from_millis(150)).await;
    assert_eq!(verifier.verify(&token(&b)).await.unwrap().kid, "key-b");
    assert!(verifier.verify(&token(&a)).await.is_ok());
    handle.stop(false).await;
}
