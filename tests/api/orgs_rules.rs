//! CONTRACT "Organizations, groups and permissions": the organization tree (root from the
//! first start, slugs, depth, what can't be deleted or disabled), every principal in one
//! organization for good, and tokens that say where they come from. Each rule tried the way a
//! careless or hostile admin would break it.

use serde_json::{json, Value};

use crate::helpers::{basic, spawn_app, Backend, ADMIN_ID, ADMIN_SECRET, API};
use crate::on_both_backends;
use crate::orgs_support::{group, org, sa};
use castellan::storage::orgs::ROOT_ORG_ID;

on_both_backends!(
    root_exists_from_the_first_start_and_holds_the_bootstrap_admin,
    slugs_are_lowercase_a_z_0_9_dash_of_1_to_63_and_unique,
    there_is_no_fourth_organization_level,
    root_can_be_neither_deleted_nor_disabled,
    only_an_empty_organization_can_be_deleted,
    every_token_and_introspection_carries_the_principals_org_id,
    a_principals_organization_never_changes,
);

async fn root_exists_from_the_first_start_and_holds_the_bootstrap_admin(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let boot = app.admin_token().await;
    let a = app.admin("GET", "/orgs", Some(&boot), None).await;
    assert_eq!(a.status, 200, "{}", a.body);
    let items = a.body["items"].as_array().unwrap();
    assert_eq!(
        items.len(),
        1,
        "a fresh deployment has root only: {}",
        a.body
    );
    let root = &items[0];
    assert_eq!(root["slug"], "root");
    assert_eq!(root["id"], ROOT_ORG_ID);
    assert_eq!(root["parent_id"], Value::Null);
    assert_eq!(root["active"], true);
    // CONTRACT: the bootstrap admin lives in root; what a single tenant creates lands there.
    let me = app
        .admin("GET", &format!("/clients/{ADMIN_ID}"), Some(&boot), None)
        .await;
    assert_eq!(me.body["org_id"], ROOT_ORG_ID, "{}", me.body);
    let (created, _) = app
        .api_create_client(&boot, json!({"client_id": "plain", "name": "p"}))
        .await;
    assert_eq!(created["org_id"], ROOT_ORG_ID);
}

async fn slugs_are_lowercase_a_z_0_9_dash_of_1_to_63_and_unique(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let boot = app.admin_token().await;
    let long = "a".repeat(64);
    for bad in [
        "Acme",
        "acme_corp",
        "",
        long.as_str(),
        "ácme",
        "acme corp",
        "acme.io",
    ] {
        let body = json!({"slug": bad, "name": "Acme"});
        let a = app.admin("POST", "/orgs", Some(&boot), Some(body)).await;
        assert_eq!(a.status, 422, "slug {bad:?}: {}", a.body);
    }
    // 63 characters is still a slug.
    org(&app, &boot, &"a".repeat(63), None).await;
    let acme = org(&app, &boot, "acme-1", None).await;
    // CONTRACT: slugs are unique across the whole tree, under any parent.
    for parent in [None, Some(acme.as_str())] {
        let body = json!({"slug": "acme-1", "name": "again", "parent_id": parent});
        let a = app.admin("POST", "/orgs", Some(&boot), Some(body)).await;
        assert_eq!(a.status, 409, "duplicate under {parent:?}: {}", a.body);
    }
    let a = app.admin("GET", "/orgs", Some(&boot), None).await;
    assert_eq!(a.body["items"].as_array().unwrap().len(), 3, "{}", a.body);
}

async fn there_is_no_fourth_organization_level(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let boot = app.admin_token().await;
    let vendor = org(&app, &boot, "vendor", None).await;
    let customer = org(&app, &boot, "customer", Some(&vendor)).await;
    for parent in [customer.as_str(), "customer"] {
        let body = json!({"slug": "deeper", "name": "Deeper", "parent_id": parent});
        let a = app.admin("POST", "/orgs", Some(&boot), Some(body)).await;
        assert_eq!(a.status, 422, "parent {parent}: {}", a.body);
    }
    // An admin living in the customer organization can't grow the tree below itself either.
    let body = json!({"client_id": "cust-admin", "name": "c", "org_id": customer,
                      "scopes": ["admin"], "default_scopes": ["admin"],
                      "audiences": ["urn:castellan:admin"],
                      "is_admin_service_account": true});
    let (_, secret) = app.api_create_client(&boot, body).await;
    let cust_admin = app.access_token("cust-admin", &secret.unwrap(), &[]).await;
    let body = json!({"slug": "deeper", "name": "Deeper"});
    let a = app
        .admin("POST", "/orgs", Some(&cust_admin), Some(body))
        .await;
    assert_eq!(a.status, 422, "{}", a.body);
    let a = app.admin("GET", "/orgs/deeper", Some(&boot), None).await;
    assert_eq!(a.status, 404);
}

