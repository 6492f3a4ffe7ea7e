//! The management listener, and metrics that keep client_ids to themselves (CONTRACT "Sharper
//! rules").

use std::collections::BTreeMap;

use crate::hardening_support::{status_of, GRANT};
use crate::helpers::{spawn_app, Backend, TestApp};
use crate::on_both_backends;

on_both_backends!(metrics_and_probes_answer_on_the_management_listener_only);

async fn metrics_and_probes_answer_on_the_management_listener_only(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    assert_ne!(app.address, app.management_address);
    assert_eq!(status_of(&app.http, app.url("/metrics")).await, 404);
    let res = app
        .http
        .get(app.management_url("/metrics"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert!(res
        .text()
        .await
        .unwrap()
        .contains("castellan_token_requests_refused_total"));
    for path in ["/healthz", "/readyz"] {
        assert_eq!(status_of(&app.http, app.url(path)).await, 200, "{path}");
        assert_eq!(
            status_of(&app.http, app.management_url(path)).await,
            200,
            "{path}"
        );
    }
    // The management listener serves nothing else.
    let jwks = app.management_url("/.well-known/jwks.json");
    assert_eq!(status_of(&app.http, jwks).await, 404);
}

/// Every sample of a scrape, by series (name and labels).
fn series(text: &str) -> BTreeMap<String, f64> {
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
        .filter_map(|l| {
            let (series, value) = l.rsplit_once(' ')?;
            Some((series.to_string(), value.parse().ok()?))
        })
        .collect()
}

async fn scrape(app: &TestApp) -> String {
    let res = app.http.get(app.management_url("/metrics")).send();
    res.await.unwrap().text().await.unwrap()
}

/// Refusals for an unknown client_id, then as many for a known one with a wrong secret: every
/// series moves the same way in both rounds (only the clock's values, durations and key ages,
/// may differ, and the process's own state), and neither id shows.
#[actix_web::test]
async fn metrics_never_tell_an_unknown_client_id_from_a_known_one() {
    let app = spawn_app(Backend::Sqlite).await.unwrap();
    let (known, _) = app.service_account("svc-known-7f3a").await;
    let unknown = "svc-unknown-7f3a";
    let before = series(&scrape(&app).await);
    for _ in 0..5 {
        let res = app.token_basic(unknown, "cs_wrong", GRANT).await;
        assert_eq!(res.status(), 401);
    }
    let middle_text = scrape(&app).await;
    let middle = series(&middle_text);
    for _ in 0..5 {
        let res = app.token_basic(&known, "cs_wrong", GRANT).await;
        assert_eq!(res.status(), 401);
    }
    let after_text = scrape(&app).await;
    let after = series(&after_text);
    for text in [&middle_text, &after_text] {
        assert!(!text.contains(&known) && !text.contains(unknown), "{text}");
    }
    let names = |m: &BTreeMap<String, f64>| m.keys().cloned().collect::<Vec<_>>();
    assert_eq!(names(&middle), names(&after), "a series appeared");
    let clock = |s: &str| {
        s.contains("_sum")
            || s.contains("_bucket")
            || s.starts_with("castellan_signing_key_age")
            // The process's own state (memory, descriptors, CPU, the pool) moves on its own.
            || s.starts_with("process_")
            || s.starts_with("castellan_db_pool_")
    };
    let mut compared = 0;
    for name in after.keys().filter(|s| !clock(s)) {
        let at = |m: &BTreeMap<String, f64>| m.get(name).copied().unwrap_or(0.0);
        let (first, second) = (at(&middle) - at(&before), at(&after) - at(&middle));
        assert_eq!(
            first, second,
            "{name} moved {first} for unknown, {second} for known"
        );
        compared += 1;
    }
    assert!(compared >= 5, "{after_text}");
    let refused = "castellan_token_requests_refused_total{error=\"invalid_client\"}";
    assert_eq!(after.get(refused), Some(&10.0));
}
