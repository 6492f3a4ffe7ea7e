//! Identifiers that cannot be confused (CONTRACT "Identifiers", "Look-alikes", "User tokens"):
//! case, normalisation, width and confusable variants name one principal, across kinds.

use castellan::config::ConfiguredClient;
use castellan::storage::schema::principals;
use diesel::prelude::*;
use serde_json::{json, Value};

use crate::helpers::{spawn_app, Backend, TestApp, API};
use crate::on_both_backends;

on_both_backends!(
    look_alike_usernames_are_one_user,
    look_alike_client_ids_are_one_client,
    users_and_clients_share_one_identifier_space_by_key,
    invisible_reserved_and_non_ascii_identifiers_are_refused,
    racing_look_alike_creates_never_both_succeed,
    a_configured_look_alike_stops_start_up_naming_both,
    identifiers_written_before_keys_get_them_at_start_up,
);

async fn create(app: &TestApp, token: &str, kind: &str, id: &str) -> (u16, Value) {
    let body = match kind {
        "users" => json!({ "username": id }),
        _ => json!({ "client_id": id, "name": "look-alike test" }),
    };
    let a = app
        .admin("POST", &format!("/{kind}"), Some(token), Some(body))
        .await;
    (a.status, a.body)
}

async fn status(app: &TestApp, token: &str, kind: &str, id: &str) -> u16 {
    create(app, token, kind, id).await.0
}

async fn look_alike_usernames_are_one_user(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let admin = app.admin_token().await;
    let (s, body) = create(&app, &admin, "users", "Alice").await;
    assert_eq!(s, 201, "{body}");
    assert_eq!(
        body["username"], "alice",
        "stored in its RFC 8265 enforced form"
    );
    for twin in [
        "alice",
        "ALICE",
        "\u{ff41}\u{ff4c}\u{ff49}\u{ff43}\u{ff45}", // full-width
        "\u{430}lice",                              // Cyrillic а
    ] {
        let (s, body) = create(&app, &admin, "users", twin).await;
        assert_eq!(s, 409, "{twin:?}: {body}");
    }
    assert_eq!(status(&app, &admin, "users", "caf\u{e9}").await, 201);
    assert_eq!(
        status(&app, &admin, "users", "cafe\u{301}").await,
        409,
        "NFD"
    );
    assert_eq!(status(&app, &admin, "users", "alicia").await, 201);
}

async fn look_alike_client_ids_are_one_client(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let admin = app.admin_token().await;
    assert_eq!(status(&app, &admin, "clients", "svc-1").await, 201);
    for twin in ["svc-1", "svc-l", "SVC-1", "SVC-L"] {
        assert_eq!(status(&app, &admin, "clients", twin).await, 409, "{twin}");
    }
    assert_eq!(status(&app, &admin, "clients", "svc-o").await, 201);
    assert_eq!(status(&app, &admin, "clients", "svc-0").await, 409);
    assert_eq!(status(&app, &admin, "clients", "svc-2").await, 201);
    // Generated client_ids never collide with each other.
    for _ in 0..5 {
        let a = app
            .admin(
                "POST",
                "/clients",
                Some(&admin),
                Some(json!({"name": "gen"})),
            )
            .await;
        assert_eq!(a.status, 201, "{}", a.body);
    }
}

async fn users_and_clients_share_one_identifier_space_by_key(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let admin = app.admin_token().await;
    assert_eq!(status(&app, &admin, "clients", "reporter").await, 201);
    assert_eq!(status(&app, &admin, "users", "Reporter").await, 409);
    assert_eq!(status(&app, &admin, "users", "rep\u{43e}rter").await, 409);
    let (s, user) = create(&app, &admin, "users", "Dana").await;
    assert_eq!(s, 201);
    assert_eq!(status(&app, &admin, "clients", "dana").await, 409);
    assert_eq!(status(&app, &admin, "clients", "DANA").await, 409);
    // A user's id (a user token's `sub`) can never be a client_id: nothing may have an internal
    // id's shape.
    let id = user["id"].as_str().unwrap();
    assert_eq!(status(&app, &admin, "clients", id).await, 422);
    let upper = id.to_uppercase();
    assert_eq!(status(&app, &admin, "clients", &upper).await, 422);
    // Deleting frees the username; the id's shape stays refused.
    let path = format!("/users/{id}");
    assert_eq!(
        app.admin("DELETE", &path, Some(&admin), None).await.status,
        204
    );
    assert_eq!(status(&app, &admin, "clients", "DANA").await, 201);
    assert_eq!(status(&app, &admin, "clients", id).await, 422);
}

