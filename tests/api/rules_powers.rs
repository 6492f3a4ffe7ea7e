//! CONTRACT "No principal grants what it does not hold", "Live means live", promotion,
//! "One rule, every door" and audiences: each tried the way an attacker or a careless admin
//! would.

use serde_json::{json, Value};

use crate::helpers::{basic, service_account, spawn_app, Backend, ADMIN_ID, API};
use crate::on_both_backends;
use crate::rules_support::ADMIN_AUD;

on_both_backends!(
    a_demoted_admins_earlier_token_cannot_grant_admin_back,
    a_narrow_writer_cannot_touch_the_bootstrap_admin,
    promotion_revokes_every_secret_and_token_and_shows_one_new_secret,
    a_client_authenticates_only_by_the_method_it_registered,
    default_audiences_and_the_lone_admin_audience,
    audit_events_say_what_changed_in_description_and_jwks,
);

async fn a_demoted_admins_earlier_token_cannot_grant_admin_back(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let boot = app.admin_token().await;
    let (id, deputy) = app.full_admin(&boot, "deputy").await;
    let path = format!("/clients/{id}");
    let demote = json!({"scopes": ["admin:clients:read"], "default_scopes": []});
    assert_eq!(
        app.admin("PATCH", &path, Some(&boot), Some(demote))
            .await
            .status,
        200
    );
    // Its token still says `admin`, but only what it still holds works.
    assert_eq!(
        app.admin("GET", "/clients", Some(&deputy), None)
            .await
            .status,
        200
    );
    let back = json!({"scopes": ["admin"]});
    assert_eq!(
        app.admin("PATCH", &path, Some(&deputy), Some(back))
            .await
            .status,
        403
    );
    let new = json!({"name": "x", "scopes": ["admin"]});
    assert_eq!(
        app.admin("POST", "/clients", Some(&deputy), Some(new))
            .await
            .status,
        403
    );
    assert_eq!(
        app.admin("GET", "/audit-events", Some(&deputy), None)
            .await
            .status,
        403
    );
}

async fn a_narrow_writer_cannot_touch_the_bootstrap_admin(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let boot = app.admin_token().await;
    let (writer, _) = app
        .limited_admin("writer", &["admin:clients:write", "admin:clients:read"])
        .await;
    let id = app.row_id(ADMIN_ID);
    let secrets = app
        .admin("GET", &format!("/clients/{id}/secrets"), Some(&boot), None)
        .await;
    let secret_id = secrets.body[0]["id"].as_str().unwrap().to_string();
    for (method, path) in [
        ("DELETE", format!("/clients/{id}")),
        ("POST", format!("/clients/{id}/revoke-tokens")),
        ("POST", format!("/clients/{id}/secrets")),
        ("DELETE", format!("/clients/{id}/secrets/{secret_id}")),
    ] {
        let a = app.admin(method, &path, Some(&writer), None).await;
        assert_eq!(a.status, 403, "{method} {path}: {}", a.body);
    }
    let a = app
        .admin(
            "PATCH",
            &format!("/clients/{id}"),
            Some(&writer),
            Some(json!({"active": false})),
        )
        .await;
    assert_eq!(a.status, 403);
    // The bootstrap admin still works, and its client_id can't be taken.
    assert_eq!(
        app.admin("GET", "/clients", Some(&boot), None).await.status,
        200
    );
    let again = json!({"client_id": ADMIN_ID, "name": "mine"});
    assert_eq!(
        app.admin("POST", "/clients", Some(&writer), Some(again))
            .await
            .status,
        409
    );
}

async fn promotion_revokes_every_secret_and_token_and_shows_one_new_secret(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let boot = app.admin_token().await;
    let (created, first) = app
        .api_create_client(
            &boot,
            json!({"client_id": "plain", "name": "p", "scopes": ["read"], "audiences": [API]}),
        )
        .await;
    let id = created["id"].as_str().unwrap().to_string();
    let first = first.unwrap();
    // Someone plants a second secret while it is harmless.
    let planted = app
        .admin("POST", &format!("/clients/{id}/secrets"), Some(&boot), None)
        .await;
    let planted = planted.body["secret"].as_str().unwrap().to_string();
    let token = app.access_token("plain", &first, &[]).await;
    assert!(app.is_active(&token).await);
    let promote = json!({"scopes": ["read", "admin:audit:read"], "audiences": [API, ADMIN_AUD],
                         "default_audiences": [API], "is_admin_service_account": true});
    let a = app
        .admin(
            "PATCH",
            &format!("/clients/{id}"),
            Some(&boot),
            Some(promote),
        )
        .await;
    assert_eq!(a.status, 200, "{}", a.body);
    let fresh = a.body["client_secret"]
        .as_str()
        .expect("one new secret")
        .to_string();
    for old in [&first, &planted] {
        let res = app
            .token_basic("plain", old, &[("grant_type", "client_credentials")])
            .await;
        assert_eq!(res.status(), 401, "an old secret still works");
    }
    assert!(!app.is_active(&token).await, "an old token still works");
    app.access_token("plain", &fresh, &[]).await;
    let (actions, _) = app.audit_actions(&boot, "target=plain").await;
    assert!(
        actions.contains(&"client.promoted".to_string()),
        "{actions:?}"
    );
}

