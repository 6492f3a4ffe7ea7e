//! Logs and metrics for production: with `CASTELLAN_LOG_FORMAT=json` every line a server run
//! writes is one JSON object, access lines carry the request id, method, path, status, latency
//! and client, probes are not logged, and no secret or token ever appears; forwarding headers
//! count only from a trusted proxy; `/metrics` has the process, build and pool series and one
//! token series, not one per client, by default.

use std::time::{Duration, Instant};

use serde_json::Value;

use crate::helpers::{basic, spawn_app_with, Backend, ADMIN_ID, ADMIN_SECRET};
use crate::on_both_backends;
use crate::operations_support::{client_from, GRANT};
use crate::startup::spawn_serve;

const SECRET: &str = "json-log-secret-0123456789abcdef0123456789";

/// The first JSON line whose message matches, within 30 s.
fn wait_for(rx: &std::sync::mpsc::Receiver<String>, seen: &mut Vec<String>, needle: &str) -> Value {
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        let Ok(line) = rx.recv_timeout(Duration::from_millis(200)) else {
            continue;
        };
        seen.push(line.clone());
        let parsed: Value =
            serde_json::from_str(&line).unwrap_or_else(|e| panic!("not a JSON line ({e}): {line}"));
        if parsed["message"]
            .as_str()
            .is_some_and(|m| m.contains(needle))
        {
            return parsed;
        }
    }
    panic!("no line with {needle:?} in 30 s: {seen:#?}");
}

