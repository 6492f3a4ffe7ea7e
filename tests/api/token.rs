//! POST /oauth2/token: every success and error case of CONTRACT.md's token endpoint.

use serde_json::Value;

use crate::helpers::{basic, jwt_part, service_account, spawn_app, spawn_app_with, Backend, API};
use crate::on_both_backends;

on_both_backends!(
    basic_auth_gets_a_verifiable_rfc_9068_token,
    client_secret_post_gets_a_token,
    basic_credentials_are_form_urlencoded,
    unknown_client_and_wrong_secret_get_the_same_answer,
    failed_post_auth_has_no_basic_challenge,
    two_auth_methods_at_once_are_invalid_request,
    malformed_requests_are_invalid_request,
    grant_type_errors,
    clients_that_may_not_use_the_grant_get_unauthorized_client,
    inactive_client_gets_invalid_client,
    scope_is_negotiated_against_the_client,
    audience_is_negotiated_against_the_client,
    token_lifetime_follows_the_client_up_to_the_maximum,
    several_live_secrets_work_and_expired_or_revoked_do_not,
);

async fn form_error(res: reqwest::Response) -> (u16, Value, Option<String>) {
    let status = res.status().as_u16();
    let challenge = res
        .headers()
        .get("www-authenticate")
        .map(|v| v.to_str().unwrap().to_string());
    let body: Value = res.json().await.unwrap();
    (status, body, challenge)
}

async fn basic_auth_gets_a_verifiable_rfc_9068_token(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let (id, secret) = app.service_account("svc-ci").await;
    let res = app
        .token_basic(&id, &secret, &[("grant_type", "client_credentials")])
        .await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["cache-control"], "no-store");
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["expires_in"], 300);
    assert_eq!(body["scope"], "read");
    assert!(body.get("refresh_token").is_none());
    let token = body["access_token"].as_str().unwrap();

    let header = jwt_part(token, 0);
    assert_eq!(header["typ"], "at+jwt");
    assert_eq!(header["alg"], "ES256");
    let claims = app
        .verify(token, API)
        .await
        .expect("verifies against the JWKS");
    assert_eq!(claims.iss, app.state.issuer);
    assert_eq!(claims.sub, "svc-ci");
    assert_eq!(claims.client_id, "svc-ci");
    assert_eq!(claims.scope, "read");
    assert_eq!(claims.principal_type, "service_account");
    assert!(claims.aud.contains(API) && claims.aud.contains("urn:svc:b"));
    assert_eq!(claims.exp - claims.iat, 300);
    assert_eq!(claims.nbf, claims.iat);
    assert!(claims.jti.len() >= 16);
    // Each token is unique.
    let other = app.access_token(&id, &secret, &[]).await;
    assert_ne!(jwt_part(&other, 1)["jti"], jwt_part(token, 1)["jti"]);
}

async fn client_secret_post_gets_a_token(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let mut post = service_account("svc-post");
    post.token_endpoint_auth_method = "client_secret_post".into();
    let secret = app.create_client(post).await.unwrap();
    let id = "svc-post".to_string();
    let res = app
        .http
        .post(app.url("/oauth2/token"))
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", &id),
            ("client_secret", &secret),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let body: Value = res.json().await.unwrap();
    app.verify(body["access_token"].as_str().unwrap(), API)
        .await
        .unwrap();
}

async fn basic_credentials_are_form_urlencoded(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    // A client_id with characters that RFC 6749 §2.3.1 requires to be form-encoded.
    // (A client_id is printable ASCII: RFC 6749 VSCHAR.)
    let id = "svc:a+b%c/d&e=f";
    let secret = app.create_client(service_account(id)).await.unwrap();
    let res = app
        .token_basic(id, &secret, &[("grant_type", "client_credentials")])
        .await;
    assert_eq!(res.status(), 200);
    // The same credentials sent raw (not form-encoded) do not name that client.
    let raw = format!(
        "Basic {}",
        base64::Engine::encode(
            &base64::engine::general_purpose::STANDARD,
            format!("{id}:{secret}")
        )
    );
    let res = app
        .http
        .post(app.url("/oauth2/token"))
        .header("Authorization", raw)
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap();
    assert_ne!(res.status(), 200);
}

