//! `castellan admin organizations|groups|users …`, the built binary against a real server.

use serde_json::json;

use crate::cli_admin_support::run;
use crate::helpers::{spawn_app, Backend};
use crate::on_both_backends;

on_both_backends!(
    cli_organizations_are_created_listed_renamed_disabled_and_deleted,
    cli_groups_and_their_members_round_trip,
    cli_users_round_trip_with_the_password_off_the_command_line,
);

async fn cli_organizations_are_created_listed_renamed_disabled_and_deleted(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let org = app
        .cli_json(&[
            "organizations",
            "create",
            "--slug",
            "acme",
            "--name",
            "Acme",
        ])
        .await;
    assert_eq!(org["slug"], "acme");
    assert_eq!(org["active"], true);
    let child = app
        .cli_json(&[
            "orgs", "create", "--slug", "acme-eu", "--name", "EU", "--parent", "acme",
        ])
        .await;
    assert_eq!(child["parent_id"], org["id"]);

    let table = app.cli(&["orgs", "list"]).await.ok();
    let slugs: Vec<&str> = table
        .stdout
        .lines()
        .skip(1)
        .filter_map(|l| l.split_whitespace().next())
        .collect();
    assert_eq!(slugs, ["root", "acme", "acme-eu"], "{}", table.stdout);
    let by_id = app
        .cli_json(&["orgs", "get", org["id"].as_str().unwrap()])
        .await;
    assert_eq!(by_id["slug"], "acme");

    let renamed = app
        .cli_json(&["orgs", "update", "acme", "--name", "Acme Inc"])
        .await;
    assert_eq!(renamed["name"], "Acme Inc");
    assert_eq!(
        app.cli_json(&["orgs", "disable", "acme"]).await["active"],
        false
    );
    assert_eq!(
        app.cli_json(&["orgs", "enable", "acme"]).await["active"],
        true
    );

    // Not empty: the API's 409, exit 1. Emptied: deleted.
    let refused = app.cli(&["orgs", "delete", "acme"]).await.exits(1);
    assert!(refused.stderr.contains("409"), "{refused:?}");
    app.cli(&["orgs", "delete", "acme-eu"]).await.ok();
    app.cli(&["orgs", "delete", "acme"]).await.ok();
    app.cli(&["orgs", "get", "acme"]).await.exits(1);
}

async fn cli_groups_and_their_members_round_trip(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    app.cli_json(&["clients", "create", "member-svc", "--name", "m"])
        .await;
    let group = app
        .cli_json(&[
            "groups",
            "create",
            "--name",
            "deployers",
            "--description",
            "ship it",
            "--scopes",
            "deploy:write read",
            "--audiences",
            "https://api.example.com",
        ])
        .await;
    let id = group["id"].as_str().unwrap().to_string();
    assert_eq!(group["scopes"], json!(["deploy:write", "read"]));

    let listed = app.cli_json(&["groups", "list", "--org", "root"]).await;
    assert_eq!(listed["items"][0]["id"], id.as_str(), "{listed}");
    assert_eq!(
        app.cli_json(&["groups", "get", &id]).await["name"],
        "deployers"
    );
    let updated = app
        .cli_json(&[
            "groups", "update", &id, "--scopes", "", "--name", "shippers",
        ])
        .await;
    assert_eq!(updated["scopes"], json!([]));
    assert_eq!(updated["name"], "shippers");
    assert_eq!(updated["description"], "ship it");

    let member = app
        .cli_json(&["groups", "members", "add", &id, "member-svc"])
        .await;
    assert_eq!(member["kind"], "service_account");
    let members = app.cli(&["groups", "members", "list", &id]).await.ok();
    assert!(members
        .stdout
        .lines()
        .nth(1)
        .unwrap()
        .starts_with("member-svc "));
    let twice = app
        .cli(&["groups", "members", "add", &id, "member-svc"])
        .await
        .exits(1);
    assert!(twice.stderr.contains("409"), "{twice:?}");
    app.cli(&["groups", "members", "remove", &id, "member-svc"])
        .await
        .ok();
    let none = app.cli_json(&["groups", "members", "list", &id]).await;
    assert_eq!(none, json!([]));

    app.cli(&["groups", "delete", &id]).await.ok();
    app.cli(&["groups", "get", &id]).await.exits(1);
}

async fn cli_users_round_trip_with_the_password_off_the_command_line(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let password = "correct horse battery staple";
    let file = app.dir.path().join("password");
    std::fs::write(&file, format!("{password}\n")).unwrap();
    let user = app
        .cli_json(&[
            "users",
            "create",
            "--username",
            "Alice",
            "--display-name",
            "Alice A",
            "--email",
            "alice@example.com",
            "--password-file",
            file.to_str().unwrap(),
        ])
        .await;
    assert_eq!(user["username"], "alice");
    assert_eq!(user["has_password"], true);
    assert!(!user.to_string().contains(password));

    let table = app.cli(&["users", "list"]).await.ok();
    assert!(
        table.stdout.lines().any(|l| l.starts_with("alice ")),
        "{table:?}"
    );
    assert_eq!(
        app.cli_json(&["users", "get", "alice"]).await["email"],
        "alice@example.com"
    );
    let cleared = app
        .cli_json(&["users", "update", "alice", "--clear-email"])
        .await;
    assert_eq!(cleared["email"], serde_json::Value::Null);
    assert_eq!(cleared["display_name"], "Alice A");

    // A new password from standard input.
    let env = app.cli_env();
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let args = ["-o", "json", "users", "update", "alice", "--password-stdin"];
    let changed = run(&app.cli_dir(), &env, &args, Some("another good password\n"))
        .await
        .ok();
    assert!(!changed.all().contains("another good password"));

    assert_eq!(
        app.cli_json(&["users", "disable", "alice"]).await["active"],
        false
    );
    assert_eq!(
        app.cli_json(&["users", "enable", "alice"]).await["active"],
        true
    );
    app.cli(&["users", "delete", "alice"]).await.ok();
    app.cli(&["users", "get", "alice"]).await.exits(1);
}
