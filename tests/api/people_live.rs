//! CONTRACT ("People"): a user token reaches the admin API only while the person, its
//! organization and what it holds allow the call; the authorization server's own sign-out;
//! public clients only with the code grant.

use serde_json::json;

use crate::helpers::{spawn_app, Backend};
use crate::on_both_backends;
use crate::people_support::{code_for, exchange, pkce, request, setup, Browser, PASSWORD};

async fn a_user_token_follows_its_organization_and_its_groups_live(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let admin = app.admin_token().await;
    // Mia lives in a vendor organization and holds admin:clients:read through a group there.
    let acme = app
        .admin(
            "POST",
            "/orgs",
            Some(&admin),
            Some(json!({"slug": "acme", "name": "Acme"})),
        )
        .await;
    assert_eq!(acme.status, 201);
    setup(&app, "root-person", &["admin:users:read"]).await; // creates web-app
    let mia = app
        .admin(
            "POST",
            "/users",
            Some(&admin),
            Some(json!({"username": "mia", "password": PASSWORD, "org_id": "acme"})),
        )
        .await;
    assert_eq!(mia.status, 201, "{}", mia.body);
    let group = app
        .admin(
            "POST",
            "/groups",
            Some(&admin),
            Some(json!({"org_id": "acme", "name": "readers",
            "scopes": ["admin:clients:read"], "audiences": [crate::rules_support::ADMIN_AUD]})),
        )
        .await;
    let gid = group.body["id"].as_str().unwrap().to_string();
    let added = app
        .admin(
            "POST",
            &format!("/groups/{gid}/members"),
            Some(&admin),
            Some(json!({"principal": "mia"})),
        )
        .await;
    assert_eq!(added.status, 201);
    let mut b = Browser::default();
    let (code, verifier) = code_for(&app, &mut b, "mia", "admin:clients:read").await;
    let (status, body) = exchange(&app, &code, &verifier).await;
    assert_eq!(status, 200, "{body}");
    let token = body["access_token"].as_str().unwrap().to_string();
    // Acting from acme: root's clients are invisible to her.
    assert_eq!(
        app.admin("GET", "/clients", Some(&token), None)
            .await
            .status,
        200
    );
    assert_eq!(
        app.admin(
            "GET",
            &format!("/clients/{}", crate::helpers::ADMIN_ID),
            Some(&token),
            None
        )
        .await
        .status,
        404
    );
    // Removed from the group: the scope stops working at once.
    let removed = app
        .admin(
            "DELETE",
            &format!("/groups/{gid}/members/mia"),
            Some(&admin),
            None,
        )
        .await;
    assert_eq!(removed.status, 204);
    assert_eq!(
        app.admin("GET", "/clients", Some(&token), None)
            .await
            .status,
        403
    );
    app.admin(
        "POST",
        &format!("/groups/{gid}/members"),
        Some(&admin),
        Some(json!({"principal": "mia"})),
    )
    .await;
    assert_eq!(
        app.admin("GET", "/clients", Some(&token), None)
            .await
            .status,
        200
    );
    // Her organization disabled: 401 at once, and no new sign-in.
    let off = app
        .admin(
            "PATCH",
            "/orgs/acme",
            Some(&admin),
            Some(json!({"active": false})),
        )
        .await;
    assert_eq!(off.status, 200, "{}", off.body);
    assert_eq!(
        app.admin("GET", "/clients", Some(&token), None)
            .await
            .status,
        401
    );
    let (_, challenge) = pkce();
    let mut fresh = Browser::default();
    let page = fresh
        .authorize(&app, &request(&challenge, "admin:clients:read"))
        .await;
    let page = fresh.sign_in(&app, &page, "mia", PASSWORD).await;
    assert_eq!(
        page.status, 401,
        "a person of a disabled organization can't sign in"
    );
}

async fn the_authorization_servers_sign_out_needs_the_session_csrf_value(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    setup(&app, "noah", &["admin:clients:read"]).await;
    let mut b = Browser::default();
    code_for(&app, &mut b, "noah", "admin:clients:read").await;
    let forged = b
        .post(&app.url("/oauth2/logout"), &[("csrf", "forged")])
        .await;
    assert_eq!(forged.status, 403);
    let session = b
        .cookies
        .iter()
        .find(|(k, _)| k == "castellan_session")
        .map(|(_, v)| v.clone())
        .unwrap();
    let csrf = app.state.people().csrf_for(&session);
    let out = b
        .post(
            &app.url("/oauth2/logout"),
            &[("csrf", &csrf), ("redirect_to", "//evil.example")],
        )
        .await;
    // An off-site redirect_to is ignored: the page says the person is signed out.
    assert_eq!(out.status, 200, "{}", out.body);
    let (_, challenge) = pkce();
    let page = b
        .authorize(&app, &request(&challenge, "admin:clients:read"))
        .await;
    assert_eq!(page.status, 200, "signed out: the sign-in page again");
}

async fn a_public_client_may_only_use_the_code_grant_and_refresh_tokens(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let admin = app.admin_token().await;
    let bad = json!({"client_id": "spa", "name": "SPA", "client_type": "public",
        "grant_types": ["authorization_code", "client_credentials"],
        "redirect_uris": ["https://spa.example/cb"], "is_service_account": false});
    assert_eq!(
        app.admin("POST", "/clients", Some(&admin), Some(bad))
            .await
            .status,
        422
    );
    let no_uri = json!({"client_id": "spa", "name": "SPA", "client_type": "public",
        "grant_types": ["authorization_code"], "is_service_account": false});
    assert_eq!(
        app.admin("POST", "/clients", Some(&admin), Some(no_uri))
            .await
            .status,
        422
    );
    let plain_http = json!({"client_id": "spa", "name": "SPA", "client_type": "public",
        "grant_types": ["authorization_code"], "redirect_uris": ["http://spa.example/cb"],
        "is_service_account": false});
    assert_eq!(
        app.admin("POST", "/clients", Some(&admin), Some(plain_http))
            .await
            .status,
        422
    );
    let good = json!({"client_id": "spa", "name": "SPA", "client_type": "public",
        "grant_types": ["authorization_code", "refresh_token"],
        "redirect_uris": ["https://spa.example/cb"], "is_service_account": false});
    assert_eq!(
        app.admin("POST", "/clients", Some(&admin), Some(good))
            .await
            .status,
        201
    );
}

on_both_backends!(
    a_user_token_follows_its_organization_and_its_groups_live,
    the_authorization_servers_sign_out_needs_the_session_csrf_value,
    a_public_client_may_only_use_the_code_grant_and_refresh_tokens
);
