//! The admin API's users, keys, OpenAPI document, and the token attacks of RFC 8725 against it.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use castellan::oauth::claims::{AccessTokenClaims, Audience};
use serde_json::{json, Value};

use crate::helpers::{spawn_app, Backend, TestApp, ADMIN_ID};
use crate::on_both_backends;

on_both_backends!(
    users_are_created_updated_and_deleted_without_ever_showing_a_password,
    a_route_for_people_refuses_service_accounts_cleanly,
    keys_list_with_states_and_rotate,
    the_openapi_document_describes_every_route,
    rfc_8725_attacks_on_the_admin_api_fail,
    a_subject_of_another_kind_than_claimed_is_refused,
);

const ADMIN_AUD: &str = "urn:castellan:admin";

fn claims(app: &TestApp, sub: &str, kind: &str, scope: &str) -> AccessTokenClaims {
    let now = chrono::Utc::now().timestamp();
    AccessTokenClaims {
        iss: app.state.issuer.clone(),
        sub: sub.into(),
        aud: Audience::One(ADMIN_AUD.into()),
        exp: now + 300,
        iat: now,
        nbf: now,
        // Our own jti carries the issue time to the microsecond, as the server's does.
        jti: castellan::domain::tokens::new_jti(chrono::Utc::now()).unwrap(),
        client_id: if kind == "user" {
            "console".into()
        } else {
            sub.into()
        },
        scope: scope.into(),
        principal_type: kind.into(),
    }
}

/// Signs with the server's current key, as the server itself would.
fn sign(app: &TestApp, claims: &AccessTokenClaims) -> String {
    app.state.keys.current().signer.sign(claims).unwrap()
}

/// Signs with the server's key but a header of our choosing (via jsonwebtoken on ring).
async fn sign_with_header(
    app: &TestApp,
    header: &jsonwebtoken::Header,
    claims: &AccessTokenClaims,
) -> String {
    let set = app.state.keys.current();
    let kid = set.signer.kid().to_string();
    let sealed = app
        .state
        .db
        .run(move |conn| {
            use castellan::storage::schema::signing_keys::dsl as k;
            use diesel::prelude::*;
            k::signing_keys
                .filter(k::kid.eq(kid))
                .select(k::sealed_private)
                .first::<Vec<u8>>(conn)
                .map_err(castellan::storage::StoreError::from_diesel)
        })
        .await
        .unwrap();
    let pkcs8 = app.state.master.open(set.signer.kid(), &sealed).unwrap();
    jsonwebtoken::encode(
        header,
        claims,
        &jsonwebtoken::EncodingKey::from_ec_der(&pkcs8),
    )
    .unwrap()
}

