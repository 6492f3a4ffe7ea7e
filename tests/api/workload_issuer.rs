//! CONTRACT ("Workload identity"): a trust policy naming the issuer's `jwks_uri` fetches its
//! keys from the stand-in issuer the test runs: cached, refetched on an unknown kid at most once
//! per 10 s per issuer, the last good keys kept through the issuer's outage.

use serde_json::json;

use crate::helpers::{spawn_app, Backend, API};
use crate::on_both_backends;
use crate::private_key_jwt::new_key;
use crate::workload_doors::{door_one, exchange, k8s_token, AUDIENCE, ISSUER, SUBJECT};
use crate::workload_support::{
    deployer, gh_token, k8s_policy, refusal, Issuer, GH_ISSUER, GH_SUBJECT, REFETCH_INTERVAL,
};

on_both_backends!(
    a_fetched_key_set_opens_both_doors_and_is_fetched_once,
    a_github_token_passes_on_its_repository_and_environment_and_another_environment_is_named,
    a_rotation_at_the_issuer_is_followed_at_most_once_per_interval,
    an_issuer_down_after_a_success_keeps_its_last_good_keys
);

const NOT_PUBLISHED: &str = "the token was signed by a key the issuer does not publish";
const UNREACHABLE: &str = "the issuer's keys could not be fetched";

async fn a_fetched_key_set_opens_both_doors_and_is_fetched_once(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let cluster = new_key("cluster-a");
    let issuer = Issuer::start(&[&cluster]);
    let admin = app.admin_token().await;
    deployer(&app, &admin).await;
    k8s_policy(&app, &admin, "deployer", &issuer).await;
    assert_eq!(
        issuer.fetches(),
        0,
        "nothing is fetched before a token needs it"
    );
    for round in 0..2 {
        let token = k8s_token(&cluster, json!({}));
        for (door, (status, body)) in [
            ("assertion", door_one(&app, &token).await),
            ("exchange", exchange(&app, &token).await),
        ] {
            assert_eq!(status, 200, "{door}, round {round}: {body}");
            let claims = app
                .verify(body["access_token"].as_str().unwrap(), API)
                .await
                .unwrap();
            assert_eq!(claims.sub, "deployer");
            let act = claims.act.expect("act names the workload");
            assert_eq!((act.iss.as_str(), act.sub.as_str()), (ISSUER, SUBJECT));
        }
    }
    assert_eq!(issuer.fetches(), 1, "the keys are cached (max-age=300)");
}

async fn a_github_token_passes_on_its_repository_and_environment_and_another_environment_is_named(
    backend: Backend,
) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let github = new_key("gh-1");
    let issuer = Issuer::start(&[&github]);
    let admin = app.admin_token().await;
    deployer(&app, &admin).await;
    let policy = json!({"issuer": GH_ISSUER, "jwks_uri": issuer.jwks_uri, "audience": AUDIENCE,
        "subject": GH_SUBJECT, "claims": {"/repository": "acme/app", "/environment": "prod"},
        "max_token_age_seconds": 600});
    let p = app
        .admin(
            "POST",
            "/clients/deployer/trust-policies",
            Some(&admin),
            Some(policy),
        )
        .await;
    assert_eq!(p.status, 201, "{}", p.body);
    let prod = gh_token(&github, json!({}));
    for (door, (status, body)) in [
        ("assertion", door_one(&app, &prod).await),
        ("exchange", exchange(&app, &prod).await),
    ] {
        assert_eq!(status, 200, "{door}: {body}");
        let token = body["access_token"].as_str().unwrap();
        let act = app.verify(token, API).await.unwrap().act.unwrap();
        assert_eq!(
            (act.iss.as_str(), act.sub.as_str()),
            (GH_ISSUER, GH_SUBJECT)
        );
    }
    let staging = gh_token(&github, json!({"environment": "staging"}));
    let why = "the token's claim /environment does not match the policy";
    let door1 = door_one(&app, &staging).await;
    assert_eq!(refusal(&door1), (401, "invalid_client", why), "{}", door1.1);
    let door2 = exchange(&app, &staging).await;
    assert_eq!(refusal(&door2), (400, "invalid_grant", why), "{}", door2.1);
    // Another repository of the same issuer, same subject template: refused on /repository.
    let fork = gh_token(&github, json!({"repository": "mallory/app"}));
    let answer = door_one(&app, &fork).await;
    let (_, _, why) = refusal(&answer);
    assert!(why.contains("/repository"), "{why}");
}

