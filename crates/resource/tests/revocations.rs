//! The revocation feed against a fake issuer: a listed jti is refused from the next poll on, a
//! bulk entry splits a second at the microsecond, the last good list outlives an outage, an
//! older list never replaces a newer one, and the polling task ends with the feed.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::sync::Arc;
use std::time::Duration;

use actix_web::http::{header, StatusCode};
use actix_web::{test, web, App};
use castellan_resource::{issued_at_micros, AuthError, ResourceGuard};
use common::{eventually, get, now, polling, routes, two_more_polls, Issuer, INTERVAL};

/// Whether the guard refuses `token` as revoked (401 invalid_token).
async fn refused(guard: &ResourceGuard, token: &str) -> bool {
    match guard.authenticate(token).await {
        Ok(_) => false,
        Err(AuthError::InvalidToken(why)) => {
            assert_eq!(why, "the token was revoked");
            true
        }
        Err(other) => panic!("refused for another reason: {other:?}"),
    }
}

/// The token's jti (read through the verifier alone: before a first list the guard refuses).
async fn jti_of(guard: &ResourceGuard, token: &str) -> String {
    guard.verifier.verify(token).await.unwrap().claims.jti
}

#[actix_web::test]
async fn a_token_whose_jti_the_list_names_is_refused_from_the_next_poll_on() {
    let issuer = Issuer::start().await;
    let first = now() - 10;
    issuer.serve_list(&issuer.list(first, &[], &[]));
    let (guard, feed) = issuer.guard_with_feed(polling());
    feed.spawn();
    let guard = web::Data::new(guard);
    let app = test::init_service(App::new().app_data(guard.clone()).configure(routes)).await;
    eventually("the first list is held", || feed.is_loaded()).await;

    let token = issuer.service_token("svc-orders");
    let other = issuer.service_token("svc-orders");
    let answer = test::call_service(&app, get("/whoami", &token).to_request()).await;
    assert_eq!(
        answer.status(),
        StatusCode::OK,
        "accepted before the list names it"
    );

    let jti = jti_of(&guard, &token).await;
    let second = now();
    issuer.serve_list(&issuer.list(second, &[&jti], &[]));
    eventually("the feed took the new list", || {
        feed.list_issued_at() == Some(second)
    })
    .await;

    let answer = test::call_service(&app, get("/whoami", &token).to_request()).await;
    assert_eq!(answer.status(), StatusCode::UNAUTHORIZED);
    let challenge = answer.headers().get(header::WWW_AUTHENTICATE).unwrap();
    assert!(challenge
        .to_str()
        .unwrap()
        .contains("error=\"invalid_token\""));
    assert!(refused(&guard, &token).await);
    // Only that token: another of the same client still passes.
    let answer = test::call_service(&app, get("/whoami", &other).to_request()).await;
    assert_eq!(answer.status(), StatusCode::OK);
}

#[actix_web::test]
async fn a_bulk_entry_refuses_tokens_issued_at_or_before_revoked_before_and_accepts_later_ones() {
    let issuer = Issuer::start().await;
    let (guard, feed) = issuer.guard_with_feed(polling());
    // An instant in the middle of a second, as the issuer writes it: seconds with a fraction.
    let second = now() - 5;
    let at = second * 1_000_000 + 123_456;
    let revoked_before = at as f64 / 1_000_000.0;
    issuer.serve_list(&issuer.list(now(), &[], &[("svc-bulk", revoked_before)]));
    assert_eq!(feed.refresh().await.unwrap(), (0, 1));

    let before = issuer.service_token_at("svc-bulk", at - 1);
    let exactly = issuer.service_token_at("svc-bulk", at);
    let after = issuer.service_token_at("svc-bulk", at + 1);
    let much_later = issuer.service_token("svc-bulk");
    let other_client = issuer.service_token_at("svc-other", at - 1);
    assert!(refused(&guard, &before).await, "issued before");
    assert!(refused(&guard, &exactly).await, "issued at revoked_before");
    assert!(
        !refused(&guard, &after).await,
        "issued 1 µs after, same second"
    );
    assert!(!refused(&guard, &much_later).await);
    assert!(!refused(&guard, &other_client).await, "another client");

    // A jti that doesn't carry the time is read as the start of iat's second: the safer side.
    assert_eq!(issued_at_micros("opaque", second), second * 1_000_000);
    assert_eq!(issued_at_micros(&format!("{at:x}.r"), second), at);
    assert_eq!(
        issued_at_micros(&format!("{at:x}.r"), second + 1),
        (second + 1) * 1_000_000
    );
}

