//! `castellan admin`'s contract with scripts (SQLite): exit codes (1 refused, 2 usage, 3
//! unreachable or 5xx, 4 authentication), the problem on stderr, no credential read from the
//! working directory or printed, and tables whose columns line up.

use std::io::{Read, Write};
use std::net::TcpListener;

use serde_json::json;

use crate::cli_admin_support::run;
use crate::helpers::{spawn_app, Backend, TestApp, ADMIN_ID, ADMIN_SECRET};

async fn sqlite_app() -> TestApp {
    spawn_app(Backend::Sqlite)
        .await
        .expect("SQLite always runs")
}

#[actix_web::test]
async fn a_call_the_admin_api_refuses_exits_1_with_its_problem_on_stderr() {
    let app = sqlite_app().await;
    let missing = app
        .cli(&["clients", "get", "no-such-client"])
        .await
        .exits(1);
    assert!(
        missing.stderr.contains("404 Not found: no such client"),
        "{missing:?}"
    );
    assert!(missing.stdout.is_empty());
    // A 403: an admin service account that may only read.
    let (_, secret) = app.limited_admin("reader", &["admin:clients:read"]).await;
    let env = [
        ("CASTELLAN_SERVER", app.address.as_str()),
        ("CASTELLAN_CLIENT_ID", "reader"),
        ("CASTELLAN_CLIENT_SECRET", secret.as_str()),
    ];
    let args = ["clients", "create", "--name", "x"];
    let forbidden = run(&app.cli_dir(), &env, &args, None).await.exits(1);
    assert!(forbidden.stderr.contains("403"), "{forbidden:?}");
    assert!(!forbidden.all().contains(&secret));
    run(&app.cli_dir(), &env, &["clients", "list"], None)
        .await
        .ok();
}

#[actix_web::test]
async fn a_refused_token_request_exits_4_and_never_echoes_the_secret() {
    let app = sqlite_app().await;
    let wrong = "wrong-secret-0123456789abcdefghijklmnopqrstuvwxyz";
    let env = [
        ("CASTELLAN_SERVER", app.address.as_str()),
        ("CASTELLAN_CLIENT_ID", ADMIN_ID),
        ("CASTELLAN_CLIENT_SECRET", wrong),
    ];
    let refused = run(&app.cli_dir(), &env, &["clients", "list"], None)
        .await
        .exits(4);
    assert!(refused.stderr.contains("invalid_client"), "{refused:?}");
    assert!(!refused.all().contains(wrong), "{refused:?}");
    // A service account that may not have the admin audience: refused at the token endpoint.
    let (id, secret) = app.service_account("plain-svc").await;
    let env = [
        ("CASTELLAN_SERVER", app.address.as_str()),
        ("CASTELLAN_CLIENT_ID", id.as_str()),
        ("CASTELLAN_CLIENT_SECRET", secret.as_str()),
    ];
    let refused = run(&app.cli_dir(), &env, &["clients", "list"], None)
        .await
        .exits(4);
    assert!(refused.stderr.contains("invalid_target"), "{refused:?}");
    assert!(!refused.all().contains(&secret));
}

