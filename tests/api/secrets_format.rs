//! Secrets people and scanners can recognise (docs/secrets.md): `castellan_sk_`, 43 random
//! base62 characters and a checksum; a mistyped one refused as any wrong secret is; older
//! `cs_` secrets still working; each secret's last four shown, never more.

use std::sync::Arc;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use castellan::domain::clients::secret_values::{self, Shape};
use castellan::storage::clients::{insert_secret, SecretRow};
use chrono::Utc;
use serde_json::{json, Value};

use crate::helpers::{
    spawn_app, spawn_app_with, start, test_settings, Backend, TestApp, TestDb, API,
};
use crate::lifecycle_support::{error_of, post};
use crate::on_both_backends;
use crate::operations_support::{assert_slow_down, GRANT};

on_both_backends!(
    secrets_from_the_admin_api_carry_the_prefix_and_a_valid_checksum,
    generated_bootstrap_secrets_carry_the_format_and_work,
    a_mistyped_secret_is_invalid_client_like_any_wrong_secret,
    a_mistyped_secret_spends_the_failure_budget_like_a_wrong_one,
    an_old_format_secret_keeps_working_without_a_last_four,
    the_admin_api_shows_each_secrets_last_four_and_no_more,
);

const INTROSPECT: &str = "/oauth2/introspect";
const BASE62: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// The documented checksum, computed here on its own: the first four bytes of SHA-256 of the
/// random part, big-endian, in base62 on six characters.
fn documented_checksum(random: &str) -> String {
    let hash = ring::digest::digest(&ring::digest::SHA256, random.as_bytes());
    let mut n = u32::from_be_bytes(hash.as_ref()[..4].try_into().unwrap()) as usize;
    let mut out = vec![b'0'; 6];
    for slot in out.iter_mut().rev() {
        *slot = BASE62[n % 62];
        n /= 62;
    }
    String::from_utf8(out).unwrap()
}

/// What the documented regex `castellan_sk_[0-9A-Za-z]{49}` and the checksum say of `secret`.
fn assert_generated(secret: &str) {
    assert_eq!(secret.len(), 62, "{secret}");
    let rest = secret.strip_prefix("castellan_sk_").expect("prefix");
    assert!(rest.bytes().all(|b| b.is_ascii_alphanumeric()), "{secret}");
    let (random, sum) = rest.split_at(43);
    assert_eq!(documented_checksum(random), sum, "checksum of {secret}");
    assert_eq!(secret_values::shape(secret), Shape::Generated);
}

/// `secret` with the character at `at` changed to another base62 one.
fn typo(secret: &str, at: usize) -> String {
    let mut bytes = secret.as_bytes().to_vec();
    bytes[at] = if bytes[at] == b'Q' { b'R' } else { b'Q' };
    String::from_utf8(bytes).unwrap()
}

fn end(secret: &str) -> &str {
    &secret[secret.len() - 4..]
}

/// A service account made through the admin API: its answer and first secret.
async fn new_client(app: &TestApp, admin: &str, client_id: &str) -> (Value, String) {
    let body = json!({"client_id": client_id, "name": client_id, "audiences": [API]});
    let (answer, secret) = app.api_create_client(admin, body).await;
    (answer, secret.unwrap())
}

async fn secrets_of(app: &TestApp, token: &str, row_id: &str) -> Vec<Value> {
    let path = format!("/clients/{row_id}/secrets");
    let list = app.admin("GET", &path, Some(token), None).await;
    assert_eq!(list.status, 200, "{}", list.body);
    list.body.as_array().unwrap().clone()
}

async fn secrets_from_the_admin_api_carry_the_prefix_and_a_valid_checksum(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let admin = app.admin_token().await;
    let (body, first) = new_client(&app, &admin, "svc-fmt").await;
    assert_generated(&first);
    let path = format!("/clients/{}/secrets", body["id"].as_str().unwrap());
    let added = app.admin("POST", &path, Some(&admin), None).await;
    assert_eq!(added.status, 201);
    let second = added.body["secret"].as_str().unwrap().to_string();
    assert_generated(&second);
    assert_ne!(first, second);
    // Both are real secrets: the checksum does not get in the way of a right one.
    app.access_token("svc-fmt", &first, &[]).await;
    app.access_token("svc-fmt", &second, &[]).await;
}

