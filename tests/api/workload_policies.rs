//! CONTRACT ("Workload identity"): trust policies are managed like secrets: checked before they
//! are stored, shown without anything secret, audited, inside the caller's subtree, bounded by
//! what the caller holds; a deletion cuts the workload off at once.

use serde_json::{json, Value};

use crate::helpers::{spawn_app, Backend, TestApp};
use crate::on_both_backends;
use crate::orgs_support::org;
use crate::private_key_jwt::new_key;
use crate::rules_support::ADMIN_AUD;
use crate::workload_doors::{
    door_one, exchange, k8s_token, trusting_account, AUDIENCE, ISSUER, SUBJECT,
};
use crate::workload_support::{deployer, refusal};

on_both_backends!(
    a_policy_breaking_a_rule_is_refused_before_it_is_stored,
    a_pinned_key_set_holding_a_private_key_is_refused,
    a_policy_is_listed_without_secrets_and_its_deletion_cuts_the_workload_off_at_once,
    policies_stay_inside_the_callers_subtree_and_below_what_the_caller_holds
);

const POLICIES: &str = "/clients/deployer/trust-policies";

fn valid() -> Value {
    json!({"issuer": ISSUER, "jwks_uri": "https://cluster.example.com/openid/v1/jwks",
           "audience": AUDIENCE, "subject": SUBJECT})
}

fn with(changes: Value) -> Value {
    let mut body = valid();
    for (k, v) in changes.as_object().unwrap() {
        match v {
            Value::Null => body.as_object_mut().unwrap().remove(k),
            v => body.as_object_mut().unwrap().insert(k.clone(), v.clone()),
        };
    }
    body
}

async fn listed(app: &TestApp, token: &str) -> Vec<Value> {
    let a = app.admin("GET", POLICIES, Some(token), None).await;
    assert_eq!(a.status, 200, "{}", a.body);
    a.body.as_array().unwrap().clone()
}

async fn a_policy_breaking_a_rule_is_refused_before_it_is_stored(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let admin = app.admin_token().await;
    deployer(&app, &admin).await;
    let pinned = json!({"keys": [new_key("pinned-1").jwk]});
    let uri = |u: &str| json!({ "jwks_uri": u });
    let cases = [
        ("http, not loopback", uri("http://cluster.example.com/jwks")),
        (
            "http, a localhost look-alike",
            uri("http://localhost.example.com/j"),
        ),
        (
            "credentials in the URL",
            uri("https://u:p@cluster.example.com/j"),
        ),
        ("not a URL", uri("not a url")),
        ("neither https nor http", uri("ftp://127.0.0.1/jwks")),
        ("both jwks and jwks_uri", json!({ "jwks": pinned })),
        ("neither jwks nor jwks_uri", json!({ "jwks_uri": null })),
        (
            "an empty jwks",
            json!({"jwks_uri": null, "jwks": {"keys": []}}),
        ),
        ("a claims key, no /", json!({"claims": {"k8s/ns": "ci"}})),
        (
            "a claims value, object",
            json!({"claims": {"/k8s": {"ns": "ci"}}}),
        ),
        ("an empty subject", json!({ "subject": "" })),
        ("a blank subject", json!({ "subject": "   " })),
        ("an empty audience", json!({ "audience": "" })),
        ("a token age of 0", json!({ "max_token_age_seconds": 0 })),
    ];
    for (case, changes) in cases {
        let a = app
            .admin("POST", POLICIES, Some(&admin), Some(with(changes)))
            .await;
        assert_eq!(a.status, 422, "{case}: {}", a.body);
        assert_eq!(a.content_type, "application/problem+json", "{case}");
    }
    // No subject at all is a body of the wrong shape: 400, as everywhere in the admin API.
    let a = app
        .admin(
            "POST",
            POLICIES,
            Some(&admin),
            Some(with(json!({"subject": null}))),
        )
        .await;
    assert_eq!(a.status, 400, "no subject: {}", a.body);
    assert!(listed(&app, &admin).await.is_empty(), "nothing was stored");
    let (actions, _) = app
        .audit_actions(&admin, "action=trust_policy.created")
        .await;
    assert!(actions.is_empty(), "{actions:?}");
    // The same body with a loopback http URL is fine.
    let loopback = with(json!({"jwks_uri": "http://127.0.0.1:9/jwks"}));
    let a = app
        .admin("POST", POLICIES, Some(&admin), Some(loopback))
        .await;
    assert_eq!(a.status, 201, "{}", a.body);
}

async fn a_pinned_key_set_holding_a_private_key_is_refused(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let admin = app.admin_token().await;
    deployer(&app, &admin).await;
    // A pasted private JWK: the public members plus "d". Stored, it would be shown by GET.
    let mut jwk = new_key("pasted").jwk;
    jwk["d"] = json!("8Fy4ohF1ISqx2ON4ZpqgCIhy6sWJ9aEq4cPrYL7Vo_Q");
    let body = with(json!({"jwks_uri": null, "jwks": {"keys": [jwk]}}));
    let a = app.admin("POST", POLICIES, Some(&admin), Some(body)).await;
    assert_eq!(a.status, 422, "a private key in a pinned jwks: {}", a.body);
    for policy in listed(&app, &admin).await {
        assert!(!policy.to_string().contains("\"d\""), "{policy}");
    }
}

