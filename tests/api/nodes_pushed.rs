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

on_both_backends!(a_change_on_one_node_reaches_the_others_within_a_second);
