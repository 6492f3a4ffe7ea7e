//! The framing of introspection and revocation requests: parameters, client authentication, form
//! posts, discovery.

use serde_json::Value;

use crate::helpers::{basic, spawn_app, Backend};
use crate::lifecycle_support::{
    change_client, error_of, introspect, owner_and_rs, post, revoked_count, RS,
};
use crate::on_both_backends;

on_both_backends!(
    missing_token_parameter_is_invalid_request,
    bad_client_credentials_get_401_invalid_client,
    both_endpoints_are_form_posts_with_one_auth_method,
    discovery_names_introspection_and_revocation,
);

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
