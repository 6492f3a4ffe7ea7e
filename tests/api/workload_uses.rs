//! CONTRACT ("Workload identity"): the audit trail and the metrics say which policy matched:
//! each token issued under a policy counts in `castellan_workload_tokens_total{policy_id}` at
//! once, and the background flush writes one `trust_policy.used` event per policy with the count.

use chrono::Utc;
use serde_json::json;

use crate::helpers::{spawn_app, Backend};
use crate::on_both_backends;
use crate::operations_support::{sample, scrape};
use crate::private_key_jwt::new_key;
use crate::workload_doors::{door_one, exchange, k8s_token, trusting_account, ISSUER};

on_both_backends!(each_policys_uses_are_counted_in_the_metric_and_audited_by_the_flush);

async fn each_policys_uses_are_counted_in_the_metric_and_audited_by_the_flush(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let admin = app.admin_token().await;
    let cluster = new_key("cluster-1");
    let id = trusting_account(&app, &cluster).await;
    assert_eq!(door_one(&app, &k8s_token(&cluster, json!({}))).await.0, 200);
    assert_eq!(exchange(&app, &k8s_token(&cluster, json!({}))).await.0, 200);
    // A refused token counts for nothing.
    let stranger = new_key("cluster-1");
    assert_eq!(
        door_one(&app, &k8s_token(&stranger, json!({}))).await.0,
        401
    );

    let text = scrape(&app).await;
    let metric = "castellan_workload_tokens_total";
    assert_eq!(
        sample(&text, metric, &[("policy_id", &id)]),
        Some(2.0),
        "{text}"
    );
    // Nothing is audited on the request path; the flush (as the background job runs it) writes
    // one event for the policy, with the count.
    let (actions, _) = app.audit_actions(&admin, "action=trust_policy.used").await;
    assert!(actions.is_empty(), "{actions:?}");
    for _ in 0..2 {
        let state = app.state.clone();
        app.state
            .db
            .run(move |conn| {
                let uses = state.clients.take_policy_uses();
                castellan::domain::workload::record_uses(conn, uses, Utc::now())
            })
            .await
            .unwrap();
    }
    let (actions, page) = app.audit_actions(&admin, "action=trust_policy.used").await;
    assert_eq!(
        actions,
        ["trust_policy.used"],
        "one event: the second flush had none"
    );
    let event = &page["items"][0];
    assert_eq!(event["target"], "deployer", "{event}");
    assert_eq!(event["details"]["policy_id"], id.as_str(), "{event}");
    assert_eq!(event["details"]["tokens"], 2, "{event}");
    assert_eq!(event["details"]["issuer"], ISSUER, "{event}");
}
