//! CONTRACT "No principal grants what it does not hold", through groups; "a removal that takes
//! away an admin scope shuts the principal's current tokens out of the admin API at once"; and
//! root's last full administrator, who can't lose `admin` through a group either.

use serde_json::json;

use crate::helpers::{spawn_app, Backend, TestApp, ADMIN_ID};
use crate::on_both_backends;
use crate::orgs_support::{add, ask, bare_admin, group, members, remove, sa};
use crate::rules_support::ADMIN_AUD;

on_both_backends!(
    no_principal_grants_through_a_group_what_it_does_not_hold,
    a_removal_that_takes_admin_away_shuts_the_current_token_out_at_once,
    roots_last_full_admin_cannot_lose_admin_through_a_group,
    a_client_id_deleted_and_created_again_inherits_no_membership,
    admin_scopes_from_a_group_reach_the_admin_api_only_with_the_flag,
);

const AS_ADMIN: &[(&str, &str)] = &[("scope", "admin"), ("audience", ADMIN_AUD)];

async fn no_principal_grants_through_a_group_what_it_does_not_hold(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let boot = app.admin_token().await;
    let (limited, _) = app
        .limited_admin("grouper", &["admin:groups:write", "admin:groups:read", "a"])
        .await;
    // Creating: what it holds it may give; anything else is 403, admin scopes included.
    let gives_a = group(&app, &limited, "root", "gives-a", &["a"], &[]).await;
    for (name, scopes) in [
        ("gives-b", vec!["b"]),
        ("gives-ab", vec!["a", "b"]),
        ("gives-admin", vec!["admin:clients:write"]),
    ] {
        let body = json!({"name": name, "scopes": scopes});
        let a = app
            .admin("POST", "/groups", Some(&limited), Some(body))
            .await;
        assert_eq!(a.status, 403, "{name}: {}", a.body);
    }
    let body = json!({"name": "gives-api", "audiences": ["https://other.example"]});
    let a = app
        .admin("POST", "/groups", Some(&limited), Some(body))
        .await;
    assert_eq!(a.status, 403, "{}", a.body);
    // Patching its own group into giving more.
    let path = format!("/groups/{gives_a}");
    for patch in [
        json!({"scopes": ["a", "b"]}),
        json!({"audiences": ["https://other.example"]}),
    ] {
        let a = app.admin("PATCH", &path, Some(&limited), Some(patch)).await;
        assert_eq!(a.status, 403, "{}", a.body);
    }
    let a = app.admin("GET", &path, Some(&boot), None).await;
    assert_eq!(a.body["scopes"], json!(["a"]), "{}", a.body);
    // Adding a member to a group that gives what it lacks (even a member holding nothing).
    let gives_b = group(&app, &boot, "root", "gives-b", &["b"], &[]).await;
    sa(&app, &boot, "empty-handed", "root", &[], &[]).await;
    let (status, body) = add(&app, &limited, &gives_b, "empty-handed").await;
    assert_eq!(status, 403, "{body}");
    // Nor may it touch that group at all: narrowing it to what it holds, or deleting it.
    let b_path = format!("/groups/{gives_b}");
    let narrow = json!({"scopes": ["a"]});
    let a = app
        .admin("PATCH", &b_path, Some(&limited), Some(narrow))
        .await;
    assert_eq!(a.status, 403, "{}", a.body);
    assert_eq!(
        app.admin("DELETE", &b_path, Some(&limited), None)
            .await
            .status,
        403
    );
    // Adding a member that holds more than it (its own `c`, or an audience it lacks).
    sa(&app, &boot, "holds-c", "root", &["c"], &[]).await;
    sa(
        &app,
        &boot,
        "holds-api",
        "root",
        &[],
        &["https://other.example"],
    )
    .await;
    for richer in ["holds-c", "holds-api"] {
        let (status, body) = add(&app, &limited, &gives_a, richer).await;
        assert_eq!(status, 403, "{richer}: {body}");
    }
    // Or the bootstrap admin, who holds everything.
    let (status, _) = add(&app, &limited, &gives_a, ADMIN_ID).await;
    assert_eq!(status, 403);
    // Taking a richer member out of its group is acting on it as well.
    assert_eq!(add(&app, &boot, &gives_a, "holds-c").await.0, 201);
    assert_eq!(remove(&app, &limited, &gives_a, "holds-c").await, 403);
    assert_eq!(remove(&app, &boot, &gives_a, "holds-c").await, 204);
    assert_eq!(members(&app, &boot, &gives_b).await, Vec::<String>::new());
    // What it covers, it may do.
    assert_eq!(add(&app, &limited, &gives_a, "empty-handed").await.0, 201);
    assert_eq!(members(&app, &boot, &gives_a).await, vec!["empty-handed"]);
}

/// The status of a call the full admin scope allows.
async fn list_clients(app: &TestApp, token: &str) -> u16 {
    app.admin("GET", "/clients", Some(token), None).await.status
}

