//! A token's life after issue: RFC 7662 introspection, RFC 7009 revocation (one by one and in
//! bulk), a client disabled or deleted, and the purge of revocations whose tokens expired.

use castellan::keys::signer::{generate_pkcs8, Signer};
use castellan::oauth::claims::AccessTokenClaims;
use castellan::storage::clients::{self as client_rows, ClientRow};
use castellan::storage::revoked;
use chrono::{Duration, Utc};
use jsonwebtoken::Algorithm;
use serde_json::Value;

use crate::helpers::{basic, jwt_part, service_account, spawn_app, Backend, TestApp, API};
use crate::on_both_backends;

on_both_backends!(
    active_token_introspects_with_every_rfc_7662_field,
    introspection_accepts_client_secret_post_and_ignores_unknown_hints,
    expired_token_introspects_inactive,
    revoked_token_introspects_inactive,
    revoking_another_clients_token_is_refused_and_leaves_it_active,
    revoking_an_unknown_or_malformed_token_answers_200,
    bulk_revocation_makes_earlier_tokens_inactive,
    disabled_client_tokens_introspect_inactive_at_once,
    deleted_client_tokens_introspect_inactive_even_if_the_id_is_reused,
    token_from_a_foreign_issuer_introspects_inactive,
    token_signed_by_a_key_not_ours_introspects_inactive,
    missing_token_parameter_is_invalid_request,
    bad_client_credentials_get_401_invalid_client,
    both_endpoints_are_form_posts_with_one_auth_method,
    purge_drops_revocations_whose_tokens_expired,
    discovery_names_introspection_and_revocation,
);

/// The resource server that introspects in these tests.
const RS: &str = "svc-rs";

/// POSTs a form to `path`, with Basic credentials when given.
async fn post(
    app: &TestApp,
    path: &str,
    auth: Option<(&str, &str)>,
    form: &[(&str, &str)],
) -> reqwest::Response {
    let mut req = app.http.post(app.url(path)).form(form);
    if let Some((id, secret)) = auth {
        req = req.header("Authorization", basic(id, secret));
    }
    req.send().await.unwrap()
}

/// Introspects `token` as `caller`; checks the framing every answer shares.
async fn introspect(app: &TestApp, caller: (&str, &str), token: &str) -> Value {
    let res = post(app, "/oauth2/introspect", Some(caller), &[("token", token)]).await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["cache-control"], "no-store");
    res.json().await.unwrap()
}

async fn assert_inactive(app: &TestApp, caller: (&str, &str), token: &str, what: &str) {
    let body = introspect(app, caller, token).await;
    assert_eq!(
        body,
        serde_json::json!({"active": false}),
        "{what}: an inactive answer carries nothing else"
    );
}

async fn revoke(app: &TestApp, caller: (&str, &str), token: &str) -> reqwest::Response {
    post(app, "/oauth2/revoke", Some(caller), &[("token", token)]).await
}

async fn error_of(res: reqwest::Response) -> (u16, Value, Option<String>) {
    let status = res.status().as_u16();
    let challenge = res
        .headers()
        .get("www-authenticate")
        .map(|v| v.to_str().unwrap().to_string());
    (status, res.json().await.unwrap(), challenge)
}

/// Two service accounts: the token's owner and the resource server that introspects.
/// A service account registered for client_secret_post (a client authenticates only by the
/// method it registered).
async fn post_client(app: &TestApp, client_id: &str) -> (String, String) {
    let mut c = service_account(client_id);
    c.token_endpoint_auth_method = "client_secret_post".into();
    let secret = app.create_client(c).await.unwrap();
    (client_id.to_string(), secret)
}

async fn owner_and_rs(app: &TestApp) -> ((String, String), (String, String)) {
    (
        app.service_account("svc-ci").await,
        app.service_account(RS).await,
    )
}

fn claims_of(token: &str) -> AccessTokenClaims {
    serde_json::from_value(jwt_part(token, 1)).unwrap()
}

/// Signs claims with the server's own current key.
fn sign_as_us(app: &TestApp, claims: &AccessTokenClaims) -> String {
    app.state.keys.current().signer.sign(claims).unwrap()
}

/// Changes a client's row straight in the store.
async fn change_client(
    app: &TestApp,
    client_id: &str,
    f: impl FnOnce(&mut ClientRow) + Send + 'static,
) {
    let client_id = client_id.to_string();
    app.state
        .db
        .run(move |conn| {
            let mut row = client_rows::find_by_client_id(conn, &client_id)?;
            let before = row.tokens_revoked_before;
            f(&mut row);
            client_rows::update(conn, &row)?;
            match row.tokens_revoked_before {
                Some(at) if Some(at) != before => {
                    client_rows::set_tokens_revoked_before(conn, &row.id, at)
                }
                _ => Ok(()),
            }
        })
        .await
        .unwrap();
}

