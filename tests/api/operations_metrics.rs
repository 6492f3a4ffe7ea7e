//! Running Castellan unattended: the metrics it exposes and the request ids it answers with
//! (docs/operations.md).

use crate::helpers::{spawn_app, spawn_app_with, Backend};
use crate::on_both_backends;
use crate::operations_support::{sample, scrape, GRANT};

on_both_backends!(
    metrics_count_tokens_refusals_requests_and_key_ages,
    responses_carry_a_request_id,
);

async fn metrics_count_tokens_refusals_requests_and_key_ages(backend: Backend) {
    // Per-client series are off by default (one series); asked for here, with a limit of 2.
    let Some(app) = spawn_app_with(backend, |s| {
        s.metrics.per_client_series = true;
        s.metrics.per_client_limit = 2;
    })
    .await
    else {
        return;
    };
    let (id, secret) = app.service_account("svc-metrics").await;
    for _ in 0..2 {
        assert_eq!(app.token_basic(&id, &secret, GRANT).await.status(), 200);
    }
    // Two failed authentications (a wrong secret, an unknown client) and a malformed request.
    assert_eq!(app.token_basic(&id, "cs_wrong", GRANT).await.status(), 401);
    assert_eq!(
        app.token_basic("svc-nobody", "cs_wrong", GRANT)
            .await
            .status(),
        401
    );
    let res = app
        .http
        .post(app.url("/oauth2/token"))
        .form(&[("scope", "read")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    let res = app
        .http
        .get(app.url("/no/such/path?secret=x"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);
    let jwks = app.jwks().await;

    let text = scrape(&app).await;
    let issued = "castellan_tokens_issued_total";
    assert_eq!(
        sample(&text, issued, &[("client_id", "svc-metrics")]),
        Some(2.0)
    );
    // Past the limit, clients count together; a deleted client's series goes at the reload.
    let (b, b_secret) = app.service_account("svc-metrics-b").await;
    let (c, c_secret) = app.service_account("svc-metrics-c").await;
    assert_eq!(app.token_basic(&b, &b_secret, GRANT).await.status(), 200);
    assert_eq!(app.token_basic(&c, &c_secret, GRANT).await.status(), 200);
    let limited = scrape(&app).await;
    assert_eq!(
        sample(&limited, issued, &[("client_id", "svc-metrics-b")]),
        Some(1.0)
    );
    assert_eq!(
        sample(&limited, issued, &[("client_id", "_other")]),
        Some(1.0)
    );
    assert_eq!(
        sample(&limited, issued, &[("client_id", "svc-metrics-c")]),
        None
    );
    // Refusals are counted by error code, never by the client_id the caller presented.
    assert!(!text.contains("svc-nobody"), "{text}");
    let refused = "castellan_token_requests_refused_total";
    assert_eq!(
        sample(&text, refused, &[("error", "invalid_client")]),
        Some(2.0)
    );
    assert_eq!(
        sample(&text, refused, &[("error", "invalid_request")]),
        Some(1.0)
    );
    assert_eq!(sample(&text, refused, &[("error", "slow_down")]), Some(0.0));

    let count = "castellan_http_request_duration_seconds_count";
    let by = |endpoint, status| sample(&text, count, &[("endpoint", endpoint), ("status", status)]);
    assert_eq!(by("/oauth2/token", "2xx"), Some(2.0));
    assert_eq!(by("/oauth2/token", "4xx"), Some(3.0));
    assert_eq!(by("/.well-known/jwks.json", "2xx"), Some(1.0));
    // Unmatched paths are one series, never the raw path.
    assert_eq!(by("other", "4xx"), Some(1.0));
    assert!(!text.contains("/no/such/path"), "{text}");
    let inf = sample(
        &text,
        "castellan_http_request_duration_seconds_bucket",
        &[
            ("endpoint", "/oauth2/token"),
            ("status", "2xx"),
            ("le", "+Inf"),
        ],
    );
    assert_eq!(inf, Some(2.0));
    assert!(sample(
        &text,
        "castellan_http_request_duration_seconds_sum",
        &[("endpoint", "/oauth2/token"), ("status", "2xx")],
    )
    .is_some_and(|s| s > 0.0));

    let kid = jwks["keys"][0]["kid"].as_str().unwrap();
    let age = sample(
        &text,
        "castellan_signing_key_age_seconds",
        &[("kid", kid), ("state", "current")],
    )
    .expect("the current key's age");
    assert!((0.0..600.0).contains(&age), "{age}");

    // A second scrape sees the two before it, and counters only grow.
    let again = scrape(&app).await;
    assert_eq!(
        sample(
            &again,
            count,
            &[("endpoint", "/metrics"), ("status", "2xx")]
        ),
        Some(2.0)
    );
    assert_eq!(
        sample(&again, refused, &[("error", "invalid_client")]),
        Some(2.0)
    );
}

async fn responses_carry_a_request_id(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let id_of = |res: &reqwest::Response| {
        res.headers()
            .get("x-request-id")
            .map(|v| v.to_str().unwrap().to_string())
    };
    let safe = |id: &str| {
        !id.is_empty()
            && id.len() <= 64
            && id
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))
    };

    // Generated when none is given, on every kind of answer, and different each time.
    let mut seen = Vec::new();
    for path in ["/healthz", "/.well-known/jwks.json", "/no/such/path"] {
        let res = app.http.get(app.url(path)).send().await.unwrap();
        let id = id_of(&res).unwrap_or_else(|| panic!("{path} has no X-Request-Id"));
        assert!(safe(&id) && id.len() >= 16, "{id}");
        seen.push(id);
    }
    let res = app.token_basic("svc-nobody", "cs_wrong", GRANT).await;
    assert_eq!(res.status(), 401);
    seen.push(id_of(&res).expect("the token endpoint's error has one"));
    seen.sort();
    seen.dedup();
    assert_eq!(seen.len(), 4);

    // A safe id given by the caller is echoed.
    let given = "trace-2f9A_b.7";
    let res = app
        .http
        .get(app.url("/healthz"))
        .header("X-Request-Id", given)
        .send()
        .await
        .unwrap();
    assert_eq!(id_of(&res).as_deref(), Some(given));
    let longest = "a".repeat(64);
    let res = app
        .http
        .get(app.url("/healthz"))
        .header("X-Request-Id", &longest)
        .send()
        .await
        .unwrap();
    assert_eq!(id_of(&res), Some(longest));

    // An unsafe one is replaced, never echoed.
    for unsafe_id in [
        "has space",
        "semi;colon",
        "quote\"d",
        "x{1}",
        &"a".repeat(65),
        "",
    ] {
        let res = app
            .http
            .get(app.url("/healthz"))
            .header("X-Request-Id", unsafe_id)
            .send()
            .await
            .unwrap();
        let id = id_of(&res).expect("an id");
        assert_ne!(id, unsafe_id);
        assert!(safe(&id) && id.len() == 16, "{id}");
    }
}
