//! CONTRACT "Sharper rules" -> Time claims: a token whose `iat` is later than now plus leeway,
//! or whose `exp - iat` exceeds the maximum lifetime plus leeway, is refused wherever
//! Castellan checks a token (the admin API, introspection), even when our own key signed it.

use serde_json::Value;

use crate::helpers::{jwt_part, spawn_app, Backend, TestApp};
use crate::nodes_support::is_active;
use crate::on_both_backends;

on_both_backends!(tokens_issued_in_the_future_or_living_too_long_are_refused_everywhere,);

/// The claims of `token`, changed by `change`, signed again with the server's current key.
fn resigned(app: &TestApp, token: &str, change: impl FnOnce(&mut Value)) -> String {
    let mut claims = jwt_part(token, 1);
    change(&mut claims);
    app.state.keys.current().signer.sign(&claims).unwrap()
}

async fn tokens_issued_in_the_future_or_living_too_long_are_refused_everywhere(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let admin = app.admin_token().await;
    let iat = jwt_part(&admin, 1)["iat"].as_i64().unwrap();
    let leeway = app.settings.token.leeway_seconds;
    let max = app.settings.token.max_ttl_seconds;

    // Control: the same claims signed again pass, so only the time claims decide below.
    let same = resigned(&app, &admin, |_| {});
    assert_eq!(
        app.admin("GET", "/keys", Some(&same), None).await.status,
        200
    );
    assert!(is_active(&app, &same).await);

    let future = resigned(&app, &admin, |c| {
        c["iat"] = (iat + leeway + 120).into();
        c["exp"] = (iat + leeway + 300).into();
    });
    let too_long = resigned(&app, &admin, |c| {
        c["exp"] = (iat + max + leeway + 60).into();
    });
    for (what, token) in [("iat in the future", future), ("too long a life", too_long)] {
        let a = app.admin("GET", "/keys", Some(&token), None).await;
        assert_eq!(a.status, 401, "{what}: {}", a.body);
        assert!(!is_active(&app, &token).await, "{what}: introspection");
    }
}
