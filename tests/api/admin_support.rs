//! Small helpers for calling the admin API.

use serde_json::Value;

use crate::helpers::TestApp;

pub struct Answer {
    pub status: u16,
    pub content_type: String,
    pub challenge: Option<String>,
    pub body: Value,
}

impl TestApp {
    pub async fn admin(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> Answer {
        let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        let mut req = self
            .http
            .request(method, self.url(&format!("/admin/v1{path}")));
        if let Some(token) = token {
            req = req.bearer_auth(token);
        }
        if let Some(body) = body {
            req = req.json(&body);
        }
        let res = req.send().await.unwrap();
        let status = res.status().as_u16();
        let header = |name: &str| {
            res.headers()
                .get(name)
                .map(|v| v.to_str().unwrap().to_string())
        };
        let content_type = header("content-type").unwrap_or_default();
        let challenge = header("www-authenticate");
        let text = res.text().await.unwrap();
        let body = if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap_or(Value::String(text))
        };
        Answer {
            status,
            content_type,
            challenge,
            body,
        }
    }

    /// The actions of the audit events a query selects, newest first, and the raw page.
    pub async fn audit_actions(&self, token: &str, query: &str) -> (Vec<String>, Value) {
        let page = self
            .admin("GET", &format!("/audit-events?{query}"), Some(token), None)
            .await
            .body;
        let actions = page["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["action"].as_str().unwrap().to_string())
            .collect();
        (actions, page)
    }

    /// Creates a client through the admin API; returns (created body, secret).
    pub async fn api_create_client(&self, token: &str, body: Value) -> (Value, Option<String>) {
        let a = self
            .admin("POST", "/clients", Some(token), Some(body))
            .await;
        assert_eq!(a.status, 201, "create client: {}", a.body);
        let secret = a.body["client_secret"].as_str().map(str::to_string);
        (a.body, secret)
    }

    /// An admin service account with only `scopes`, and a token for it.
    pub async fn limited_admin(&self, client_id: &str, scopes: &[&str]) -> (String, String) {
        let admin = self.admin_token().await;
        let (_, secret) = self
            .api_create_client(
                &admin,
                serde_json::json!({
                    "client_id": client_id, "name": client_id, "scopes": scopes, "default_scopes": scopes,
                    "audiences": ["urn:castellan:admin"], "is_admin_service_account": true,
                }),
            )
            .await;
        let secret = secret.unwrap();
        let token = self.access_token(client_id, &secret, &[]).await;
        (token, secret)
    }
}
