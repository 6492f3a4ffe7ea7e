//! POST /oauth2/token, requests that are refused: malformed ones, grant type errors, clients that
//! may not use the grant.

use serde_json::Value;

use crate::helpers::{basic, service_account, spawn_app, Backend, API};
use crate::on_both_backends;
use crate::token_support::form_error;

on_both_backends!(
    malformed_requests_are_invalid_request,
    grant_type_errors,
    clients_that_may_not_use_the_grant_get_unauthorized_client,
);

async fn malformed_requests_are_invalid_request(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let (id, secret) = app.service_account("svc-bad").await;
    let auth = basic(&id, &secret);
    let post = |body: Vec<u8>, content_type: &'static str| {
        app.http
            .post(app.url("/oauth2/token"))
            .header("Authorization", auth.clone())
            .header("Content-Type", content_type)
            .body(body)
            .send()
    };
    let cases: Vec<(&str, reqwest::Response)> = vec![
        (
            "duplicate parameter",
            post(
                b"grant_type=client_credentials&scope=read&scope=write".to_vec(),
                "application/x-www-form-urlencoded",
            )
            .await
            .unwrap(),
        ),
        (
            "json body",
            post(
                br#"{"grant_type":"client_credentials"}"#.to_vec(),
                "application/json",
            )
            .await
            .unwrap(),
        ),
        (
            "oversized body",
            post(
                format!("grant_type=client_credentials&pad={}", "a".repeat(20_000)).into_bytes(),
                "application/x-www-form-urlencoded",
            )
            .await
            .unwrap(),
        ),
        (
            "undecodable percent escape",
            post(
                b"grant_type=client_credentials&scope=%FF%FE".to_vec(),
                "application/x-www-form-urlencoded",
            )
            .await
            .unwrap(),
        ),
        (
            "not utf-8",
            post(
                b"grant_type=client_credentials&x=\xff".to_vec(),
                "application/x-www-form-urlencoded",
            )
            .await
            .unwrap(),
        ),
        (
            "wrong charset",
            post(
                b"grant_type=client_credentials".to_vec(),
                "application/x-www-form-urlencoded; charset=iso-8859-1",
            )
            .await
            .unwrap(),
        ),
        (
            "bearer instead of basic",
            app.http
                .post(app.url("/oauth2/token"))
                .header("Authorization", "Bearer abc")
                .form(&[("grant_type", "client_credentials")])
                .send()
                .await
                .unwrap(),
        ),
        (
            "broken basic",
            app.http
                .post(app.url("/oauth2/token"))
                .header("Authorization", "Basic !!!")
                .form(&[("grant_type", "client_credentials")])
                .send()
                .await
                .unwrap(),
        ),
        (
            "GET",
            app.http.get(app.url("/oauth2/token")).send().await.unwrap(),
        ),
    ];
    for (what, res) in cases {
        let status = res.status().as_u16();
        let ct = res
            .headers()
            .get("content-type")
            .map(|v| v.to_str().unwrap().to_string());
        let body: Value = res
            .json()
            .await
            .unwrap_or_else(|_| panic!("{what}: body is not JSON"));
        assert_eq!(body["error"], "invalid_request", "{what}");
        assert!(body["error_description"].is_string(), "{what}");
        assert!(
            status == 400 || (what == "GET" && status == 405),
            "{what}: {status}"
        );
        assert_eq!(ct.as_deref(), Some("application/json"), "{what}");
    }
    // Repeated resource parameters are allowed (RFC 8707).
    let res = app
        .token_basic(
            &id,
            &secret,
            &[
                ("grant_type", "client_credentials"),
                ("resource", API),
                ("resource", "urn:svc:b"),
            ],
        )
        .await;
    assert_eq!(res.status(), 200);
}

async fn grant_type_errors(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let (id, secret) = app.service_account("svc-gt").await;
    let (status, body, _) =
        form_error(app.token_basic(&id, &secret, &[("scope", "read")]).await).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_request"))
    );
    for grant in [
        "password",
        "urn:ietf:params:oauth:grant-type:jwt-bearer",
        "implicit",
    ] {
        let (status, body, _) = form_error(
            app.token_basic(&id, &secret, &[("grant_type", grant)])
                .await,
        )
        .await;
        assert_eq!(
            (status, body["error"].as_str()),
            (400, Some("unsupported_grant_type")),
            "{grant}"
        );
    }
}

async fn clients_that_may_not_use_the_grant_get_unauthorized_client(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let mut not_sa = service_account("not-a-service-account");
    not_sa.is_service_account = false;
    let mut no_grant = service_account("no-cc-grant");
    no_grant.grant_types = vec!["authorization_code".into()];
    no_grant.redirect_uris = vec!["https://app.example/cb".into()];
    for client in [not_sa, no_grant] {
        let id = client.client_id.clone();
        let secret = app.create_client(client).await.unwrap();
        let (status, body, _) = form_error(
            app.token_basic(&id, &secret, &[("grant_type", "client_credentials")])
                .await,
        )
        .await;
        assert_eq!(
            (status, body["error"].as_str()),
            (400, Some("unauthorized_client")),
            "{id}"
        );
    }
    // CONTRACT: a public client asking for client_credentials is unauthorized_client.
    let mut public = service_account("public-client");
    public.client_type = "public".into();
    public.token_endpoint_auth_method = "none".into();
    // (A public client may hold only the code grant: it asks for client_credentials anyway.)
    public.grant_types = vec!["authorization_code".into()];
    public.redirect_uris = vec!["https://app.example/cb".into()];
    assert!(app.create_client(public).await.is_none());
    let res = app
        .http
        .post(app.url("/oauth2/token"))
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", "public-client"),
        ])
        .send()
        .await
        .unwrap();
    let (status, body, _) = form_error(res).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("unauthorized_client"))
    );
}
