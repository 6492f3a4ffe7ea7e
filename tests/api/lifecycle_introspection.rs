//! RFC 7662 introspection: the fields of an active token, and the tokens that introspect inactive
//! (expired, foreign, not signed by us, of a client disabled or deleted).

use castellan::keys::signer::{generate_pkcs8, Signer};
use castellan::storage::clients as client_rows;
use chrono::Utc;
use jsonwebtoken::Algorithm;
use serde_json::Value;

use crate::helpers::{service_account, spawn_app, Backend, TestApp, API};
use crate::lifecycle_support::{
    assert_inactive, change_client, claims_of, introspect, owner_and_rs, post, sign_as_us,
};
use crate::on_both_backends;

on_both_backends!(
    active_token_introspects_with_every_rfc_7662_field,
    introspection_accepts_client_secret_post_and_ignores_unknown_hints,
    expired_token_introspects_inactive,
    disabled_client_tokens_introspect_inactive_at_once,
    deleted_client_tokens_introspect_inactive_even_if_the_id_is_reused,
    token_from_a_foreign_issuer_introspects_inactive,
    token_signed_by_a_key_not_ours_introspects_inactive,
);

/// Two service accounts: the token's owner and the resource server that introspects.
/// A service account registered for client_secret_post (a client authenticates only by the
/// method it registered).
async fn post_client(app: &TestApp, client_id: &str) -> (String, String) {
    let mut c = service_account(client_id);
    c.token_endpoint_auth_method = "client_secret_post".into();
    let secret = app.create_client(c).await.unwrap();
    (client_id.to_string(), secret)
}

async fn active_token_introspects_with_every_rfc_7662_field(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let ((id, secret), (rs, rs_secret)) = owner_and_rs(&app).await;
    let token = app
        .access_token(&id, &secret, &[("scope", "read write"), ("resource", API)])
        .await;
    let claims = claims_of(&token);
    let body = introspect(&app, (&rs, &rs_secret), &token).await;
    assert_eq!(body["active"], true);
    assert_eq!(body["scope"], "read write");
    assert_eq!(body["client_id"], "svc-ci");
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["exp"], claims.exp);
    assert_eq!(body["iat"], claims.iat);
    assert_eq!(body["nbf"], claims.nbf);
    assert_eq!(body["sub"], "svc-ci");
    assert_eq!(body["aud"], API);
    assert_eq!(body["iss"], app.state.issuer.as_str());
    assert_eq!(body["jti"], claims.jti.as_str());
    assert_eq!(body["principal_type"], "service_account");
    // CONTRACT: every introspection answer says where the principal lives.
    assert_eq!(body["org_id"], castellan::storage::orgs::ROOT_ORG_ID);
    assert_eq!(body.as_object().unwrap().len(), 13);

    // Any audience is fine for introspection, several included; and a client may introspect
    // its own token.
    let both = app.access_token(&id, &secret, &[]).await;
    let body = introspect(&app, (&id, &secret), &both).await;
    assert_eq!(body["active"], true);
    assert_eq!(body["aud"], serde_json::json!([API, "urn:svc:b"]));
}

async fn introspection_accepts_client_secret_post_and_ignores_unknown_hints(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let (id, secret) = app.service_account("svc-ci").await;
    let (rs, rs_secret) = post_client(&app, "rs-post").await;
    let token = app.access_token(&id, &secret, &[]).await;
    for hint in ["access_token", "refresh_token", "something_else"] {
        let res = post(
            &app,
            "/oauth2/introspect",
            None,
            &[
                ("token", token.as_str()),
                ("token_type_hint", hint),
                ("client_id", rs.as_str()),
                ("client_secret", rs_secret.as_str()),
            ],
        )
        .await;
        assert_eq!(res.status(), 200, "hint {hint}");
        let body: Value = res.json().await.unwrap();
        assert_eq!(body["active"], true, "hint {hint}");
    }
}