async fn unknown_client_and_wrong_secret_get_the_same_answer(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let (id, _) = app.service_account("svc-known").await;
    let wrong = form_error(
        app.token_basic(&id, "cs_wrong", &[("grant_type", "client_credentials")])
            .await,
    )
    .await;
    let unknown = form_error(
        app.token_basic(
            "svc-nobody",
            "cs_wrong",
            &[("grant_type", "client_credentials")],
        )
        .await,
    )
    .await;
    assert_eq!(wrong.0, 401);
    assert_eq!(wrong.1["error"], "invalid_client");
    assert!(wrong.2.as_deref().unwrap().starts_with("Basic"));
    assert_eq!(
        wrong, unknown,
        "status, body and challenge must not tell the two apart"
    );
}

async fn failed_post_auth_has_no_basic_challenge(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let res = app
        .http
        .post(app.url("/oauth2/token"))
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", "nobody"),
            ("client_secret", "x"),
        ])
        .send()
        .await
        .unwrap();
    let (status, body, challenge) = form_error(res).await;
    assert_eq!(status, 401);
    assert_eq!(body["error"], "invalid_client");
    assert_eq!(challenge, None);
    // No credentials at all: invalid_client too.
    let res = app
        .http
        .post(app.url("/oauth2/token"))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap();
    let (status, body, _) = form_error(res).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (401, Some("invalid_client"))
    );
}

async fn two_auth_methods_at_once_are_invalid_request(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let (id, secret) = app.service_account("svc-two").await;
    let res = app
        .token_basic(
            &id,
            &secret,
            &[
                ("grant_type", "client_credentials"),
                ("client_id", &id),
                ("client_secret", &secret),
            ],
        )
        .await;
    let (status, body, _) = form_error(res).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_request"))
    );
    // A mismatched client_id beside Basic is refused as well.
    let res = app
        .token_basic(
            &id,
            &secret,
            &[
                ("grant_type", "client_credentials"),
                ("client_id", "someone-else"),
            ],
        )
        .await;
    assert_eq!(form_error(res).await.1["error"], "invalid_request");
    // The same client_id beside Basic is fine (RFC 6749 allows it).
    let res = app
        .token_basic(
            &id,
            &secret,
            &[("grant_type", "client_credentials"), ("client_id", &id)],
        )
        .await;
    assert_eq!(res.status(), 200);
}

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
        "authorization_code",
        "refresh_token",
        "urn:ietf:params:oauth:grant-type:jwt-bearer",
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

async fn inactive_client_gets_invalid_client(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let mut c = service_account("svc-disabled");
    c.active = false;
    let secret = app.create_client(c).await.unwrap();
    let (status, body, _) = form_error(
        app.token_basic(
            "svc-disabled",
            &secret,
            &[("grant_type", "client_credentials")],
        )
        .await,
    )
    .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (401, Some("invalid_client"))
    );
}

async fn scope_is_negotiated_against_the_client(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let (id, secret) = app.service_account("svc-scope").await;
    let scope_of = |body: Value| body["scope"].as_str().unwrap().to_string();
    let ok = |extra: &'static [(&'static str, &'static str)]| {
        let mut form = vec![("grant_type", "client_credentials")];
        form.extend_from_slice(extra);
        let (id, secret) = (id.clone(), secret.clone());
        let app = &app;
        async move { app.token_basic(&id, &secret, &form).await }
    };
    let res = ok(&[("scope", "write account:usage:read")]).await;
    assert_eq!(res.status(), 200);
    assert_eq!(
        scope_of(res.json().await.unwrap()),
        "write account:usage:read"
    );
    let res = ok(&[("scope", "read write")]).await;
    let token = res.json::<Value>().await.unwrap()["access_token"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(app.verify(&token, API).await.unwrap().scope, "read write");
    for (bad, why) in [
        ("admin", "not allowed"),
        ("read admin", "one not allowed"),
        ("re\"ad", "malformed"),
    ] {
        let res = app
            .token_basic(
                &id,
                &secret,
                &[("grant_type", "client_credentials"), ("scope", bad)],
            )
            .await;
        let (status, body, _) = form_error(res).await;
        assert_eq!(
            (status, body["error"].as_str()),
            (400, Some("invalid_scope")),
            "{why}"
        );
    }
}