async fn a_client_authenticates_only_by_the_method_it_registered(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let (id, secret) = app.service_account("by-basic").await;
    let mut post = service_account("by-post");
    post.token_endpoint_auth_method = "client_secret_post".into();
    let post_secret = app.create_client(post).await.unwrap();
    let form = |id: &str, secret: &str| {
        vec![
            ("grant_type".to_string(), "client_credentials".to_string()),
            ("client_id".to_string(), id.to_string()),
            ("client_secret".to_string(), secret.to_string()),
        ]
    };
    let res = app
        .http
        .post(app.url("/oauth2/token"))
        .form(&form(&id, &secret))
        .send()
        .await;
    assert_eq!(res.unwrap().status(), 401);
    let res = app.token_basic(
        "by-post",
        &post_secret,
        &[("grant_type", "client_credentials")],
    );
    let res = res.await;
    assert_eq!(res.status(), 401);
    assert!(res.headers().contains_key("www-authenticate"));
    let ok = app
        .http
        .post(app.url("/oauth2/token"))
        .form(&form("by-post", &post_secret));
    assert_eq!(ok.send().await.unwrap().status(), 200);
    // The same rule at introspection.
    let res = app
        .http
        .post(app.url("/oauth2/introspect"))
        .header("Authorization", basic("by-post", &post_secret))
        .form(&[("token", "x")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
}

async fn default_audiences_and_the_lone_admin_audience(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let boot = app.admin_token().await;
    let (_, secret) = app
        .api_create_client(
            &boot,
            json!({"client_id": "two-apis", "name": "t",
            "audiences": [API, "urn:other"], "default_audiences": ["urn:other"]}),
        )
        .await;
    let token = app.access_token("two-apis", &secret.unwrap(), &[]).await;
    assert_eq!(crate::helpers::jwt_part(&token, 1)["aud"], "urn:other");
    for bad in [
        json!({"name": "b", "audiences": [API], "default_audiences": ["urn:nope"]}),
        json!({"name": "b", "audiences": [API, ADMIN_AUD], "default_audiences": [API, ADMIN_AUD]}),
    ] {
        assert_eq!(
            app.admin("POST", "/clients", Some(&boot), Some(bad))
                .await
                .status,
            422
        );
    }
    let (_, secret) = app
        .api_create_client(
            &boot,
            json!({"client_id": "mixed", "name": "m",
            "scopes": ["admin:audit:read"], "audiences": [API, ADMIN_AUD],
            "is_admin_service_account": true}),
        )
        .await;
    let secret = secret.unwrap();
    for extra in [vec![], vec![("resource", API), ("audience", ADMIN_AUD)]] {
        let mut form = vec![("grant_type", "client_credentials")];
        form.extend(extra);
        let res = app.token_basic("mixed", &secret, &form).await;
        assert_eq!(res.status(), 400);
        let body: Value = res.json().await.unwrap();
        assert_eq!(body["error"], "invalid_target");
    }
    let alone = app
        .access_token("mixed", &secret, &[("audience", ADMIN_AUD)])
        .await;
    assert_eq!(crate::helpers::jwt_part(&alone, 1)["aud"], ADMIN_AUD);
}

async fn audit_events_say_what_changed_in_description_and_jwks(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let boot = app.admin_token().await;
    let (created, _) = app
        .api_create_client(&boot, json!({"client_id": "described", "name": "d"}))
        .await;
    let path = format!("/clients/{}", created["id"].as_str().unwrap());
    let change = json!({"description": "now with words"});
    assert_eq!(
        app.admin("PATCH", &path, Some(&boot), Some(change))
            .await
            .status,
        200
    );
    let (_, page) = app
        .audit_actions(&boot, "target=described&action=client.updated")
        .await;
    let changes = &page["items"][0]["details"]["changes"];
    assert_eq!(changes["description"]["after"], "now with words", "{page}");
}
