//! Revoking a compromised signing key (CONTRACT "Sharper rules" -> Keys): `POST
//! /admin/v1/keys/{kid}/revoke` and `castellan keys revoke KID` drop the key at once from
//! signing, the JWKS and every check; a new current key takes over in the same step.
//! Revoking twice is idempotent: 200, `revoked_now: false`, the first revocation's time.

use std::process::Command;
use std::time::{Duration, Instant};

use crate::helpers::{spawn_app, Backend, ADMIN_ID, API};
use crate::nodes_support::{is_active, kid_of, published_kids};
use crate::on_both_backends;

on_both_backends!(
    revoking_the_current_key_drops_it_from_signing_the_jwks_and_every_check_at_once,
    revoking_an_unknown_kid_is_404_and_revoking_twice_changes_nothing,
    revoking_a_retiring_key_leaves_the_current_key_signing,
    revoking_a_key_needs_the_keys_write_scope,
    castellan_keys_revoke_drops_the_key_from_a_running_server_within_a_second,
);

async fn revoking_the_current_key_drops_it_from_signing_the_jwks_and_every_check_at_once(
    backend: Backend,
) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let (id, secret) = app.service_account("svc-revoke").await;
    let service_token = app.access_token(&id, &secret, &[]).await;
    let admin = app.admin_token().await;
    let kid = kid_of(&admin);
    assert_eq!(kid_of(&service_token), kid);
    assert!(is_active(&app, &service_token).await);

    let a = app
        .admin("POST", &format!("/keys/{kid}/revoke"), Some(&admin), None)
        .await;
    assert_eq!(a.status, 200, "{}", a.body);
    assert_eq!(a.body["kid"], kid.as_str());
    assert_eq!(a.body["revoked_now"], true);
    let new_kid = a.body["replaced_by"]
        .as_str()
        .expect("a new current key")
        .to_string();
    assert_ne!(new_kid, kid);

    // Every check refuses what the revoked key signed: the admin API, introspection, and an
    // outside resource server reading the JWKS.
    let refused = app.admin("GET", "/keys", Some(&admin), None).await;
    assert_eq!(refused.status, 401, "{}", refused.body);
    assert!(!is_active(&app, &service_token).await);
    assert_eq!(published_kids(&app).await, vec![new_kid.clone()]);
    assert!(app.verify(&service_token, API).await.is_err());
    // New tokens are signed by the new key, and work.
    let fresh = app.admin_token().await;
    assert_eq!(kid_of(&fresh), new_kid);
    let listed = app.admin("GET", "/keys", Some(&fresh), None).await;
    assert_eq!(listed.status, 200);
    let kids: Vec<&str> = listed.body["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["kid"].as_str().unwrap())
        .collect();
    assert_eq!(kids, vec![new_kid.as_str()]);
    let again = app.access_token(&id, &secret, &[]).await;
    assert_eq!(kid_of(&again), new_kid);
    app.verify(&again, API).await.unwrap();

    // Audited with the actor and its address.
    let (_, page) = app
        .audit_actions(&fresh, &format!("action=key.revoked&target={kid}"))
        .await;
    let events = page["items"].as_array().unwrap();
    assert_eq!(events.len(), 1, "{page}");
    assert_eq!(events[0]["actor"], ADMIN_ID);
    assert_eq!(events[0]["ip"], "127.0.0.1");
}

