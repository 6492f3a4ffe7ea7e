//! Rate limits on the token endpoint, per client and per address (docs/operations.md).

use crate::helpers::{spawn_app, spawn_app_with, Backend};
use crate::on_both_backends;
use crate::operations_support::{assert_slow_down, client_from, sample, scrape, token_from, GRANT};

on_both_backends!(
    per_client_limit_answers_429_with_retry_after,
    per_address_limit_answers_429_with_retry_after,
    default_limits_let_a_busy_client_through,
);

async fn per_client_limit_answers_429_with_retry_after(backend: Backend) {
    let Some(app) = spawn_app_with(backend, |s| {
        s.rate_limit.per_client_per_second = 1;
        s.rate_limit.per_client_burst = 2;
        s.metrics.per_client_series = true;
    })
    .await
    else {
        return;
    };
    let (id, secret) = app.service_account("svc-busy").await;
    let (other, other_secret) = app.service_account("svc-calm").await;
    for _ in 0..2 {
        assert_eq!(app.token_basic(&id, &secret, GRANT).await.status(), 200);
    }
    let retry_after = assert_slow_down(app.token_basic(&id, &secret, GRANT).await).await;
    assert_eq!(retry_after, 1);
    // The limit is the client's own: another client from the same address goes on.
    assert_eq!(
        app.token_basic(&other, &other_secret, GRANT).await.status(),
        200
    );
    // Failed authentications in its name do not spend its budget.
    assert_eq!(
        app.token_basic(&other, "cs_wrong", GRANT).await.status(),
        401
    );
    assert_eq!(
        app.token_basic(&other, &other_secret, GRANT).await.status(),
        200
    );
    actix_web::rt::time::sleep(std::time::Duration::from_millis(1100)).await;
    assert_eq!(app.token_basic(&id, &secret, GRANT).await.status(), 200);
    let text = scrape(&app).await;
    assert_eq!(
        sample(
            &text,
            "castellan_token_requests_refused_total",
            &[("error", "slow_down")]
        ),
        Some(1.0)
    );
    assert_eq!(
        sample(
            &text,
            "castellan_tokens_issued_total",
            &[("client_id", "svc-busy")]
        ),
        Some(3.0),
        "a refused request's token is not counted as issued"
    );
}

async fn per_address_limit_answers_429_with_retry_after(backend: Backend) {
    let Some(app) = spawn_app_with(backend, |s| {
        s.rate_limit.per_address_per_second = 1;
        s.rate_limit.per_address_burst = 3;
    })
    .await
    else {
        return;
    };
    let (id, secret) = app.service_account("svc-addr").await;
    let here = client_from("127.0.0.1");
    // Every request counts against the address, whatever its outcome.
    assert_eq!(token_from(&here, &app, &id, &secret).await.status(), 200);
    assert_eq!(token_from(&here, &app, &id, "cs_wrong").await.status(), 401);
    assert_eq!(token_from(&here, &app, &id, &secret).await.status(), 200);
    assert_slow_down(token_from(&here, &app, &id, &secret).await).await;
    // X-Forwarded-For is not believed.
    let res = here
        .post(app.url("/oauth2/token"))
        .header("Authorization", crate::helpers::basic(&id, &secret))
        .header("X-Forwarded-For", "203.0.113.9")
        .form(GRANT)
        .send()
        .await
        .unwrap();
    assert_slow_down(res).await;
    // Another address has a budget of its own.
    let there = client_from("127.0.0.2");
    assert_eq!(token_from(&there, &app, &id, &secret).await.status(), 200);
}

async fn default_limits_let_a_busy_client_through(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let (id, secret) = app.service_account("svc-bench").await;
    // Concurrent callers from one address and one client, as the benchmark runs.
    let mut tasks = Vec::new();
    for _ in 0..16 {
        let (http, url, auth) = (
            app.http.clone(),
            app.url("/oauth2/token"),
            crate::helpers::basic(&id, &secret),
        );
        tasks.push(actix_web::rt::spawn(async move {
            let mut ok = 0;
            for _ in 0..25 {
                let res = http
                    .post(&url)
                    .header("Authorization", &auth)
                    .form(GRANT)
                    .send()
                    .await
                    .unwrap();
                ok += usize::from(res.status() == 200);
            }
            ok
        }));
    }
    let mut ok = 0;
    for task in tasks {
        ok += task.await.unwrap();
    }
    assert_eq!(ok, 400);
}
