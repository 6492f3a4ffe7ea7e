//! RFC 7009 revocation, one by one and in bulk, and the purge of revocations whose tokens expired.

use castellan::keys::signer::{generate_pkcs8, Signer};
use castellan::storage::revoked;
use chrono::{Duration, Utc};
use jsonwebtoken::Algorithm;

use crate::helpers::{spawn_app, Backend, TestApp};
use crate::lifecycle_support::{
    assert_inactive, change_client, claims_of, error_of, introspect, owner_and_rs, post,
    revoked_count, sign_as_us,
};
use crate::on_both_backends;

on_both_backends!(
    revoked_token_introspects_inactive,
    revoking_another_clients_token_is_refused_and_leaves_it_active,
    revoking_an_unknown_or_malformed_token_answers_200,
    bulk_revocation_makes_earlier_tokens_inactive,
    purge_drops_revocations_whose_tokens_expired,
);

async fn revoke(app: &TestApp, caller: (&str, &str), token: &str) -> reqwest::Response {
    post(app, "/oauth2/revoke", Some(caller), &[("token", token)]).await
}

async fn revoked_token_introspects_inactive(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let ((id, secret), (rs, rs_secret)) = owner_and_rs(&app).await;
    let token = app.access_token(&id, &secret, &[]).await;
    let other = app.access_token(&id, &secret, &[]).await;
    assert_eq!(
        introspect(&app, (&rs, &rs_secret), &token).await["active"],
        true
    );

    let res = revoke(&app, (&id, &secret), &token).await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["cache-control"], "no-store");
    assert!(res.bytes().await.unwrap().is_empty());
    assert_inactive(&app, (&rs, &rs_secret), &token, "revoked").await;
    assert_eq!(revoked_count(&app).await, 1);

    // Revoking again is fine and records nothing new; the client's other token lives on.
    assert_eq!(revoke(&app, (&id, &secret), &token).await.status(), 200);
    assert_eq!(revoked_count(&app).await, 1);
    assert_eq!(
        introspect(&app, (&rs, &rs_secret), &other).await["active"],
        true
    );

    // With a hint too (the client's registered method, client_secret_basic).
    let res = post(
        &app,
        "/oauth2/revoke",
        Some((&id, &secret)),
        &[
            ("token", other.as_str()),
            ("token_type_hint", "access_token"),
        ],
    )
    .await;
    assert_eq!(res.status(), 200);
    assert_inactive(&app, (&rs, &rs_secret), &other, "revoked with a hint").await;

    // The revocation row expires with the token.
    let jti = claims_of(&token).jti;
    let exp = claims_of(&token).exp;
    let kept_until = app
        .state
        .db
        .run(move |conn| {
            use castellan::storage::schema::revoked_tokens::dsl as r;
            use diesel::prelude::*;
            r::revoked_tokens
                .filter(r::jti.eq(jti))
                .select(r::expires_at)
                .first::<chrono::NaiveDateTime>(conn)
                .map_err(castellan::storage::StoreError::from_diesel)
        })
        .await
        .unwrap();
    assert_eq!(kept_until.and_utc().timestamp(), exp);
}

async fn revoking_another_clients_token_is_refused_and_leaves_it_active(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let ((id, secret), (rs, rs_secret)) = owner_and_rs(&app).await;
    let token = app.access_token(&id, &secret, &[]).await;
    let (status, body, _) = error_of(revoke(&app, (&rs, &rs_secret), &token).await).await;
    assert_eq!(status, 400);
    assert_eq!(body["error"], "unauthorized_client");
    assert!(body["error_description"]
        .as_str()
        .unwrap()
        .contains("not issued to this client"));
    assert_eq!(revoked_count(&app).await, 0);
    assert_eq!(
        introspect(&app, (&rs, &rs_secret), &token).await["active"],
        true
    );
}

async fn revoking_an_unknown_or_malformed_token_answers_200(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let ((id, secret), (rs, rs_secret)) = owner_and_rs(&app).await;
    let mut claims = claims_of(&app.access_token(&id, &secret, &[]).await);
    claims.exp = Utc::now().timestamp() - 5;
    let expired = sign_as_us(&app, &claims);
    let stranger = Signer::from_pkcs8(
        "not-ours",
        Algorithm::ES256,
        &generate_pkcs8(Algorithm::ES256).unwrap(),
    )
    .unwrap();
    let mut live = claims.clone();
    live.exp = Utc::now().timestamp() + 300;
    let foreign = stranger.sign(&live).unwrap();
    let long = "a".repeat(10_000);
    for (what, token) in [
        ("garbage", "not-a-jwt"),
        ("three garbage parts", "a.b.c"),
        ("too long", long.as_str()),
        ("expired, of this client", expired.as_str()),
        ("signed by a stranger", foreign.as_str()),
    ] {
        for (caller, hint) in [
            ((id.as_str(), secret.as_str()), "access_token"),
            ((rs.as_str(), rs_secret.as_str()), "refresh_token"),
        ] {
            let res = post(
                &app,
                "/oauth2/revoke",
                Some(caller),
                &[("token", token), ("token_type_hint", hint)],
            )
            .await;
            assert_eq!(res.status(), 200, "{what}");
            assert!(res.bytes().await.unwrap().is_empty(), "{what}");
        }
    }
    assert_eq!(revoked_count(&app).await, 0);
}

async fn bulk_revocation_makes_earlier_tokens_inactive(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let ((id, secret), (rs, rs_secret)) = owner_and_rs(&app).await;
    let token = app.access_token(&id, &secret, &[]).await;

    // A bulk revocation before the token was issued leaves it alone.
    change_client(&app, &id, |row| {
        row.tokens_revoked_before = Some((Utc::now() - Duration::seconds(30)).naive_utc());
    })
    .await;
    app.reload().await;
    assert_eq!(
        introspect(&app, (&rs, &rs_secret), &token).await["active"],
        true
    );

    // One at or after its iat (second precision, sub-second part and all) revokes it.
    change_client(&app, &id, |row| {
        row.tokens_revoked_before = Some(Utc::now().naive_utc());
    })
    .await;
    app.reload().await;
    assert_inactive(&app, (&rs, &rs_secret), &token, "bulk revoked").await;

    // Exactly at iat counts as revoked.
    let iat = claims_of(&token).iat;
    change_client(&app, &id, move |row| {
        row.tokens_revoked_before =
            chrono::DateTime::from_timestamp(iat, 999_000_000).map(|t| t.naive_utc());
    })
    .await;
    assert_inactive(&app, (&rs, &rs_secret), &token, "revoked at iat").await;
}

async fn purge_drops_revocations_whose_tokens_expired(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let ((id, secret), _) = owner_and_rs(&app).await;
    let token = app.access_token(&id, &secret, &[]).await;
    assert_eq!(revoke(&app, (&id, &secret), &token).await.status(), 200);
    assert_eq!(revoked_count(&app).await, 1);
    let exp = claims_of(&token).exp;

    let purged = |at: i64| {
        let now = chrono::DateTime::from_timestamp(at, 0).unwrap().naive_utc();
        app.state
            .db
            .run(move |conn| revoked::purge_expired(conn, now))
    };
    // While the token could still be used, its revocation stays.
    assert_eq!(purged(Utc::now().timestamp()).await.unwrap(), 0);
    assert_eq!(purged(exp).await.unwrap(), 0);
    assert_eq!(revoked_count(&app).await, 1);
    // Once it has expired, the entry goes.
    assert_eq!(purged(exp + 1).await.unwrap(), 1);
    assert_eq!(revoked_count(&app).await, 0);
}