async fn a_policy_is_listed_without_secrets_and_its_deletion_cuts_the_workload_off_at_once(
    backend: Backend,
) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let admin = app.admin_token().await;
    let cluster = new_key("cluster-1");
    let id = trusting_account(&app, &cluster).await;
    let policies = listed(&app, &admin).await;
    assert_eq!(policies.len(), 1);
    let p = policies[0].as_object().unwrap();
    let mut fields: Vec<&str> = p.keys().map(String::as_str).collect();
    fields.sort();
    assert_eq!(
        fields,
        [
            "audience",
            "claims",
            "created_at",
            "id",
            "issuer",
            "jwks",
            "jwks_uri",
            "max_token_age_seconds",
            "subject"
        ]
    );
    assert_eq!(p["id"], id.as_str());
    assert_eq!(
        p["jwks"],
        json!({"keys": [cluster.jwk]}),
        "public keys only"
    );
    assert_eq!(p["claims"], json!({"/kubernetes.io/namespace": "ci"}));
    // The client's row id names it too.
    let row = app.state.clients.get("deployer").unwrap().id.clone();
    let by_row = app
        .admin(
            "GET",
            &format!("/clients/{row}/trust-policies"),
            Some(&admin),
            None,
        )
        .await;
    assert_eq!(by_row.body, Value::Array(policies.clone()));

    let token = k8s_token(&cluster, json!({}));
    assert_eq!(door_one(&app, &token).await.0, 200);
    let path = format!("{POLICIES}/{id}");
    let a = app.admin("DELETE", &path, Some(&admin), None).await;
    assert_eq!((a.status, a.body), (204, Value::Null));
    // At once, with no reload: the same token is refused at both doors.
    let answer = door_one(&app, &token).await;
    let why = "the client is unknown or may not use workload identity";
    assert_eq!(
        refusal(&answer),
        (401, "invalid_client", why),
        "{}",
        answer.1
    );
    let answer = exchange(&app, &token).await;
    let why = "no trust policy of this service account names the token's issuer";
    assert_eq!(
        refusal(&answer),
        (400, "invalid_grant", why),
        "{}",
        answer.1
    );
    assert!(listed(&app, &admin).await.is_empty());
    assert_eq!(
        app.admin("DELETE", &path, Some(&admin), None).await.status,
        404
    );

    let (actions, page) = app.audit_actions(&admin, "target=deployer").await;
    let trust: Vec<&str> = actions
        .iter()
        .map(String::as_str)
        .filter(|a| a.starts_with("trust_policy."))
        .collect();
    assert_eq!(
        trust,
        ["trust_policy.deleted", "trust_policy.created"],
        "newest first"
    );
    for event in page["items"].as_array().unwrap() {
        if event["action"]
            .as_str()
            .unwrap()
            .starts_with("trust_policy.")
        {
            assert_eq!(event["target"], "deployer", "{event}");
            assert_eq!(event["actor"], crate::helpers::ADMIN_ID, "{event}");
            assert_eq!(event["details"]["policy_id"], id.as_str(), "{event}");
        }
    }
}

async fn policies_stay_inside_the_callers_subtree_and_below_what_the_caller_holds(
    backend: Backend,
) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let root = app.admin_token().await;
    let id = trusting_account(&app, &new_key("cluster-1")).await;
    let before = listed(&app, &root).await;
    // A vendor admin (scope admin, in acme) does not see root's account.
    org(&app, &root, "acme", None).await;
    let (_, secret) = app
        .api_create_client(
            &root,
            json!({"client_id": "acme-admin", "name": "acme admin",
            "org_id": "acme", "scopes": ["admin"], "default_scopes": ["admin"],
            "audiences": [ADMIN_AUD], "is_admin_service_account": true}),
        )
        .await;
    let extra = [("resource", ADMIN_AUD), ("scope", "admin")];
    let vendor = app
        .access_token("acme-admin", &secret.unwrap(), &extra)
        .await;
    let new = Some(valid());
    for (method, path, body) in [
        ("GET", POLICIES.to_string(), None),
        ("POST", POLICIES.to_string(), new.clone()),
        ("DELETE", format!("{POLICIES}/{id}"), None),
    ] {
        let a = app.admin(method, &path, Some(&vendor), body).await;
        assert_eq!(a.status, 404, "vendor {method} {path}: {}", a.body);
        assert_eq!(a.body["detail"], "no such client", "{}", a.body);
    }
    // Its own account, in acme, holding nothing it lacks: fine.
    app.api_create_client(
        &root,
        json!({"client_id": "acme-deployer", "name": "acme deployer",
        "org_id": "acme"}),
    )
    .await;
    let own = "/clients/acme-deployer/trust-policies";
    let a = app.admin("POST", own, Some(&vendor), new.clone()).await;
    assert_eq!(a.status, 201, "{}", a.body);
    assert_eq!(
        app.admin("GET", own, Some(&vendor), None)
            .await
            .body
            .as_array()
            .unwrap()
            .len(),
        1
    );

    // A narrower admin (no deploy:write, no API audience) can't add to or cut from deployer.
    let (narrow, _) = app
        .limited_admin("narrow", &["admin:clients:read", "admin:clients:write"])
        .await;
    let a = app.admin("POST", POLICIES, Some(&narrow), new).await;
    assert_eq!(a.status, 403, "narrow POST: {}", a.body);
    let a = app
        .admin("DELETE", &format!("{POLICIES}/{id}"), Some(&narrow), None)
        .await;
    assert_eq!(a.status, 403, "narrow DELETE: {}", a.body);
    assert_eq!(listed(&app, &root).await, before, "nothing changed");
}
