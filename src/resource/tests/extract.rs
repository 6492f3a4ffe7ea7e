//! The extractor and the error responses, through a real actix-web app.

use std::collections::HashMap;
use std::sync::Arc;

use actix_web::http::{header, StatusCode};
use actix_web::{test, web, App, HttpResponse};
use jsonwebtoken::Algorithm;
use serde_json::Value;

use super::*;
use crate::resource::{AuthError, Authenticated, PrincipalDirectory, PrincipalKind, ResourceGuard};

/// A directory from a map; the subject "broken" makes it fail.
struct MapDirectory(HashMap<&'static str, Vec<PrincipalKind>>);

impl PrincipalDirectory for MapDirectory {
    fn kinds_of(&self, subject: &str) -> Result<Vec<PrincipalKind>, AuthError> {
        if subject == "broken" {
            return Err(AuthError::Internal("database is on fire".into()));
        }
        Ok(self.0.get(subject).cloned().unwrap_or_default())
    }
}

async fn me(auth: Authenticated) -> HttpResponse {
    HttpResponse::Ok().body(auth.subject.as_str().to_string())
}

async fn scoped(auth: Authenticated) -> Result<HttpResponse, AuthError> {
    auth.require_scope(&["admin", "admin:clients:read"])?;
    Ok(HttpResponse::Ok().finish())
}

async fn people(auth: Authenticated) -> Result<HttpResponse, AuthError> {
    auth.require_user()?;
    Ok(HttpResponse::Ok().finish())
}

fn guard(s: &Signer) -> ResourceGuard {
    use PrincipalKind::{ServiceAccount, User};
    let directory = MapDirectory(HashMap::from([
        ("svc-1", vec![ServiceAccount]),
        ("alice", vec![User]),
        ("svc-as-user", vec![ServiceAccount]),
        ("both", vec![User, ServiceAccount]),
        ("web-app", vec![ServiceAccount]),
    ]));
    ResourceGuard::new(static_verifier(&[s])).with_directory(Arc::new(directory))
}

macro_rules! app {
    ($guard:expr) => {
        test::init_service(
            App::new()
                .app_data(web::Data::new($guard))
                .route("/me", web::get().to(me))
                .route("/scoped", web::get().to(scoped))
                .route("/people", web::get().to(people)),
        )
        .await
    };
}

fn challenge(resp: &actix_web::dev::ServiceResponse) -> String {
    resp.headers()
        .get(header::WWW_AUTHENTICATE)
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default()
}

async fn problem(resp: actix_web::dev::ServiceResponse) -> Value {
    assert_eq!(
        resp.headers().get(header::CONTENT_TYPE).unwrap(),
        "application/problem+json"
    );
    let status = resp.status().as_u16();
    let body: Value = test::read_body_json(resp).await;
    assert_eq!(body["status"], status);
    assert!(body["type"].is_string() && body["title"].is_string() && body["detail"].is_string());
    body
}

#[actix_web::test]
async fn bearer_header_only() {
    let s = signer("k1", Algorithm::ES256);
    let app = app!(guard(&s));
    let token = s.sign(&service_claims("svc-1", "admin")).unwrap();

    for scheme in ["Bearer", "bearer", "BEARER"] {
        let req = test::TestRequest::get()
            .uri("/me")
            .insert_header((header::AUTHORIZATION, format!("{scheme} {token}")))
            .to_request();
        let resp = test::call_service(&app, req).await;
        assert_eq!(resp.status(), StatusCode::OK, "{scheme}");
        assert_eq!(test::read_body(resp).await, "svc-1");
    }

    let resp = test::call_service(&app, test::TestRequest::get().uri("/me").to_request()).await;
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(challenge(&resp), "Bearer realm=\"castellan\"");
    assert_eq!(problem(resp).await["type"], "about:blank");

    let basic = test::TestRequest::get()
        .uri("/me")
        .insert_header((header::AUTHORIZATION, "Basic c3ZjOnNlY3JldA=="))
        .to_request();
    let resp = test::call_service(&app, basic).await;
    assert_eq!(challenge(&resp), "Bearer realm=\"castellan\"");

    let in_query = test::TestRequest::get()
        .uri(&format!("/me?access_token={token}"))
        .to_request();
    let resp = test::call_service(&app, in_query).await;
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
    assert!(challenge(&resp).contains("error=\"invalid_request\""));
    let body = problem(resp).await;
    assert!(!body.to_string().contains(&token));

    let in_form = test::TestRequest::get()
        .uri("/me")
        .insert_header((header::CONTENT_TYPE, "application/x-www-form-urlencoded"))
        .set_payload(format!("access_token={token}"))
        .to_request();
    let resp = test::call_service(&app, in_form).await;
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(challenge(&resp), "Bearer realm=\"castellan\"");
}

#[actix_web::test]
async fn bad_tokens_get_invalid_token_without_echo() {
    let s = signer("k1", Algorithm::ES256);
    let app = app!(guard(&s));
    let mut expired = service_claims("svc-1", "admin");
    expired.exp = now() - 100;
    let expired = s.sign(&expired).unwrap();
    for bad in [
        expired.as_str(),
        "abc.def.ghi",
        "not a token!",
        "eyJhbGciOiJub25lIn0.e30",
    ] {
        let req = test::TestRequest::get()
            .uri("/me")
            .insert_header((header::AUTHORIZATION, format!("Bearer {bad}")))
            .to_request();
        let resp = test::call_service(&app, req).await;
        assert_eq!(resp.status(), StatusCode::UNAUTHORIZED, "{bad}");
        let c = challenge(&resp);
        assert!(
            c.starts_with(
                "Bearer realm=\"castellan\", error=\"invalid_token\", error_description=\""
            ),
            "{c}"
        );
        assert!(!c.contains(bad));
        let body = problem(resp).await;
        assert_eq!(body["type"], "urn:castellan:problem:invalid-token");
        assert!(!body.to_string().contains(bad));
    }
    let empty = test::TestRequest::get()
        .uri("/me")
        .insert_header((header::AUTHORIZATION, "Bearer   "))
        .to_request();
    assert_eq!(
        test::call_service(&app, empty).await.status(),
        StatusCode::BAD_REQUEST
    );
}

#[actix_web::test]
async fn scopes_and_users_only_routes_answer_403() {
    let s = signer("k1", Algorithm::ES256);
    let app = app!(guard(&s));
    let call = |token: String, path: &'static str| {
        test::TestRequest::get()
            .uri(path)
            .insert_header((header::AUTHORIZATION, format!("Bearer {token}")))
            .to_request()
    };
    let reader = s
        .sign(&service_claims(
            "svc-1",
            "admin:users:read admin:clients:read",
        ))
        .unwrap();
    assert_eq!(
        test::call_service(&app, call(reader, "/scoped"))
            .await
            .status(),
        StatusCode::OK
    );

    let weak = s
        .sign(&service_claims("svc-1", "admin:users:read"))
        .unwrap();
    let resp = test::call_service(&app, call(weak.clone(), "/scoped")).await;
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        challenge(&resp),
        "Bearer realm=\"castellan\", error=\"insufficient_scope\", scope=\"admin admin:clients:read\""
    );
    assert_eq!(
        problem(resp).await["type"],
        "urn:castellan:problem:insufficient-scope"
    );

    let resp = test::call_service(&app, call(weak, "/people")).await;
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
    assert!(challenge(&resp).contains("error=\"insufficient_scope\""));
    let body = problem(resp).await;
    assert!(body["detail"]
        .as_str()
        .unwrap()
        .contains("service-account tokens are refused"));

    let alice = s.sign(&user_claims("alice", "")).unwrap();
    assert_eq!(
        test::call_service(&app, call(alice, "/people"))
            .await
            .status(),
        StatusCode::OK
    );
}

