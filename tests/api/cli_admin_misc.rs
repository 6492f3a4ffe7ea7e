//! `castellan admin trust-policies|keys|audit …`, the built binary against a real server; and
//! `audit list --follow`, which prints events as they are written.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::cli_admin_support::BIN;
use crate::helpers::{spawn_app, Backend};
use crate::on_both_backends;

on_both_backends!(
    cli_trust_policies_are_created_listed_read_and_deleted,
    cli_keys_are_listed_rotated_and_revoked,
    cli_audit_lists_with_filters,
    cli_audit_follow_prints_each_new_event_once,
);

async fn cli_trust_policies_are_created_listed_read_and_deleted(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    app.cli_json(&["clients", "create", "wl-svc", "--name", "workload"])
        .await;
    let policy = app
        .cli_json(&[
            "trust-policies",
            "create",
            "wl-svc",
            "--issuer",
            "https://ci.example",
            "--audience",
            "castellan",
            "--subject",
            "repo:org/app",
            "--jwks-uri",
            "https://ci.example/jwks",
            "--claim",
            "/ref=refs/heads/main",
            "--claim-json",
            "/run_attempt=1",
            "--max-token-age",
            "600",
        ])
        .await;
    assert_eq!(
        policy["claims"],
        json!({"/ref": "refs/heads/main", "/run_attempt": 1})
    );
    assert_eq!(policy["max_token_age_seconds"], 600);
    let id = policy["id"].as_str().unwrap();

    let table = app.cli(&["trust", "list", "wl-svc"]).await.ok();
    assert!(table.stdout.contains(id) && table.stdout.contains("repo:org/app"));
    assert_eq!(app.cli_json(&["trust", "get", "wl-svc", id]).await, policy);
    // Neither keys nor a JWKS URL: a usage error before anything is sent.
    app.cli(&[
        "trust",
        "create",
        "wl-svc",
        "--issuer",
        "i",
        "--audience",
        "a",
        "--subject",
        "s",
    ])
    .await
    .exits(2);
    app.cli(&["trust", "delete", "wl-svc", id]).await.ok();
    assert_eq!(app.cli_json(&["trust", "list", "wl-svc"]).await, json!([]));
    app.cli(&["trust", "get", "wl-svc", id]).await.exits(1);
}

async fn cli_keys_are_listed_rotated_and_revoked(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let before = app.cli_json(&["keys", "list"]).await;
    let old = before["keys"][0]["kid"].as_str().unwrap().to_string();
    // By default the new key waits (published, `next`); --delay brings it forward, --now
    // makes it current.
    let waiting = app.cli_json(&["keys", "rotate"]).await;
    assert_eq!(waiting["state"], "next", "{waiting}");
    let table = app.cli(&["keys", "list"]).await.ok();
    let next = waiting["kid"].as_str().unwrap();
    assert!(table
        .stdout
        .lines()
        .any(|l| l.starts_with(next) && l.contains(" next ")));
    let sooner = app.cli_json(&["keys", "rotate", "--delay", "5"]).await;
    assert_eq!(sooner["kid"], next, "the waiting key is kept: {sooner}");
    app.cli(&["keys", "rotate", "--now", "--delay", "5"])
        .await
        .exits(2);
    let rotated = app.cli_json(&["keys", "rotate", "--now"]).await;
    let new = rotated["kid"].as_str().unwrap().to_string();
    assert_ne!(new, old);
    let table = app.cli(&["keys", "list"]).await.ok();
    let current = table.stdout.lines().find(|l| l.starts_with(&new)).unwrap();
    assert!(current.contains("current"), "{}", table.stdout);

    let revoked = app.cli_json(&["keys", "revoke", &old]).await;
    assert_eq!(revoked["revoked_now"], true);
    let again = app.cli_json(&["keys", "revoke", &old]).await;
    assert_eq!(again["revoked_now"], false);
    let kids = app.jwks().await.to_string();
    assert!(!kids.contains(&old) && kids.contains(&new));
    app.cli(&["keys", "revoke", "no-such-kid"]).await.exits(1);
}

async fn cli_audit_lists_with_filters(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    app.cli_json(&["clients", "create", "audited", "--name", "a"])
        .await;
    app.cli_json(&["clients", "disable", "audited"]).await;
    let page = app
        .cli_json(&[
            "audit",
            "list",
            "--target",
            "audited",
            "--action",
            "client.updated",
        ])
        .await;
    let items = page["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{page}");
    assert_eq!(items[0]["actor"], crate::helpers::ADMIN_ID);
    let all = app
        .cli_json(&["audit", "list", "--target", "audited"])
        .await;
    let actions: Vec<&str> = all["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert!(actions.contains(&"client.created") && actions.contains(&"secret.created"));
    let table = app.cli(&["audit", "list", "--limit", "1"]).await.ok();
    assert!(table.stdout.starts_with("OCCURRED_AT"), "{table:?}");
    assert!(
        table.stderr.contains("--offset 1"),
        "the next page is named: {table:?}"
    );
}

async fn cli_audit_follow_prints_each_new_event_once(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    app.cli_json(&["clients", "create", "old-one", "--name", "o"])
        .await;
    let mut child = Killed(
        Command::new(BIN)
            .args([
                "admin",
                "-o",
                "json",
                "audit",
                "list",
                "--follow",
                "--interval",
                "1",
            ])
            .args(["--action", "client.created", "--limit", "1"])
            .current_dir(app.cli_dir())
            .env_clear()
            .envs(app.cli_env())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let stdout = child.0.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel::<Value>();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let _ = tx.send(serde_json::from_str(&line).unwrap());
        }
    });
    let next = |rx: &std::sync::mpsc::Receiver<Value>| rx.recv_timeout(Duration::from_secs(15));
    // The backlog: the newest matching event only (--limit 1).
    let first = next(&rx).unwrap();
    assert_eq!(first["target"], "old-one");
    // Then each new one, oldest first, once.
    for name in ["new-1", "new-2"] {
        app.cli_json(&["clients", "create", name, "--name", name])
            .await;
    }
    let started = Instant::now();
    let mut targets = Vec::new();
    while targets.len() < 2 && started.elapsed() < Duration::from_secs(15) {
        if let Ok(event) = rx.recv_timeout(Duration::from_millis(200)) {
            targets.push(event["target"].as_str().unwrap().to_string());
        }
    }
    // Nothing more comes, past two more polls.
    let extra = rx.recv_timeout(Duration::from_millis(2500));
    drop(child);
    assert_eq!(targets, ["new-1", "new-2"]);
    assert!(extra.is_err(), "printed twice: {extra:?}");
}

/// A child process killed when the test ends, even by a panic: no follower outlives its test.
struct Killed(std::process::Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}
