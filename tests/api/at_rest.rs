//! At rest (CONTRACT "Sharper rules"): owner-only files and folders, and an audit trail kept
//! for `audit.retention_days`, then purged.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use chrono::{Duration, Utc};

use crate::helpers::{spawn_app, spawn_app_with, Backend, TestApp};
use crate::on_both_backends;

on_both_backends!(audit_events_past_their_retention_are_purged);

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .permissions()
        .mode()
        & 0o777
}

/// The folders Castellan creates for the database and the master key are 0700; the database,
/// its -wal and -shm, and the master key are 0600.
#[actix_web::test]
async fn the_data_directory_and_files_castellan_creates_are_owner_only() {
    let root = tempfile::tempdir().unwrap();
    let data = root.path().join("data");
    let keys = root.path().join("keys/master");
    let db_path = data.join("nested/castellan.db");
    let key_path = keys.join("master.key");
    let (db, key) = (db_path.clone(), key_path.clone());
    let app = spawn_app_with(Backend::Sqlite, move |s| {
        s.database_url = db.display().to_string();
        s.master_key_file = key.display().to_string();
    })
    .await
    .unwrap();
    // A write, so that the write-ahead log holds something.
    app.service_account("svc-at-rest").await;
    for dir in [
        &data,
        &data.join("nested"),
        &keys.parent().unwrap().to_path_buf(),
        &keys,
    ] {
        assert_eq!(mode(dir), 0o700, "{}", dir.display());
    }
    let db = db_path.display().to_string();
    for file in [db.clone(), format!("{db}-wal"), format!("{db}-shm")] {
        assert_eq!(mode(Path::new(&file)), 0o600, "{file}");
    }
    assert_eq!(mode(&key_path), 0o600);
}

/// A database file left world-readable (by an older version or another tool) is made
/// owner-only at start-up; a folder the operator made is left as it is.
#[actix_web::test]
async fn an_existing_world_readable_database_is_made_owner_only() {
    let root = tempfile::tempdir().unwrap();
    std::fs::set_permissions(root.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let db_path = root.path().join("castellan.db");
    std::fs::write(&db_path, b"").unwrap();
    std::fs::set_permissions(&db_path, std::fs::Permissions::from_mode(0o644)).unwrap();
    let db = db_path.clone();
    let _app = spawn_app_with(Backend::Sqlite, move |s| {
        s.database_url = db.display().to_string();
    })
    .await
    .unwrap();
    assert_eq!(mode(&db_path), 0o600);
    assert_eq!(mode(root.path()), 0o755);
}

async fn purge(app: &TestApp, days_ahead: i64) -> usize {
    let state = app.state.clone();
    let now = Utc::now() + Duration::days(days_ahead);
    app.state
        .db
        .run(move |conn| {
            castellan::audit::purge_expired(conn, state.settings.audit.retention_days, now)
        })
        .await
        .unwrap()
}

async fn audit_count(app: &TestApp, token: &str) -> usize {
    let (actions, _) = app.audit_actions(token, "limit=200").await;
    actions.len()
}

async fn audit_events_past_their_retention_are_purged(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    assert_eq!(app.settings.audit.retention_days, 400, "the default");
    app.service_account("svc-audited").await;
    let token = app.admin_token().await;
    let events = audit_count(&app, &token).await;
    assert!(events >= 2, "start-up and the client wrote events");
    // 399 days on, every event is within its retention.
    assert_eq!(purge(&app, 399).await, 0);
    assert_eq!(audit_count(&app, &token).await, events);
    // 401 days on, every one is past it.
    assert_eq!(purge(&app, 401).await, events);
    assert_eq!(audit_count(&app, &token).await, 0);
    // New events are kept.
    app.service_account("svc-after").await;
    assert_eq!(purge(&app, 0).await, 0);
    assert!(audit_count(&app, &token).await > 0);
}
