//! The local commands of the built binary (`migrate`, `bootstrap`, `keys …`) on a real
//! database: they refuse a database that does not exist and a master key that is not the
//! server's, instead of creating new ones and reporting success; `keys rotate` publishes the new
//! key a minute before it signs. And `serve` refuses an issuer built from `0.0.0.0`.

use std::path::Path;
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde_json::Value;

use crate::helpers::{spawn_app, Backend, TestApp, TestDb};
use crate::nodes_support::{kid_of, published_kids};
use crate::on_both_backends;
use crate::startup::{spawn_serve, BIN};

on_both_backends!(
    a_command_meets_no_database_and_says_what_to_do_instead_of_creating_one,
    a_command_with_another_master_key_refuses_and_changes_nothing,
    keys_rotate_publishes_the_new_key_a_minute_before_it_signs,
);

/// Runs the binary in `dir` with only `env` set, off the test's thread (the server under test
/// runs its jobs there).
pub(crate) async fn castellan(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut command = Command::new(BIN);
    command
        .args(args)
        .current_dir(dir)
        .env_clear()
        .envs(env.iter().copied());
    tokio::task::spawn_blocking(move || command.output().unwrap())
        .await
        .unwrap()
}

/// Runs the binary on `app`'s database with its master key, and `env` besides.
pub(crate) async fn castellan_on(app: &TestApp, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut all = vec![
        ("CASTELLAN_DATABASE_URL", app.settings.database_url.as_str()),
        (
            "CASTELLAN_MASTER_KEY_FILE",
            app.settings.master_key_file.as_str(),
        ),
    ];
    all.extend_from_slice(env);
    castellan(app.dir.path(), args, &all).await
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Whether the database at `url` holds Castellan's tables.
fn has_schema(url: &str) -> bool {
    let db = castellan::storage::Db::open(url).unwrap();
    let mut conn = db.conn().unwrap();
    castellan::storage::has_schema(&mut conn).unwrap()
}

async fn a_command_meets_no_database_and_says_what_to_do_instead_of_creating_one(backend: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let Some(db) = TestDb::new(backend, dir.path()) else {
        return;
    };
    let commands: [&[&str]; 3] = [
        &["bootstrap", "--name", "ops"],
        &["keys", "rotate"],
        &["keys", "revoke", "some-kid"],
    ];
    if backend == Backend::Sqlite {
        // The shipped default, ./data/castellan.db, in a folder with nothing in it.
        for args in commands.iter().copied().chain([&["migrate"][..]]) {
            let out = castellan(dir.path(), args, &[]).await;
            let err = stderr(&out);
            assert_eq!(out.status.code(), Some(1), "{args:?}: {err}");
            assert!(
                err.contains("no database at ./data/castellan.db ("),
                "{args:?}: {err}"
            );
            assert!(err.contains("CASTELLAN_DATABASE_URL"), "{args:?}: {err}");
            let advice = match args[0] {
                "migrate" => "`castellan migrate --create` creates it",
                _ => "run `castellan serve` once to create it, or `castellan migrate --create`",
            };
            assert!(err.contains(advice), "{args:?}: {err}");
            assert!(!dir.path().join("data").exists(), "{args:?} created ./data");
        }
        // An empty file is no Castellan database either.
        std::fs::write(&db.url, b"").unwrap();
    }
    let env = [("CASTELLAN_DATABASE_URL", db.url.as_str())];
    for args in commands {
        let out = castellan(dir.path(), args, &env).await;
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {err}");
        assert!(err.contains("holds no Castellan tables"), "{args:?}: {err}");
        let advice = match backend {
            Backend::Sqlite => "run `castellan migrate --create`",
            Backend::Postgres => "run `castellan migrate` (or `castellan serve` once)",
        };
        assert!(err.contains(advice), "{args:?}: {err}");
        assert!(!has_schema(&db.url), "{args:?} created the tables");
    }
    // migrate: on SQLite only when asked; on PostgreSQL the database exists, the tables are new.
    let out = castellan(dir.path(), &["migrate"], &env).await;
    if backend == Backend::Sqlite {
        assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
        assert!(stderr(&out).contains("`castellan migrate --create` creates them there"));
        assert!(!has_schema(&db.url));
        let out = castellan(dir.path(), &["migrate", "--create"], &env).await;
        assert!(out.status.success(), "{}", stderr(&out));
    } else {
        assert!(out.status.success(), "{}", stderr(&out));
    }
    assert!(has_schema(&db.url));
    // A migrated database still needs the server's master key: none is made up.
    let out = castellan(dir.path(), &["bootstrap", "--name", "ops"], &env).await;
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("no master key at ./data/master.key ("),
        "{}",
        stderr(&out)
    );
    assert!(!dir.path().join("data").exists());
}

