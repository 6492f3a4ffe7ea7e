//! CONTRACT "Groups" and "What a principal holds": a member holds what its groups give, from
//! its next token on, and nothing more once the group changes; `…/permissions` says where each
//! item comes from; members come from the group's own organization, once each.

use serde_json::{json, Value};

use crate::helpers::{spawn_app, Backend, TestApp, API};
use crate::on_both_backends;
use crate::orgs_support::{add, ask, group, members, org, refusal, remove, sa};

on_both_backends!(
    a_group_gives_its_members_its_grants_and_takes_them_back_at_the_next_token,
    permissions_name_every_source_of_every_item,
    members_come_from_the_groups_organization_once_each,
    group_names_are_unique_within_an_organization_only,
);

const DEPLOY: &[(&str, &str)] = &[("scope", "deploy:write"), ("resource", API)];

/// Whether `id` gets a token for deploy:write at the API; asserts the refusal is invalid_scope.
async fn can_deploy(app: &TestApp, id: &str, secret: &str) -> bool {
    let (status, body) = ask(app, id, secret, DEPLOY).await;
    if status == 200 {
        let claims = crate::helpers::jwt_part(body["access_token"].as_str().unwrap(), 1);
        assert_eq!(claims["scope"], "deploy:write", "{claims}");
        assert_eq!(claims["aud"], API, "{claims}");
        return true;
    }
    assert_eq!(body["error"], "invalid_scope", "{id}: {body}");
    false
}

async fn a_group_gives_its_members_its_grants_and_takes_them_back_at_the_next_token(
    backend: Backend,
) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let boot = app.admin_token().await;
    let deployers = group(&app, &boot, "root", "deployers", &["deploy:write"], &[API]).await;
    let mut crew = Vec::new();
    for id in ["ci-1", "ci-2", "ci-3"] {
        // Nothing of their own: whatever they get, the group gave.
        let secret = sa(&app, &boot, id, "root", &[], &[]).await;
        assert_eq!(add(&app, &boot, &deployers, id).await.0, 201);
        crew.push((id, secret));
    }
    // An outsider holding the audience but not the scope.
    let outsider = sa(&app, &boot, "outsider", "root", &["read"], &[API]).await;
    for (id, secret) in &crew {
        assert!(can_deploy(&app, id, secret).await, "{id} can't deploy");
    }
    assert!(!can_deploy(&app, "outsider", &outsider).await);
    // A member never gets more than the group gives.
    let err = refusal(
        &app,
        "ci-1",
        &crew[0].1,
        &[("scope", "read"), ("resource", API)],
    )
    .await;
    assert_eq!(err, "invalid_scope");
    // The group stops giving deploy:write: every member loses it at the very next request.
    let path = format!("/groups/{deployers}");
    let patch = json!({"scopes": ["deploy:read"]});
    let a = app.admin("PATCH", &path, Some(&boot), Some(patch)).await;
    assert_eq!(a.status, 200, "{}", a.body);
    for (id, secret) in &crew {
        assert!(
            !can_deploy(&app, id, secret).await,
            "{id} kept deploy:write"
        );
    }
    // Given back, then the group deleted: lost again, at once.
    let patch = json!({"scopes": ["deploy:write"]});
    assert_eq!(
        app.admin("PATCH", &path, Some(&boot), Some(patch))
            .await
            .status,
        200
    );
    for (id, secret) in &crew {
        assert!(
            can_deploy(&app, id, secret).await,
            "{id} did not get it back"
        );
    }
    assert_eq!(
        app.admin("DELETE", &path, Some(&boot), None).await.status,
        204
    );
    for (id, secret) in &crew {
        assert!(
            !can_deploy(&app, id, secret).await,
            "{id} kept a deleted group's grant"
        );
        // The audience went with the group too.
        let err = refusal(&app, id, secret, &[("resource", API)]).await;
        assert_eq!(err, "invalid_target", "{id}");
    }
}

/// A permissions answer with items sorted by value and sources sorted, for comparison.
fn normalized(mut p: Value) -> Value {
    for list in ["scopes", "audiences"] {
        let items = p[list].as_array_mut().expect("a list");
        for item in items.iter_mut() {
            let from = item["from"].as_array_mut().expect("from");
            from.sort_by_key(|s| s.to_string());
        }
        items.sort_by_key(|i| i["value"].to_string());
    }
    p
}

