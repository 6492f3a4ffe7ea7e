//! CONTRACT ("Workload identity", "The console"): a service account's trust policies shown on
//! its console page, added through a form (keys pinned or fetched, claims one `/pointer = value`
//! per line) and deleted with a button; a refusal said beside the field, a form without the
//! session's CSRF token changing nothing.

use serde_json::{json, Value};

use crate::console_pages::{detail_link, signed_in};
use crate::helpers::{spawn_app, Backend, TestApp, API};
use crate::on_both_backends;
use crate::people_support::{Browser, Page};
use crate::private_key_jwt::{new_key, ClientKey};
use crate::workload_doors::{door_one, k8s_token, AUDIENCE, ISSUER, SUBJECT};

on_both_backends!(
    a_trust_policy_added_in_the_console_lets_its_workload_in_until_it_is_deleted,
    a_refused_trust_policy_is_said_beside_the_field_and_a_form_without_csrf_changes_nothing,
);

/// The service account `deployer`, made through the console: its page's path.
async fn deployer(app: &TestApp, b: &mut Browser, csrf: &str) -> String {
    let form = [
        ("csrf", csrf),
        ("name", "Deployer"),
        ("client_id", "deployer"),
        ("scopes", "read"),
        ("audiences", API),
    ];
    let created = b.post(&app.url("/console/clients"), &form).await;
    assert_eq!(created.status, 201, "{}", created.body);
    detail_link(&created)
}

/// The add form as a person fills it in, the cluster's key pinned.
fn policy_form<'a>(csrf: &'a str, jwks: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("csrf", csrf),
        ("issuer", ISSUER),
        ("jwks_uri", ""),
        ("jwks", jwks),
        ("audience", AUDIENCE),
        ("subject", SUBJECT),
        ("claims", "/kubernetes.io/namespace = ci\r\n\r\n/kubernetes.io/serviceaccount/name = deployer\r\n"),
        ("max_token_age_seconds", "600"),
    ]
}

fn pinned(key: &ClientKey) -> String {
    json!({"keys": [key.jwk]}).to_string()
}

/// The account's policies, as the admin API lists them.
async fn policies(app: &TestApp) -> Vec<Value> {
    let admin = app.admin_token().await;
    let res = app
        .admin(
            "GET",
            "/clients/deployer/trust-policies",
            Some(&admin),
            None,
        )
        .await;
    assert_eq!(res.status, 200, "{}", res.body);
    res.body.as_array().unwrap().clone()
}

/// The action of the page's first Delete button of a trust policy.
fn delete_action(page: &Page) -> String {
    let end = page
        .body
        .find("/delete\" class=\"inline\"")
        .expect("a delete button");
    let start = page.body[..end].rfind("action=\"").unwrap() + "action=\"".len();
    format!("{}/delete", &page.body[start..end])
}

async fn a_trust_policy_added_in_the_console_lets_its_workload_in_until_it_is_deleted(
    backend: Backend,
) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let (mut b, csrf) = signed_in(&app, "erin").await;
    let id = deployer(&app, &mut b, &csrf).await;
    let empty = b.get(&app.url(&id)).await;
    assert!(
        empty.body.contains("id=\"policies-empty\""),
        "{}",
        empty.body
    );
    assert!(
        empty.body.contains("value=\"3600\""),
        "the default max token age"
    );
    let cluster = new_key("k1");
    let jwks = pinned(&cluster);
    let added = b
        .post(
            &app.url(&format!("{id}/trust-policies")),
            &policy_form(&csrf, &jwks),
        )
        .await;
    assert_eq!(added.status, 303, "{}", added.body);
    assert_eq!(added.location, Some(format!("{id}#trust-policies")));
    let page = b.get(&app.url(&id)).await;
    assert_eq!(page.status, 200);
    for shown in [
        ISSUER,
        SUBJECT,
        AUDIENCE,
        "<code>/kubernetes.io/namespace = ci</code>",
        "<code>/kubernetes.io/serviceaccount/name = deployer</code>",
        "600 s",
        "pinned (1 key)",
    ] {
        assert!(page.body.contains(shown), "{shown} not in {}", page.body);
    }
    let listed = policies(&app).await;
    assert_eq!(listed.len(), 1);
    assert_eq!(
        listed[0]["claims"],
        json!({"/kubernetes.io/namespace": "ci", "/kubernetes.io/serviceaccount/name": "deployer"})
    );
    // The policy is the one the token endpoint holds: the cluster's workload gets a token.
    let token = k8s_token(&cluster, json!({}));
    let (status, body) = door_one(&app, &token).await;
    assert_eq!(status, 200, "{body}");
    let delete = delete_action(&page);
    let policy_id = listed[0]["id"].as_str().unwrap();
    assert_eq!(delete, format!("{id}/trust-policies/{policy_id}/delete"));
    let done = b.post(&app.url(&delete), &[("csrf", &csrf)]).await;
    assert_eq!(done.status, 303, "{}", done.body);
    assert_eq!(done.location, Some(format!("{id}#trust-policies")));
    assert!(policies(&app).await.is_empty());
    let after = b.get(&app.url(&id)).await;
    assert!(after.body.contains("id=\"policies-empty\""));
    let (status, body) = door_one(&app, &token).await;
    assert_eq!(status, 401, "a deleted policy lets nobody in: {body}");
    // Both changes are audited, as through the admin API.
    for action in ["trust_policy.created", "trust_policy.deleted"] {
        let audit = b
            .get(&app.url(&format!("/console/audit?action={action}&target=deployer")))
            .await;
        assert!(
            audit.body.contains(&format!("<code>{action}</code>")),
            "{action}: {}",
            audit.body
        );
    }
}

