//! CONTRACT ("One rule, every door"): failed client authentications at introspection and
//! revocation spend the token endpoint's budgets and are refused the same way; a client
//! authenticates only by its registered method; and no client can write audit rows at will.

use castellan::domain::clients::Client;
use castellan::storage::audit::{self as audit_rows, AuditFilter};
use serde_json::Value;

use crate::helpers::{basic, service_account, spawn_app, spawn_app_with, Backend, TestApp};
use crate::on_both_backends;

on_both_backends!(
    failures_at_the_token_endpoint_close_introspection_and_revocation,
    failures_at_introspection_and_revocation_close_the_token_endpoint,
    failures_over_many_client_ids_spend_the_address_budget_at_every_door,
    a_client_authenticates_only_by_its_registered_method_at_introspection_and_revocation,
    revoking_unknown_or_already_revoked_tokens_writes_no_audit_event,
);

const DOORS: [&str; 2] = ["/oauth2/introspect", "/oauth2/revoke"];

/// Small budgets: 3 failures per (address, client_id), `per_address` per address.
async fn app_with_budgets(backend: Backend, per_address: u32) -> Option<TestApp> {
    spawn_app_with(backend, |s| {
        s.rate_limit.enabled = true;
        s.rate_limit.failures_per_address_client_per_minute = 3;
        s.rate_limit.failures_per_address_per_minute = per_address;
    })
    .await
}

/// POSTs a form to an OAuth endpoint with Basic credentials.
async fn post_basic(
    app: &TestApp,
    path: &str,
    (id, secret): (&str, &str),
    form: &[(&str, &str)],
) -> reqwest::Response {
    app.http
        .post(app.url(path))
        .header("Authorization", basic(id, secret))
        .form(form)
        .send()
        .await
        .unwrap()
}

/// The form each door needs besides the credentials.
fn form_for(path: &str) -> Vec<(&'static str, &'static str)> {
    match path {
        "/oauth2/token" => vec![("grant_type", "client_credentials")],
        _ => vec![("token", "not-a-token")],
    }
}

/// Fails at `path` with a wrong secret until refused with 429; panics if never refused.
async fn fail_until_refused(app: &TestApp, path: &str, client_id: &str) {
    for _ in 0..10 {
        let res = post_basic(app, path, (client_id, "wrong-secret"), &form_for(path)).await;
        match res.status().as_u16() {
            401 => continue,
            429 => return,
            other => panic!("{path}: unexpected {other}"),
        }
    }
    panic!("{path}: wrong secrets were never refused with 429");
}

async fn assert_refused_for_budget(res: reqwest::Response, what: &str) {
    assert_eq!(res.status(), 429, "{what}");
    let wait: u64 = res.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(wait >= 1, "{what}: Retry-After {wait}");
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["error"], "slow_down", "{what}");
}

async fn failures_at_the_token_endpoint_close_introspection_and_revocation(backend: Backend) {
    let Some(app) = app_with_budgets(backend, 100).await else {
        return;
    };
    let (id, secret) = app.service_account("svc-guessed").await;
    let token = app.access_token(&id, &secret, &[]).await;
    fail_until_refused(&app, "/oauth2/token", &id).await;
    for path in DOORS {
        let res = post_basic(&app, path, (&id, &secret), &[("token", token.as_str())]).await;
        assert_refused_for_budget(res, &format!("the right secret at {path}")).await;
    }
}

async fn failures_at_introspection_and_revocation_close_the_token_endpoint(backend: Backend) {
    let Some(app) = app_with_budgets(backend, 100).await else {
        return;
    };
    for (n, path) in DOORS.into_iter().enumerate() {
        let (id, secret) = app.service_account(&format!("svc-door-{n}")).await;
        fail_until_refused(&app, path, &id).await;
        let res = app
            .token_basic(&id, &secret, &[("grant_type", "client_credentials")])
            .await;
        assert_refused_for_budget(res, &format!("the token endpoint after {path}")).await;
        // Refused before the secret is checked: the right one at the same door is refused too.
        let res = post_basic(&app, path, (&id, &secret), &form_for(path)).await;
        assert_refused_for_budget(res, &format!("the right secret at {path}")).await;
    }
}

