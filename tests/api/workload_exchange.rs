//! CONTRACT ("Workload identity"): door 2 (RFC 8693 token exchange) refuses a subject token of
//! another type, an account without the token-exchange grant, an account without a policy and a
//! disabled account, each with its own answer; door 1's answers beside them.

use serde_json::json;

use crate::helpers::{spawn_app, Backend};
use crate::on_both_backends;
use crate::private_key_jwt::new_key;
use crate::workload_doors::{door_one, exchange, k8s_token, TOKEN_EXCHANGE};
use crate::workload_support::{
    account, deployer, door_one_as, exchange_as, exchange_jwt, k8s_policy, refusal, Issuer,
};

on_both_backends!(
    the_exchange_door_refuses_a_wrong_type_and_answers_a_missing_grant_no_policy_and_a_disabled_account_alike
);

async fn the_exchange_door_refuses_a_wrong_type_and_answers_a_missing_grant_no_policy_and_a_disabled_account_alike(
    backend: Backend,
) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let cluster = new_key("cluster-a");
    let issuer = Issuer::start(&[&cluster]);
    let admin = app.admin_token().await;
    deployer(&app, &admin).await;
    k8s_policy(&app, &admin, "deployer", &issuer).await;
    let token = k8s_token(&cluster, json!({}));
    let access = "urn:ietf:params:oauth:token-type:access_token";
    let answer = exchange_as(&app, "deployer", &token, access).await;
    let why = "subject_token_type must be urn:ietf:params:oauth:token-type:jwt";
    assert_eq!(
        refusal(&answer),
        (400, "invalid_request", why),
        "{}",
        answer.1
    );

    // Without the token-exchange grant: answered like an unknown account (nothing tells a
    // guesser which accounts exist or how they are set up); door 1 still opens.
    account(&app, &admin, "cc-only", &["client_credentials"]).await;
    k8s_policy(&app, &admin, "cc-only", &issuer).await;
    let answer = exchange_jwt(&app, "cc-only", &token).await;
    let why = "no trust policy of this service account names the token's issuer";
    assert_eq!(
        refusal(&answer),
        (400, "invalid_grant", why),
        "{}",
        answer.1
    );
    assert_eq!(answer, exchange_jwt(&app, "nobody", &token).await);
    assert_eq!(door_one_as(&app, "cc-only", &token).await.0, 200);

    // No policy: invalid_grant at door 2, invalid_client at door 1.
    account(
        &app,
        &admin,
        "bare",
        &["client_credentials", TOKEN_EXCHANGE],
    )
    .await;
    let answer = exchange_jwt(&app, "bare", &token).await;
    let why = "no trust policy of this service account names the token's issuer";
    assert_eq!(
        refusal(&answer),
        (400, "invalid_grant", why),
        "{}",
        answer.1
    );
    let answer = door_one_as(&app, "bare", &token).await;
    let why = "the client is unknown or may not use workload identity";
    assert_eq!(
        refusal(&answer),
        (401, "invalid_client", why),
        "{}",
        answer.1
    );

    // Disabled: answered like an unknown client, at both doors.
    let a = app
        .admin(
            "PATCH",
            "/clients/deployer",
            Some(&admin),
            Some(json!({"active": false})),
        )
        .await;
    assert_eq!(a.status, 200, "{}", a.body);
    let unknown = exchange_jwt(&app, "nobody", &token).await;
    let disabled = exchange_jwt(&app, "deployer", &token).await;
    let why = "no trust policy of this service account names the token's issuer";
    assert_eq!(
        refusal(&disabled),
        (400, "invalid_grant", why),
        "{}",
        disabled.1
    );
    assert_eq!(disabled, unknown);
    let unknown = door_one_as(&app, "nobody", &token).await;
    let disabled = door_one_as(&app, "deployer", &token).await;
    let why = "the client is unknown or may not use workload identity";
    assert_eq!(
        refusal(&disabled),
        (401, "invalid_client", why),
        "{}",
        disabled.1
    );
    assert_eq!(disabled, unknown);
    // Enabled again, the same token opens both doors.
    let a = app
        .admin(
            "PATCH",
            "/clients/deployer",
            Some(&admin),
            Some(json!({"active": true})),
        )
        .await;
    assert_eq!(a.status, 200, "{}", a.body);
    assert_eq!(door_one(&app, &token).await.0, 200);
    assert_eq!(exchange(&app, &token).await.0, 200);
}