async fn a_removal_that_takes_admin_away_shuts_the_current_token_out_at_once(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let boot = app.admin_token().await;
    let admins = group(&app, &boot, "root", "admins", &["admin"], &[ADMIN_AUD]).await;
    let secret = bare_admin(&app, &boot, "ops-bot", "root").await;
    assert_eq!(add(&app, &boot, &admins, "ops-bot").await.0, 201);
    let token = app.access_token("ops-bot", &secret, AS_ADMIN).await;
    assert_eq!(list_clients(&app, &token).await, 200);
    assert_eq!(remove(&app, &boot, &admins, "ops-bot").await, 204);
    // The token still says `admin`; the principal no longer holds it.
    assert_eq!(list_clients(&app, &token).await, 403);
    let a = app
        .admin("POST", "/clients", Some(&token), Some(json!({"name": "x"})))
        .await;
    assert_eq!(a.status, 403, "{}", a.body);
    // Back in the group, the same token works again; the group emptied of admin: shut out.
    assert_eq!(add(&app, &boot, &admins, "ops-bot").await.0, 201);
    assert_eq!(list_clients(&app, &token).await, 200);
    let path = format!("/groups/{admins}");
    let patch = json!({"scopes": ["admin:audit:read"]});
    let a = app.admin("PATCH", &path, Some(&boot), Some(patch)).await;
    assert_eq!(a.status, 200, "{}", a.body);
    assert_eq!(list_clients(&app, &token).await, 403);
    // A fresh token can't ask for `admin` any more either.
    let (status, body) = ask(&app, "ops-bot", &secret, AS_ADMIN).await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["error"], "invalid_scope");
}

async fn roots_last_full_admin_cannot_lose_admin_through_a_group(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let boot = app.admin_token().await;
    let admins = group(&app, &boot, "root", "admins", &["admin"], &[ADMIN_AUD]).await;
    let secret = bare_admin(&app, &boot, "heir", "root").await;
    assert_eq!(add(&app, &boot, &admins, "heir").await.0, 201);
    let heir = app.access_token("heir", &secret, AS_ADMIN).await;
    // The heir holds `admin` through the group: the bootstrap admin may step down.
    let demote = json!({"scopes": ["admin:clients:read"], "default_scopes": []});
    let path = format!("/clients/{}", app.row_id(ADMIN_ID));
    let a = app.admin("PATCH", &path, Some(&boot), Some(demote)).await;
    assert_eq!(a.status, 200, "demoting the bootstrap admin: {}", a.body);
    // Now the heir is root's only full admin, and only through the group.
    let group_path = format!("/groups/{admins}");
    let member_path = format!("{group_path}/members/heir");
    let a = app.admin("DELETE", &member_path, Some(&heir), None).await;
    assert_eq!(a.status, 409, "removed from the group: {}", a.body);
    let patch = json!({"scopes": ["admin:clients:read", "admin:clients:write"]});
    let a = app
        .admin("PATCH", &group_path, Some(&heir), Some(patch))
        .await;
    assert_eq!(a.status, 409, "the group's scopes patched: {}", a.body);
    let a = app.admin("DELETE", &group_path, Some(&heir), None).await;
    assert_eq!(a.status, 409, "the group deleted: {}", a.body);
    // Nothing changed: the heir is still a member, the group still gives admin, and it works.
    assert_eq!(members(&app, &heir, &admins).await, vec!["heir"]);
    let a = app.admin("GET", &group_path, Some(&heir), None).await;
    assert_eq!(a.body["scopes"], json!(["admin"]));
    assert_eq!(list_clients(&app, &heir).await, 200);
    // Another full admin first, and then the heir may leave.
    app.full_admin(&heir, "second").await;
    let a = app.admin("DELETE", &member_path, Some(&heir), None).await;
    assert_eq!(a.status, 204, "{}", a.body);
}

async fn a_client_id_deleted_and_created_again_inherits_no_membership(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let boot = app.admin_token().await;
    let deploy = [("scope", "deploy:write"), ("resource", crate::helpers::API)];
    let g = group(
        &app,
        &boot,
        "root",
        "deployers",
        &["deploy:write"],
        &[crate::helpers::API],
    )
    .await;
    let secret = sa(&app, &boot, "reborn", "root", &[], &[]).await;
    assert_eq!(add(&app, &boot, &g, "reborn").await.0, 201);
    assert_eq!(ask(&app, "reborn", &secret, &deploy).await.0, 200);
    let path = format!("/clients/{}", app.row_id("reborn"));
    assert_eq!(
        app.admin("DELETE", &path, Some(&boot), None).await.status,
        204
    );
    assert_eq!(members(&app, &boot, &g).await, Vec::<String>::new());
    // CONTRACT: a principal holds its own grants and its groups', nothing else, ever.
    let secret = sa(&app, &boot, "reborn", "root", &[], &[]).await;
    let (status, body) = ask(&app, "reborn", &secret, &deploy).await;
    assert_eq!(
        status, 400,
        "the new reborn holds the old one's group: {body}"
    );
    let path = "/clients/reborn/permissions";
    let a = app.admin("GET", path, Some(&boot), None).await;
    assert_eq!(a.body, json!({"scopes": [], "audiences": []}));
}

async fn admin_scopes_from_a_group_reach_the_admin_api_only_with_the_flag(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let boot = app.admin_token().await;
    let admins = group(&app, &boot, "root", "admins", &["admin"], &[ADMIN_AUD]).await;
    // CONTRACT (settled): the flag is the gate; the scopes say what it may do there.
    let secret = sa(&app, &boot, "no-flag", "root", &[], &[]).await;
    assert_eq!(add(&app, &boot, &admins, "no-flag").await.0, 201);
    let token = app.access_token("no-flag", &secret, AS_ADMIN).await;
    assert_eq!(list_clients(&app, &token).await, 403);
    let a = app
        .admin("POST", "/clients", Some(&token), Some(json!({"name": "x"})))
        .await;
    assert_eq!(a.status, 403, "{}", a.body);
    // It does not count as root's full admin either: the bootstrap admin may not step down.
    let demote = json!({"scopes": ["admin:clients:read"], "default_scopes": []});
    let path = format!("/clients/{}", app.row_id(ADMIN_ID));
    let a = app.admin("PATCH", &path, Some(&boot), Some(demote)).await;
    assert_eq!(a.status, 409, "{}", a.body);
}