async fn failures_over_many_client_ids_spend_the_address_budget_at_every_door(backend: Backend) {
    let Some(app) = app_with_budgets(backend, 4).await else {
        return;
    };
    let (id, secret) = app.service_account("svc-bystander").await;
    for n in 0..4 {
        let guess = format!("guess-{n}");
        let res = post_basic(&app, DOORS[n % 2], (&guess, "x"), &form_for(DOORS[n % 2])).await;
        assert_eq!(res.status(), 401, "failure {n}");
    }
    let res = app
        .token_basic(&id, &secret, &[("grant_type", "client_credentials")])
        .await;
    assert_refused_for_budget(res, "the token endpoint, from the same address").await;
}

async fn a_client_authenticates_only_by_its_registered_method_at_introspection_and_revocation(
    backend: Backend,
) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let (basic_id, basic_secret) = app.service_account("svc-basic").await;
    let post_secret = app
        .create_client(Client {
            token_endpoint_auth_method: "client_secret_post".into(),
            ..service_account("svc-post")
        })
        .await
        .unwrap();
    let token = app.access_token(&basic_id, &basic_secret, &[]).await;
    for path in DOORS {
        // client_secret_post for a client_secret_basic client.
        let form = [
            ("token", token.as_str()),
            ("client_id", basic_id.as_str()),
            ("client_secret", basic_secret.as_str()),
        ];
        let res = app
            .http
            .post(app.url(path))
            .form(&form)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 401, "{path}: post for a basic client");
        assert_eq!(
            res.json::<Value>().await.unwrap()["error"],
            "invalid_client"
        );
        // client_secret_basic for a client_secret_post client.
        let res = post_basic(&app, path, ("svc-post", &post_secret), &[("token", "x")]).await;
        assert_eq!(res.status(), 401, "{path}: basic for a post client");
        assert!(res.headers().contains_key("www-authenticate"));
        // Each by its own method passes.
        let form = [
            ("token", "x"),
            ("client_id", "svc-post"),
            ("client_secret", post_secret.as_str()),
        ];
        let res = app
            .http
            .post(app.url(path))
            .form(&form)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200, "{path}: post for a post client");
    }
    let res = post_basic(
        &app,
        "/oauth2/introspect",
        (&basic_id, &basic_secret),
        &[("token", token.as_str())],
    )
    .await;
    assert_eq!(res.json::<Value>().await.unwrap()["active"], true);
}

async fn revocation_events(app: &TestApp) -> usize {
    let filter = AuditFilter {
        action: Some("token.revoked".into()),
        ..AuditFilter::default()
    };
    app.state
        .db
        .run(move |conn| {
            let all = castellan::storage::orgs::reach(conn, castellan::storage::orgs::ROOT_ORG_ID)?;
            audit_rows::list(conn, &all, &filter, 10_000, 0)
        })
        .await
        .unwrap()
        .len()
}

async fn revoking_unknown_or_already_revoked_tokens_writes_no_audit_event(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let (id, secret) = app.service_account("svc-flood").await;
    let (other, other_secret) = app.service_account("svc-other").await;
    let before = revocation_events(&app).await;
    for n in 0..50 {
        let unknown = format!("unknown-token-{n}");
        let res = post_basic(
            &app,
            "/oauth2/revoke",
            (&id, &secret),
            &[("token", &unknown)],
        )
        .await;
        assert_eq!(
            res.status(),
            200,
            "RFC 7009 §2.2: an unknown token is still 200"
        );
    }
    assert_eq!(revocation_events(&app).await, before, "unknown tokens");
    // Another client's token is not this client's to revoke, nor to audit.
    let foreign = app.access_token(&other, &other_secret, &[]).await;
    let res = post_basic(
        &app,
        "/oauth2/revoke",
        (&id, &secret),
        &[("token", &foreign)],
    )
    .await;
    assert_ne!(res.status(), 200);
    assert_eq!(revocation_events(&app).await, before, "a foreign token");
    // One token revoked 30 times, all at once: one revocation, one event.
    let token = app.access_token(&id, &secret, &[]).await;
    let tries: Vec<_> = (0..30)
        .map(|_| {
            let (http, url) = (app.http.clone(), app.url("/oauth2/revoke"));
            let (auth, token) = (basic(&id, &secret), token.clone());
            actix_web::rt::spawn(async move {
                let res = http
                    .post(url)
                    .header("Authorization", auth)
                    .form(&[("token", token.as_str())])
                    .send()
                    .await
                    .unwrap();
                res.status().as_u16()
            })
        })
        .collect();
    for t in tries {
        assert_eq!(t.await.unwrap(), 200);
    }
    assert_eq!(revocation_events(&app).await, before + 1, "one token");
}
