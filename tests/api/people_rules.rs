//! CONTRACT ("People: sign-in and the console"): every refusal of the authorization endpoint
//! and the sign-in page, over real HTTP.

use serde_json::{json, Value};

use crate::helpers::{spawn_app, Backend};
use crate::on_both_backends;
use crate::people_support::{code_for, exchange, pkce, request, setup, Browser, PASSWORD, WEB_APP};
use crate::rules_support::ADMIN_AUD;

async fn what_cannot_be_redirected_is_shown_and_the_rest_goes_back_with_state_and_iss(
    backend: Backend,
) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    setup(&app, "gina", &["admin:clients:read"]).await;
    let mut b = Browser::default();
    let (_, challenge) = pkce();
    // An unknown client or a redirect URI not registered: shown, never redirected.
    for (k, v) in [
        ("client_id", "nobody"),
        ("redirect_uri", "https://evil.example/cb"),
    ] {
        let mut params = request(&challenge, "admin:clients:read");
        params.retain(|(n, _)| *n != k);
        params.push((k, v));
        let page = b.authorize(&app, &params).await;
        assert_eq!(page.status, 400, "{k}");
        assert!(page.location.is_none());
    }
    // Everything after goes back to the client, with state and iss.
    let cases: [(&str, Option<&str>, &str); 4] = [
        ("response_type", Some("token"), "unsupported_response_type"),
        ("code_challenge_method", Some("plain"), "invalid_request"),
        ("code_challenge", None, "invalid_request"),
        ("scope", Some("bad\"scope"), "invalid_scope"),
    ];
    for (k, v, error) in cases {
        let mut params = request(&challenge, "admin:clients:read");
        params.retain(|(n, _)| *n != k);
        if let Some(v) = v {
            params.push((k, v));
        }
        let page = b.authorize(&app, &params).await;
        assert_eq!(page.status, 303, "{k}: {}", page.body);
        assert_eq!(page.param("error").as_deref(), Some(error), "{k}");
        assert_eq!(page.param("state").as_deref(), Some("st-123"));
        assert_eq!(
            page.param("iss").as_deref(),
            Some(app.state.issuer.as_str())
        );
        assert!(page.param("code").is_none());
    }
    // A client without the grant is refused too.
    let admin = app.admin_token().await;
    let svc = json!({"client_id": "svc-no-code", "name": "svc", "redirect_uris": ["https://svc.example/cb"]});
    assert_eq!(
        app.admin("POST", "/clients", Some(&admin), Some(svc))
            .await
            .status,
        201
    );
    let mut params = request(&challenge, "admin:clients:read");
    params.retain(|(n, _)| *n != "client_id" && *n != "redirect_uri");
    params.extend([
        ("client_id", "svc-no-code"),
        ("redirect_uri", "https://svc.example/cb"),
    ]);
    let page = b.authorize(&app, &params).await;
    assert_eq!(page.param("error").as_deref(), Some("unauthorized_client"));
}

async fn an_unknown_user_and_a_wrong_password_get_one_answer_and_failures_are_limited(
    backend: Backend,
) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    setup(&app, "hank", &["admin:clients:read"]).await;
    let mut b = Browser::default();
    let (_, challenge) = pkce();
    let page = b
        .authorize(&app, &request(&challenge, "admin:clients:read"))
        .await;
    // Each answer is a fresh form (a new CSRF value): the next attempt submits that one.
    let wrong = b.sign_in(&app, &page, "hank", "not the password").await;
    let unknown = b
        .sign_in(&app, &wrong, "nobody-at-all", "not the password")
        .await;
    assert_eq!((wrong.status, unknown.status), (401, 401));
    let message = |p: &crate::people_support::Page| {
        let start = p.body.find("id=\"signin-error\">").unwrap();
        p.body[start..start + 80].to_string()
    };
    assert_eq!(message(&wrong), message(&unknown), "one answer for both");
    // Without the form's CSRF cookie, the form is refused before any password is checked.
    let mut other = Browser::default();
    let forged = other.sign_in(&app, &unknown, "hank", PASSWORD).await;
    assert_eq!(forged.status, 403);
    // CONTRACT: 10 failed sign-ins per username per 15 minutes; then even the right password
    // waits.
    let mut page = unknown;
    for _ in 0..9 {
        page = b.sign_in(&app, &page, "hank", "still wrong").await;
        assert_eq!(page.status, 401);
    }
    let limited = b.sign_in(&app, &page, "hank", PASSWORD).await;
    assert_eq!(limited.status, 429, "{}", limited.body);
    let page = limited;
    // Another person is not held up by hank's budget.
    setup(&app, "iris", &["admin:clients:read"]).await;
    assert_eq!(b.sign_in(&app, &page, "iris", PASSWORD).await.status, 303);
}