async fn invisible_reserved_and_non_ascii_identifiers_are_refused(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let admin = app.admin_token().await;
    assert_eq!(status(&app, &admin, "users", "adm").await, 201);
    let cases = [
        ("users", "adm\u{2060}", "U+2060"),
        ("users", "\u{200b}adm", "invisible"),
        ("users", "adm\u{202e}", "bidi-control"),
        ("users", "\u{2067}eve", "bidi-control"),
        ("users", "system", "reserved"),
        ("users", "SYSTEM", "reserved"),
        ("users", "\u{455}ystem", "reserved"),
        ("users", "Anonymous", "reserved"),
        ("users", "castellan", "reserved"),
        ("clients", "adm\u{2060}", "U+2060"),
        ("clients", "svc\u{202e}", "bidi-control"),
        ("clients", "system", "reserved"),
        ("clients", "Root", "reserved"),
        ("clients", "caf\u{e9}", "ASCII"),
        ("clients", "\u{441}vc", "ASCII"),
        ("clients", "svc one", "space"),
        // A row id's shape: it could name another client's row at /clients/{id}, or a user's sub.
        (
            "clients",
            "0193a4b2-7c1d-7e8f-9a0b-1c2d3e4f5a6b",
            "internal id",
        ),
        (
            "users",
            "0193a4b2-7c1d-7e8f-9a0b-1c2d3e4f5a6b",
            "internal id",
        ),
    ];
    for (kind, id, word) in cases {
        let (s, body) = create(&app, &admin, kind, id).await;
        assert_eq!(s, 422, "{kind} {id:?}: {body}");
        let detail = body["detail"].as_str().unwrap();
        assert!(detail.contains(word), "{kind} {id:?}: {detail}");
    }
    // Not even a real one: another client's row id as a new client_id is refused.
    let (_, first) = create(&app, &admin, "clients", "first-client").await;
    let row_id = first["id"].as_str().unwrap();
    let (s, body) = create(&app, &admin, "clients", row_id).await;
    assert_eq!(s, 422, "{body}");
    // Nothing impersonates `adm` in the audit trail: only one principal of that name exists.
    let list = app.admin("GET", "/users", Some(&admin), None).await;
    assert_eq!(list.body["items"].as_array().unwrap().len(), 1);
}

async fn racing_look_alike_creates_never_both_succeed(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let admin = app.admin_token().await;
    for round in 0..50 {
        // Users against users, clients against clients, and users against clients.
        let (a, b) = match round % 3 {
            0 => (
                ("users", format!("racer{round}")),
                ("users", format!("RACER{round}")),
            ),
            1 => (
                ("clients", format!("svc-{round}-1")),
                ("clients", format!("svc-{round}-l")),
            ),
            _ => (
                ("users", format!("both{round}")),
                ("clients", format!("BOTH{round}")),
            ),
        };
        let (sa, sb) = tokio::join!(
            status(&app, &admin, a.0, &a.1),
            status(&app, &admin, b.0, &b.1)
        );
        let mut got = [sa, sb];
        got.sort_unstable();
        assert_eq!(got, [201, 409], "round {round}: {a:?} {b:?}");
    }
}

fn entry(client_id: &str, var: &str) -> ConfiguredClient {
    ConfiguredClient {
        client_id: client_id.into(),
        name: format!("{client_id} (configured)"),
        secret_env: Some(var.into()),
        secret_sha256: None,
        token_ttl_seconds: Some(120),
        scopes: vec!["account:usage:read".into()],
        default_scopes: vec!["account:usage:read".into()],
        audiences: vec![API.into()],
        is_admin_service_account: false,
        org: None,
    }
}

async fn a_configured_look_alike_stops_start_up_naming_both(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let admin = app.admin_token().await;
    assert_eq!(status(&app, &admin, "clients", "svc-1").await, 201);
    assert_eq!(status(&app, &admin, "users", "Erin").await, 201);
    let var = format!("CASTELLAN_TEST_SECRET_{}", uuid::Uuid::new_v4().simple());
    // Safe here: a variable no other code reads.
    unsafe { std::env::set_var(&var, "configured-secret-0123456789abcdefghijklmnop") };
    app.handle.stop(true).await;
    let cases: Vec<(Vec<&str>, Vec<&str>)> = vec![
        (vec!["svc-l"], vec!["svc-l", "svc-1", "look alike"]),
        (vec!["ERIN"], vec!["ERIN", "erin", "user"]),
        (vec!["cfg-0", "cfg-O"], vec!["#1", "#2", "cfg-0", "cfg-O"]),
    ];
    for (ids, expected) in cases {
        let mut settings = app.settings.clone();
        settings.clients = ids.iter().map(|id| entry(id, &var)).collect();
        let err = match castellan::app::Application::build(settings).await {
            Ok(_) => panic!("{ids:?}: start-up must fail"),
            Err(e) => e.to_string(),
        };
        for word in expected {
            assert!(err.contains(word), "{ids:?}: {err}");
        }
    }
}

async fn identifiers_written_before_keys_get_them_at_start_up(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    // Rows as an older version wrote them: no key, and two look-alikes among them.
    let now = chrono::Utc::now().naive_utc();
    app.state
        .db
        .run(move |conn| {
            for (i, id) in ["legacy-1", "legacy-l", "legacy-2"].into_iter().enumerate() {
                diesel::insert_into(principals::table)
                    .values((
                        principals::id.eq(id),
                        principals::kind.eq("client"),
                        principals::created_at.eq(now + chrono::Duration::seconds(i as i64)),
                    ))
                    .execute(conn)
                    .map_err(castellan::storage::StoreError::from_diesel)?;
            }
            Ok(())
        })
        .await
        .unwrap();
    let app = app.restart().await;
    let keys = app
        .state
        .db
        .run(|conn| {
            principals::table
                .filter(principals::id.like("legacy-%"))
                .order(principals::id.asc())
                .select((principals::id, principals::identifier_key))
                .load::<(String, Option<String>)>(conn)
                .map_err(castellan::storage::StoreError::from_diesel)
        })
        .await
        .unwrap();
    let has_key: Vec<(&str, bool)> = keys
        .iter()
        .map(|(i, k)| (i.as_str(), k.is_some()))
        .collect();
    // The older of the two look-alikes keeps the key; the younger stays without one.
    assert_eq!(
        has_key,
        [("legacy-1", true), ("legacy-2", true), ("legacy-l", false)]
    );
    let admin = app.admin_token().await;
    assert_eq!(status(&app, &admin, "clients", "LEGACY-2").await, 409);
    assert_eq!(status(&app, &admin, "users", "legacy-L").await, 409);
}
