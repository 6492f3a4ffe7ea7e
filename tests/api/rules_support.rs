//! Helpers for the contract's sharper rules: admin calls that can run side by side, and
//! introspection.

use serde_json::{json, Value};

use crate::helpers::{basic, TestApp};

pub const ADMIN_AUD: &str = "urn:castellan:admin";

/// An admin call that owns what it needs, so that many can be spawned at once.
pub fn admin_call(
    app: &TestApp,
    method: &str,
    path: &str,
    token: &str,
    body: Option<Value>,
) -> impl std::future::Future<Output = (u16, Value)> + 'static {
    let http = app.http.clone();
    let url = app.url(&format!("/admin/v1{path}"));
    let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
    let token = token.to_string();
    async move {
        let mut req = http.request(method, url).bearer_auth(token);
        if let Some(body) = body {
            req = req.json(&body);
        }
        let res = req.send().await.unwrap();
        let status = res.status().as_u16();
        let text = res.text().await.unwrap();
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }
}

/// Runs every call at once; answers in order.
pub async fn all_at_once<F>(calls: Vec<F>) -> Vec<(u16, Value)>
where
    F: std::future::Future<Output = (u16, Value)> + 'static,
{
    let handles: Vec<_> = calls.into_iter().map(actix_web::rt::spawn).collect();
    let mut out = Vec::new();
    for h in handles {
        out.push(h.await.unwrap());
    }
    out
}

impl TestApp {
    /// Whether introspection (by the bootstrap admin) calls `token` active.
    pub async fn is_active(&self, token: &str) -> bool {
        let res = self
            .http
            .post(self.url("/oauth2/introspect"))
            .header(
                "Authorization",
                basic(crate::helpers::ADMIN_ID, crate::helpers::ADMIN_SECRET),
            )
            .form(&[("token", token)])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
        let body: Value = res.json().await.unwrap();
        body["active"].as_bool().unwrap()
    }

    /// A full admin service account (scope `admin`, the flag): (row id, token).
    pub async fn full_admin(&self, by: &str, client_id: &str) -> (String, String) {
        let (created, secret) = self
            .api_create_client(
                by,
                json!({"client_id": client_id, "name": client_id, "scopes": ["admin"],
                       "default_scopes": ["admin"], "audiences": [ADMIN_AUD],
                       "is_admin_service_account": true}),
            )
            .await;
        let token = self.access_token(client_id, &secret.unwrap(), &[]).await;
        (created["id"].as_str().unwrap().to_string(), token)
    }

    /// The row id of a client, from the registry.
    pub fn row_id(&self, client_id: &str) -> String {
        self.state.clients.get(client_id).unwrap().id.clone()
    }
}
