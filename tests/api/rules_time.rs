//! CONTRACT "Time claims" and "Error texts": a bulk revocation refuses every token issued
//! before it and none after it, however close; a re-created client never accepts the old
//! one's tokens; forged time claims are refused; error texts keep to RFC 6749's set.

use castellan::oauth::claims::{AccessTokenClaims, Audience};
use serde_json::{json, Value};

use crate::helpers::{spawn_app, Backend, TestApp, ADMIN_ID, API};
use crate::on_both_backends;
use crate::rules_support::ADMIN_AUD;

on_both_backends!(
    a_bulk_revocation_splits_tokens_at_the_instant_it_happens,
    a_recreated_client_never_accepts_the_old_ones_tokens,
    forged_time_claims_are_refused_everywhere_tokens_are_checked,
    error_descriptions_keep_to_the_rfc_6749_character_set,
);

async fn a_bulk_revocation_splits_tokens_at_the_instant_it_happens(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let boot = app.admin_token().await;
    let (id, secret) = app.service_account("bulk").await;
    let path = format!("/clients/{}/revoke-tokens", app.row_id(&id));
    for round in 0..15 {
        let before = app.access_token(&id, &secret, &[]).await;
        assert_eq!(
            app.admin("POST", &path, Some(&boot), None).await.status,
            200
        );
        let after = app.access_token(&id, &secret, &[]).await;
        assert!(
            !app.is_active(&before).await,
            "round {round}: an earlier token lives"
        );
        assert!(
            app.is_active(&after).await,
            "round {round}: a later token is born dead"
        );
    }
}

async fn a_recreated_client_never_accepts_the_old_ones_tokens(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let boot = app.admin_token().await;
    let body = json!({"client_id": "phoenix", "name": "p", "scopes": ["admin:clients:read"],
                      "default_scopes": ["admin:clients:read"], "audiences": [ADMIN_AUD],
                      "is_admin_service_account": true});
    let (created, secret) = app.api_create_client(&boot, body.clone()).await;
    let old = app.access_token("phoenix", &secret.unwrap(), &[]).await;
    let path = format!("/clients/{}", created["id"].as_str().unwrap());
    assert_eq!(
        app.admin("DELETE", &path, Some(&boot), None).await.status,
        204
    );
    let (_, secret) = app.api_create_client(&boot, body).await;
    // Most likely the same second: the microseconds in the jti tell them apart.
    assert_eq!(
        app.admin("GET", "/clients", Some(&old), None).await.status,
        401
    );
    assert!(!app.is_active(&old).await);
    let new = app.access_token("phoenix", &secret.unwrap(), &[]).await;
    assert_eq!(
        app.admin("GET", "/clients", Some(&new), None).await.status,
        200
    );
}

/// A token signed with our key, issued `ahead` seconds from now, living `life` seconds.
fn forged(app: &TestApp, ahead: i64, life: i64) -> String {
    let issued = chrono::Utc::now() + chrono::Duration::seconds(ahead);
    let (iat, exp) = (issued.timestamp(), issued.timestamp() + life);
    let claims = AccessTokenClaims {
        iss: app.state.issuer.clone(),
        sub: ADMIN_ID.into(),
        aud: Audience::One(ADMIN_AUD.into()),
        exp,
        iat,
        nbf: chrono::Utc::now().timestamp() - 5,
        jti: castellan::domain::tokens::new_jti(issued).unwrap(),
        client_id: ADMIN_ID.into(),
        scope: "admin".into(),
        principal_type: "service_account".into(),
        org_id: None,
        act: None,
    };
    app.state.keys.current().signer.sign(&claims).unwrap()
}

async fn forged_time_claims_are_refused_everywhere_tokens_are_checked(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let honest = forged(&app, 0, 300);
    assert_eq!(
        app.admin("GET", "/clients", Some(&honest), None)
            .await
            .status,
        200
    );
    let boot = app.admin_token().await;
    let path = format!("/clients/{}/revoke-tokens", app.row_id(ADMIN_ID));
    assert_eq!(
        app.admin("POST", &path, Some(&boot), None).await.status,
        200
    );
    // Issued "in the future" to slip past the bulk revocation; or living for days.
    for token in [forged(&app, 3600, 300), forged(&app, 1, 86_400)] {
        assert_eq!(
            app.admin("GET", "/clients", Some(&token), None)
                .await
                .status,
            401
        );
        assert!(!app.is_active(&token).await);
    }
}

/// RFC 6749 §5.2: error_description is %x20-21 / %x23-5B / %x5D-7E.
fn in_rfc_6749_set(text: &str) -> bool {
    text.bytes()
        .all(|b| matches!(b, 0x20..=0x21 | 0x23..=0x5B | 0x5D..=0x7E))
}

async fn error_descriptions_keep_to_the_rfc_6749_character_set(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let (id, secret) = app.service_account("quoted").await;
    let cc = ("grant_type", "client_credentials");
    for extra in [
        vec![cc, ("audience", "urn:\"quoted\"\\path")],
        vec![cc, ("audience", "urn:caf\u{e9}")],
        vec![cc, ("resource", "https://x.example/\"")],
        vec![cc, ("scope", "read\"")],
        vec![cc, ("scope", "not-mine")],
        vec![("grant_type", "urn:\"x\"")],
        vec![cc, ("resource", API), ("resource", "https://other.example")],
    ] {
        let res = app.token_basic(&id, &secret, &extra).await;
        assert_eq!(res.status(), 400, "{extra:?}");
        let body: Value = res.json().await.unwrap();
        let text = body["error_description"].as_str().unwrap();
        assert!(in_rfc_6749_set(text), "{extra:?}: {text}");
    }
}