async fn root_can_be_neither_deleted_nor_disabled(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let boot = app.admin_token().await;
    for id in [ROOT_ORG_ID, "root"] {
        let path = format!("/orgs/{id}");
        let a = app.admin("DELETE", &path, Some(&boot), None).await;
        assert_eq!(a.status, 409, "DELETE {path}: {}", a.body);
        let off = json!({"active": false});
        let a = app.admin("PATCH", &path, Some(&boot), Some(off)).await;
        assert_eq!(a.status, 409, "disable {path}: {}", a.body);
    }
    let a = app.admin("GET", "/orgs/root", Some(&boot), None).await;
    assert_eq!(a.body["active"], true);
    // Everyone in root still works.
    app.admin_token().await;
    // Renaming root is an ordinary change.
    let a = app
        .admin(
            "PATCH",
            "/orgs/root",
            Some(&boot),
            Some(json!({"name": "Home"})),
        )
        .await;
    assert_eq!(a.status, 200, "{}", a.body);
}

async fn only_an_empty_organization_can_be_deleted(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let boot = app.admin_token().await;
    let with_sa = org(&app, &boot, "with-sa", None).await;
    sa(&app, &boot, "inside", &with_sa, &[], &[]).await;
    let with_user = org(&app, &boot, "with-user", None).await;
    let user = json!({"username": "ann", "org_id": with_user});
    assert_eq!(
        app.admin("POST", "/users", Some(&boot), Some(user))
            .await
            .status,
        201
    );
    let with_group = org(&app, &boot, "with-group", None).await;
    group(&app, &boot, &with_group, "g", &[], &[]).await;
    let with_child = org(&app, &boot, "with-child", None).await;
    org(&app, &boot, "child", Some(&with_child)).await;
    for id in [&with_sa, &with_user, &with_group, &with_child] {
        let a = app
            .admin("DELETE", &format!("/orgs/{id}"), Some(&boot), None)
            .await;
        assert_eq!(a.status, 409, "{id}: {}", a.body);
        let a = app
            .admin("GET", &format!("/orgs/{id}"), Some(&boot), None)
            .await;
        assert_eq!(a.status, 200, "{id} is gone after a refused delete");
    }
    // The child is empty: it goes, and then so does its parent.
    assert_eq!(
        app.admin("DELETE", "/orgs/child", Some(&boot), None)
            .await
            .status,
        204
    );
    let path = format!("/orgs/{with_child}");
    assert_eq!(
        app.admin("DELETE", &path, Some(&boot), None).await.status,
        204
    );
    assert_eq!(app.admin("GET", &path, Some(&boot), None).await.status, 404);
}

async fn every_token_and_introspection_carries_the_principals_org_id(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let boot = app.admin_token().await;
    let vendor = org(&app, &boot, "vendor", None).await;
    let customer = org(&app, &boot, "customer", Some(&vendor)).await;
    let mut cases = vec![(ADMIN_ID.to_string(), ADMIN_SECRET.to_string(), ROOT_ORG_ID)];
    for (id, org_id) in [
        ("in-root", ROOT_ORG_ID),
        ("in-vendor", &vendor),
        ("in-cust", &customer),
    ] {
        let secret = sa(&app, &boot, id, org_id, &["read"], &[API]).await;
        cases.push((id.to_string(), secret, org_id));
    }
    for (id, secret, org_id) in cases {
        let token = app.access_token(&id, &secret, &[]).await;
        let aud = crate::helpers::jwt_part(&token, 1)["aud"].clone();
        let aud = aud
            .as_str()
            .or_else(|| aud[0].as_str())
            .unwrap()
            .to_string();
        let claims = app.verify(&token, &aud).await.expect("a valid token");
        assert_eq!(claims.org_id.as_deref(), Some(org_id), "{id}'s token");
        let res = app
            .http
            .post(app.url("/oauth2/introspect"))
            .header("Authorization", basic(ADMIN_ID, ADMIN_SECRET))
            .form(&[("token", token.as_str())])
            .send()
            .await
            .unwrap();
        let body: Value = res.json().await.unwrap();
        assert_eq!(body["active"], true);
        assert_eq!(body["org_id"], org_id, "{id}'s introspection: {body}");
    }
}

async fn a_principals_organization_never_changes(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let boot = app.admin_token().await;
    let vendor = org(&app, &boot, "vendor", None).await;
    let other = org(&app, &boot, "other", None).await;
    sa(&app, &boot, "stays", &vendor, &[], &[]).await;
    let user = json!({"username": "bob", "org_id": vendor});
    let created = app.admin("POST", "/users", Some(&boot), Some(user)).await;
    assert_eq!(created.status, 201, "{}", created.body);
    let user_id = created.body["id"].as_str().unwrap().to_string();
    for path in ["/clients/stays".to_string(), format!("/users/{user_id}")] {
        for target in [other.as_str(), ROOT_ORG_ID] {
            let a = app
                .admin("PATCH", &path, Some(&boot), Some(json!({"org_id": target})))
                .await;
            assert_eq!(a.status, 422, "PATCH {path} to {target}: {}", a.body);
        }
        let a = app.admin("GET", &path, Some(&boot), None).await;
        assert_eq!(
            a.body["org_id"],
            vendor.as_str(),
            "{path} moved: {}",
            a.body
        );
        // Sending the same organization is no change and is accepted.
        let same = json!({"org_id": vendor});
        let a = app.admin("PATCH", &path, Some(&boot), Some(same)).await;
        assert_eq!(a.status, 200, "{path}: {}", a.body);
    }
    // Lists by organization agree: nothing landed in the other one.
    let list = app
        .admin("GET", "/clients?org=other", Some(&boot), None)
        .await;
    assert_eq!(
        list.body["items"].as_array().unwrap().len(),
        0,
        "{}",
        list.body
    );
}