async fn generated_bootstrap_secrets_carry_the_format_and_work(backend: Backend) {
    let dir = Arc::new(tempfile::tempdir().unwrap());
    let Some(db) = TestDb::new(backend, dir.path()) else {
        return;
    };
    let db = Arc::new(db);
    let mut settings = test_settings(dir.path(), &db);
    settings.bootstrap_client_id = None;
    settings.bootstrap_client_secret = None;
    // A chosen secret that mimics the format but is not ours would never work: refused at start.
    let mut lookalike = settings.clone();
    let fake = format!("castellan_sk_{}", "a".repeat(49));
    lookalike.bootstrap_client_secret = Some(castellan::config::SecretString::new(&fake));
    lookalike.bootstrap_client_id = Some("boot".into());
    let err = actix_web::web::block(move || castellan::app::prepare(lookalike).err());
    let err = err.await.unwrap().expect("refused").to_string();
    assert!(
        err.contains("castellan_sk_") && !err.contains(&fake),
        "{err}"
    );
    // The first start, with no admin and no bootstrap variables, generates one.
    let first_start = settings.clone();
    let (_, boot) = actix_web::web::block(move || castellan::app::prepare(first_start))
        .await
        .unwrap()
        .unwrap();
    let boot = boot.expect("an admin was generated");
    assert_generated(&boot.client_secret);
    let app = start(settings, dir, db).await;
    let token = app
        .access_token(&boot.client_id, &boot.client_secret, &[])
        .await;
    let row_id = app.state.clients.get(&boot.client_id).unwrap().id.clone();
    let items = secrets_of(&app, &token, &row_id).await;
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["last_four"], end(&boot.client_secret));
}

async fn a_mistyped_secret_is_invalid_client_like_any_wrong_secret(backend: Backend) {
    // Budgets wide enough for every refusal below (the next test holds that they count).
    let Some(app) = spawn_app_with(backend, |s| {
        s.rate_limit.failures_per_address_client_per_minute = 1000;
        s.rate_limit.failures_per_address_per_minute = 1000;
    })
    .await
    else {
        return;
    };
    let (id, secret) = app.service_account("svc-typo").await;
    let (_, other) = app.service_account("svc-other").await;
    // A well-formed secret that is not this client's: the answer every typo must match.
    let wrong = error_of(app.token_basic(&id, &other, GRANT).await).await;
    assert_eq!(wrong.0, 401);
    assert_eq!(wrong.1["error"], "invalid_client");
    let mut typos: Vec<String> = [13, 30, 55, 58, 61]
        .iter()
        .map(|&i| typo(&secret, i))
        .collect();
    typos.push(secret[..secret.len() - 1].to_string());
    typos.push(format!("{secret}0"));
    for bad in &typos {
        assert_eq!(secret_values::shape(bad), Shape::Broken, "{bad}");
        let answer = error_of(app.token_basic(&id, bad, GRANT).await).await;
        assert_eq!(answer, wrong, "a typo must look like any wrong secret");
        let unknown = error_of(app.token_basic("svc-nobody", bad, GRANT).await).await;
        assert_eq!(unknown, wrong, "and like an unknown client");
    }
    let bad = &typos[0];
    // At introspection and revocation, the other doors that check a secret.
    let token = app.access_token(&id, &secret, &[]).await;
    for path in [INTROSPECT, "/oauth2/revoke"] {
        let typo_answer =
            error_of(post(&app, path, Some((&id, bad)), &[("token", &token)]).await).await;
        let wrong_answer =
            error_of(post(&app, path, Some((&id, &other)), &[("token", &token)]).await).await;
        assert_eq!(typo_answer.0, 401, "{path}");
        assert_eq!(typo_answer.1["error"], "invalid_client", "{path}");
        assert_eq!(typo_answer, wrong_answer, "{path}");
    }
    // Refused on its shape alone, before the hash: even a stored hash of that very value (no
    // secret we make could have it) does not let it in.
    let row_id = app.state.clients.get(&id).unwrap().id.clone();
    insert_secret_value(&app, &row_id, bad).await;
    assert_eq!(
        error_of(app.token_basic(&id, bad, GRANT).await).await,
        wrong
    );
    // The right secret still works, and the token was not revoked by a refused call.
    app.access_token(&id, &secret, &[]).await;
    let right = Some((id.as_str(), secret.as_str()));
    let res = post(&app, INTROSPECT, right, &[("token", &token)]).await;
    assert_eq!(res.json::<Value>().await.unwrap()["active"], true);
}