async fn a_command_with_another_master_key_refuses_and_changes_nothing(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let missing = app.dir.path().join("elsewhere/master.key");
    let missing = missing.to_str().unwrap();
    let out = castellan_on(
        &app,
        &["keys", "rotate"],
        &[("CASTELLAN_MASTER_KEY_FILE", missing)],
    )
    .await;
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(
        stderr(&out).contains(&format!("no master key at {missing}")),
        "{}",
        stderr(&out)
    );
    assert!(!app.dir.path().join("elsewhere").exists());
    let other = URL_SAFE_NO_PAD.encode([7u8; 32]);
    for args in [
        &["keys", "rotate", "--now"][..],
        &["bootstrap", "--name", "x"][..],
    ] {
        let out = castellan_on(&app, args, &[("CASTELLAN_MASTER_KEY", &other)]).await;
        assert_eq!(out.status.code(), Some(1), "{args:?}: {}", stderr(&out));
        assert!(
            stderr(&out)
                .contains("CASTELLAN_MASTER_KEY does not open this database's signing keys"),
            "{args:?}: {}",
            stderr(&out)
        );
        assert!(out.stdout.is_empty());
    }
    app.reload().await;
    assert_eq!(published_kids(&app).await.len(), 1);
}

async fn keys_rotate_publishes_the_new_key_a_minute_before_it_signs(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let admin = app.admin_token().await;
    let old_kid = kid_of(&admin);
    let out = castellan_on(&app, &["keys", "rotate"], &[]).await;
    let err = stderr(&out);
    assert!(out.status.success(), "{err}");
    assert!(err.contains("(in 60 s)"), "{err}");
    // The running server publishes it within its key watch (0.5 s), and does not sign with it.
    let started = Instant::now();
    let keys = loop {
        let keys = app.admin("GET", "/keys", Some(&admin), None).await.body;
        if keys["keys"].as_array().unwrap().len() == 2 {
            break keys;
        }
        assert!(started.elapsed() < Duration::from_secs(1), "not published");
        actix_web::rt::time::sleep(Duration::from_millis(50)).await;
    };
    let next: &Value = keys["keys"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["kid"] != old_kid.as_str())
        .unwrap();
    let kid = next["kid"].as_str().unwrap().to_string();
    assert!(
        err.contains(&format!("published the new signing key {kid}")),
        "{err}"
    );
    assert_eq!(next["state"], "next");
    let at = |field: &str| -> chrono::DateTime<chrono::Utc> {
        next[field].as_str().unwrap().parse().unwrap()
    };
    assert_eq!(
        at("activates_at") - at("created_at"),
        chrono::Duration::seconds(60)
    );
    assert_eq!(kid_of(&app.admin_token().await), old_kid);
    // Again: the waiting key is kept, no third one.
    let out = castellan_on(&app, &["keys", "rotate"], &[]).await;
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stderr(&out).contains(&format!("{kid} is already published and waiting")));
    // Out-of-range and contradictory options are refused before anything is done.
    for args in [
        &["keys", "rotate", "--delay", "86401"][..],
        &["keys", "rotate", "--delay", "-1"][..],
        &["keys", "rotate", "--now", "--delay", "5"][..],
    ] {
        let out = castellan_on(&app, args, &[]).await;
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr(&out));
    }
    app.reload().await;
    assert_eq!(published_kids(&app).await, vec![old_kid.clone(), kid]);
    // --now: a new key signs at once (within the key watch).
    let out = castellan_on(&app, &["keys", "rotate", "--now"], &[]).await;
    assert!(out.status.success(), "{}", stderr(&out));
    let started = Instant::now();
    while kid_of(&app.admin_token().await) == old_kid {
        assert!(started.elapsed() < Duration::from_secs(1), "no switch");
        actix_web::rt::time::sleep(Duration::from_millis(50)).await;
    }
}

/// With no issuer set, `serve` on `0.0.0.0` would put `http://0.0.0.0:…` in every token: it
/// refuses to start, says to set CASTELLAN_ISSUER, and creates nothing. With it set, it starts.
#[actix_web::test]
async fn the_default_issuer_built_from_every_address_is_refused_at_start_up() {
    let dir = tempfile::tempdir().unwrap();
    let (mut child, rx) = spawn_serve(dir.path(), &[("CASTELLAN_LISTEN", "0.0.0.0:0")]);
    let deadline = Instant::now() + Duration::from_secs(30);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        assert!(Instant::now() < deadline, "serve did not stop");
        std::thread::sleep(Duration::from_millis(50));
    };
    let lines: Vec<String> = rx.try_iter().collect();
    assert_eq!(status.code(), Some(1), "{lines:#?}");
    let refusal = lines.last().unwrap();
    // (With port 0 the issuer is made from the port bound: http://0.0.0.0:<port>.)
    assert!(
        refusal.starts_with("castellan: configuration: "),
        "{refusal}"
    );
    assert!(refusal.contains("http://0.0.0.0:"), "{refusal}");
    assert!(refusal.contains("set CASTELLAN_ISSUER"), "{refusal}");
    assert!(!dir.path().join("data").exists());

    let (_child, rx) = spawn_serve(
        dir.path(),
        &[
            ("CASTELLAN_LISTEN", "0.0.0.0:0"),
            ("CASTELLAN_ISSUER", "https://auth.example.com"),
        ],
    );
    let started = Instant::now();
    loop {
        let line = rx
            .recv_timeout(Duration::from_secs(30))
            .expect("serve announces itself");
        if line.contains("(port ") {
            assert!(line.contains("issuer: https://auth.example.com"), "{line}");
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(30));
    }
}