#[actix_web::test]
async fn json_logs_are_one_object_per_line_with_the_request_fields_and_no_secret() {
    let dir = tempfile::tempdir().unwrap();
    let (mut child, rx) = spawn_serve(
        dir.path(),
        &[
            ("CASTELLAN_LISTEN", "127.0.0.1:0"),
            ("CASTELLAN_LOG_FORMAT", "json"),
            ("CASTELLAN_BOOTSTRAP_CLIENT_ID", "log-admin"),
            ("CASTELLAN_BOOTSTRAP_CLIENT_SECRET", SECRET),
            ("CASTELLAN_TRUSTED_PROXIES", "127.0.0.1"),
        ],
    );
    let mut lines = Vec::new();
    let listening = wait_for(&rx, &mut lines, "(port ");
    let message = listening["message"].as_str().unwrap().to_string();
    let port = message
        .split("(port ")
        .nth(1)
        .unwrap()
        .split(')')
        .next()
        .unwrap();
    let management = message.split("management on ").nth(1).unwrap();
    let management = management.split([';', ' ']).next().unwrap();
    let base = format!("http://127.0.0.1:{port}");
    let http = reqwest::Client::new();

    let res = http
        .post(format!("{base}/oauth2/token"))
        .header("Authorization", basic("log-admin", SECRET))
        .header("X-Forwarded-For", "198.51.100.1, 203.0.113.9")
        .form(GRANT)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let rid = res.headers()["x-request-id"].to_str().unwrap().to_string();
    let token = res.json::<Value>().await.unwrap()["access_token"]
        .as_str()
        .unwrap()
        .to_string();
    let refused = http
        .post(format!("{base}/oauth2/token"))
        .header(
            "Authorization",
            basic("log-admin", "wrong-secret-of-some-length"),
        )
        .form(GRANT)
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 401);
    let leak = http
        .get(format!("{base}/oauth2/token?client_secret=leaked-in-a-url"))
        .send()
        .await
        .unwrap();
    assert_eq!(leak.status(), 405);
    let admin = http
        .get(format!("{base}/admin/v1/clients"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(admin.status(), 200);
    for path in ["/readyz", "/healthz"] {
        assert!(http
            .get(format!("{base}{path}"))
            .send()
            .await
            .unwrap()
            .status()
            .is_success());
    }
    // The metrics while we are here: process, build and pool series; one token series.
    let metrics = http
        .get(format!("http://{management}/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    for series in [
        "process_cpu_seconds_total",
        "process_resident_memory_bytes",
        "castellan_build_info{version=",
        "castellan_db_pool_connections{state=\"max\"}",
        "castellan_tokens_issued_total 1",
    ] {
        assert!(metrics.contains(series), "{series} missing from /metrics");
    }
    assert!(!metrics.contains("castellan_tokens_issued_total{client_id"));
    // The last request's line is in before we stop.
    wait_for(&rx, &mut lines, "GET /admin/v1/clients 200");
    let _ = child.kill();
    let _ = child.wait();
    while let Ok(line) = rx.recv_timeout(Duration::from_millis(300)) {
        lines.push(line);
    }

    let parsed: Vec<Value> = lines
        .iter()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect();
    for (line, p) in lines.iter().zip(&parsed) {
        for field in ["time", "level", "target", "message"] {
            assert!(p[field].is_string(), "{field} missing: {line}");
        }
        for secret in [SECRET, token.as_str(), "leaked-in-a-url", "wrong-secret"] {
            assert!(
                !line.contains(secret),
                "a secret or token in the log: {line}"
            );
        }
    }
    let access: Vec<&Value> = parsed
        .iter()
        .filter(|p| p["target"] == "castellan::access")
        .collect();
    let issued = access
        .iter()
        .find(|p| p["request_id"] == rid.as_str())
        .expect("the token request's line, by its request id");
    assert_eq!(issued["method"], "POST");
    assert_eq!(issued["path"], "/oauth2/token");
    assert_eq!(issued["status"], 200);
    assert_eq!(issued["client_id"], "log-admin");
    assert!(issued["latency_ms"].as_f64().is_some());
    // From a trusted proxy: the rightmost address that is not one of ours.
    assert_eq!(issued["ip"], "203.0.113.9");
    assert!(access.iter().any(|p| p["status"] == 401));
    assert!(access
        .iter()
        .any(|p| p["status"] == 405 && p["path"] == "/oauth2/token"));
    assert!(
        !access
            .iter()
            .any(|p| p["path"] == "/readyz" || p["path"] == "/healthz"),
        "probes are not logged"
    );
}

async fn forwarded_addresses_count_only_from_trusted_proxies(backend: Backend) {
    for (trusted, expected) in [
        (vec![], "127.0.0.1"),
        (vec!["127.0.0.0/8".to_string()], "203.0.113.9"),
    ] {
        let Some(app) = spawn_app_with(backend, |s| {
            s.trusted_proxies = trusted.clone();
            s.rate_limit.per_address_per_second = 1;
            s.rate_limit.per_address_burst = 2;
        })
        .await
        else {
            return;
        };
        // The admin's own token from another address, so as not to spend the budget tested.
        let admin: Value = client_from("127.0.0.5")
            .post(app.url("/oauth2/token"))
            .header("Authorization", basic(ADMIN_ID, ADMIN_SECRET))
            .form(GRANT)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let admin = admin["access_token"].as_str().unwrap().to_string();
        let here = client_from("127.0.0.1");
        let token = |xff: &'static str| {
            let (here, url) = (here.clone(), app.url("/oauth2/token"));
            async move {
                here.post(url)
                    .header("Authorization", basic(ADMIN_ID, ADMIN_SECRET))
                    .header("X-Forwarded-For", xff)
                    .form(GRANT)
                    .send()
                    .await
                    .unwrap()
                    .status()
                    .as_u16()
            }
        };
        // The per-address budget: one caller's, or the proxy's for everyone.
        assert_eq!(token("203.0.113.9").await, 200);
        assert_eq!(token("203.0.113.9").await, 200);
        assert_eq!(token("203.0.113.9").await, 429);
        let other = token("198.51.100.7").await;
        if trusted.is_empty() {
            assert_eq!(
                other, 429,
                "without trusted proxies the header is not believed"
            );
        } else {
            assert_eq!(other, 200, "a forwarded caller has a budget of its own");
        }
        // The audit trail records the same address.
        let created = app
            .http
            .post(app.url("/admin/v1/clients"))
            .bearer_auth(&admin)
            .header("X-Forwarded-For", "203.0.113.9")
            .json(&serde_json::json!({"client_id": "proxied", "name": "p", "audiences": ["urn:x"]}))
            .send()
            .await
            .unwrap();
        assert_eq!(created.status(), 201);
        let events = app
            .http
            .get(app.url("/admin/v1/audit-events?action=client.created"))
            .bearer_auth(&admin)
            .send()
            .await
            .unwrap()
            .json::<Value>()
            .await
            .unwrap();
        assert_eq!(events["items"][0]["ip"], expected, "{events}");
    }
}

on_both_backends!(forwarded_addresses_count_only_from_trusted_proxies);
