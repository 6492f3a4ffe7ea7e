//! Signing key rotation: on demand and on schedule, the old key published until its tokens expire,
//! the next one published before it signs.

use serde_json::Value;

use crate::helpers::{jwt_part, spawn_app, spawn_app_with, Backend, API};
use crate::on_both_backends;

on_both_backends!(
    rotation_keeps_the_old_key_published_until_its_tokens_expire,
    scheduled_rotation_publishes_the_next_key_before_it_signs,
);

async fn rotation_keeps_the_old_key_published_until_its_tokens_expire(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let (id, secret) = app.service_account("svc-rotate").await;
    let before = app.access_token(&id, &secret, &[]).await;
    let old_kid = jwt_part(&before, 0)["kid"].as_str().unwrap().to_string();
    let state = app.state.clone();
    let info = app
        .state
        .db
        .run(move |conn| {
            state
                .keys
                .rotate(conn, chrono::Utc::now(), &castellan::audit::Actor::system())
                .map_err(|e| castellan::storage::StoreError::Pool(e.to_string()))
        })
        .await
        .unwrap();
    assert_ne!(info.kid, old_kid);
    let after = app.access_token(&id, &secret, &[]).await;
    assert_eq!(jwt_part(&after, 0)["kid"], info.kid.as_str());
    let kids: Vec<String> = app.jwks().await["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["kid"].as_str().unwrap().to_string())
        .collect();
    assert!(kids.contains(&old_kid) && kids.contains(&info.kid));
    app.verify(&before, API).await.unwrap();
    app.verify(&after, API).await.unwrap();
    // Once the longest lifetime plus leeway has passed, the old key leaves the JWKS.
    let later = chrono::Utc::now()
        + chrono::Duration::seconds(
            app.settings.token.max_ttl_seconds + app.settings.token.leeway_seconds + 1,
        );
    let state = app.state.clone();
    app.state
        .db
        .run(move |conn| {
            state
                .keys
                .reload(conn, later)
                .map_err(|e| castellan::storage::StoreError::Pool(e.to_string()))
        })
        .await
        .unwrap();
    let kids: Vec<String> = app.jwks().await["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["kid"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(kids, vec![info.kid]);
}

async fn scheduled_rotation_publishes_the_next_key_before_it_signs(backend: Backend) {
    let Some(app) = spawn_app_with(backend, |s| {
        s.signing.rotation_interval_seconds = 3600;
        s.signing.publish_ahead_seconds = 600;
    })
    .await
    else {
        return;
    };
    let kids = |jwks: Value| -> Vec<String> {
        jwks["keys"]
            .as_array()
            .unwrap()
            .iter()
            .map(|k| k["kid"].as_str().unwrap().to_string())
            .collect()
    };
    let first = app.state.keys.current().signer.kid().to_string();
    let born = app.state.keys.current().infos[0].activates_at;
    let maintain = |at: chrono::DateTime<chrono::Utc>| {
        let state = app.state.clone();
        async move {
            let db = state.db.clone();
            db.run(move |conn| {
                state
                    .keys
                    .maintain(conn, at)
                    .map_err(|e| castellan::storage::StoreError::Pool(e.to_string()))
            })
            .await
            .unwrap()
        }
    };
    let secs = chrono::Duration::seconds;
    // Not due: nothing happens.
    assert_eq!(maintain(born + secs(60)).await, None);
    assert_eq!(kids(app.jwks().await), vec![first.clone()]);
    // Due within the publish-ahead window: the next key is published but does not sign.
    let next = maintain(born + secs(3600 - 600 + 1))
        .await
        .expect("a next key");
    assert_eq!(kids(app.jwks().await), vec![first.clone(), next.clone()]);
    let token = app.admin_token().await;
    assert_eq!(
        jwt_part(&token, 0)["kid"],
        first.as_str(),
        "the next key must not sign yet"
    );
    let states: Vec<String> = app
        .state
        .keys
        .current()
        .infos
        .iter()
        .map(|k| format!("{:?}", k.state))
        .collect();
    assert_eq!(states, vec!["Current", "Next"]);
    // Scheduling the next key is audited, by the system.
    let events = app
        .state
        .db
        .run(|c| {
            let all = castellan::storage::orgs::reach(c, castellan::storage::orgs::ROOT_ORG_ID)?;
            castellan::storage::audit::list(
                c,
                &all,
                &castellan::storage::audit::AuditFilter {
                    action: Some("key.rotation_scheduled".into()),
                    ..Default::default()
                },
                10,
                0,
            )
        })
        .await
        .unwrap();
    assert_eq!(events.len(), 1);
    assert_eq!(
        (events[0].target.as_str(), events[0].actor.as_str()),
        (next.as_str(), "system")
    );
    // A second round in the window creates no third key.
    assert_eq!(maintain(born + secs(3600 - 300)).await, None);
    // At the due time the next key signs; the old one stays published for its tokens.
    assert_eq!(maintain(born + secs(3601)).await, None);
    let token2 = app.admin_token().await;
    assert_eq!(jwt_part(&token2, 0)["kid"], next.as_str());
    assert_eq!(kids(app.jwks().await), vec![first.clone(), next.clone()]);
    // After the longest lifetime plus leeway, the old key leaves the JWKS.
    let retention = app.settings.token.max_ttl_seconds + app.settings.token.leeway_seconds;
    // (By then the second key is itself due, so a third is published ahead of its turn.)
    maintain(born + secs(3601 + retention + 1)).await;
    let published = kids(app.jwks().await);
    assert!(!published.contains(&first), "{published:?}");
    assert_eq!(published[0], next);
    assert_eq!(app.state.keys.current().signer.kid(), next);
}