#[actix_web::test]
async fn through_an_outage_the_last_good_list_stays_in_force() {
    let issuer = Issuer::start().await;
    let (guard, feed) = issuer.guard_with_feed(polling());
    let token = issuer.service_token("svc-orders");
    let fine = issuer.service_token("svc-orders");
    let jti = jti_of(&guard, &token).await;
    let iat = now();
    issuer.serve_list(&issuer.list(iat, &[&jti], &[]));
    feed.spawn();
    eventually("the list is held", || feed.is_loaded()).await;
    assert!(refused(&guard, &token).await);

    // The issuer answers 500, then 503.
    for status in [500, 503] {
        issuer.fail_list(status);
        two_more_polls(&issuer).await;
        assert!(feed.refresh().await.is_err());
        assert_eq!(feed.list_issued_at(), Some(iat));
        assert!(
            refused(&guard, &token).await,
            "still refused through a {status}"
        );
        assert!(!refused(&guard, &fine).await);
    }

    // The issuer is gone altogether: connections refused.
    issuer.stop().await;
    assert!(feed.refresh().await.is_err());
    actix_web::rt::time::sleep(INTERVAL * 3).await;
    assert_eq!(feed.list_issued_at(), Some(iat));
    assert!(
        refused(&guard, &token).await,
        "still refused with the issuer down"
    );
    assert!(
        !refused(&guard, &fine).await,
        "keys and list cached: others still pass"
    );
}

#[actix_web::test]
async fn an_older_list_never_replaces_a_newer_one() {
    let issuer = Issuer::start().await;
    let (guard, feed) = issuer.guard_with_feed(polling());
    let token = issuer.service_token("svc-orders");
    let jti = jti_of(&guard, &token).await;
    let old = now() - 30;
    let old_list = issuer.list(old, &[], &[]);
    issuer.serve_list(&old_list);
    feed.refresh().await.unwrap();
    assert!(!refused(&guard, &token).await);

    let newer = now();
    issuer.serve_list(&issuer.list(newer, &[&jti], &[]));
    feed.refresh().await.unwrap();
    assert!(refused(&guard, &token).await);

    // The old list, replayed (still within its own exp): refused, the newer one kept.
    issuer.serve_list(&old_list);
    let err = feed.refresh().await.unwrap_err();
    assert!(err.to_string().contains("older"), "{err}");
    assert_eq!(feed.list_issued_at(), Some(newer));
    assert!(
        refused(&guard, &token).await,
        "a replayed list can't un-revoke"
    );

    // Nor by the background polling.
    feed.spawn();
    two_more_polls(&issuer).await;
    assert_eq!(feed.list_issued_at(), Some(newer));
    assert!(refused(&guard, &token).await);
}

#[actix_web::test]
async fn the_feed_task_stops_when_the_last_feed_is_dropped() {
    let issuer = Issuer::start().await;
    issuer.serve_list(&issuer.list(now(), &[], &[]));
    let (guard, feed) = issuer.guard_with_feed(polling());
    let task = feed.spawn();
    eventually("the list is held", || feed.is_loaded()).await;
    two_more_polls(&issuer).await;

    let weak = Arc::downgrade(&feed);
    drop(guard);
    drop(feed);
    eventually("nothing holds the feed", || weak.upgrade().is_none()).await;
    tokio::time::timeout(Duration::from_secs(2), task)
        .await
        .expect("the task ended")
        .unwrap();
    let fetches = issuer.list_fetches();
    actix_web::rt::time::sleep(INTERVAL * 3).await;
    assert_eq!(issuer.list_fetches(), fetches, "no more polling");
}
