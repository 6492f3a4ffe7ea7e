//! POST /oauth2/token, client authentication that fails: unknown clients, wrong or expired
//! secrets, two methods at once, inactive clients.

use crate::helpers::{service_account, spawn_app, Backend};
use crate::on_both_backends;
use crate::token_support::form_error;

on_both_backends!(
    unknown_client_and_wrong_secret_get_the_same_answer,
    failed_post_auth_has_no_basic_challenge,
    two_auth_methods_at_once_are_invalid_request,
    inactive_client_gets_invalid_client,
    several_live_secrets_work_and_expired_or_revoked_do_not,
);

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
