//! The typed principal: a service account's token gives a `ServiceAccountId` and never a user
//! id, a person's gives a `UserId`, and a service-account token whose `sub` is not its
//! `client_id` is refused.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use actix_web::http::{header, StatusCode};
use actix_web::{test, web, App, HttpResponse};
use castellan_resource::claims::SERVICE_ACCOUNT;
use castellan_resource::{AuthError, Authenticated, PrincipalKind, ResourceGuard, Subject};
use common::{get, Issuer};
use serde_json::{json, Value};

/// For people only: `require_user` hands back a `UserId`, or refuses with a 403.
async fn me(auth: Authenticated) -> Result<HttpResponse, AuthError> {
    let user = auth.require_user()?;
    Ok(HttpResponse::Ok().json(json!({"user_id": user.as_str()})))
}

/// `GET /whoami` (anyone) and `GET /me` (people only).
fn routes(cfg: &mut web::ServiceConfig) {
    common::routes(cfg);
    cfg.route("/me", web::get().to(me));
}

#[actix_web::test]
async fn a_service_account_token_gives_a_service_account_subject_and_no_user_id() {
    let issuer = Issuer::start().await;
    let guard = web::Data::new(ResourceGuard::new(issuer.verifier()));
    let token = issuer.service_token("svc-orders");

    let principal = guard.authenticate(&token).await.unwrap();
    match &principal.subject {
        Subject::ServiceAccount(id) => assert_eq!(id.as_str(), "svc-orders"),
        Subject::User(id) => panic!("a service account read as the user {id}"),
    }
    assert_eq!(principal.kind(), PrincipalKind::ServiceAccount);
    assert_eq!(principal.service_account().unwrap().as_str(), "svc-orders");
    assert_eq!(principal.user_id(), None);
    assert_eq!(principal.require_user(), Err(AuthError::UserRequired));

    let app = test::init_service(App::new().app_data(guard.clone()).configure(routes)).await;
    let answer = test::call_service(&app, get("/whoami", &token).to_request()).await;
    assert_eq!(answer.status(), StatusCode::OK);
    let body: Value = test::read_body_json(answer).await;
    assert_eq!(body, json!({"service_account": "svc-orders"}));

    let answer = test::call_service(&app, get("/me", &token).to_request()).await;
    assert_eq!(answer.status(), StatusCode::FORBIDDEN);
    let challenge = answer.headers().get(header::WWW_AUTHENTICATE).unwrap();
    assert!(challenge.to_str().unwrap().contains("insufficient_scope"));
}

#[actix_web::test]
async fn a_user_token_gives_a_user_subject_and_a_user_id() {
    let issuer = Issuer::start().await;
    let guard = web::Data::new(ResourceGuard::new(issuer.verifier()));
    // The user's id is spelled like a client_id on purpose: only the type tells them apart.
    let token = issuer.user_token("svc-orders", "console");

    let principal = guard.authenticate(&token).await.unwrap();
    assert!(matches!(&principal.subject, Subject::User(id) if id.as_str() == "svc-orders"));
    assert_eq!(principal.service_account(), None);
    assert_eq!(principal.client_id, "console");
    assert_eq!(principal.require_user().unwrap().as_str(), "svc-orders");

    let app = test::init_service(App::new().app_data(guard.clone()).configure(routes)).await;
    let answer = test::call_service(&app, get("/whoami", &token).to_request()).await;
    let body: Value = test::read_body_json(answer).await;
    assert_eq!(body, json!({"user_id": "svc-orders"}));
    let answer = test::call_service(&app, get("/me", &token).to_request()).await;
    assert_eq!(answer.status(), StatusCode::OK);
    let body: Value = test::read_body_json(answer).await;
    assert_eq!(body, json!({"user_id": "svc-orders"}));
}

#[actix_web::test]
async fn a_service_account_token_whose_sub_is_not_its_client_id_is_refused() {
    let issuer = Issuer::start().await;
    let guard = web::Data::new(ResourceGuard::new(issuer.verifier()));
    let micros = chrono::Utc::now().timestamp_micros();
    let token = issuer.token(SERVICE_ACCOUNT, "alice", "svc-orders", micros);

    assert!(matches!(
        guard.authenticate(&token).await,
        Err(AuthError::InvalidToken(_))
    ));
    let app = test::init_service(App::new().app_data(guard.clone()).configure(routes)).await;
    for path in ["/whoami", "/me"] {
        let answer = test::call_service(&app, get(path, &token).to_request()).await;
        assert_eq!(answer.status(), StatusCode::UNAUTHORIZED, "{path}");
        let challenge = answer.headers().get(header::WWW_AUTHENTICATE).unwrap();
        assert!(challenge.to_str().unwrap().contains("invalid_token"));
    }
    // The same token with sub = client_id passes: the refusal is about sub alone.
    let good = issuer.token(SERVICE_ACCOUNT, "svc-orders", "svc-orders", micros);
    assert!(guard.authenticate(&good).await.is_ok());
}
