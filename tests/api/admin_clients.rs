//! The admin API's clients, secrets and the contract rules around them.

use serde_json::{json, Value};

use crate::helpers::{spawn_app, Backend, ADMIN_ID, API};
use crate::on_both_backends;

on_both_backends!(
    no_token_or_a_bad_one_gets_401_with_a_bearer_challenge,
    a_token_without_the_scope_gets_403,
    a_token_for_another_audience_is_refused,
    a_confidential_client_shows_its_first_secret_once,
    clients_list_in_pages,
    admin_flag_rules_are_refused_not_repaired,
    the_store_itself_refuses_a_bad_admin_flag,
    partial_updates_keep_fields_not_sent,
    toggling_the_admin_flag_is_audited_with_actor_target_and_ip,
    a_service_account_that_is_not_admin_is_refused,
    disabling_a_client_shuts_its_tokens_out_at_once,
    clearing_the_admin_flag_shuts_its_tokens_out_at_once,
    bulk_revocation_refuses_every_earlier_token,
    a_revoked_jti_is_refused,
    no_principal_grants_what_it_does_not_hold,
    users_and_clients_never_share_an_identifier,
    secrets_rotate_list_without_values_and_revoke,
    deleting_a_client_frees_its_identifier_and_kills_its_tokens,
    bad_input_gets_problem_details,
);

async fn no_token_or_a_bad_one_gets_401_with_a_bearer_challenge(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let a = app.admin("GET", "/clients", None, None).await;
    assert_eq!(a.status, 401);
    assert_eq!(a.challenge.as_deref(), Some("Bearer realm=\"castellan\""));
    assert_eq!(a.content_type, "application/problem+json");
    let a = app.admin("GET", "/clients", Some("not.a.jwt"), None).await;
    assert_eq!(a.status, 401);
    assert!(a.challenge.unwrap().contains("error=\"invalid_token\""));
    assert_eq!(a.body["status"], 401);
}

async fn a_token_without_the_scope_gets_403(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let (token, _) = app.limited_admin("reader", &["admin:users:read"]).await;
    assert_eq!(
        app.admin("GET", "/users", Some(&token), None).await.status,
        200
    );
    let a = app.admin("GET", "/clients", Some(&token), None).await;
    assert_eq!(a.status, 403);
    assert!(a.challenge.unwrap().contains("insufficient_scope"));
    assert_eq!(a.content_type, "application/problem+json");
    let a = app.admin("POST", "/keys/rotate", Some(&token), None).await;
    assert_eq!(a.status, 403);
}

async fn a_token_for_another_audience_is_refused(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let admin = app.admin_token().await;
    let (_, secret) = app
        .api_create_client(
            &admin,
            json!({"client_id": "two-aud", "name": "x", "scopes": ["admin"],
            "audiences": ["urn:castellan:admin", API], "is_admin_service_account": true}),
        )
        .await;
    let token = app
        .access_token(
            "two-aud",
            &secret.unwrap(),
            &[("resource", API), ("scope", "admin")],
        )
        .await;
    let a = app.admin("GET", "/clients", Some(&token), None).await;
    assert_eq!(a.status, 401);
}

async fn a_confidential_client_shows_its_first_secret_once(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let admin = app.admin_token().await;
    let (body, secret) = app
        .api_create_client(&admin, json!({"name": "CI", "scopes": ["read"], "default_scopes": ["read"], "audiences": [API]}))
        .await;
    let secret = secret.expect("first secret");
    let client_id = body["client_id"].as_str().unwrap();
    assert!(
        uuid::Uuid::parse_str(client_id).is_ok(),
        "generated client_id"
    );
    assert_eq!(body["is_service_account"], true);
    assert_eq!(body["client_type"], "confidential");
    // Shown once: reading the client again never shows it.
    let a = app
        .admin(
            "GET",
            &format!("/clients/{}", body["id"].as_str().unwrap()),
            Some(&admin),
            None,
        )
        .await;
    assert_eq!(a.status, 200);
    assert!(!a.body.to_string().contains(&secret));
    assert!(a.body.get("client_secret").is_none());
    // And it works at once.
    let token = app.access_token(client_id, &secret, &[]).await;
    app.verify(&token, API).await.unwrap();
}

