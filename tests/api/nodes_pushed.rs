//! CONTRACT ("Many nodes"): on PostgreSQL, nodes see each other's changes within 1 s, pushed
//! (`LISTEN`/`NOTIFY`), not on the timed reload (set to an hour in the tests).

use std::time::{Duration, Instant};

use serde_json::json;

use crate::helpers::{spawn_app, Backend, TestApp, API};
use crate::on_both_backends;

/// How long node `b` takes to refuse `client`'s secret once `a` answered a change, polling.
async fn until_refused(b: &TestApp, client: &str, secret: &str) -> Option<Duration> {
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(3) {
        let res = b
            .token_basic(
                client,
                secret,
                &[("grant_type", "client_credentials"), ("resource", API)],
            )
            .await;
        if res.status() != 200 {
            return Some(started.elapsed());
        }
        actix_web::rt::time::sleep(Duration::from_millis(25)).await;
    }
    None
}

async fn a_change_on_one_node_reaches_the_others_within_a_second(backend: Backend) {
    if backend == Backend::Sqlite {
        return; // One file, one node: nothing to push.
    }
    let Some(a) = spawn_app(backend).await else {
        return;
    };
    let b = a.another_node().await;
    let c = a.another_node().await;
    let admin = a.admin_token().await;
    let (made, secret) = a
        .api_create_client(
            &admin,
            json!({"client_id": "pushed", "name": "p", "scopes": ["read"],
            "default_scopes": ["read"], "audiences": [API]}),
        )
        .await;
    let secret = secret.unwrap();
    let id = made["id"].as_str().unwrap();
    // A client created at a: b and c serve it within a second.
    let started = Instant::now();
    for node in [&b, &c] {
        loop {
            let res = node
                .token_basic(
                    "pushed",
                    &secret,
                    &[("grant_type", "client_credentials"), ("resource", API)],
                )
                .await;
            if res.status() == 200 {
                break;
            }
            assert!(
                started.elapsed() < Duration::from_secs(1),
                "creation not pushed within 1 s"
            );
            actix_web::rt::time::sleep(Duration::from_millis(25)).await;
        }
    }
    eprintln!("propagation: creation {:?}", started.elapsed());
    // Disabled at a: refused at b and c within a second.
    let off = a
        .admin(
            "PATCH",
            &format!("/clients/{id}"),
            Some(&admin),
            Some(json!({"active": false})),
        )
        .await;
    assert_eq!(off.status, 200);
    for (name, node) in [("b", &b), ("c", &c)] {
        let took = until_refused(node, "pushed", &secret)
            .await
            .expect("refused at last");
        eprintln!("propagation: disable at {name} {took:?}");
        assert!(took <= Duration::from_secs(1), "node {name} took {took:?}");
    }
}

/// Waits until `check` holds on a node, up to 3 s; how long it took.
async fn until<F, Fut>(check: F) -> Duration
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(3) {
        if check().await {
            return started.elapsed();
        }
        actix_web::rt::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("not seen within 3 s");
}

async fn groups_organizations_and_keys_changed_on_one_node_reach_the_others_within_a_second(
    backend: Backend,
) {
    if backend == Backend::Sqlite {
        return;
    }
    let Some(a) = spawn_app(backend).await else {
        return;
    };
    let b = a.another_node().await;
    let admin = a.admin_token().await;
    let org = a
        .admin(
            "POST",
            "/orgs",
            Some(&admin),
            Some(json!({"slug": "acme", "name": "Acme"})),
        )
        .await;
    assert_eq!(org.status, 201);
    let group = a
        .admin(
            "POST",
            "/groups",
            Some(&admin),
            Some(json!({"org_id": "acme", "name": "deployers",
            "scopes": ["deploy:write"], "audiences": [API]})),
        )
        .await;
    let gid = group.body["id"].as_str().unwrap().to_string();
    let (_, secret) = a
        .api_create_client(
            &admin,
            json!({"client_id": "ci-1", "name": "ci", "org_id": "acme"}),
        )
        .await;
    let secret = secret.unwrap();
    let added = a
        .admin(
            "POST",
            &format!("/groups/{gid}/members"),
            Some(&admin),
            Some(json!({"principal": "ci-1"})),
        )
        .await;
    assert_eq!(added.status, 201);
    async fn may_deploy(node: &TestApp, secret: &str) -> bool {
        node.token_basic(
            "ci-1",
            secret,
            &[
                ("grant_type", "client_credentials"),
                ("resource", API),
                ("scope", "deploy:write"),
            ],
        )
        .await
        .status()
            == 200
    }
    let deploy = |node| may_deploy(node, &secret);
    let took = until(|| deploy(&b)).await;
    eprintln!("propagation: membership {took:?}");
    assert!(took <= Duration::from_secs(1));
    // The group loses the scope at a: b refuses it within a second.
    let patched = a
        .admin(
            "PATCH",
            &format!("/groups/{gid}"),
            Some(&admin),
            Some(json!({"scopes": []})),
        )
        .await;
    assert_eq!(patched.status, 200);
    let took = until(|| async { !deploy(&b).await }).await;
    eprintln!("propagation: group change {took:?}");
    assert!(took <= Duration::from_secs(1));
    // The organization disabled at a: b refuses its accounts within a second.
    a.admin(
        "PATCH",
        &format!("/groups/{gid}"),
        Some(&admin),
        Some(json!({"scopes": ["deploy:write"]})),
    )
    .await;
    until(|| deploy(&b)).await;
    let off = a
        .admin(
            "PATCH",
            "/orgs/acme",
            Some(&admin),
            Some(json!({"active": false})),
        )
        .await;
    assert_eq!(off.status, 200);
    let took = until(|| async { !deploy(&b).await }).await;
    eprintln!("propagation: organization disabled {took:?}");
    assert!(took <= Duration::from_secs(1));
    // A rotation at a: within a second b signs with the new key.
    let rotated = a
        .admin(
            "POST",
            "/keys/rotate",
            Some(&admin),
            Some(json!({"now": true})),
        )
        .await;
    assert_eq!(rotated.status, 201, "{}", rotated.body);
    let kid = rotated.body["kid"].as_str().unwrap().to_string();
    let took = until(|| {
        let (b, kid) = (&b, kid.clone());
        async move { crate::helpers::jwt_part(&b.admin_token().await, 0)["kid"] == kid.as_str() }
    })
    .await;
    eprintln!("propagation: key rotation {took:?}");
    assert!(took <= Duration::from_secs(1));
}

on_both_backends!(
    a_change_on_one_node_reaches_the_others_within_a_second,
    groups_organizations_and_keys_changed_on_one_node_reach_the_others_within_a_second
);
