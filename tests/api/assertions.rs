//! Client assertions (RFC 7523) at the scale of a deployment: a `jti` is accepted once by every
//! node, across restarts, until the assertion expires; and never before its `nbf`.

use castellan::storage::used_assertions;
use serde_json::{json, Value};

use crate::helpers::{spawn_app, spawn_app_with, Backend, TestApp};
use crate::on_both_backends;
use crate::private_key_jwt::{assertion, claims, key_client, new_key, post_assertion};

on_both_backends!(
    an_assertion_used_at_one_node_is_refused_at_another,
    an_assertion_used_before_a_restart_is_refused_after_it,
    the_same_assertion_sent_at_once_to_two_nodes_gets_exactly_one_token,
    an_assertion_is_refused_before_its_nbf,
    used_assertions_are_kept_until_they_expire_then_purged,
);

const GRANT: [(&str, &str); 1] = [("grant_type", "client_credentials")];

/// Another server on the same database and master key, with the same issuer (as every node of
/// a deployment has), so that an assertion addressed to one is addressed to all.
async fn node_like(app: &TestApp) -> TestApp {
    app.another_node().await
}

async fn status_of(app: &TestApp, signed: &str) -> (u16, Value) {
    let res = post_assertion(app, "/oauth2/token", signed, &GRANT).await;
    (res.status().as_u16(), res.json().await.unwrap())
}

async fn an_assertion_used_at_one_node_is_refused_at_another(backend: Backend) {
    let Some(one) = spawn_app(backend).await else {
        return;
    };
    let key = new_key("k1");
    key_client(&one, "roaming", &key).await;
    let two = node_like(&one).await;
    let signed = assertion(&key, claims(&one, "roaming"));
    assert_eq!(status_of(&one, &signed).await.0, 200);
    let (status, body) = status_of(&two, &signed).await;
    assert_eq!(status, 401, "replayed at the second node: {body}");
    assert_eq!(body["error"], "invalid_client");
    // The second node takes a fresh assertion: it refused the replay, not the audience.
    let fresh = assertion(&key, claims(&one, "roaming"));
    assert_eq!(status_of(&two, &fresh).await.0, 200);
    // ...and the first node then refuses that one.
    assert_eq!(status_of(&one, &fresh).await.0, 401);
}

async fn an_assertion_used_before_a_restart_is_refused_after_it(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let key = new_key("k1");
    key_client(&app, "restarted", &key).await;
    let signed = assertion(&key, claims(&app, "restarted"));
    assert_eq!(status_of(&app, &signed).await.0, 200);
    let after = node_like(&app).await;
    app.handle.stop(true).await;
    let (status, body) = status_of(&after, &signed).await;
    assert_eq!(status, 401, "replayed after a restart: {body}");
    assert_eq!(body["error"], "invalid_client");
    let fresh = assertion(&key, claims(&app, "restarted"));
    assert_eq!(status_of(&after, &fresh).await.0, 200);
}

async fn the_same_assertion_sent_at_once_to_two_nodes_gets_exactly_one_token(backend: Backend) {
    // Without failure budgets, so that every refusal is the replay check's own.
    let Some(one) = spawn_app_with(backend, |s| s.rate_limit.enabled = false).await else {
        return;
    };
    let key = new_key("k1");
    key_client(&one, "racer", &key).await;
    let two = node_like(&one).await;
    for round in 0..3 {
        let signed = assertion(&key, claims(&one, "racer"));
        // Spawned first, awaited after: the requests are in flight together.
        let tries: Vec<_> = (0..16)
            .map(|i| {
                let node = if i % 2 == 0 { &one } else { &two };
                let (http, url, signed) =
                    (node.http.clone(), node.url("/oauth2/token"), signed.clone());
                actix_web::rt::spawn(async move {
                    let form = [
                        ("grant_type", "client_credentials"),
                        ("client_assertion_type", crate::private_key_jwt::JWT_BEARER),
                        ("client_assertion", signed.as_str()),
                    ];
                    http.post(url)
                        .form(&form)
                        .send()
                        .await
                        .unwrap()
                        .status()
                        .as_u16()
                })
            })
            .collect();
        let mut statuses = Vec::new();
        for t in tries {
            statuses.push(t.await.unwrap());
        }
        let tokens = statuses.iter().filter(|s| **s == 200).count();
        assert_eq!(tokens, 1, "round {round}: {statuses:?}");
        assert!(
            statuses.iter().all(|s| [200, 401].contains(s)),
            "round {round}: {statuses:?}"
        );
    }
}

async fn an_assertion_is_refused_before_its_nbf(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let key = new_key("k1");
    key_client(&app, "early", &key).await;
    let now = chrono::Utc::now().timestamp();
    let with = |field: &str, value: i64| {
        let mut c = claims(&app, "early");
        c[field] = json!(value);
        assertion(&key, c)
    };
    for (what, signed) in [
        ("nbf five minutes ahead", with("nbf", now + 300)),
        ("iat five minutes ahead", with("iat", now + 300)),
    ] {
        let (status, body) = status_of(&app, &signed).await;
        assert_eq!(status, 401, "{what}: {body}");
        assert_eq!(body["error"], "invalid_client", "{what}");
    }
    // Within the leeway for clock skew (60 s), and at or after nbf, it is good.
    assert_eq!(status_of(&app, &with("nbf", now + 20)).await.0, 200);
    assert_eq!(status_of(&app, &with("nbf", now - 5)).await.0, 200);
}

async fn used_assertions_are_kept_until_they_expire_then_purged(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let key = new_key("k1");
    key_client(&app, "kept", &key).await;
    assert_eq!(
        status_of(&app, &assertion(&key, claims(&app, "kept")))
            .await
            .0,
        200
    );
    let now = chrono::Utc::now();
    let (held, purged_now, purged_later, left) = app
        .state
        .db
        .run(move |conn| {
            let held = used_assertions::count(conn)?;
            let purged_now = used_assertions::purge_expired(conn, now.naive_utc())?;
            // exp (60 s) plus the leeway (60 s) later, nothing of it is usable.
            let later = now + chrono::Duration::seconds(121);
            let purged_later = used_assertions::purge_expired(conn, later.naive_utc())?;
            Ok((
                held,
                purged_now,
                purged_later,
                used_assertions::count(conn)?,
            ))
        })
        .await
        .unwrap();
    assert_eq!((held, purged_now, purged_later, left), (1, 0, 1, 0));
}
