//! Several nodes on one database, and the database going away (CONTRACT "Many nodes").

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use castellan::app::Application;
use castellan::config::SecretString;
use castellan::storage::schema::{clients, signing_keys};
use diesel::prelude::*;
use serde_json::Value;

use crate::helpers::{spawn_app_with, test_settings, Backend, TestApp, TestDb};
use crate::nodes_support::{
    introspect, is_active, kid_of, published_kids, second_node, start_node, Forwarder, ISSUER,
};
use crate::on_both_backends;

on_both_backends!(
    a_rotation_on_one_node_is_accepted_at_once_and_signed_with_within_a_second_by_another,
    a_revocation_on_one_node_reaches_another_within_a_second,
);

/// Two nodes of one deployment.
async fn two_nodes(backend: Backend) -> Option<(TestApp, TestApp)> {
    let a = spawn_app_with(backend, |s| s.issuer = Some(ISSUER.into())).await?;
    let b = second_node(&a).await;
    Some((a, b))
}

async fn a_rotation_on_one_node_is_accepted_at_once_and_signed_with_within_a_second_by_another(
    backend: Backend,
) {
    let Some((a, b)) = two_nodes(backend).await else {
        return;
    };
    let old = a.admin_token().await;
    let rotated = a
        .admin(
            "POST",
            "/keys/rotate",
            Some(&old),
            Some(serde_json::json!({"now": true})),
        )
        .await;
    assert_eq!(rotated.status, 201, "{}", rotated.body);
    let answered = Instant::now();
    let new_kid = rotated.body["kid"].as_str().unwrap().to_string();
    let fresh = a.admin_token().await;
    assert_eq!(kid_of(&fresh), new_kid);
    // B never held the new key, yet takes A's token at once: admin API and introspection.
    let at_b = b.admin("GET", "/keys", Some(&fresh), None).await;
    assert_eq!(at_b.status, 200, "{}", at_b.body);
    assert!(is_active(&b, &fresh).await);
    // And within 1 s of A's answer, B signs with the new key too.
    let mut signed_with = String::new();
    while answered.elapsed() < Duration::from_secs(1) {
        signed_with = kid_of(&b.admin_token().await);
        if signed_with == new_kid {
            break;
        }
        actix_web::rt::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(
        signed_with, new_kid,
        "B still signs with the old key after 1 s"
    );
}

async fn a_revocation_on_one_node_reaches_another_within_a_second(backend: Backend) {
    let Some((a, b)) = two_nodes(backend).await else {
        return;
    };
    let token = a.admin_token().await;
    let kid = kid_of(&token);
    assert_eq!(
        b.admin("GET", "/keys", Some(&token), None).await.status,
        200
    );
    let revoked = a
        .admin("POST", &format!("/keys/{kid}/revoke"), Some(&token), None)
        .await;
    assert_eq!(revoked.status, 200, "{}", revoked.body);
    let answered = Instant::now();
    let new_kid = revoked.body["replaced_by"].as_str().unwrap().to_string();
    let mut dropped = false;
    while answered.elapsed() < Duration::from_secs(1) {
        let refused = b.admin("GET", "/keys", Some(&token), None).await.status == 401;
        let unpublished = !published_kids(&b).await.contains(&kid);
        let new_signer = kid_of(&b.admin_token().await) == new_kid;
        if refused && unpublished && new_signer {
            dropped = true;
            break;
        }
        actix_web::rt::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(
        dropped,
        "B still trusts, publishes or signs with the revoked key after 1 s"
    );
    assert!(!is_active(&b, &token).await);
}

fn count(app: &TestApp, f: fn(&mut castellan::storage::DbConnection) -> QueryResult<i64>) -> i64 {
    let db = app.state.db.clone();
    let mut conn = db.conn().unwrap();
    f(&mut conn).unwrap()
}

#[actix_web::test]
async fn nodes_starting_together_on_an_empty_database_migrate_and_seed_it_exactly_once() {
    let master = URL_SAFE_NO_PAD.encode([7u8; 32]);
    for round in 0..5 {
        let dir = Arc::new(tempfile::tempdir().unwrap());
        let Some(db) = TestDb::new(Backend::Postgres, dir.path()) else {
            return;
        };
        let db = Arc::new(db);
        let mut settings = test_settings(dir.path(), &db);
        settings.issuer = Some(ISSUER.into());
        settings.master_key = Some(SecretString::new(&master));
        let (x, y, z) = tokio::join!(
            Application::build(settings.clone()),
            Application::build(settings.clone()),
            Application::build(settings.clone()),
        );
        let mut nodes = Vec::new();
        for (i, built) in [x, y, z].into_iter().enumerate() {
            let app = built.unwrap_or_else(|e| panic!("round {round}: node {i} failed: {e}"));
            nodes.push(crate::helpers::running(
                app,
                settings.clone(),
                dir.clone(),
                db.clone(),
            ));
        }
        let keys = count(&nodes[0], |c| signing_keys::table.count().get_result(c));
        let admins = count(&nodes[0], |c| {
            clients::table
                .filter(clients::is_admin_service_account.eq(true))
                .count()
                .get_result(c)
        });
        assert_eq!(
            (keys, admins),
            (1, 1),
            "round {round}: signing keys, admins"
        );
        // Every node signs with that one key, and takes the others' tokens.
        let token = nodes[0].admin_token().await;
        for node in &nodes {
            assert_eq!(kid_of(&node.admin_token().await), kid_of(&token));
            assert_eq!(
                node.admin("GET", "/keys", Some(&token), None).await.status,
                200
            );
        }
        for node in nodes {
            node.handle.stop(false).await;
        }
    }
}

/// GET /admin/v1/keys at `app`: (status, Retry-After, content type, how long it took).
async fn timed_keys_call(app: &TestApp, token: &str) -> (u16, Option<String>, String, Duration) {
    let started = Instant::now();
    let res = app
        .http
        .get(app.url("/admin/v1/keys"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    let took = started.elapsed();
    let header = |name: &str| {
        res.headers()
            .get(name)
            .map(|v| v.to_str().unwrap().to_string())
    };
    (
        res.status().as_u16(),
        header("retry-after"),
        header("content-type").unwrap_or_default(),
        took,
    )
}

#[actix_web::test]
async fn while_postgresql_is_away_calls_that_need_it_answer_503_at_once_and_recover_by_themselves()
{
    let dir = Arc::new(tempfile::tempdir().unwrap());
    let Some(db) = TestDb::new(Backend::Postgres, dir.path()) else {
        return;
    };
    let db = Arc::new(db);
    let real = url::Url::parse(&db.url).unwrap();
    let target: SocketAddr = format!(
        "{}:{}",
        real.host_str().unwrap(),
        real.port().unwrap_or(5432)
    )
    .parse()
    .unwrap();
    let forwarder = Forwarder::start(0, target).await;
    let port = forwarder.port;
    let mut settings = test_settings(dir.path(), &db);
    let mut through = real.clone();
    through.set_host(Some("127.0.0.1")).unwrap();
    through.set_port(Some(port)).unwrap();
    settings.database_url = through.to_string();
    let app = start_node(settings, dir, db).await;
    let token = app.admin_token().await;
    assert_eq!(timed_keys_call(&app, &token).await.0, 200);

    forwarder.stop().await;
    let (status, retry_after, content_type, took) = timed_keys_call(&app, &token).await;
    assert_eq!(status, 503);
    assert!(retry_after.is_some(), "a 503 says when to retry");
    assert_eq!(content_type, "application/problem+json");
    assert!(
        took < Duration::from_secs(2),
        "the admin call took {took:?}"
    );

    let started = Instant::now();
    let ready = app.http.get(app.url("/readyz")).send().await.unwrap();
    assert_eq!(ready.status(), 503);
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "/readyz took {:?}",
        started.elapsed()
    );

    // Introspection needs the store for its live checks: a JSON error, 503.
    let started = Instant::now();
    let res = introspect(&app, &token).await;
    assert_eq!(res.status(), 503);
    assert!(res.headers().get("retry-after").is_some());
    assert!(started.elapsed() < Duration::from_secs(2));
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["error"], "temporarily_unavailable");

    // The database comes back on the same address: the server heals without a restart.
    let forwarder = Forwarder::start(port, target).await;
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut status = 0;
    while Instant::now() < deadline {
        status = timed_keys_call(&app, &token).await.0;
        if status == 200 {
            break;
        }
        actix_web::rt::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(status, 200, "the admin API did not recover");
    let ready = app.http.get(app.url("/readyz")).send().await.unwrap();
    assert_eq!(ready.status(), 200);
    assert!(is_active(&app, &token).await);
    app.handle.stop(false).await;
    forwarder.stop().await;
}
