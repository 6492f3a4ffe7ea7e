//! The admin API over HTTP: a client_credentials token from `/oauth2/token`
//! (client_secret_basic), then bearer calls to `/admin/v1/…`. Every way a call can end is a
//! [`Failure`] with its exit code; none of them carries the secret or the token.

use std::time::{Duration, Instant};

use reqwest::{Method, StatusCode};
use serde_json::Value;
use url::Url;

use super::credentials::{basic, read_secret_file, server_url, Secret};
use super::failure::{oauth_error, problem};
use super::Connection;

pub use super::failure::Failure;

/// A successful answer: its body exactly as it came.
pub struct Answer {
    /// The body, unchanged.
    pub body: String,
}

impl Answer {
    /// The body as JSON (an empty body is `null`).
    pub fn json(&self) -> Result<Value, Failure> {
        if self.body.trim().is_empty() {
            return Ok(Value::Null);
        }
        serde_json::from_str(&self.body)
            .map_err(|e| Failure::Unreachable(format!("the server's answer is not JSON ({e})")))
    }
}

/// A connection to one server's admin API, holding a token once it has one.
pub struct Api {
    http: reqwest::Client,
    base: Url,
    client_id: String,
    secret: Secret,
    audience: String,
    scope: Option<String>,
    token: Option<(String, Instant)>,
}

impl Api {
    /// Checks the connection settings; nothing is sent yet.
    pub fn new(c: &Connection) -> Result<Api, Failure> {
        let server = c.server.as_deref().ok_or_else(|| {
            Failure::Usage("no server: give --server URL or set CASTELLAN_SERVER".into())
        })?;
        let base = server_url(server, c.allow_http)?;
        let client_id = c.client_id.clone().ok_or_else(|| {
            Failure::Usage("no client_id: give --client-id or set CASTELLAN_CLIENT_ID".into())
        })?;
        let secret = match (&c.client_secret_file, &c.client_secret) {
            (Some(path), _) => read_secret_file(path)?,
            (None, Some(secret)) if !secret.is_empty() => secret.clone(),
            (None, _) => {
                return Err(Failure::Usage(
                    "no client secret: set CASTELLAN_CLIENT_SECRET, or give \
                     --client-secret-file FILE or --client-secret"
                        .into(),
                ))
            }
        };
        let timeout = Duration::from_secs(c.timeout);
        let http = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(timeout)
            // A redirect would carry the credentials elsewhere: none is followed.
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("castellan-cli/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| Failure::Unreachable(format!("cannot build an HTTP client: {e}")))?;
        Ok(Api {
            http,
            base,
            client_id,
            secret,
            audience: c.admin_audience.clone(),
            scope: c.token_scope.clone(),
            token: None,
        })
    }

    /// `base` + the segments, each percent-encoded as one path segment.
    fn url(&self, segments: &[&str]) -> Url {
        let mut url = self.base.clone();
        if let Ok(mut path) = url.path_segments_mut() {
            path.pop_if_empty().extend(segments);
        }
        url
    }

    /// A valid access token: the one held, or a new one when it is about to expire.
    async fn token(&mut self) -> Result<String, Failure> {
        if let Some((token, until)) = &self.token {
            if Instant::now() < *until {
                return Ok(token.clone());
            }
        }
        let url = self.url(&["oauth2", "token"]);
        let mut form = vec![
            ("grant_type", "client_credentials"),
            ("audience", self.audience.as_str()),
        ];
        if let Some(scope) = &self.scope {
            form.push(("scope", scope));
        }
        let res = self
            .http
            .post(url.clone())
            .header("Authorization", basic(&self.client_id, &self.secret))
            .form(&form)
            .send()
            .await
            .map_err(|e| unreachable(&url, &e))?;
        let status = res.status();
        let body: Value = res.json().await.unwrap_or(Value::Null);
        if status.is_server_error() {
            return Err(Failure::Unreachable(format!(
                "the token endpoint failed ({status}){}",
                oauth_error(&body)
            )));
        }
        if !status.is_success() {
            return Err(Failure::Authentication(format!(
                "authentication failed: the token request was refused ({status}){}",
                oauth_error(&body)
            )));
        }
        let token = body["access_token"].as_str().ok_or_else(|| {
            Failure::Unreachable("the token endpoint answered without an access_token".into())
        })?;
        // Renew a little before `exp`, so that a long `--follow` never sends an expired token.
        let lifetime = body["expires_in"].as_u64().unwrap_or(60);
        let until = Instant::now() + Duration::from_secs(lifetime.saturating_sub(15).max(1));
        self.token = Some((token.to_string(), until));
        Ok(token.to_string())
    }

    /// One call to `/admin/v1/<segments>`: a 2xx answer, or the failure it stands for.
    pub async fn call(
        &mut self,
        method: Method,
        segments: &[&str],
        query: &[(&str, String)],
        body: Option<&Value>,
    ) -> Result<Answer, Failure> {
        let token = self.token().await?;
        let mut path = vec!["admin", "v1"];
        path.extend_from_slice(segments);
        let mut url = self.url(&path);
        if !query.is_empty() {
            url.query_pairs_mut().extend_pairs(query);
        }
        let mut req = self.http.request(method, url.clone()).bearer_auth(token);
        if let Some(body) = body {
            req = req.json(body);
        }
        let res = req.send().await.map_err(|e| unreachable(&url, &e))?;
        let status = res.status();
        let text = res.text().await.map_err(|e| unreachable(&url, &e))?;
        if status.is_success() {
            return Ok(Answer { body: text });
        }
        let message = problem(status, &text);
        Err(if status == StatusCode::UNAUTHORIZED {
            Failure::Authentication(format!("the admin API refused the token: {message}"))
        } else if status.is_client_error() {
            Failure::Refused(message)
        } else {
            Failure::Unreachable(format!("the server failed: {message}"))
        })
    }

    /// GET.
    pub async fn get(
        &mut self,
        segments: &[&str],
        query: &[(&str, String)],
    ) -> Result<Answer, Failure> {
        self.call(Method::GET, segments, query, None).await
    }
}

fn unreachable(url: &Url, e: &reqwest::Error) -> Failure {
    // The chain of causes says why ("connection refused", "timed out"); the URL never holds
    // a credential.
    let mut why = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(cause) = source {
        why.push_str(": ");
        why.push_str(&cause.to_string());
        source = cause.source();
    }
    let origin = url.origin().ascii_serialization();
    Failure::Unreachable(format!("cannot reach the server at {origin}: {why}"))
}