#[actix_web::test]
async fn a_server_that_cannot_be_reached_or_fails_exits_3() {
    let app = sqlite_app().await;
    let closed = {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        format!("http://{}", l.local_addr().unwrap())
    };
    let env = [
        ("CASTELLAN_SERVER", closed.as_str()),
        ("CASTELLAN_CLIENT_ID", ADMIN_ID),
        ("CASTELLAN_CLIENT_SECRET", ADMIN_SECRET),
    ];
    let down = run(&app.cli_dir(), &env, &["clients", "list"], None)
        .await
        .exits(3);
    assert!(down.stderr.contains("cannot reach the server"), "{down:?}");

    // A server answering 503 to everything.
    let failing = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", failing.local_addr().unwrap());
    std::thread::spawn(move || {
        for mut stream in failing.incoming().map_while(Result::ok) {
            let mut buf = [0u8; 8192];
            let _ = stream.read(&mut buf);
            let body = json!({"error": "temporarily_unavailable"}).to_string();
            let _ = write!(
                stream,
                "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\n\
                 Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
        }
    });
    let env = [
        ("CASTELLAN_SERVER", url.as_str()),
        ("CASTELLAN_CLIENT_ID", ADMIN_ID),
        ("CASTELLAN_CLIENT_SECRET", ADMIN_SECRET),
    ];
    let failed = run(&app.cli_dir(), &env, &["keys", "list"], None)
        .await
        .exits(3);
    assert!(failed.stderr.contains("503"), "{failed:?}");
}

#[actix_web::test]
async fn usage_errors_exit_2_before_anything_is_sent() {
    let app = sqlite_app().await;
    let server = app.address.as_str();
    let cwd = app.cli_dir();
    let no_server = [
        ("CASTELLAN_CLIENT_ID", ADMIN_ID),
        ("CASTELLAN_CLIENT_SECRET", ADMIN_SECRET),
    ];
    let r = run(&cwd, &no_server, &["clients", "list"], None)
        .await
        .exits(2);
    assert!(r.stderr.contains("--server"), "{r:?}");
    let no_secret = [
        ("CASTELLAN_SERVER", server),
        ("CASTELLAN_CLIENT_ID", ADMIN_ID),
    ];
    let r = run(&cwd, &no_secret, &["clients", "list"], None)
        .await
        .exits(2);
    assert!(r.stderr.contains("CASTELLAN_CLIENT_SECRET"), "{r:?}");
    let empty_secret = [
        ("CASTELLAN_SERVER", server),
        ("CASTELLAN_CLIENT_ID", ADMIN_ID),
        ("CASTELLAN_CLIENT_SECRET", ""),
    ];
    run(&cwd, &empty_secret, &["clients", "list"], None)
        .await
        .exits(2);
    // Plain http to a host that is not loopback would carry the secret in clear.
    let remote = [
        "--server",
        "http://castellan.invalid:8080",
        "clients",
        "list",
    ];
    let env = app.cli_env();
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let r = run(&cwd, &env, &remote, None).await.exits(2);
    assert!(r.stderr.contains("--allow-http"), "{r:?}");
    for args in [
        &["clients", "frobnicate"][..],
        &["clients", "update", "x"],
        &["secrets", "add", "x", "--expires-in", "5 parsecs"],
        &[
            "secrets",
            "add",
            "x",
            "--expires-in",
            "1d",
            "--expires-at",
            "2030-01-01T00:00:00Z",
        ],
        &["--output", "yaml", "clients", "list"],
        &["--config", "castellan.toml", "clients", "list"],
    ] {
        run(&cwd, &env, args, None).await.exits(2);
    }
    // Nothing above reached the API: its audit trail holds no change by the admin.
    let (actions, _) = app
        .audit_actions(&app.admin_token().await, "actor=test-admin")
        .await;
    assert!(actions.is_empty(), "{actions:?}");
}

#[actix_web::test]
async fn the_secret_is_read_only_from_where_it_is_named() {
    let app = sqlite_app().await;
    let cwd = app.cli_dir();
    // Files a tool might pick up by surprise, all holding the right secret.
    for name in [
        ".env",
        "client_secret",
        ".castellan",
        "castellan.toml",
        "credentials",
    ] {
        std::fs::write(
            cwd.join(name),
            format!("CASTELLAN_CLIENT_SECRET={ADMIN_SECRET}\nclient_secret = \"{ADMIN_SECRET}\"\n"),
        )
        .unwrap();
    }
    let server = app.address.as_str();
    let env = [
        ("CASTELLAN_SERVER", server),
        ("CASTELLAN_CLIENT_ID", ADMIN_ID),
    ];
    run(&cwd, &env, &["clients", "list"], None).await.exits(2);
    // Named explicitly, a file works (and wins over the variable).
    std::fs::write(cwd.join("admin.secret"), format!("{ADMIN_SECRET}\n")).unwrap();
    let named = ["--client-secret-file", "admin.secret", "clients", "list"];
    run(&cwd, &env, &named, None).await.ok();
    let with_wrong_var = [
        ("CASTELLAN_SERVER", server),
        ("CASTELLAN_CLIENT_ID", ADMIN_ID),
        ("CASTELLAN_CLIENT_SECRET", "not-it"),
    ];
    run(&cwd, &with_wrong_var, &named, None).await.ok();
    let missing = ["--client-secret-file", "nowhere.secret", "clients", "list"];
    run(&cwd, &env, &missing, None).await.exits(2);
    // --help, with the secret in the environment, does not show it (checked by `run`).
    let full = app.cli_env();
    let full: Vec<(&str, &str)> = full.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let help = run(&cwd, &full, &["--help"], None).await.ok();
    assert!(help.stdout.contains("CASTELLAN_CLIENT_SECRET"), "{help:?}");
}

#[actix_web::test]
async fn tables_line_up_their_columns() {
    let app = sqlite_app().await;
    for (id, name) in [("a", "short"), ("a-much-longer-client-id", "n")] {
        app.cli_json(&["clients", "create", id, "--name", name])
            .await;
    }
    let table = app.cli(&["clients", "list"]).await.ok().stdout;
    let mut lines = table.lines();
    let heading = lines.next().unwrap();
    let starts: Vec<usize> = heading
        .match_indices(|c: char| c != ' ')
        .map(|(i, _)| i)
        .filter(|&i| i == 0 || heading.as_bytes()[i - 1] == b' ')
        .collect();
    assert_eq!(starts.len(), 6, "{heading}");
    let rows: Vec<&str> = lines.collect();
    assert_eq!(rows.len(), 3, "{table}");
    for row in rows {
        for &s in &starts[1..] {
            let b = row.as_bytes();
            assert!(
                b[s - 1] == b' ' && b[s - 2] == b' ' && b[s] != b' ',
                "{table}"
            );
        }
    }
}
