//! A client's tokens shut out at once: disabled, admin flag cleared, bulk revocation, a revoked
//! jti, the client deleted.

use serde_json::json;

use crate::helpers::{spawn_app, Backend};
use crate::on_both_backends;

on_both_backends!(
    disabling_a_client_shuts_its_tokens_out_at_once,
    clearing_the_admin_flag_shuts_its_tokens_out_at_once,
    bulk_revocation_refuses_every_earlier_token,
    a_revoked_jti_is_refused,
    deleting_a_client_frees_its_identifier_and_kills_its_tokens,
);

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
