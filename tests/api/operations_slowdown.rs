//! Failed authentications slow the attacker down, not the client (docs/operations.md).

use crate::helpers::{spawn_app_with, Backend};
use crate::on_both_backends;
use crate::operations_support::{assert_slow_down, client_from, sample, scrape, token_from, GRANT};

on_both_backends!(
    failed_authentications_slow_the_attacker_not_the_client,
    a_success_forgives_earlier_failures_of_that_client_only,
);

async fn failed_authentications_slow_the_attacker_not_the_client(backend: Backend) {
    let Some(app) = spawn_app_with(backend, |s| {
        s.rate_limit.failures_per_address_client_per_minute = 3;
        s.rate_limit.failures_per_address_per_minute = 6;
    })
    .await
    else {
        return;
    };
    let (victim, victim_secret) = app.service_account("svc-victim").await;
    let (bystander, bystander_secret) = app.service_account("svc-bystander").await;
    let attacker = client_from("127.0.0.2");
    let real = client_from("127.0.0.1");

    // The attacker's guesses at svc-victim: three answered, then refused before any check.
    for _ in 0..3 {
        let res = token_from(&attacker, &app, &victim, "cs_guess").await;
        assert_eq!(res.status(), 401);
    }
    let retry_after =
        assert_slow_down(token_from(&attacker, &app, &victim, "cs_guess").await).await;
    assert!((1..=30).contains(&retry_after), "{retry_after}");
    // Even the right secret from the attacker's address is refused: nothing is learnt there.
    assert_slow_down(token_from(&attacker, &app, &victim, &victim_secret).await).await;

    // The real client, calling from its own address, is not locked out.
    for _ in 0..3 {
        assert_eq!(
            token_from(&real, &app, &victim, &victim_secret)
                .await
                .status(),
            200
        );
    }
    // The attacker's address still reaches other client_ids until its own budget is spent.
    assert_eq!(
        token_from(&attacker, &app, &bystander, &bystander_secret)
            .await
            .status(),
        200
    );
    for n in 0..3 {
        let res = token_from(&attacker, &app, &format!("svc-spray-{n}"), "cs_guess").await;
        assert_eq!(res.status(), 401);
    }
    // Six failures from the address, over any client_ids: the whole address slows down.
    assert_slow_down(token_from(&attacker, &app, &bystander, &bystander_secret).await).await;
    assert_slow_down(token_from(&attacker, &app, "svc-spray-9", "cs_guess").await).await;
    // And still only that address.
    assert_eq!(
        token_from(&real, &app, &bystander, &bystander_secret)
            .await
            .status(),
        200
    );
    assert_eq!(
        token_from(&real, &app, &victim, &victim_secret)
            .await
            .status(),
        200
    );

    let text = scrape(&app).await;
    let refused = "castellan_token_requests_refused_total";
    assert_eq!(
        sample(&text, refused, &[("error", "invalid_client")]),
        Some(6.0)
    );
    assert_eq!(sample(&text, refused, &[("error", "slow_down")]), Some(4.0));
}

async fn a_success_forgives_earlier_failures_of_that_client_only(backend: Backend) {
    let Some(app) = spawn_app_with(backend, |s| {
        s.rate_limit.failures_per_address_client_per_minute = 3;
        s.rate_limit.failures_per_address_per_minute = 100;
    })
    .await
    else {
        return;
    };
    let (id, secret) = app.service_account("svc-rotating").await;
    // A client mid-rotation tries an old secret now and then and succeeds in between: its
    // failures never add up to a refusal.
    for _ in 0..4 {
        assert_eq!(app.token_basic(&id, "cs_old", GRANT).await.status(), 401);
        assert_eq!(app.token_basic(&id, "cs_old", GRANT).await.status(), 401);
        assert_eq!(app.token_basic(&id, &secret, GRANT).await.status(), 200);
    }
    // Without successes in between, the third failure spends the budget.
    for _ in 0..3 {
        assert_eq!(app.token_basic(&id, "cs_old", GRANT).await.status(), 401);
    }
    assert_slow_down(app.token_basic(&id, &secret, GRANT).await).await;
}