async fn a_rotation_at_the_issuer_is_followed_at_most_once_per_interval(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let (a, b, c) = (new_key("kid-a"), new_key("kid-b"), new_key("kid-c"));
    let issuer = Issuer::start(&[&a]);
    let admin = app.admin_token().await;
    deployer(&app, &admin).await;
    k8s_policy(&app, &admin, "deployer", &issuer).await;
    let (status, body) = door_one(&app, &k8s_token(&a, json!({}))).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(issuer.fetches(), 1);

    // The issuer rotates to B. Within 10 s of the last fetch, B's kid does not make Castellan
    // fetch again (however often it comes), and the token is refused.
    issuer.publish(&[&b]);
    let with_b = k8s_token(&b, json!({}));
    for _ in 0..3 {
        let answer = door_one(&app, &with_b).await;
        assert_eq!(refusal(&answer), (401, "invalid_client", NOT_PUBLISHED));
        let answer = exchange(&app, &with_b).await;
        assert_eq!(refusal(&answer), (400, "invalid_grant", NOT_PUBLISHED));
    }
    assert_eq!(issuer.fetches(), 1, "no refetch within the interval");

    // Once the interval has passed, B's kid refetches once and B is accepted.
    issuer.wait_out_the_interval().await;
    let (status, body) = door_one(&app, &with_b).await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = exchange(&app, &k8s_token(&b, json!({}))).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(issuer.fetches(), 2, "one refetch for the new kid");
    assert!(
        issuer.last_gap() >= REFETCH_INTERVAL,
        "{:?}",
        issuer.last_gap()
    );

    // A second unknown kid right after: no fetch, refused, even though the issuer has it now.
    issuer.publish(&[&b, &c]);
    let with_c = k8s_token(&c, json!({}));
    let answer = door_one(&app, &with_c).await;
    assert_eq!(refusal(&answer), (401, "invalid_client", NOT_PUBLISHED));
    let answer = exchange(&app, &with_c).await;
    assert_eq!(refusal(&answer), (400, "invalid_grant", NOT_PUBLISHED));
    assert_eq!(
        issuer.fetches(),
        2,
        "a second unknown kid within 10 s fetches nothing"
    );
    // A (dropped by the issuer) is gone with the keys it replaced; B still works from cache.
    let answer = door_one(&app, &k8s_token(&a, json!({}))).await;
    assert_eq!(refusal(&answer), (401, "invalid_client", NOT_PUBLISHED));
    let (status, body) = door_one(&app, &with_b).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(issuer.fetches(), 2);
}

async fn an_issuer_down_after_a_success_keeps_its_last_good_keys(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let (a, d) = (new_key("kid-a"), new_key("kid-d"));
    let issuer = Issuer::start(&[&a]);
    let admin = app.admin_token().await;
    deployer(&app, &admin).await;
    k8s_policy(&app, &admin, "deployer", &issuer).await;
    let (status, body) = door_one(&app, &k8s_token(&a, json!({}))).await;
    assert_eq!(status, 200, "{body}");

    // The issuer starts answering 500 (it would publish D if it were up).
    issuer.publish(&[&a, &d]);
    issuer.fail(true);
    let (status, body) = exchange(&app, &k8s_token(&a, json!({}))).await;
    assert_eq!(status, 200, "A still gets through: {body}");
    issuer.wait_out_the_interval().await;
    let with_d = k8s_token(&d, json!({}));
    let answer = door_one(&app, &with_d).await;
    assert_eq!(refusal(&answer), (401, "invalid_client", UNREACHABLE));
    assert_eq!(
        issuer.fetches(),
        2,
        "D's kid tried the issuer once, and got a 500"
    );
    // The last good keys hold through the outage, and D is refused without asking again.
    for _ in 0..2 {
        let (status, body) = door_one(&app, &k8s_token(&a, json!({}))).await;
        assert_eq!(status, 200, "the last good keys: {body}");
        let (status, body) = exchange(&app, &k8s_token(&a, json!({}))).await;
        assert_eq!(status, 200, "the last good keys: {body}");
        let answer = exchange(&app, &with_d).await;
        assert_eq!(refusal(&answer), (400, "invalid_grant", UNREACHABLE));
    }
    assert_eq!(issuer.fetches(), 2);
    // Stopped altogether: still the same.
    issuer.stop().await;
    let (status, body) = door_one(&app, &k8s_token(&a, json!({}))).await;
    assert_eq!(status, 200, "the last good keys: {body}");
    let answer = door_one(&app, &with_d).await;
    assert_eq!(refusal(&answer), (401, "invalid_client", UNREACHABLE));
}