async fn a_refused_trust_policy_is_said_beside_the_field_and_a_form_without_csrf_changes_nothing(
    backend: Backend,
) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let (mut b, csrf) = signed_in(&app, "erin").await;
    let id = deployer(&app, &mut b, &csrf).await;
    let add = app.url(&format!("{id}/trust-policies"));
    let mut fetched = policy_form(&csrf, "");
    fetched[2] = ("jwks_uri", "http://example.com/jwks");
    let refused = b.post(&add, &fetched).await;
    assert_eq!(refused.status, 422, "{}", refused.body);
    let field = refused.body.find("id=\"add-policy-jwks_uri\"").unwrap();
    let error = refused
        .body
        .find("id=\"add-policy-jwks_uri-error\"")
        .expect("the error beside the jwks_uri field");
    assert!(error > field);
    assert!(refused.body[field..error].contains("aria-invalid=\"true\""));
    assert!(refused.body[error..].contains("must be https"));
    assert!(
        refused.body.contains("value=\"http://example.com/jwks\""),
        "what was typed stays"
    );
    assert!(refused.body.contains("/kubernetes.io/namespace = ci"));
    assert!(policies(&app).await.is_empty());
    // Without the session's CSRF token: 403, nothing added.
    let jwks = pinned(&new_key("k1"));
    let mut forged = policy_form("", &jwks);
    forged.remove(0);
    let res = b.post(&add, &forged).await;
    assert_eq!(res.status, 403, "{}", res.body);
    let res = b.post(&add, &policy_form("not-the-token", &jwks)).await;
    assert_eq!(res.status, 403, "{}", res.body);
    assert!(policies(&app).await.is_empty(), "nothing added");
    let added = b.post(&add, &policy_form(&csrf, &jwks)).await;
    assert_eq!(added.status, 303, "{}", added.body);
    // Nor deleted.
    let delete = app.url(&delete_action(&b.get(&app.url(&id)).await));
    let res = b.post(&delete, &[]).await;
    assert_eq!(res.status, 403, "{}", res.body);
    assert_eq!(policies(&app).await.len(), 1, "nothing deleted");
    // A person who may only read sees the policies, without the buttons, and may not change them.
    crate::people_support::setup(&app, "rita", &["admin:clients:read"]).await;
    let mut reader = crate::console_signin::console_browser(&app, "rita").await;
    let page = reader.get(&app.url(&id)).await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains("id=\"policies-table\""));
    assert!(!page.body.contains("/delete\" class=\"inline\""));
    assert!(!page.body.contains("id=\"add-policy\""));
    let reader_csrf = page.hidden("csrf").unwrap();
    let res = reader.post(&delete, &[("csrf", &reader_csrf)]).await;
    assert_eq!(res.status, 403, "{}", res.body);
    assert_eq!(policies(&app).await.len(), 1);
}
