//! CONTRACT ("Workload identity"): a workload's token from a trusted outside issuer gets a
//! token for the service account at both doors, with `act` naming the workload; the checks
//! refuse what the policy does not allow.

use serde_json::{json, Value};

use crate::helpers::{spawn_app, Backend, TestApp, API};
use crate::on_both_backends;
use crate::private_key_jwt::{assertion, new_key, post_assertion, ClientKey};

pub const ISSUER: &str = "https://kubernetes.default.svc.cluster.local";
pub const SUBJECT: &str = "system:serviceaccount:ci:deployer";
pub const AUDIENCE: &str = "https://castellan.example.com";
pub const TOKEN_EXCHANGE: &str = "urn:ietf:params:oauth:grant-type:token-exchange";
pub const JWT_TYPE: &str = "urn:ietf:params:oauth:token-type:jwt";

/// A token shaped like a Kubernetes projected service-account token.
pub fn k8s_token(key: &ClientKey, overrides: Value) -> String {
    let now = chrono::Utc::now().timestamp();
    let mut claims = json!({"iss": ISSUER, "sub": SUBJECT, "aud": [AUDIENCE], "exp": now + 600,
        "iat": now, "nbf": now,
        "kubernetes.io": {"namespace": "ci", "serviceaccount": {"name": "deployer"}}});
    if let (Some(c), Some(o)) = (claims.as_object_mut(), overrides.as_object()) {
        for (k, v) in o {
            if v.is_null() {
                c.remove(k);
            } else {
                c.insert(k.clone(), v.clone());
            }
        }
    }
    assertion(key, claims)
}

/// A service account `deployer` trusting the stand-in cluster (pinned keys).
pub async fn trusting_account(app: &TestApp, key: &ClientKey) -> String {
    let admin = app.admin_token().await;
    let a = app
        .admin(
            "POST",
            "/clients",
            Some(&admin),
            Some(json!({"client_id": "deployer", "name": "Deployer",
            "grant_types": ["client_credentials", TOKEN_EXCHANGE],
            "scopes": ["deploy:write"], "default_scopes": ["deploy:write"], "audiences": [API]})),
        )
        .await;
    assert_eq!(a.status, 201, "{}", a.body);
    let p = app
        .admin(
            "POST",
            "/clients/deployer/trust-policies",
            Some(&admin),
            Some(json!({
            "issuer": ISSUER, "jwks": {"keys": [key.jwk]}, "audience": AUDIENCE, "subject": SUBJECT,
            "claims": {"/kubernetes.io/namespace": "ci"}, "max_token_age_seconds": 3600})),
        )
        .await;
    assert_eq!(p.status, 201, "{}", p.body);
    p.body["id"].as_str().unwrap().to_string()
}

pub async fn exchange(app: &TestApp, token: &str) -> (u16, Value) {
    let res = app
        .http
        .post(app.url("/oauth2/token"))
        .form(&[
            ("grant_type", TOKEN_EXCHANGE),
            ("client_id", "deployer"),
            ("subject_token", token),
            ("subject_token_type", JWT_TYPE),
        ])
        .send()
        .await
        .unwrap();
    (res.status().as_u16(), res.json().await.unwrap())
}

pub async fn door_one(app: &TestApp, token: &str) -> (u16, Value) {
    let res = post_assertion(
        app,
        "/oauth2/token",
        token,
        &[
            ("grant_type", "client_credentials"),
            ("client_id", "deployer"),
        ],
    )
    .await;
    (res.status().as_u16(), res.json().await.unwrap())
}

async fn a_workload_token_opens_both_doors_and_the_token_names_the_workload(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let cluster = new_key("cluster-1");
    trusting_account(&app, &cluster).await;
    let token = k8s_token(&cluster, json!({}));
    for (door, (status, body)) in [
        ("assertion", door_one(&app, &token).await),
        ("exchange", exchange(&app, &token).await),
    ] {
        assert_eq!(status, 200, "{door}: {body}");
        assert_eq!(body["scope"], "deploy:write");
        let claims = app
            .verify(body["access_token"].as_str().unwrap(), API)
            .await
            .unwrap();
        assert_eq!(
            claims.sub, "deployer",
            "{door}: the token is the service account's"
        );
        let act = claims.act.expect("act names the workload");
        assert_eq!((act.iss.as_str(), act.sub.as_str()), (ISSUER, SUBJECT));
    }
    let (_, body) = exchange(&app, &token).await;
    assert_eq!(
        body["issued_token_type"],
        "urn:ietf:params:oauth:token-type:access_token"
    );
}

async fn each_check_refuses_and_says_which(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let cluster = new_key("cluster-1");
    trusting_account(&app, &cluster).await;
    let now = chrono::Utc::now().timestamp();
    let stranger = new_key("cluster-1");
    let cases: Vec<(&str, String, &str)> = vec![
        ("another key", k8s_token(&stranger, json!({})), "signature"),
        (
            "another issuer",
            k8s_token(&cluster, json!({"iss": "https://other.example"})),
            "issuer",
        ),
        (
            "another audience",
            k8s_token(&cluster, json!({"aud": ["https://elsewhere"]})),
            "aud",
        ),
        (
            "another subject",
            k8s_token(&cluster, json!({"sub": "system:serviceaccount:ci:other"})),
            "sub",
        ),
        (
            "another namespace",
            k8s_token(&cluster, json!({"kubernetes.io": {"namespace": "prod"}})),
            "/kubernetes.io/namespace",
        ),
        (
            "expired",
            k8s_token(&cluster, json!({"exp": now - 120})),
            "exp",
        ),
        ("no iat", k8s_token(&cluster, json!({"iat": null})), "iat"),
        (
            "too old",
            k8s_token(&cluster, json!({"iat": now - 4000})),
            "max_token_age_seconds",
        ),
        (
            "not yet valid",
            k8s_token(&cluster, json!({"nbf": now + 600})),
            "nbf",
        ),
    ];
    for (case, token, says) in cases {
        let (status, body) = door_one(&app, &token).await;
        assert_eq!(
            (status, body["error"].as_str()),
            (401, Some("invalid_client")),
            "{case}: {body}"
        );
        let why = body["error_description"].as_str().unwrap_or("");
        assert!(why.contains(says), "{case}: {why}");
        let (status, body) = exchange(&app, &token).await;
        assert_eq!(
            (status, body["error"].as_str()),
            (400, Some("invalid_grant")),
            "{case}: {body}"
        );
    }
}

on_both_backends!(
    a_workload_token_opens_both_doors_and_the_token_names_the_workload,
    each_check_refuses_and_says_which
);
