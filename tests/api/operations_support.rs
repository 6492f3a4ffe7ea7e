//! Helpers shared by the operations_* tests: metrics scrapes, callers from given addresses.

use std::net::IpAddr;

use serde_json::Value;

use crate::helpers::TestApp;

pub(crate) const GRANT: &[(&str, &str)] = &[("grant_type", "client_credentials")];

/// One sample of the text exposition: the series with exactly these labels.
pub(crate) fn sample(text: &str, name: &str, labels: &[(&str, &str)]) -> Option<f64> {
    let mut wanted: Vec<(String, String)> = labels
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    wanted.sort();
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
        .find_map(|line| {
            let (series, value) = line.rsplit_once(' ')?;
            let (series_name, mut got) = match series.split_once('{') {
                Some((n, rest)) => (n, parse_labels(rest.strip_suffix('}')?)),
                None => (series, Vec::new()),
            };
            got.sort();
            (series_name == name && got == wanted)
                .then(|| value.parse().ok())
                .flatten()
        })
}

pub(crate) fn parse_labels(mut s: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    while let Some((key, rest)) = s.split_once("=\"") {
        let end = rest.find('"').expect("closing quote");
        out.push((key.to_string(), rest[..end].to_string()));
        s = rest[end + 1..].trim_start_matches(',');
    }
    out
}

pub(crate) async fn scrape(app: &TestApp) -> String {
    let res = app
        .http
        .get(app.management_url("/metrics"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let content_type = res.headers()["content-type"].to_str().unwrap().to_string();
    assert!(content_type.starts_with("text/plain"), "{content_type}");
    res.text().await.unwrap()
}

/// A client whose connections come from `source` (any 127.0.0.0/8 address reaches the
/// loopback listener), so a test can be two callers at once.
pub(crate) fn client_from(source: &str) -> reqwest::Client {
    reqwest::Client::builder()
        .local_address(source.parse::<IpAddr>().unwrap())
        .build()
        .unwrap()
}

pub(crate) async fn token_from(
    http: &reqwest::Client,
    app: &TestApp,
    id: &str,
    secret: &str,
) -> reqwest::Response {
    http.post(app.url("/oauth2/token"))
        .header("Authorization", crate::helpers::basic(id, secret))
        .form(GRANT)
        .send()
        .await
        .unwrap()
}

pub(crate) async fn assert_slow_down(res: reqwest::Response) -> u64 {
    assert_eq!(res.status(), 429);
    let retry_after: u64 = res.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(retry_after >= 1);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["error"], "slow_down");
    assert!(body["error_description"]
        .as_str()
        .is_some_and(|d| !d.is_empty()));
    retry_after
}