async fn users_are_created_updated_and_deleted_without_ever_showing_a_password(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let admin = app.admin_token().await;
    let pw = "a long enough passphrase";
    let a = app
        .admin("POST", "/users", Some(&admin), Some(json!({"username": "bob", "display_name": "Bob", "email": "bob@example.com", "password": pw})))
        .await;
    assert_eq!(a.status, 201, "{}", a.body);
    assert_eq!(a.body["has_password"], true);
    let text = a.body.to_string();
    assert!(
        !text.contains(pw) && !text.contains("argon2") && a.body.get("password_hash").is_none()
    );
    let path = format!("/users/{}", a.body["id"].as_str().unwrap());
    // Stored as argon2id.
    let stored = app
        .state
        .db
        .run(|c| castellan::storage::users::find_by_username(c, "bob"))
        .await
        .unwrap();
    assert!(stored.password_hash.unwrap().starts_with("$argon2id$"));
    // Partial update keeps what was not sent; null clears the email.
    let a = app
        .admin(
            "PATCH",
            &path,
            Some(&admin),
            Some(json!({"display_name": "Robert"})),
        )
        .await;
    assert_eq!(
        (a.body["display_name"].as_str(), a.body["email"].as_str()),
        (Some("Robert"), Some("bob@example.com"))
    );
    let a = app
        .admin("PATCH", &path, Some(&admin), Some(json!({"email": null})))
        .await;
    assert_eq!(a.body["email"], Value::Null);
    for bad in [
        json!({"password": "short"}),
        json!({"username": "robert"}),
        json!({"email": "not-an-address"}),
    ] {
        assert_eq!(
            app.admin("PATCH", &path, Some(&admin), Some(bad.clone()))
                .await
                .status,
            422,
            "{bad}"
        );
    }
    assert_eq!(
        app.admin(
            "POST",
            "/users",
            Some(&admin),
            Some(json!({"username": "has space"}))
        )
        .await
        .status,
        422
    );
    let list = app.admin("GET", "/users", Some(&admin), None).await;
    assert_eq!(list.body["items"].as_array().unwrap().len(), 1);
    assert_eq!(
        app.admin("DELETE", &path, Some(&admin), None).await.status,
        204
    );
    assert_eq!(
        app.admin("GET", &path, Some(&admin), None).await.status,
        404
    );
    // Every change audited, no password in any event.
    let (actions, events) = app.audit_actions(&admin, "target=bob").await;
    let actions: Vec<&str> = actions.iter().map(String::as_str).collect();
    assert_eq!(actions.first(), Some(&"user.deleted"));
    assert!(actions.contains(&"user.created") && actions.contains(&"user.updated"));
    assert!(!events.to_string().contains(pw) && !events.to_string().contains("argon2"));
}

async fn a_route_for_people_refuses_service_accounts_cleanly(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let admin = app.admin_token().await;
    let body = json!({"current_password": "x", "new_password": "a brand new passphrase"});
    let a = app
        .admin("PUT", "/me/password", Some(&admin), Some(body))
        .await;
    assert_eq!(a.status, 403);
    assert_eq!(a.content_type, "application/problem+json");
    assert!(a.body["detail"]
        .as_str()
        .unwrap()
        .contains("service-account"));
    // A person's token (minted with the server's key: the login flow comes later) works.
    app.admin(
        "POST",
        "/users",
        Some(&admin),
        Some(json!({"username": "carol", "password": "carol's first passphrase"})),
    )
    .await;
    let user_token = sign(&app, &claims(&app, "carol", "user", "admin:users:read"));
    // Live means live: a person holds only what groups give it, so a scope in its token that
    // it does not hold opens nothing; the route made for people still works.
    assert_eq!(
        app.admin("GET", "/users", Some(&user_token), None)
            .await
            .status,
        403
    );
    let a = app
        .admin("PUT", "/me/password", Some(&user_token), Some(json!({"current_password": "carol's first passphrase", "new_password": "carol's second passphrase"})))
        .await;
    assert_eq!(a.status, 204, "{}", a.body);
    let a = app
        .admin(
            "PUT",
            "/me/password",
            Some(&user_token),
            Some(json!({"current_password": "wrong", "new_password": "carol's third passphrase"})),
        )
        .await;
    assert_eq!(a.status, 403);
}