async fn permissions_name_every_source_of_every_item(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let boot = app.admin_token().await;
    let deployers = group(&app, &boot, "root", "deployers", &["deploy:write"], &[API]).await;
    let readers = group(&app, &boot, "root", "readers", &["logs:read"], &[]).await;
    sa(
        &app,
        &boot,
        "both-ways",
        "root",
        &["deploy:write", "read"],
        &[API],
    )
    .await;
    for g in [&deployers, &readers] {
        assert_eq!(add(&app, &boot, g, "both-ways").await.0, 201);
    }
    let own = json!({"kind": "own"});
    let dep = json!({"kind": "group", "id": deployers, "name": "deployers"});
    let rd = json!({"kind": "group", "id": readers, "name": "readers"});
    let expected = json!({
        "scopes": [
            {"value": "deploy:write", "from": [own, dep]},
            {"value": "read", "from": [own]},
            {"value": "logs:read", "from": [rd]},
        ],
        "audiences": [{"value": API, "from": [own, dep]}],
    });
    for id in ["both-ways".to_string(), app.row_id("both-ways")] {
        let path = format!("/clients/{id}/permissions");
        let a = app.admin("GET", &path, Some(&boot), None).await;
        assert_eq!(a.status, 200, "{}", a.body);
        assert_eq!(normalized(a.body), normalized(expected.clone()), "{path}");
    }
    // A user holds only what its groups give.
    let user = json!({"username": "dora"});
    let a = app.admin("POST", "/users", Some(&boot), Some(user)).await;
    assert_eq!(a.status, 201, "{}", a.body);
    let user_id = a.body["id"].as_str().unwrap().to_string();
    let path = format!("/users/{user_id}/permissions");
    let a = app.admin("GET", &path, Some(&boot), None).await;
    assert_eq!(a.body, json!({"scopes": [], "audiences": []}), "{path}");
    assert_eq!(add(&app, &boot, &deployers, "dora").await.0, 201);
    let a = app.admin("GET", &path, Some(&boot), None).await;
    let expected = json!({"scopes": [{"value": "deploy:write", "from": [dep]}],
                          "audiences": [{"value": API, "from": [dep]}]});
    assert_eq!(a.body, expected, "{path}");
}

async fn members_come_from_the_groups_organization_once_each(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let boot = app.admin_token().await;
    let vendor = org(&app, &boot, "vendor", None).await;
    let customer = org(&app, &boot, "customer", Some(&vendor)).await;
    let team = group(&app, &boot, &vendor, "team", &["read"], &[API]).await;
    sa(&app, &boot, "in-root", "root", &[], &[]).await;
    sa(&app, &boot, "in-customer", &customer, &[], &[]).await;
    sa(&app, &boot, "in-vendor", &vendor, &[], &[]).await;
    let user = json!({"username": "eve", "org_id": customer});
    assert_eq!(
        app.admin("POST", "/users", Some(&boot), Some(user))
            .await
            .status,
        201
    );
    // Neither from above nor from below: only the group's own organization.
    for stranger in ["in-root", "in-customer", "eve"] {
        let (status, body) = add(&app, &boot, &team, stranger).await;
        assert_eq!(status, 422, "{stranger}: {body}");
    }
    assert_eq!(members(&app, &boot, &team).await, Vec::<String>::new());
    assert_eq!(add(&app, &boot, &team, "in-vendor").await.0, 201);
    let (status, body) = add(&app, &boot, &team, "in-vendor").await;
    assert_eq!(status, 409, "added twice: {body}");
    // By its row id it is the same principal: still twice.
    let (status, _) = add(&app, &boot, &team, &app.row_id("in-vendor")).await;
    assert_eq!(status, 409);
    assert_eq!(members(&app, &boot, &team).await, vec!["in-vendor"]);
    // Removing one of the organization that is not a member, or nobody at all: 404.
    sa(&app, &boot, "also-vendor", &vendor, &[], &[]).await;
    for nobody in ["also-vendor", "no-such-principal"] {
        let status = remove(&app, &boot, &team, nobody).await;
        assert_eq!(status, 404, "{nobody}");
    }
    // One from another organization can't be a member: refused too (422, as for adding it).
    for stranger in ["in-root", "in-customer", "eve"] {
        let status = remove(&app, &boot, &team, stranger).await;
        assert_eq!(status, 422, "{stranger}");
    }
    assert_eq!(remove(&app, &boot, &team, "in-vendor").await, 204);
    assert_eq!(remove(&app, &boot, &team, "in-vendor").await, 404);
}

async fn group_names_are_unique_within_an_organization_only(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let boot = app.admin_token().await;
    let vendor = org(&app, &boot, "vendor", None).await;
    let other = org(&app, &boot, "other", None).await;
    group(&app, &boot, &vendor, "operators", &[], &[]).await;
    let again = json!({"org_id": vendor, "name": "operators"});
    let a = app.admin("POST", "/groups", Some(&boot), Some(again)).await;
    assert_eq!(a.status, 409, "{}", a.body);
    // Renaming another group of the same organization onto the name: 409 too.
    let second = group(&app, &boot, &vendor, "second", &[], &[]).await;
    let rename = json!({"name": "operators"});
    let path = format!("/groups/{second}");
    let a = app.admin("PATCH", &path, Some(&boot), Some(rename)).await;
    assert_eq!(a.status, 409, "{}", a.body);
    // Nor does a group move to another organization to escape the rule (or any other).
    let a = app
        .admin("PATCH", &path, Some(&boot), Some(json!({"org_id": other})))
        .await;
    assert_eq!(a.status, 422, "{}", a.body);
    // Another organization may have its own.
    for in_org in [other.as_str(), "root"] {
        group(&app, &boot, in_org, "operators", &[], &[]).await;
    }
    let list = app
        .admin("GET", "/groups?org=vendor", Some(&boot), None)
        .await;
    let names: Vec<&str> = list.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["name"].as_str().unwrap())
        .collect();
    assert_eq!(names.len(), 2, "{}", list.body);
}
