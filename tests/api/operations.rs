//! Running Castellan unattended: metrics, rate limits on the token endpoint, request ids
//! (docs/operations.md).

use std::net::IpAddr;

use serde_json::Value;

use crate::helpers::{spawn_app, spawn_app_with, Backend, TestApp};
use crate::on_both_backends;

on_both_backends!(
    metrics_count_tokens_refusals_requests_and_key_ages,
    per_client_limit_answers_429_with_retry_after,
    per_address_limit_answers_429_with_retry_after,
    failed_authentications_slow_the_attacker_not_the_client,
    a_success_forgives_earlier_failures_of_that_client_only,
    default_limits_let_a_busy_client_through,
    responses_carry_a_request_id,
);

const GRANT: &[(&str, &str)] = &[("grant_type", "client_credentials")];

/// One sample of the text exposition: the series with exactly these labels.
fn sample(text: &str, name: &str, labels: &[(&str, &str)]) -> Option<f64> {
    let mut wanted: Vec<(String, String)> = labels
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    wanted.sort();
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
        .find_map(|line| {
            let (series, value) = line.rsplit_once(' ')?;
            let (series_name, mut got) = match series.split_once('{') {
                Some((n, rest)) => (n, parse_labels(rest.strip_suffix('}')?)),
                None => (series, Vec::new()),
            };
            got.sort();
            (series_name == name && got == wanted)
                .then(|| value.parse().ok())
                .flatten()
        })
}

fn parse_labels(mut s: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    while let Some((key, rest)) = s.split_once("=\"") {
        let end = rest.find('"').expect("closing quote");
        out.push((key.to_string(), rest[..end].to_string()));
        s = rest[end + 1..].trim_start_matches(',');
    }
    out
}

async fn scrape(app: &TestApp) -> String {
    let res = app
        .http
        .get(app.management_url("/metrics"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let content_type = res.headers()["content-type"].to_str().unwrap().to_string();
    assert!(content_type.starts_with("text/plain"), "{content_type}");
    res.text().await.unwrap()
}

/// A client whose connections come from `source` (any 127.0.0.0/8 address reaches the
/// loopback listener), so a test can be two callers at once.
fn client_from(source: &str) -> reqwest::Client {
    reqwest::Client::builder()
        .local_address(source.parse::<IpAddr>().unwrap())
        .build()
        .unwrap()
}

async fn token_from(
    http: &reqwest::Client,
    app: &TestApp,
    id: &str,
    secret: &str,
) -> reqwest::Response {
    http.post(app.url("/oauth2/token"))
        .header("Authorization", crate::helpers::basic(id, secret))
        .form(GRANT)
        .send()
        .await
        .unwrap()
}

async fn assert_slow_down(res: reqwest::Response) -> u64 {
    assert_eq!(res.status(), 429);
    let retry_after: u64 = res.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(retry_after >= 1);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["error"], "slow_down");
    assert!(body["error_description"]
        .as_str()
        .is_some_and(|d| !d.is_empty()));
    retry_after
}

async fn metrics_count_tokens_refusals_requests_and_key_ages(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
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

    // A second scrape sees the first one's request, and counters only grow.
    let again = scrape(&app).await;
    assert_eq!(
        sample(
            &again,
            count,
            &[("endpoint", "/metrics"), ("status", "2xx")]
        ),
        Some(1.0)
    );
    assert_eq!(
        sample(&again, refused, &[("error", "invalid_client")]),
        Some(2.0)
    );
}

async fn per_client_limit_answers_429_with_retry_after(backend: Backend) {
    let Some(app) = spawn_app_with(backend, |s| {
        s.rate_limit.per_client_per_second = 1;
        s.rate_limit.per_client_burst = 2;
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
