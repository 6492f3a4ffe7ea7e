//! CONTRACT ("People: sign-in and the console"): the authorization_code grant with PKCE, codes,
//! refresh rotation and user tokens, over real HTTP.

use serde_json::Value;

use crate::helpers::{spawn_app, Backend};
use crate::on_both_backends;
use crate::people_support::{
    code_for, exchange, pkce, refresh, request, setup, Browser, PASSWORD, WEB_APP,
};

fn claims(token: &str) -> Value {
    use base64::Engine;
    let payload = token.split('.').nth(1).unwrap();
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload)
        .unwrap();
    serde_json::from_slice(&bytes).unwrap()
}

async fn a_person_signs_in_and_gets_a_user_token_that_the_admin_api_checks_live(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let alice = setup(&app, "alice", &["admin:clients:read"]).await;
    let mut browser = Browser::default();
    let (verifier, challenge) = pkce();
    let page = browser
        .authorize(
            &app,
            &request(&challenge, "admin:clients:read admin:keys:write"),
        )
        .await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("Sign in"), "{}", page.body);
    let page = browser.sign_in(&app, &page, "alice", PASSWORD).await;
    assert_eq!(page.status, 303, "{}", page.body);
    let location = page.location.clone().unwrap();
    // CONTRACT: the redirect goes to the registered URI (any port on a loopback literal) and
    // carries state and iss (RFC 9207).
    assert!(
        location.starts_with("http://127.0.0.1:4567/cb?"),
        "{location}"
    );
    assert_eq!(page.param("state").as_deref(), Some("st-123"));
    assert_eq!(
        page.param("iss").as_deref(),
        Some(app.state.issuer.as_str())
    );
    // The session cookie: HttpOnly, SameSite=Lax, and not Secure on an http issuer.
    let session = browser
        .set_cookies
        .iter()
        .find(|c| c.starts_with("castellan_session="))
        .expect("a session cookie");
    assert!(
        session.contains("HttpOnly") && session.contains("SameSite=Lax"),
        "{session}"
    );
    let code = page.param("code").unwrap();
    let (status, body) = exchange(&app, &code, &verifier).await;
    assert_eq!(status, 200, "{body}");
    let token = body["access_token"].as_str().unwrap();
    let c = claims(token);
    // CONTRACT ("User tokens"): sub is the user's id; principal_type user; org_id; only the
    // scopes asked for that the person holds.
    assert_eq!(c["sub"], alice.as_str());
    assert_eq!(c["principal_type"], "user");
    assert_eq!(c["client_id"], WEB_APP);
    assert_eq!(c["org_id"], castellan::storage::orgs::ROOT_ORG_ID);
    assert_eq!(body["scope"], "admin:clients:read");
    assert!(body["refresh_token"].is_string());
    // The admin API takes it, live.
    assert_eq!(
        app.admin("GET", "/clients", Some(token), None).await.status,
        200
    );
    assert_eq!(
        app.admin("POST", "/keys/rotate", Some(token), None)
            .await
            .status,
        403
    );
    // A signed-in person is not asked again: the next request gets a code at once.
    let (_, challenge) = pkce();
    let again = browser
        .authorize(&app, &request(&challenge, "admin:clients:read"))
        .await;
    assert_eq!(again.status, 303);
    assert!(again.param("code").is_some());
    // Disabling the person shuts the token out at once.
    let admin = app.admin_token().await;
    let off = app
        .admin(
            "PATCH",
            &format!("/users/{alice}"),
            Some(&admin),
            Some(serde_json::json!({"active": false})),
        )
        .await;
    assert_eq!(off.status, 200, "{}", off.body);
    assert_eq!(
        app.admin("GET", "/clients", Some(token), None).await.status,
        401
    );
}

async fn a_code_works_once_and_its_replay_revokes_what_the_first_use_issued(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    setup(&app, "bob", &["admin:clients:read"]).await;
    let mut browser = Browser::default();
    let (code, verifier) = code_for(&app, &mut browser, "bob", "admin:clients:read").await;
    let (status, first) = exchange(&app, &code, &verifier).await;
    assert_eq!(status, 200, "{first}");
    let token = first["access_token"].as_str().unwrap();
    assert_eq!(
        app.admin("GET", "/clients", Some(token), None).await.status,
        200
    );
    let (status, again) = exchange(&app, &code, &verifier).await;
    assert_eq!(status, 400);
    assert_eq!(again["error"], "invalid_grant");
    // CONTRACT: the replay revoked the access and refresh tokens of the first use.
    assert_eq!(
        app.admin("GET", "/clients", Some(token), None).await.status,
        401
    );
    let (status, body) = refresh(&app, first["refresh_token"].as_str().unwrap()).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_grant"))
    );
}

async fn a_code_is_bound_to_its_verifier_and_redirect_uri(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    setup(&app, "carol", &["admin:clients:read"]).await;
    let mut browser = Browser::default();
    let (code, _) = code_for(&app, &mut browser, "carol", "admin:clients:read").await;
    let (other_verifier, _) = pkce();
    let (status, body) = exchange(&app, &code, &other_verifier).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_grant")),
        "{body}"
    );
    // Wrong redirect URI.
    let (code, verifier) = code_for(&app, &mut browser, "carol", "admin:clients:read").await;
    let res = reqwest::Client::new()
        .post(app.url("/oauth2/token"))
        .form(&[
            ("grant_type", "authorization_code"),
            ("client_id", WEB_APP),
            ("code", &code),
            ("redirect_uri", "http://127.0.0.1:9999/other"),
            ("code_verifier", &verifier),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["error"], "invalid_grant");
}

async fn refresh_tokens_rotate_and_a_reuse_revokes_the_family(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    setup(&app, "dave", &["admin:clients:read"]).await;
    let mut browser = Browser::default();
    let (code, verifier) = code_for(&app, &mut browser, "dave", "admin:clients:read").await;
    let (_, first) = exchange(&app, &code, &verifier).await;
    let r1 = first["refresh_token"].as_str().unwrap().to_string();
    let (status, second) = refresh(&app, &r1).await;
    assert_eq!(status, 200, "{second}");
    let r2 = second["refresh_token"].as_str().unwrap().to_string();
    assert_ne!(r1, r2, "rotated at every use");
    let t2 = second["access_token"].as_str().unwrap().to_string();
    assert_eq!(
        app.admin("GET", "/clients", Some(&t2), None).await.status,
        200
    );
    // CONTRACT: reusing r1 revokes the family: r2 and the tokens issued from it.
    let (status, body) = refresh(&app, &r1).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_grant"))
    );
    assert_eq!(
        app.admin("GET", "/clients", Some(&t2), None).await.status,
        401
    );
    let (status, _) = refresh(&app, &r2).await;
    assert_eq!(status, 400);
}

on_both_backends!(
    a_person_signs_in_and_gets_a_user_token_that_the_admin_api_checks_live,
    a_code_works_once_and_its_replay_revokes_what_the_first_use_issued,
    a_code_is_bound_to_its_verifier_and_redirect_uri,
    refresh_tokens_rotate_and_a_reuse_revokes_the_family
);