async fn clients_list_in_pages(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let admin = app.admin_token().await;
    for i in 0..3 {
        app.api_create_client(
            &admin,
            json!({"client_id": format!("page-{i}"), "name": "p"}),
        )
        .await;
    }
    let a = app
        .admin("GET", "/clients?limit=2", Some(&admin), None)
        .await;
    assert_eq!(a.body["items"].as_array().unwrap().len(), 2);
    assert_eq!(a.body["next_offset"], 2);
    let b = app
        .admin("GET", "/clients?limit=2&offset=2", Some(&admin), None)
        .await;
    assert_eq!(b.body["items"].as_array().unwrap().len(), 2); // 3 + the bootstrap admin
    let all: Vec<Value> = a.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .chain(b.body["items"].as_array().unwrap())
        .cloned()
        .collect();
    let mut ids: Vec<&str> = all
        .iter()
        .map(|c| c["client_id"].as_str().unwrap())
        .collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 4);
    assert_eq!(
        app.admin("GET", "/clients?limit=0", Some(&admin), None)
            .await
            .status,
        400
    );
}

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

async fn partial_updates_keep_fields_not_sent(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let admin = app.admin_token().await;
    let (body, _) = app
        .api_create_client(&admin, json!({"client_id": "keep", "name": "before", "description": "d", "scopes": ["admin:audit:read"],
            "audiences": ["urn:castellan:admin"], "is_admin_service_account": true, "token_ttl_seconds": 120}))
        .await;
    let path = format!("/clients/{}", body["id"].as_str().unwrap());
    let a = app
        .admin("PATCH", &path, Some(&admin), Some(json!({"name": "after"})))
        .await;
    assert_eq!(a.status, 200);
    let now = app.admin("GET", &path, Some(&admin), None).await.body;
    assert_eq!(now["name"], "after");
    for field in [
        "description",
        "scopes",
        "audiences",
        "is_admin_service_account",
        "token_ttl_seconds",
        "grant_types",
        "client_id",
    ] {
        assert_eq!(now[field], body[field], "{field} changed");
    }
    // null resets the lifetime to the server default.
    let a = app
        .admin(
            "PATCH",
            &path,
            Some(&admin),
            Some(json!({"token_ttl_seconds": null})),
        )
        .await;
    assert_eq!(a.body["token_ttl_seconds"], Value::Null);
    // client_id can't change.
    let a = app
        .admin(
            "PATCH",
            &path,
            Some(&admin),
            Some(json!({"client_id": "other"})),
        )
        .await;
    assert_eq!(a.status, 422);
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

async fn a_service_account_that_is_not_admin_is_refused(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let admin = app.admin_token().await;
    let (_, secret) = app
        .api_create_client(&admin, json!({"client_id": "plain", "name": "p", "scopes": ["admin"], "default_scopes": ["admin"], "audiences": ["urn:castellan:admin"]}))
        .await;
    let token = app.access_token("plain", &secret.unwrap(), &[]).await;
    let a = app.admin("GET", "/clients", Some(&token), None).await;
    assert_eq!(a.status, 403);
    assert_eq!(a.content_type, "application/problem+json");
}

async fn disabling_a_client_shuts_its_tokens_out_at_once(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let (token, _) = app.limited_admin("second-admin", &["admin"]).await;
    assert_eq!(
        app.admin("GET", "/clients", Some(&token), None)
            .await
            .status,
        200
    );
    let admin = app.admin_token().await;
    let id = app.state.clients.get("second-admin").unwrap().id.clone();
    let a = app
        .admin(
            "PATCH",
            &format!("/clients/{id}"),
            Some(&admin),
            Some(json!({"active": false})),
        )
        .await;
    assert_eq!(a.status, 200);
    let a = app.admin("GET", "/clients", Some(&token), None).await;
    assert_eq!(a.status, 401, "the very next call is refused");
}

async fn clearing_the_admin_flag_shuts_its_tokens_out_at_once(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let (token, _) = app.limited_admin("was-admin", &["admin"]).await;
    let admin = app.admin_token().await;
    let id = app.state.clients.get("was-admin").unwrap().id.clone();
    app.admin(
        "PATCH",
        &format!("/clients/{id}"),
        Some(&admin),
        Some(json!({"is_admin_service_account": false})),
    )
    .await;
    assert_eq!(
        app.admin("GET", "/clients", Some(&token), None)
            .await
            .status,
        403
    );
}

async fn bulk_revocation_refuses_every_earlier_token(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let (token, secret) = app.limited_admin("bulk", &["admin"]).await;
    let admin = app.admin_token().await;
    let id = app.state.clients.get("bulk").unwrap().id.clone();
    let a = app
        .admin(
            "POST",
            &format!("/clients/{id}/revoke-tokens"),
            Some(&admin),
            None,
        )
        .await;
    assert_eq!(a.status, 200);
    assert!(a.body["tokens_revoked_before"].is_string());
    assert_eq!(
        app.admin("GET", "/clients", Some(&token), None)
            .await
            .status,
        401
    );
    // A token issued after the revocation (iat has second precision) works.
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let fresh = app.access_token("bulk", &secret, &[]).await;
    assert_eq!(
        app.admin("GET", "/clients", Some(&fresh), None)
            .await
            .status,
        200
    );
    let events = app
        .admin(
            "GET",
            "/audit-events?action=client.tokens_revoked",
            Some(&admin),
            None,
        )
        .await
        .body;
    assert_eq!(events["items"][0]["target"], "bulk");
}

async fn a_revoked_jti_is_refused(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let (token, _) = app.limited_admin("one-by-one", &["admin"]).await;
    let claims = crate::helpers::jwt_part(&token, 1);
    let jti = claims["jti"].as_str().unwrap().to_string();
    app.state
        .db
        .run(move |conn| {
            castellan::storage::revoked::insert(
                conn,
                &jti,
                "x",
                (chrono::Utc::now() + chrono::Duration::hours(1)).naive_utc(),
            )
        })
        .await
        .unwrap();
    assert_eq!(
        app.admin("GET", "/clients", Some(&token), None)
            .await
            .status,
        401
    );
}

async fn no_principal_grants_what_it_does_not_hold(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let (writer, _) = app
        .limited_admin(
            "writer",
            &["admin:clients:write", "admin:clients:read", "read"],
        )
        .await;
    // It may create ordinary clients and give the scopes it holds…
    let a = app
        .admin(
            "POST",
            "/clients",
            Some(&writer),
            Some(json!({"name": "ok", "scopes": ["read", "admin:clients:read"]})),
        )
        .await;
    assert_eq!(a.status, 201, "{}", a.body);
    // …but not scopes it lacks, on a new client or on itself.
    let a = app
        .admin(
            "POST",
            "/clients",
            Some(&writer),
            Some(json!({"name": "x", "scopes": ["admin"]})),
        )
        .await;
    assert_eq!(a.status, 403);
    let a = app
        .admin(
            "POST",
            "/clients",
            Some(&writer),
            Some(json!({"name": "x", "scopes": ["admin:keys:write"]})),
        )
        .await;
    assert_eq!(a.status, 403);
    let me = app.state.clients.get("writer").unwrap().id.clone();
    let a = app
        .admin(
            "PATCH",
            &format!("/clients/{me}"),
            Some(&writer),
            Some(json!({"scopes": ["admin:clients:write", "admin:clients:read", "read", "admin"]})),
        )
        .await;
    assert_eq!(a.status, 403);
    // Nor take over a broader client: no new secret for it, no change to it (keys, flags…).
    let boot = app.state.clients.get(ADMIN_ID).unwrap().id.clone();
    let a = app
        .admin(
            "POST",
            &format!("/clients/{boot}/secrets"),
            Some(&writer),
            None,
        )
        .await;
    assert_eq!(a.status, 403, "{}", a.body);
    let a = app
        .admin(
            "PATCH",
            &format!("/clients/{boot}"),
            Some(&writer),
            Some(json!({"name": "mine now"})),
        )
        .await;
    assert_eq!(a.status, 403);
    let full = app.admin_token().await;
    let (holder, _) = app
        .api_create_client(
            &full,
            json!({"client_id": "holder", "name": "h", "scopes": ["admin"]}),
        )
        .await;
    let a = app
        .admin(
            "PATCH",
            &format!("/clients/{}", holder["id"].as_str().unwrap()),
            Some(&writer),
            Some(json!({"is_admin_service_account": true})),
        )
        .await;
    assert_eq!(a.status, 403);
    // A token narrowed to fewer scopes than its client has can't grant the rest either.
    let admin = app.admin_token().await;
    let _ = admin;
    let (_, secret) = app
        .limited_admin("broad", &["admin", "admin:clients:write"])
        .await;
    let narrow = app
        .access_token("broad", &secret, &[("scope", "admin:clients:write")])
        .await;
    let a = app
        .admin(
            "POST",
            "/clients",
            Some(&narrow),
            Some(json!({"name": "y", "scopes": ["admin"]})),
        )
        .await;
    assert_eq!(a.status, 403);
}

async fn users_and_clients_never_share_an_identifier(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let admin = app.admin_token().await;
    let a = app
        .admin(
            "POST",
            "/users",
            Some(&admin),
            Some(json!({"username": ADMIN_ID})),
        )
        .await;
    assert_eq!(a.status, 409);
    let a = app
        .admin(
            "POST",
            "/users",
            Some(&admin),
            Some(json!({"username": "alice"})),
        )
        .await;
    assert_eq!(a.status, 201);
    let a = app
        .admin(
            "POST",
            "/clients",
            Some(&admin),
            Some(json!({"client_id": "alice", "name": "a"})),
        )
        .await;
    assert_eq!(a.status, 409);
    assert_eq!(a.content_type, "application/problem+json");
    // The same holds below the API: the principal table refuses the second kind.
    let row = crate::helpers::service_account("alice").to_row();
    let result = app
        .state
        .db
        .run(move |conn| castellan::storage::clients::insert(conn, &row, None))
        .await;
    assert!(matches!(
        result,
        Err(castellan::storage::StoreError::Conflict(_))
    ));
}

async fn secrets_rotate_list_without_values_and_revoke(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let admin = app.admin_token().await;
    let (body, first) = app
        .api_create_client(
            &admin,
            json!({"client_id": "rot", "name": "r", "audiences": [API]}),
        )
        .await;
    let first = first.unwrap();
    let path = format!("/clients/{}/secrets", body["id"].as_str().unwrap());
    let a = app
        .admin(
            "POST",
            &path,
            Some(&admin),
            Some(json!({"name": "next", "expires_at": "2099-01-01T00:00:00Z"})),
        )
        .await;
    assert_eq!(a.status, 201);
    let second = a.body["secret"].as_str().unwrap().to_string();
    assert_eq!(a.body["name"], "next");
    app.access_token("rot", &first, &[]).await;
    app.access_token("rot", &second, &[]).await;
    let list = app.admin("GET", &path, Some(&admin), None).await;
    let items = list.body.as_array().unwrap();
    assert_eq!(items.len(), 2);
    let text = list.body.to_string();
    assert!(!text.contains(&first) && !text.contains(&second) && !text.contains("hash"));
    for item in items {
        for key in ["id", "name", "created_at", "expires_at", "last_used_at"] {
            assert!(item.get(key).is_some(), "{key}");
        }
    }
    // Revoke the first: it stops working at once; the second keeps working.
    let first_id = items.iter().find(|i| i["name"] == "initial").unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(
        app.admin("DELETE", &format!("{path}/{first_id}"), Some(&admin), None)
            .await
            .status,
        204
    );
    let grant = [("grant_type", "client_credentials")];
    assert_eq!(app.token_basic("rot", &first, &grant).await.status(), 401);
    assert_eq!(app.token_basic("rot", &second, &grant).await.status(), 200);
    assert_eq!(
        app.admin("DELETE", &format!("{path}/{first_id}"), Some(&admin), None)
            .await
            .status,
        404
    );
    // A body that does not parse is refused, never a secret that does not expire.
    for body in [
        r#"{"expires_at": "tomorrow"}"#,
        r#"{"expiry": "2099-01-01T00:00:00Z"}"#,
        "{",
    ] {
        let res = app
            .http
            .post(app.url(&format!("/admin/v1{path}")))
            .bearer_auth(&admin)
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 400, "{body}");
    }
    assert_eq!(
        app.admin("GET", &path, Some(&admin), None)
            .await
            .body
            .as_array()
            .unwrap()
            .len(),
        2
    );
    // Expiry in the past, and secrets on a public client: refused.
    let a = app
        .admin(
            "POST",
            &path,
            Some(&admin),
            Some(json!({"expires_at": "2001-01-01T00:00:00Z"})),
        )
        .await;
    assert_eq!(a.status, 422);
    let (public, _) = app
        .api_create_client(&admin, json!({"name": "pub", "client_type": "public"}))
        .await;
    let a = app
        .admin(
            "POST",
            &format!("/clients/{}/secrets", public["id"].as_str().unwrap()),
            Some(&admin),
            None,
        )
        .await;
    assert_eq!(a.status, 422);
    // Creating and revoking secrets is audited.
    let (actions, events) = app.audit_actions(&admin, "target=rot").await;
    let actions: Vec<&str> = actions.iter().map(String::as_str).collect();
    assert!(actions.contains(&"secret.created") && actions.contains(&"secret.revoked"));
    assert!(!events.to_string().contains(&second));
}