async fn audience_is_negotiated_against_the_client(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let (id, secret) = app.service_account("svc-aud").await;
    let token = app.access_token(&id, &secret, &[("resource", API)]).await;
    assert_eq!(jwt_part(&token, 1)["aud"], API);
    let token = app
        .access_token(&id, &secret, &[("audience", "urn:svc:b")])
        .await;
    assert_eq!(jwt_part(&token, 1)["aud"], "urn:svc:b");
    assert!(
        app.verify(&token, API).await.is_err(),
        "a token for urn:svc:b is not for the API"
    );
    for (name, value) in [
        ("resource", "https://elsewhere.example.com"),
        ("resource", "not-a-uri"),
        ("resource", "https://api.example.com#frag"),
        ("audience", "urn:other"),
    ] {
        let res = app
            .token_basic(
                &id,
                &secret,
                &[("grant_type", "client_credentials"), (name, value)],
            )
            .await;
        let (status, body, _) = form_error(res).await;
        assert_eq!(
            (status, body["error"].as_str()),
            (400, Some("invalid_target")),
            "{name}={value}"
        );
    }
    // A client with no audiences and a request naming none: invalid_target, never an aud-less token.
    let mut c = service_account("svc-no-aud");
    c.audiences.clear();
    let secret = app.create_client(c).await.unwrap();
    let res = app
        .token_basic(
            "svc-no-aud",
            &secret,
            &[("grant_type", "client_credentials")],
        )
        .await;
    assert_eq!(form_error(res).await.1["error"], "invalid_target");
}

async fn token_lifetime_follows_the_client_up_to_the_maximum(backend: Backend) {
    let Some(app) = spawn_app_with(backend, |s| s.token.max_ttl_seconds = 900).await else {
        return;
    };
    let mut c = service_account("svc-ttl");
    c.token_ttl_seconds = Some(60);
    let secret = app.create_client(c).await.unwrap();
    let res = app
        .token_basic("svc-ttl", &secret, &[("grant_type", "client_credentials")])
        .await;
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["expires_in"], 60);
    let claims = jwt_part(body["access_token"].as_str().unwrap(), 1);
    assert_eq!(
        claims["exp"].as_i64().unwrap() - claims["iat"].as_i64().unwrap(),
        60
    );
    // A lifetime above the maximum is refused when the client is made, never clipped silently.
    let mut c = service_account("svc-too-long");
    c.token_ttl_seconds = Some(901);
    assert!(c.validate(900).is_err());
}

async fn several_live_secrets_work_and_expired_or_revoked_do_not(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let (id, first) = app.service_account("svc-rot").await;
    let state = app.state.clone();
    let client_pk = app.state.clients.get(&id).unwrap().id.clone();
    let now = chrono::Utc::now();
    let second = castellan::domain::clients::secret_values::generate().unwrap();
    let expired = castellan::domain::clients::secret_values::generate().unwrap();
    let rows = [
        castellan::domain::clients::secret_values::new_row(
            &state.master,
            &client_pk,
            "second",
            &second,
            None,
            now,
        ),
        castellan::domain::clients::secret_values::new_row(
            &state.master,
            &client_pk,
            "old",
            &expired,
            Some(now - chrono::Duration::seconds(1)),
            now,
        ),
    ];
    let first_row_id = {
        let pk = client_pk.clone();
        app.state
            .db
            .run(move |conn| {
                for row in &rows {
                    castellan::storage::clients::insert_secret(conn, row)?;
                }
                Ok(castellan::storage::clients::list_secrets(conn, &pk)?[0]
                    .id
                    .clone())
            })
            .await
            .unwrap()
    };
    app.reload().await;
    let grant = [("grant_type", "client_credentials")];
    assert_eq!(app.token_basic(&id, &first, &grant).await.status(), 200);
    assert_eq!(app.token_basic(&id, &second, &grant).await.status(), 200);
    assert_eq!(app.token_basic(&id, &expired, &grant).await.status(), 401);
    app.state
        .db
        .run(move |conn| {
            castellan::storage::clients::revoke_secret(
                conn,
                &client_pk,
                &first_row_id,
                chrono::Utc::now().naive_utc(),
            )
        })
        .await
        .unwrap();
    app.reload().await;
    assert_eq!(app.token_basic(&id, &first, &grant).await.status(), 401);
    assert_eq!(app.token_basic(&id, &second, &grant).await.status(), 200);
}