async fn expired_token_introspects_inactive(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let ((id, secret), (rs, rs_secret)) = owner_and_rs(&app).await;
    let mut claims = claims_of(&app.access_token(&id, &secret, &[]).await);
    let live_exp = claims.exp;
    // Expired five seconds ago: well inside the leeway, and still expired.
    claims.exp = Utc::now().timestamp() - 5;
    let expired = sign_as_us(&app, &claims);
    assert_inactive(&app, (&rs, &rs_secret), &expired, "expired").await;
    // The same claims with their own exp are active: it was only the expiry.
    claims.exp = live_exp;
    let body = introspect(&app, (&rs, &rs_secret), &sign_as_us(&app, &claims)).await;
    assert_eq!(body["active"], true);
}

async fn disabled_client_tokens_introspect_inactive_at_once(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let ((id, secret), (rs, rs_secret)) = owner_and_rs(&app).await;
    let token = app.access_token(&id, &secret, &[]).await;
    change_client(&app, &id, |row| row.active = false).await;
    // No reload: the registry still holds the client as active; introspection reads the store.
    assert_inactive(&app, (&rs, &rs_secret), &token, "disabled").await;
    change_client(&app, &id, |row| row.active = true).await;
    assert_eq!(
        introspect(&app, (&rs, &rs_secret), &token).await["active"],
        true
    );
}

async fn deleted_client_tokens_introspect_inactive_even_if_the_id_is_reused(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let ((id, secret), (rs, rs_secret)) = owner_and_rs(&app).await;
    let token = app.access_token(&id, &secret, &[]).await;
    assert_eq!(
        introspect(&app, (&rs, &rs_secret), &token).await["active"],
        true
    );

    let client_id = id.clone();
    app.state
        .db
        .run(move |conn| {
            let row = client_rows::find_by_client_id(conn, &client_id)?;
            client_rows::delete(conn, &row.id).map(|_| ())
        })
        .await
        .unwrap();
    assert_inactive(&app, (&rs, &rs_secret), &token, "deleted").await;

    // A new client under the same client_id does not bring the old client's tokens back
    // (made a second later, so that it is plainly younger than the token: iat is in seconds).
    actix_web::rt::time::sleep(std::time::Duration::from_millis(1100)).await;
    app.create_client(service_account(&id)).await.unwrap();
    assert_inactive(&app, (&rs, &rs_secret), &token, "id reused").await;
}

async fn token_from_a_foreign_issuer_introspects_inactive(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let ((id, secret), (rs, rs_secret)) = owner_and_rs(&app).await;
    let mut claims = claims_of(&app.access_token(&id, &secret, &[]).await);
    for iss in [
        "https://issuer.example".to_string(),
        format!("{}/", app.state.issuer),
    ] {
        claims.iss = iss;
        let token = sign_as_us(&app, &claims);
        assert_inactive(&app, (&rs, &rs_secret), &token, &claims.iss).await;
    }
}

async fn token_signed_by_a_key_not_ours_introspects_inactive(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let ((id, secret), (rs, rs_secret)) = owner_and_rs(&app).await;
    let claims = claims_of(&app.access_token(&id, &secret, &[]).await);
    let our_kid = app.state.keys.current().signer.kid().to_string();
    for (kid, alg) in [
        (our_kid.as_str(), Algorithm::ES256),
        (our_kid.as_str(), Algorithm::EdDSA),
        ("unknown-kid", Algorithm::ES256),
    ] {
        let stranger = Signer::from_pkcs8(kid, alg, &generate_pkcs8(alg).unwrap()).unwrap();
        let token = stranger.sign(&claims).unwrap();
        assert_inactive(&app, (&rs, &rs_secret), &token, kid).await;
    }
    // Tampered: our signature over other claims.
    let good = sign_as_us(&app, &claims);
    let mut widened = claims.clone();
    widened.scope = "read write".into();
    let payload = base64::Engine::encode(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD,
        serde_json::to_vec(&widened).unwrap(),
    );
    let mut parts: Vec<&str> = good.split('.').collect();
    parts[1] = &payload;
    assert_inactive(&app, (&rs, &rs_secret), &parts.join("."), "tampered").await;
}