async fn deleting_a_client_frees_its_identifier_and_kills_its_tokens(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let (token, secret) = app.limited_admin("doomed", &["admin"]).await;
    let admin = app.admin_token().await;
    let id = app.state.clients.get("doomed").unwrap().id.clone();
    assert_eq!(
        app.admin("DELETE", &format!("/clients/{id}"), Some(&admin), None)
            .await
            .status,
        204
    );
    assert_eq!(
        app.admin("GET", &format!("/clients/{id}"), Some(&admin), None)
            .await
            .status,
        404
    );
    assert_eq!(
        app.admin("GET", "/clients", Some(&token), None)
            .await
            .status,
        401
    );
    assert_eq!(
        app.token_basic("doomed", &secret, &[("grant_type", "client_credentials")])
            .await
            .status(),
        401
    );
    // The id reused for a new admin service account: the old token still speaks for the old one.
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let (fresh, _) = app.limited_admin("doomed", &["admin"]).await;
    assert_eq!(
        app.admin("GET", "/clients", Some(&fresh), None)
            .await
            .status,
        200
    );
    assert_eq!(
        app.admin("GET", "/clients", Some(&token), None)
            .await
            .status,
        401
    );
    let id = app.state.clients.get("doomed").unwrap().id.clone();
    app.admin("DELETE", &format!("/clients/{id}"), Some(&admin), None)
        .await;
    let a = app
        .admin(
            "POST",
            "/users",
            Some(&admin),
            Some(json!({"username": "doomed"})),
        )
        .await;
    assert_eq!(a.status, 201);
}

