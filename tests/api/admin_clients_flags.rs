//! The admin service account flag: its rules, enforced by the API and by the store, and audited.

use serde_json::json;

use crate::helpers::{spawn_app, Backend, ADMIN_ID};
use crate::on_both_backends;

on_both_backends!(
    admin_flag_rules_are_refused_not_repaired,
    the_store_itself_refuses_a_bad_admin_flag,
    toggling_the_admin_flag_is_audited_with_actor_target_and_ip,
);

async fn admin_flag_rules_are_refused_not_repaired(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let admin = app.admin_token().await;
    let bad = [
        json!({"name": "p", "client_type": "public", "is_admin_service_account": true}),
        json!({"name": "n", "is_service_account": false, "is_admin_service_account": true}),
        json!({"name": "g", "grant_types": [], "is_admin_service_account": true}),
        json!({"name": "g2", "grant_types": ["authorization_code"], "is_admin_service_account": true}),
    ];
    for body in bad {
        let a = app
            .admin("POST", "/clients", Some(&admin), Some(body.clone()))
            .await;
        assert_eq!(a.status, 422, "{body}");
        assert_eq!(a.content_type, "application/problem+json");
        assert!(a.body["errors"].as_array().is_some_and(|e| !e.is_empty()));
    }
    // Nothing was half-written: only the bootstrap admin exists.
    let list = app.admin("GET", "/clients", Some(&admin), None).await;
    assert_eq!(list.body["items"].as_array().unwrap().len(), 1);
    // Updates that would break the rule are refused and leave the client as it was.
    let (body, _) = app
        .api_create_client(&admin, json!({"client_id": "ops", "name": "ops", "is_admin_service_account": true, "scopes": ["admin:audit:read"]}))
        .await;
    let path = format!("/clients/{}", body["id"].as_str().unwrap());
    for patch in [
        json!({"is_service_account": false}),
        json!({"grant_types": []}),
        json!({"client_type": "public", "token_endpoint_auth_method": "none"}),
    ] {
        let a = app
            .admin("PATCH", &path, Some(&admin), Some(patch.clone()))
            .await;
        assert_eq!(a.status, 422, "{patch}");
    }
    let now = app.admin("GET", &path, Some(&admin), None).await.body;
    assert_eq!(now["is_admin_service_account"], true);
    assert_eq!(now["is_service_account"], true);
    assert_eq!(now["client_type"], "confidential");
    assert_eq!(now["grant_types"], json!(["client_credentials"]));
}

async fn the_store_itself_refuses_a_bad_admin_flag(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    // Around the API: write rows straight into the store.
    let result = app
        .state
        .db
        .run(|conn| {
            use castellan::storage::clients as rows;
            let mut row = rows::find_by_client_id(conn, ADMIN_ID)?;
            row.client_type = "public".into();
            rows::update(conn, &row)
        })
        .await;
    assert!(
        matches!(result, Err(castellan::storage::StoreError::Constraint(_))),
        "{result:?}"
    );
    let result = app
        .state
        .db
        .run(|conn| {
            use castellan::storage::clients as rows;
            let mut row = rows::find_by_client_id(conn, ADMIN_ID)?;
            row.grant_types = "authorization_code".into();
            rows::update(conn, &row)
        })
        .await;
    assert!(
        matches!(result, Err(castellan::storage::StoreError::Constraint(_))),
        "{result:?}"
    );
    let mut c = crate::helpers::service_account("raw-admin");
    c.is_service_account = false;
    c.is_admin_service_account = true;
    let row = c.to_row();
    let result = app
        .state
        .db
        .run(move |conn| castellan::storage::clients::insert(conn, &row, None))
        .await;
    assert!(
        matches!(result, Err(castellan::storage::StoreError::Constraint(_))),
        "{result:?}"
    );
    // An update that read the row before a bulk revocation does not undo it.
    let kept = app
        .state
        .db
        .run(|conn| {
            use castellan::storage::clients as rows;
            let stale = rows::find_by_client_id(conn, ADMIN_ID)?;
            let at = chrono::Utc::now().naive_utc();
            rows::set_tokens_revoked_before(conn, &stale.id, at)?;
            rows::update(conn, &stale)?;
            // (PostgreSQL keeps microseconds: compare to the millisecond.)
            Ok(rows::find(conn, &stale.id)?
                .tokens_revoked_before
                .is_some_and(|t| (t - at).num_milliseconds().abs() < 1))
        })
        .await
        .unwrap();
    assert!(kept, "a stale update undid the bulk revocation");
    // And the refused insert left no principal behind.
    let kinds = app
        .state
        .db
        .run(|conn| castellan::storage::principals::resolve(conn, "raw-admin"))
        .await
        .unwrap();
    assert!(kinds.is_empty());
}

async fn toggling_the_admin_flag_is_audited_with_actor_target_and_ip(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let admin = app.admin_token().await;
    let (body, _) = app
        .api_create_client(&admin, json!({"client_id": "flag", "name": "f"}))
        .await;
    let path = format!("/clients/{}", body["id"].as_str().unwrap());
    app.admin(
        "PATCH",
        &path,
        Some(&admin),
        Some(json!({"is_admin_service_account": true})),
    )
    .await;
    app.admin(
        "PATCH",
        &path,
        Some(&admin),
        Some(json!({"is_admin_service_account": false})),
    )
    .await;
    let events = app
        .admin("GET", "/audit-events?target=flag", Some(&admin), None)
        .await
        .body;
    let items = events["items"].as_array().unwrap();
    let actions: Vec<&str> = items
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    // Newest first.
    let cleared = actions
        .iter()
        .position(|a| *a == "client.admin_flag_cleared")
        .expect("cleared event");
    let set = actions
        .iter()
        .position(|a| *a == "client.admin_flag_set")
        .expect("set event");
    assert!(cleared < set);
    let e = &items[set];
    assert_eq!(e["actor"], ADMIN_ID);
    assert_eq!(e["actor_kind"], "service_account");
    assert_eq!(e["ip"], "127.0.0.1");
    assert_eq!(e["details"]["is_admin_service_account"]["after"], true);
    // Filters work.
    let only = app
        .admin(
            "GET",
            "/audit-events?action=client.admin_flag_set&actor=test-admin",
            Some(&admin),
            None,
        )
        .await
        .body;
    assert!(only["items"]
        .as_array()
        .unwrap()
        .iter()
        .all(|e| e["action"] == "client.admin_flag_set"));
}
