//! Helpers shared by the token_* tests.

use serde_json::Value;

pub(crate) async fn form_error(res: reqwest::Response) -> (u16, Value, Option<String>) {
    let status = res.status().as_u16();
    let challenge = res
        .headers()
        .get("www-authenticate")
        .map(|v| v.to_str().unwrap().to_string());
    let body: Value = res.json().await.unwrap();
    (status, body, challenge)
}