async fn revoking_an_unknown_kid_is_404_and_revoking_twice_changes_nothing(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let admin = app.admin_token().await;
    let unknown = app
        .admin("POST", "/keys/no-such-kid/revoke", Some(&admin), None)
        .await;
    assert_eq!(unknown.status, 404);
    assert_eq!(unknown.content_type, "application/problem+json");

    let kid = kid_of(&admin);
    let first = app
        .admin("POST", &format!("/keys/{kid}/revoke"), Some(&admin), None)
        .await;
    assert_eq!(first.status, 200);
    let fresh = app.admin_token().await;
    let second = app
        .admin("POST", &format!("/keys/{kid}/revoke"), Some(&fresh), None)
        .await;
    assert_eq!(second.status, 200, "{}", second.body);
    assert_eq!(second.body["revoked_now"], false);
    assert_eq!(second.body["revoked_at"], first.body["revoked_at"]);
    assert!(second.body["replaced_by"].is_null());
    // Nothing changed: the key that took over still signs; one revocation event.
    assert_eq!(kid_of(&app.admin_token().await), kid_of(&fresh));
    let (actions, _) = app
        .audit_actions(&fresh, &format!("action=key.revoked&target={kid}"))
        .await;
    assert_eq!(actions.len(), 1);
}

async fn revoking_a_retiring_key_leaves_the_current_key_signing(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let old_token = app.admin_token().await;
    let old_kid = kid_of(&old_token);
    let rotated = app
        .admin(
            "POST",
            "/keys/rotate",
            Some(&old_token),
            Some(serde_json::json!({"now": true})),
        )
        .await;
    assert_eq!(rotated.status, 201);
    let current = rotated.body["kid"].as_str().unwrap().to_string();
    let fresh = app.admin_token().await;
    // The retiring key still verifies its tokens until it is revoked.
    assert_eq!(
        app.admin("GET", "/keys", Some(&old_token), None)
            .await
            .status,
        200
    );
    let a = app
        .admin(
            "POST",
            &format!("/keys/{old_kid}/revoke"),
            Some(&fresh),
            None,
        )
        .await;
    assert_eq!(a.status, 200, "{}", a.body);
    assert!(a.body["replaced_by"].is_null());
    assert_eq!(
        app.admin("GET", "/keys", Some(&old_token), None)
            .await
            .status,
        401
    );
    assert_eq!(published_kids(&app).await, vec![current.clone()]);
    assert_eq!(kid_of(&app.admin_token().await), current);
    assert_eq!(
        app.admin("GET", "/keys", Some(&fresh), None).await.status,
        200
    );
}

async fn revoking_a_key_needs_the_keys_write_scope(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let kid = kid_of(&app.admin_token().await);
    let (reader, _) = app
        .limited_admin("audit-reader", &["admin:audit:read"])
        .await;
    let a = app
        .admin("POST", &format!("/keys/{kid}/revoke"), Some(&reader), None)
        .await;
    assert_eq!(a.status, 403);
    assert_eq!(published_kids(&app).await, vec![kid]);
}

async fn castellan_keys_revoke_drops_the_key_from_a_running_server_within_a_second(
    backend: Backend,
) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let bin = env!("CARGO_BIN_EXE_castellan");
    let run = |kid: &str| {
        Command::new(bin)
            .args(["keys", "revoke", kid])
            .env_clear()
            .env("CASTELLAN_DATABASE_URL", &app.settings.database_url)
            .env("CASTELLAN_MASTER_KEY_FILE", &app.settings.master_key_file)
            .output()
            .unwrap()
    };
    let unknown = run("no-such-kid");
    assert!(!unknown.status.success());
    assert!(String::from_utf8_lossy(&unknown.stderr).contains("no-such-kid"));

    let admin = app.admin_token().await;
    let kid = kid_of(&admin);
    let out = run(&kid);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let revoked_at = Instant::now();
    let mut dropped = false;
    while revoked_at.elapsed() < Duration::from_secs(1) {
        let refused = app.admin("GET", "/keys", Some(&admin), None).await.status == 401;
        if refused && !published_kids(&app).await.contains(&kid) {
            dropped = true;
            break;
        }
        actix_web::rt::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(dropped, "the server still trusts the revoked key after 1 s");
    assert_ne!(kid_of(&app.admin_token().await), kid);
    // A second revocation from the command line changes nothing, and says so.
    let again = run(&kid);
    assert!(again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("already revoked"));
}