async fn keys_list_with_states_and_rotate(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let admin = app.admin_token().await;
    let a = app.admin("GET", "/keys", Some(&admin), None).await;
    let keys = a.body["keys"].as_array().unwrap().clone();
    assert_eq!(keys.len(), 1);
    assert_eq!(keys[0]["state"], "current");
    let a = app.admin("POST", "/keys/rotate", Some(&admin), None).await;
    assert_eq!(a.status, 201);
    let new_kid = a.body["kid"].as_str().unwrap().to_string();
    assert_eq!(a.body["state"], "current");
    // The token signed by the old key still works; new tokens use the new key.
    let a = app.admin("GET", "/keys", Some(&admin), None).await;
    let states: Vec<(String, String)> = a.body["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| {
            (
                k["kid"].as_str().unwrap().to_string(),
                k["state"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert!(states.contains(&(new_kid.clone(), "current".into())));
    assert!(states.contains(&(
        keys[0]["kid"].as_str().unwrap().to_string(),
        "retiring".into()
    )));
    let fresh = app.admin_token().await;
    assert_eq!(crate::helpers::jwt_part(&fresh, 0)["kid"], new_kid.as_str());
    // A client revoking its own token at /oauth2/revoke is audited too.
    let res = app
        .http
        .post(app.url("/oauth2/revoke"))
        .header(
            "Authorization",
            crate::helpers::basic(ADMIN_ID, crate::helpers::ADMIN_SECRET),
        )
        .form(&[("token", admin.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let revoked = app
        .admin(
            "GET",
            "/audit-events?action=token.revoked",
            Some(&fresh),
            None,
        )
        .await
        .body;
    assert_eq!(revoked["items"][0]["actor"], ADMIN_ID);
    assert_eq!(
        revoked["items"][0]["details"]["jti"],
        crate::helpers::jwt_part(&admin, 1)["jti"]
    );
    let events = app
        .admin(
            "GET",
            "/audit-events?action=key.rotated",
            Some(&fresh),
            None,
        )
        .await
        .body;
    assert_eq!(events["items"][0]["target"], new_kid.as_str());
    assert_eq!(events["items"][0]["ip"], "127.0.0.1");
}

async fn the_openapi_document_describes_every_route(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let a = app.admin("GET", "/openapi.json", None, None).await;
    assert_eq!(a.status, 200);
    assert!(a.body["openapi"].as_str().unwrap().starts_with("3."));
    let paths = a.body["paths"].as_object().unwrap();
    for (path, method) in [
        ("/admin/v1/clients", "get"),
        ("/admin/v1/clients", "post"),
        ("/admin/v1/clients/{id}", "patch"),
        ("/admin/v1/clients/{id}", "delete"),
        ("/admin/v1/clients/{id}/secrets", "post"),
        ("/admin/v1/clients/{id}/secrets/{secret_id}", "delete"),
        ("/admin/v1/clients/{id}/revoke-tokens", "post"),
        ("/admin/v1/users", "post"),
        ("/admin/v1/users/{id}", "patch"),
        ("/admin/v1/audit-events", "get"),
        ("/admin/v1/keys", "get"),
        ("/admin/v1/keys/rotate", "post"),
        ("/admin/v1/me/password", "put"),
    ] {
        assert!(
            paths.get(path).and_then(|p| p.get(method)).is_some(),
            "{method} {path}"
        );
    }
    let schemas = a.body["components"]["schemas"].as_object().unwrap();
    for s in [
        "Client",
        "CreateClientRequest",
        "UpdateClientRequest",
        "User",
        "AuditEvent",
        "SecretInfo",
    ] {
        assert!(schemas.contains_key(s), "{s}");
    }
}

async fn rfc_8725_attacks_on_the_admin_api_fail(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let good = claims(&app, ADMIN_ID, "service_account", "admin");
    let kid = app.state.keys.current().signer.kid().to_string();
    // Control: the honest token works.
    assert_eq!(
        app.admin("GET", "/clients", Some(&sign(&app, &good)), None)
            .await
            .status,
        200
    );
    let b64 = |v: &Value| URL_SAFE_NO_PAD.encode(v.to_string());
    let payload = b64(&serde_json::to_value(&good).unwrap());
    let mut attacks: Vec<(&str, String)> = Vec::new();
    // alg: none, with and without a trailing signature part.
    let none = b64(&json!({"alg": "none", "typ": "at+jwt", "kid": kid}));
    attacks.push(("alg none", format!("{none}.{payload}.")));
    // HS256 "signed" with the public key (the JWK as published, and the raw point).
    let jwks = app.jwks().await;
    let jwk = jwks["keys"][0].clone();
    let hs = b64(&json!({"alg": "HS256", "typ": "at+jwt", "kid": kid}));
    let x = URL_SAFE_NO_PAD.decode(jwk["x"].as_str().unwrap()).unwrap();
    let y = URL_SAFE_NO_PAD.decode(jwk["y"].as_str().unwrap()).unwrap();
    let point: Vec<u8> = [vec![4u8], x, y].concat();
    for key in [jwk.to_string().into_bytes(), point] {
        let input = format!("{hs}.{payload}");
        let tag = ring::hmac::sign(
            &ring::hmac::Key::new(ring::hmac::HMAC_SHA256, &key),
            input.as_bytes(),
        );
        attacks.push((
            "HS256 with the public key",
            format!("{input}.{}", URL_SAFE_NO_PAD.encode(tag.as_ref())),
        ));
    }
    // Our own key, but the header says another algorithm.
    let honest = sign(&app, &good);
    let parts: Vec<&str> = honest.split('.').collect();
    let es384 = b64(&json!({"alg": "ES384", "typ": "at+jwt", "kid": kid}));
    attacks.push((
        "header alg swapped",
        format!("{es384}.{}.{}", parts[1], parts[2]),
    ));
    // Stripped signature; tampered payload.
    attacks.push(("stripped signature", format!("{}.{}.", parts[0], parts[1])));
    let mut evil = good.clone();
    evil.scope = "admin".into();
    evil.sub = "someone-else".into();
    attacks.push((
        "tampered payload",
        format!(
            "{}.{}.{}",
            parts[0],
            b64(&serde_json::to_value(&evil).unwrap()),
            parts[2]
        ),
    ));
    // Wrong typ, unknown kid: signed with our real key.
    let mut h = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::ES256);
    h.kid = Some(kid.clone());
    h.typ = Some("JWT".into());
    attacks.push(("typ JWT", sign_with_header(&app, &h, &good).await));
    h.typ = Some("at+jwt".into());
    h.kid = Some("no-such-kid".into());
    attacks.push(("unknown kid", sign_with_header(&app, &h, &good).await));
    // Expired, not yet valid, foreign issuer, wrong audience: properly signed.
    let mut c = good.clone();
    c.exp = chrono::Utc::now().timestamp() - 3600;
    c.iat = c.exp - 300;
    c.nbf = c.iat;
    attacks.push(("expired", sign(&app, &c)));
    let mut c = good.clone();
    c.nbf = chrono::Utc::now().timestamp() + 3600;
    attacks.push(("not yet valid", sign(&app, &c)));
    let mut c = good.clone();
    c.iss = "https://evil.example.com".into();
    attacks.push(("foreign issuer", sign(&app, &c)));
    let mut c = good.clone();
    c.aud = Audience::One("https://api.example.com".into());
    attacks.push(("wrong audience", sign(&app, &c)));
    // A key that is not ours, claiming our kid.
    let other = castellan::keys::signer::Signer::from_pkcs8(
        &kid,
        jsonwebtoken::Algorithm::ES256,
        &castellan::keys::signer::generate_pkcs8(jsonwebtoken::Algorithm::ES256).unwrap(),
    )
    .unwrap();
    attacks.push(("someone else's key", other.sign(&good).unwrap()));
    for (what, token) in attacks {
        let a = app.admin("GET", "/clients", Some(&token), None).await;
        assert_eq!(a.status, 401, "{what}: {}", a.body);
        assert!(
            a.challenge
                .as_deref()
                .unwrap_or("")
                .contains("invalid_token"),
            "{what}"
        );
    }
}

async fn a_subject_of_another_kind_than_claimed_is_refused(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let admin = app.admin_token().await;
    app.admin(
        "POST",
        "/users",
        Some(&admin),
        Some(json!({"username": "dave"})),
    )
    .await;
    // A "user" token whose subject is a client, and a "service_account" token whose subject is
    // a user: both refused, though signed by our own key.
    let user_claiming_client = sign(&app, &claims(&app, ADMIN_ID, "user", "admin"));
    let sa_claiming_user = sign(&app, &claims(&app, "dave", "service_account", "admin"));
    let nobody = sign(&app, &claims(&app, "ghost", "service_account", "admin"));
    for (what, token) in [
        ("user->client", user_claiming_client),
        ("sa->user", sa_claiming_user),
        ("no principal", nobody),
    ] {
        let a = app.admin("GET", "/clients", Some(&token), None).await;
        assert_eq!(a.status, 401, "{what}");
    }
}