async fn revoked_count(app: &TestApp) -> i64 {
    app.state.db.run(revoked::count).await.unwrap()
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
    assert_eq!(body.as_object().unwrap().len(), 12);

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

async fn missing_token_parameter_is_invalid_request(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let (rs, rs_secret) = app.service_account(RS).await;
    for path in ["/oauth2/introspect", "/oauth2/revoke"] {
        for form in [
            vec![],
            vec![("token", "")],
            vec![("token_type_hint", "access_token")],
        ] {
            let (status, body, _) =
                error_of(post(&app, path, Some((&rs, &rs_secret)), &form).await).await;
            assert_eq!(status, 400, "{path} {form:?}");
            assert_eq!(body["error"], "invalid_request", "{path} {form:?}");
        }
        // Given twice is malformed too.
        let (status, body, _) = error_of(
            post(
                &app,
                path,
                Some((&rs, &rs_secret)),
                &[("token", "a"), ("token", "b")],
            )
            .await,
        )
        .await;
        assert_eq!(
            (status, body["error"].as_str()),
            (400, Some("invalid_request"))
        );
    }
}

async fn bad_client_credentials_get_401_invalid_client(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let ((id, secret), (rs, _)) = owner_and_rs(&app).await;
    let token = app.access_token(&id, &secret, &[]).await;
    // A disabled client can't call either endpoint (reloaded: authentication uses the cache).
    let (off, off_secret) = app.service_account("svc-off").await;
    change_client(&app, &off, |row| row.active = false).await;
    app.reload().await;

    for path in ["/oauth2/introspect", "/oauth2/revoke"] {
        for (who, pw) in [
            (rs.as_str(), "cs_wrong"),
            ("svc-nobody", "cs_wrong"),
            (off.as_str(), off_secret.as_str()),
        ] {
            let (status, body, challenge) =
                error_of(post(&app, path, Some((who, pw)), &[("token", &token)]).await).await;
            assert_eq!(status, 401, "{path} {who}");
            assert_eq!(body["error"], "invalid_client");
            assert!(challenge.unwrap().starts_with("Basic"), "{path} {who}");
        }
        let (status, body, challenge) = error_of(
            post(
                &app,
                path,
                None,
                &[
                    ("token", token.as_str()),
                    ("client_id", rs.as_str()),
                    ("client_secret", "cs_wrong"),
                ],
            )
            .await,
        )
        .await;
        assert_eq!(
            (status, body["error"].as_str()),
            (401, Some("invalid_client"))
        );
        assert_eq!(
            challenge, None,
            "{path}: no Basic challenge after client_secret_post"
        );

        let (status, body, _) =
            error_of(post(&app, path, None, &[("token", token.as_str())]).await).await;
        assert_eq!(
            (status, body["error"].as_str()),
            (401, Some("invalid_client"))
        );
    }
    // Nothing was revoked by the failed calls.
    assert_eq!(revoked_count(&app).await, 0);
    assert_eq!(
        introspect(&app, (&id, &secret), &token).await["active"],
        true
    );
}

async fn both_endpoints_are_form_posts_with_one_auth_method(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let ((id, secret), (rs, rs_secret)) = owner_and_rs(&app).await;
    let token = app.access_token(&id, &secret, &[]).await;
    for path in ["/oauth2/introspect", "/oauth2/revoke"] {
        let res = app
            .http
            .get(app.url(path))
            .header("Authorization", basic(&rs, &rs_secret))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 405, "{path}");
        assert_eq!(res.headers()["allow"], "POST");

        let res = app
            .http
            .post(app.url(path))
            .header("Authorization", basic(&rs, &rs_secret))
            .json(&serde_json::json!({"token": token}))
            .send()
            .await
            .unwrap();
        let (status, body, _) = error_of(res).await;
        assert_eq!(
            (status, body["error"].as_str()),
            (400, Some("invalid_request"))
        );

        let (status, body, _) = error_of(
            post(
                &app,
                path,
                Some((&rs, &rs_secret)),
                &[
                    ("token", token.as_str()),
                    ("client_secret", rs_secret.as_str()),
                ],
            )
            .await,
        )
        .await;
        assert_eq!(
            (status, body["error"].as_str()),
            (400, Some("invalid_request")),
            "{path}: two auth methods"
        );
    }
    assert_eq!(revoked_count(&app).await, 0);
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

async fn discovery_names_introspection_and_revocation(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    for doc in [
        "/.well-known/oauth-authorization-server",
        "/.well-known/openid-configuration",
    ] {
        let meta: Value = app
            .http
            .get(app.url(doc))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let iss = app.state.issuer.as_str();
        assert_eq!(
            meta["introspection_endpoint"],
            format!("{iss}/oauth2/introspect")
        );
        assert_eq!(meta["revocation_endpoint"], format!("{iss}/oauth2/revoke"));
        let methods = serde_json::json!([
            "client_secret_basic",
            "client_secret_post",
            "private_key_jwt"
        ]);
        assert_eq!(
            meta["introspection_endpoint_auth_methods_supported"],
            methods
        );
        assert_eq!(meta["revocation_endpoint_auth_methods_supported"], methods);
    }
}