#[actix_web::test]
async fn subject_must_name_one_principal_of_the_claimed_kind() {
    let s = signer("k1", Algorithm::ES256);
    let app = app!(guard(&s));
    let status = |claims: crate::resource::claims::AccessTokenClaims| {
        let req = test::TestRequest::get()
            .uri("/me")
            .insert_header((
                header::AUTHORIZATION,
                format!("Bearer {}", s.sign(&claims).unwrap()),
            ))
            .to_request();
        let app = &app;
        async move { test::call_service(app, req).await.status() }
    };
    assert_eq!(status(user_claims("alice", "")).await, StatusCode::OK);
    assert_eq!(
        status(user_claims("svc-as-user", "")).await,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        status(service_claims("alice", "")).await,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        status(user_claims("nobody", "")).await,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        status(user_claims("both", "")).await,
        StatusCode::UNAUTHORIZED
    );
    let mut odd = service_claims("svc-1", "");
    odd.principal_type = "robot".into();
    assert_eq!(status(odd).await, StatusCode::UNAUTHORIZED);
    let mut mismatched = service_claims("svc-1", "");
    mismatched.client_id = "web-app".into();
    assert_eq!(status(mismatched).await, StatusCode::UNAUTHORIZED);

    let req = test::TestRequest::get()
        .uri("/me")
        .insert_header((
            header::AUTHORIZATION,
            format!("Bearer {}", s.sign(&service_claims("broken", "")).unwrap()),
        ))
        .to_request();
    let resp = test::call_service(&app, req).await;
    assert_eq!(resp.status(), StatusCode::INTERNAL_SERVER_ERROR);
    assert!(resp.headers().get(header::WWW_AUTHENTICATE).is_none());
    let body = problem(resp).await;
    assert!(!body.to_string().contains("fire"));
}

#[actix_web::test]
async fn custom_realm_is_quoted_and_missing_guard_is_500() {
    let s = signer("k1", Algorithm::ES256);
    let app = app!(guard(&s).with_realm("my \"api\""));
    let resp = test::call_service(&app, test::TestRequest::get().uri("/me").to_request()).await;
    assert_eq!(challenge(&resp), "Bearer realm=\"my \\\"api\\\"\"");

    let bare = test::init_service(App::new().route("/me", web::get().to(me))).await;
    let resp = test::call_service(&bare, test::TestRequest::get().uri("/me").to_request()).await;
    assert_eq!(resp.status(), StatusCode::INTERNAL_SERVER_ERROR);
}

#[::core::prelude::v1::test]
fn descriptions_are_sanitised_in_headers() {
    let e = AuthError::InvalidToken("say \"hi\" \\ now\n".into());
    assert_eq!(
        e.challenge("castellan").unwrap(),
        "Bearer realm=\"castellan\", error=\"invalid_token\", error_description=\"say 'hi' / now\""
    );
}
