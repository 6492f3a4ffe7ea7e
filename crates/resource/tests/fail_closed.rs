//! Before the first revocation list: by default (`fail_closed`) every token is refused with a
//! 503, since a token revoked before the service started must not slip through; with
//! `fail_closed: false` tokens are checked as usual, without a list.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use actix_web::http::{header, StatusCode};
use actix_web::{test, web, App};
use castellan_resource::claims::SERVICE_ACCOUNT;
use castellan_resource::{AuthError, RevocationFeedOptions};
use common::{eventually, get, now, polling, routes, two_more_polls, Issuer};

#[actix_web::test]
async fn fail_closed_is_the_default_and_refuses_every_token_with_503_before_a_first_list() {
    assert!(RevocationFeedOptions::default().fail_closed);
    let issuer = Issuer::start().await;
    issuer.fail_list(500);
    let (guard, feed) = issuer.guard_with_feed(polling());
    feed.spawn();
    let guard = web::Data::new(guard);
    let app = test::init_service(App::new().app_data(guard.clone()).configure(routes)).await;
    two_more_polls(&issuer).await;
    assert!(!feed.is_loaded());

    let token = issuer.service_token("svc-orders");
    assert!(matches!(
        guard.authenticate(&token).await,
        Err(AuthError::Unavailable(_))
    ));
    let answer = test::call_service(&app, get("/whoami", &token).to_request()).await;
    assert_eq!(answer.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert!(answer.headers().contains_key(header::RETRY_AFTER));
    assert!(!answer.headers().contains_key(header::WWW_AUTHENTICATE));

    // The first list arrives: the same token passes.
    issuer.serve_list(&issuer.list(now(), &[], &[]));
    eventually("the first list is held", || feed.is_loaded()).await;
    let answer = test::call_service(&app, get("/whoami", &token).to_request()).await;
    assert_eq!(answer.status(), StatusCode::OK);
}

#[actix_web::test]
async fn without_fail_closed_tokens_are_checked_without_a_list() {
    let issuer = Issuer::start().await;
    issuer.fail_list(500);
    let options = RevocationFeedOptions {
        fail_closed: false,
        ..polling()
    };
    let (guard, feed) = issuer.guard_with_feed(options);
    feed.spawn();
    let app =
        test::init_service(App::new().app_data(web::Data::new(guard)).configure(routes)).await;
    two_more_polls(&issuer).await;
    assert!(!feed.is_loaded());

    let token = issuer.service_token("svc-orders");
    let answer = test::call_service(&app, get("/whoami", &token).to_request()).await;
    assert_eq!(answer.status(), StatusCode::OK);

    // Still checked: an expired token, or one not signed by the issuer, is refused.
    let issued = (now() - 1000) * 1_000_000;
    let expired = issuer.token(SERVICE_ACCOUNT, "svc-orders", "svc-orders", issued);
    let (signed, _) = token.rsplit_once('.').unwrap();
    let forged = format!("{signed}.{}", "A".repeat(86));
    for bad in [expired, forged] {
        let answer = test::call_service(&app, get("/whoami", &bad).to_request()).await;
        assert_eq!(answer.status(), StatusCode::UNAUTHORIZED);
    }
}