async fn metadata_lists_exactly_what_the_server_does(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let meta: Value = reqwest::get(app.url("/.well-known/oauth-authorization-server"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        meta["authorization_endpoint"],
        format!("{}/oauth2/authorize", app.state.issuer)
    );
    assert_eq!(meta["response_types_supported"], json!(["code"]));
    assert_eq!(meta["code_challenge_methods_supported"], json!(["S256"]));
    assert_eq!(meta["authorization_response_iss_parameter_supported"], true);
    assert_eq!(
        meta["grant_types_supported"],
        json!([
            "client_credentials",
            "authorization_code",
            "refresh_token",
            "urn:ietf:params:oauth:grant-type:token-exchange"
        ])
    );
}

async fn user_tokens_carry_only_what_the_person_holds_and_the_client_lists(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    setup(&app, "jane", &["admin:clients:read", "admin:users:read"]).await;
    let admin = app.admin_token().await;
    // The client lists scopes: the token carries only those it lists.
    let patch = json!({"scopes": ["admin:users:read"]});
    assert_eq!(
        app.admin(
            "PATCH",
            &format!("/clients/{WEB_APP}"),
            Some(&admin),
            Some(patch)
        )
        .await
        .status,
        200
    );
    let mut b = Browser::default();
    let (code, verifier) = code_for(
        &app,
        &mut b,
        "jane",
        "admin:clients:read admin:users:read admin:keys:write",
    )
    .await;
    let (status, body) = exchange(&app, &code, &verifier).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["scope"], "admin:users:read");
    // client_credentials never gets a refresh token; a client without the refresh_token grant
    // gets none either.
    let patch = json!({"grant_types": ["authorization_code"]});
    assert_eq!(
        app.admin(
            "PATCH",
            &format!("/clients/{WEB_APP}"),
            Some(&admin),
            Some(patch)
        )
        .await
        .status,
        200
    );
    let (code, verifier) = code_for(&app, &mut b, "jane", "admin:users:read").await;
    let (_, body) = exchange(&app, &code, &verifier).await;
    assert!(body.get("refresh_token").is_none(), "{body}");
    let res = app
        .token_basic(
            crate::helpers::ADMIN_ID,
            crate::helpers::ADMIN_SECRET,
            &[
                ("grant_type", "client_credentials"),
                ("resource", ADMIN_AUD),
            ],
        )
        .await;
    let body: Value = res.json().await.unwrap();
    assert!(body.get("refresh_token").is_none());
}

async fn concurrent_exchanges_of_one_code_issue_at_most_one_token(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    setup(&app, "kate", &["admin:clients:read"]).await;
    let mut b = Browser::default();
    let (code, verifier) = code_for(&app, &mut b, "kate", "admin:clients:read").await;
    let url = app.url("/oauth2/token");
    let attempts = (0..6)
        .map(|_| {
            let (url, code, verifier) = (url.clone(), code.clone(), verifier.clone());
            async move {
                let res = reqwest::Client::new()
                    .post(url)
                    .form(&[
                        ("grant_type", "authorization_code"),
                        ("client_id", WEB_APP),
                        ("code", &code),
                        ("redirect_uri", "http://127.0.0.1:4567/cb"),
                        ("code_verifier", &verifier),
                    ])
                    .send()
                    .await
                    .unwrap();
                (res.status().as_u16(), res.json::<Value>().await.unwrap())
            }
        })
        .collect();
    let results = crate::rules_support::all_at_once(attempts).await;
    let ok = results.iter().filter(|(s, _)| *s == 200).count();
    assert!(ok <= 1, "a code is used once: {ok} tokens issued");
    // And whatever was issued is revoked by the replays.
    for (_, body) in results.iter().filter(|(s, _)| *s == 200) {
        let token = body["access_token"].as_str().unwrap();
        assert_eq!(
            app.admin("GET", "/clients", Some(token), None).await.status,
            401
        );
    }
}

async fn an_expired_code_is_refused(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    setup(&app, "liam", &["admin:clients:read"]).await;
    let mut b = Browser::default();
    let (code, verifier) = code_for(&app, &mut b, "liam", "admin:clients:read").await;
    // CONTRACT: a code lives at most 60 s (moved back in the store rather than waited for).
    app.state
        .db
        .run(|conn| {
            use diesel::prelude::*;
            let past = (chrono::Utc::now() - chrono::Duration::seconds(61)).naive_utc();
            diesel::update(castellan::storage::schema::auth_codes::table)
                .set(castellan::storage::schema::auth_codes::expires_at.eq(past))
                .execute(conn)
                .map_err(castellan::storage::StoreError::from_diesel)
        })
        .await
        .unwrap();
    let (status, body) = exchange(&app, &code, &verifier).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_grant"))
    );
}

on_both_backends!(
    what_cannot_be_redirected_is_shown_and_the_rest_goes_back_with_state_and_iss,
    an_unknown_user_and_a_wrong_password_get_one_answer_and_failures_are_limited,
    metadata_lists_exactly_what_the_server_does,
    user_tokens_carry_only_what_the_person_holds_and_the_client_lists,
    concurrent_exchanges_of_one_code_issue_at_most_one_token,
    an_expired_code_is_refused
);