async fn bad_input_gets_problem_details(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let admin = app.admin_token().await;
    let raw = app
        .http
        .post(app.url("/admin/v1/clients"))
        .bearer_auth(&admin)
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(raw.status(), 400);
    assert_eq!(raw.headers()["content-type"], "application/problem+json");
    for (method, path, body, status) in [
        ("POST", "/clients", json!({"name": "x", "surprise": 1}), 400),
        (
            "POST",
            "/clients",
            json!({"name": "x", "token_ttl_seconds": 999999}),
            422,
        ),
        (
            "POST",
            "/clients",
            json!({"name": "x", "scopes": ["bad scope"]}),
            422,
        ),
        (
            "POST",
            "/clients",
            json!({"name": "x", "default_scopes": ["read"]}),
            422,
        ),
        ("GET", "/clients/nope", Value::Null, 404),
        ("GET", "/nothing-here", Value::Null, 404),
    ] {
        let a = app
            .admin(
                method,
                path,
                Some(&admin),
                (!body.is_null()).then_some(body.clone()),
            )
            .await;
        assert_eq!(a.status, status, "{method} {path} {body}");
        assert_eq!(
            a.content_type, "application/problem+json",
            "{method} {path}"
        );
        assert_eq!(a.body["status"], status);
    }
}