async fn a_mistyped_secret_spends_the_failure_budget_like_a_wrong_one(backend: Backend) {
    let Some(app) = spawn_app_with(backend, |s| {
        s.rate_limit.failures_per_address_client_per_minute = 3;
        s.rate_limit.failures_per_address_per_minute = 100;
    })
    .await
    else {
        return;
    };
    let (id, secret) = app.service_account("svc-budget").await;
    for at in [20, 40, 60] {
        let res = app.token_basic(&id, &typo(&secret, at), GRANT).await;
        assert_eq!(res.status(), 401);
    }
    // Three typos spent the budget: even the right secret now waits.
    assert_slow_down(app.token_basic(&id, &secret, GRANT).await).await;
    // At introspection too, which shares the budget.
    let right = Some((id.as_str(), secret.as_str()));
    let res = post(&app, INTROSPECT, right, &[("token", "x")]).await;
    assert_eq!(res.status(), 429);
}

/// Stores `plain` as a secret of the client straight in the store (the API makes only new
/// secrets) and reloads the registry.
async fn insert_secret_value(app: &TestApp, row_id: &str, plain: &str) {
    let row = SecretRow {
        id: castellan::storage::new_row_id(),
        client_pk: row_id.to_string(),
        name: plain[..3].to_string(),
        secret_hash: app.state.master.hash_secret(plain.as_bytes()),
        hash_scheme: secret_values::HASH_SCHEME.into(),
        created_at: Utc::now().naive_utc(),
        expires_at: None,
        last_used_at: None,
        revoked_at: None,
        last_four: None,
    };
    app.state
        .db
        .run(move |conn| insert_secret(conn, &row))
        .await
        .unwrap();
    app.reload().await;
}

async fn an_old_format_secret_keeps_working_without_a_last_four(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let admin = app.admin_token().await;
    let (body, new) = new_client(&app, &admin, "svc-old").await;
    let row_id = body["id"].as_str().unwrap();
    // A secret in the format made before this one: `cs_` and 32 random bytes, base64url.
    let random = [
        uuid::Uuid::new_v4().into_bytes(),
        uuid::Uuid::new_v4().into_bytes(),
    ];
    let old = format!("cs_{}", URL_SAFE_NO_PAD.encode(random.concat()));
    insert_secret_value(&app, row_id, &old).await;
    assert_eq!(secret_values::shape(&old), Shape::Other);
    let token = app.access_token("svc-old", &old, &[]).await;
    app.verify(&token, API).await.unwrap();
    app.access_token("svc-old", &new, &[]).await;
    // An old secret with one character changed is just a wrong secret.
    let res = app.token_basic("svc-old", &typo(&old, 10), GRANT).await;
    assert_eq!(error_of(res).await.1["error"], "invalid_client");
    let items = secrets_of(&app, &admin, row_id).await;
    let old_item = items.iter().find(|s| s["name"] == "cs_").unwrap();
    assert_eq!(old_item["last_four"], Value::Null);
}

async fn the_admin_api_shows_each_secrets_last_four_and_no_more(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let admin = app.admin_token().await;
    let (body, first) = new_client(&app, &admin, "svc-four").await;
    let row_id = body["id"].as_str().unwrap();
    let path = format!("/clients/{row_id}/secrets");
    let added = app
        .admin("POST", &path, Some(&admin), Some(json!({"name": "next"})))
        .await;
    assert_eq!(added.status, 201);
    let second = added.body["secret"].as_str().unwrap().to_string();
    // The create answer carries it beside the secret.
    assert_eq!(added.body["last_four"], end(&second));
    let items = secrets_of(&app, &admin, row_id).await;
    assert_eq!(items.len(), 2);
    let by_id = |id: &Value| items.iter().find(|s| &s["id"] == id).unwrap().clone();
    assert_eq!(by_id(&body["client_secret_id"])["last_four"], end(&first));
    assert_eq!(by_id(&added.body["id"])["last_four"], end(&second));
    // The audit event of the new secret carries the same four, so a leak leads to who made it.
    let events = app
        .admin(
            "GET",
            "/audit-events?action=secret.created",
            Some(&admin),
            None,
        )
        .await;
    let made = events.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["details"]["secret_id"] == added.body["id"])
        .cloned()
        .expect("the secret.created event");
    assert_eq!(made["details"]["last_four"], end(&second));
    // Never more than four characters of either.
    let text = serde_json::to_string(&items).unwrap();
    for s in [&first, &second] {
        assert!(!text.contains(&s[s.len() - 5..]), "more than four of {s}");
    }
    // The OpenAPI document describes the field, and its bound.
    let doc: Value = app
        .http
        .get(app.url("/admin/v1/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let field = &doc["components"]["schemas"]["SecretInfo"]["properties"]["last_four"];
    assert_eq!(field["maxLength"], 4, "{field}");
}
