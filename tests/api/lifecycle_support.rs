//! Helpers shared by the lifecycle_* tests: calls to introspection and revocation, tokens of
//! our own making, clients changed straight in the store.

use castellan::oauth::claims::AccessTokenClaims;
use castellan::storage::clients::{self as client_rows, ClientRow};
use castellan::storage::revoked;
use serde_json::Value;

use crate::helpers::{basic, jwt_part, TestApp};

/// The resource server that introspects in these tests.
pub(crate) const RS: &str = "svc-rs";

/// POSTs a form to `path`, with Basic credentials when given.
pub(crate) async fn post(
    app: &TestApp,
    path: &str,
    auth: Option<(&str, &str)>,
    form: &[(&str, &str)],
) -> reqwest::Response {
    let mut req = app.http.post(app.url(path)).form(form);
    if let Some((id, secret)) = auth {
        req = req.header("Authorization", basic(id, secret));
    }
    req.send().await.unwrap()
}

/// Introspects `token` as `caller`; checks the framing every answer shares.
pub(crate) async fn introspect(app: &TestApp, caller: (&str, &str), token: &str) -> Value {
    let res = post(app, "/oauth2/introspect", Some(caller), &[("token", token)]).await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["cache-control"], "no-store");
    res.json().await.unwrap()
}

pub(crate) async fn assert_inactive(app: &TestApp, caller: (&str, &str), token: &str, what: &str) {
    let body = introspect(app, caller, token).await;
    assert_eq!(
        body,
        serde_json::json!({"active": false}),
        "{what}: an inactive answer carries nothing else"
    );
}

pub(crate) async fn error_of(res: reqwest::Response) -> (u16, Value, Option<String>) {
    let status = res.status().as_u16();
    let challenge = res
        .headers()
        .get("www-authenticate")
        .map(|v| v.to_str().unwrap().to_string());
    (status, res.json().await.unwrap(), challenge)
}

pub(crate) async fn owner_and_rs(app: &TestApp) -> ((String, String), (String, String)) {
    (
        app.service_account("svc-ci").await,
        app.service_account(RS).await,
    )
}

pub(crate) fn claims_of(token: &str) -> AccessTokenClaims {
    serde_json::from_value(jwt_part(token, 1)).unwrap()
}

/// Signs claims with the server's own current key.
pub(crate) fn sign_as_us(app: &TestApp, claims: &AccessTokenClaims) -> String {
    app.state.keys.current().signer.sign(claims).unwrap()
}

/// Changes a client's row straight in the store.
pub(crate) async fn change_client(
    app: &TestApp,
    client_id: &str,
    f: impl FnOnce(&mut ClientRow) + Send + 'static,
) {
    let client_id = client_id.to_string();
    app.state
        .db
        .run(move |conn| {
            let mut row = client_rows::find_by_client_id(conn, &client_id)?;
            let before = row.tokens_revoked_before;
            f(&mut row);
            client_rows::update(conn, &row)?;
            match row.tokens_revoked_before {
                Some(at) if Some(at) != before => {
                    client_rows::set_tokens_revoked_before(conn, &row.id, at)
                }
                _ => Ok(()),
            }
        })
        .await
        .unwrap();
}

pub(crate) async fn revoked_count(app: &TestApp) -> i64 {
    app.state.db.run(revoked::count).await.unwrap()
}
