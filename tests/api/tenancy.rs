//! CONTRACT "Administration follows the tree": an admin token acts on its own organization and
//! every organization below it; anything outside is invisible, `404` on direct access as if it
//! did not exist. Each admin route is tried across the boundary by the vendor admin (acme,
//! against initech and root) and by the customer admin (globex, against its vendor acme,
//! initech and root); after each refused attempt the root admin finds the target unchanged.
//! Signing keys belong to the whole deployment: root's administrators alone manage them.

use serde_json::json;

use crate::helpers::{spawn_app, Backend, ADMIN_ID};
use crate::on_both_backends;
use crate::tenancy_routes::{changes, crossings, fill, ghost, READS};
use crate::tenancy_support::{admin_of, names, not_found, problem, sorted};
use castellan::storage::orgs::ROOT_ORG_ID;

on_both_backends!(
    an_admin_reads_its_own_organization_and_those_below_by_id_and_by_name,
    every_read_across_the_boundary_is_404_as_for_what_does_not_exist,
    every_change_across_the_boundary_is_404_and_changes_nothing,
    signing_keys_are_managed_by_root_administrators_only,
);

async fn an_admin_reads_its_own_organization_and_those_below_by_id_and_by_name(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let tree = app.tree().await;
    let visible = [
        ("vendor admin", &tree.vendor, vec![&tree.acme, &tree.globex]),
        ("customer admin", &tree.customer, vec![&tree.globex]),
    ];
    for (who, token, inside) in visible {
        for t in inside {
            for (path, by_id, _) in READS {
                let (path, by_id) = (fill(path, t, t), fill(by_id, t, t));
                // Exactly what root reads there by id.
                let expected = app.expect(200, "GET", &by_id, &tree.root, None).await;
                let seen = app.expect(200, "GET", &path, token, None).await;
                assert_eq!(seen, expected, "{who}: GET {path}");
            }
        }
    }
    // What the fixture put there, as seen from inside.
    let g = &tree.globex;
    let members = app
        .expect(
            200,
            "GET",
            &format!("/groups/{}/members", g.group_id),
            &tree.customer,
            None,
        )
        .await;
    let mut principals: Vec<&str> = members
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["principal"].as_str().unwrap())
        .collect();
    principals.sort();
    assert_eq!(principals, ["globex-svc", "globex-user"], "{members}");
    let secrets = app
        .expect(
            200,
            "GET",
            "/clients/globex-svc/secrets",
            &tree.vendor,
            None,
        )
        .await;
    assert_eq!(secrets.as_array().unwrap().len(), 1, "{secrets}");
    assert_eq!(secrets[0]["id"], g.secret_id.as_str(), "{secrets}");
    // The customer admin reads itself, and so does the vendor admin above it.
    for token in [&tree.customer, &tree.vendor] {
        let path = format!("/clients/{}", admin_of("globex"));
        let me = app.expect(200, "GET", &path, token, None).await;
        assert_eq!(me["org_id"], g.org_id.as_str(), "{me}");
    }
}

async fn every_read_across_the_boundary_is_404_as_for_what_does_not_exist(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let tree = app.tree().await;
    // Root's own things are above both admins; the vendor admin is above the customer admin.
    let mut above = vec![
        (format!("/clients/{ADMIN_ID}"), "client"),
        (
            format!("/clients/{}/secrets", app.row_id(ADMIN_ID)),
            "client",
        ),
        (format!("/orgs/{ROOT_ORG_ID}"), "organization"),
        ("/orgs/root".to_string(), "organization"),
    ];
    let nothing = ghost();
    for (who, token, own, outside) in crossings(&tree) {
        if who == "customer admin" {
            above.push((format!("/clients/{}", admin_of("acme")), "client"));
        }
        for (path, what) in &above {
            let seen = app.expect(404, "GET", path, token, None).await;
            assert_eq!(seen, not_found(what), "{who}: GET {path}");
        }
        for t in outside {
            for (path, _, what) in READS {
                let seen = app
                    .expect(404, "GET", &fill(path, t, own), token, None)
                    .await;
                assert_eq!(seen, not_found(what), "{who}: GET {}", fill(path, t, own));
                // Word for word what a thing that never existed gets.
                let path = fill(path, &nothing, own);
                let standard = app.expect(404, "GET", &path, token, None).await;
                assert_eq!(seen, standard, "{who}: GET {path}");
            }
        }
    }
}

async fn every_change_across_the_boundary_is_404_and_changes_nothing(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let tree = app.tree().await;
    let nothing = ghost();
    for (who, token, own, outside) in crossings(&tree) {
        let own_before = app.state_of(&tree.root, own).await;
        for t in outside {
            let before = app.state_of(&tree.root, t).await;
            for (c, standard) in changes(t, own).into_iter().zip(changes(&nothing, own)) {
                let body = c.body.clone().unwrap_or_default();
                let call = format!("{who}: {} {} {body}", c.method, c.path);
                let seen = app.expect(404, c.method, &c.path, token, c.body).await;
                assert_eq!(seen, not_found(c.what), "{call}");
                let after = app.state_of(&tree.root, t).await;
                assert_eq!(after, before, "{call} changed {}", t.slug);
                // Word for word what the same change of things that never existed gets.
                let (m, path) = (standard.method, &standard.path);
                let standard = app.expect(404, m, path, token, standard.body).await;
                assert_eq!(seen, standard, "{call}");
            }
        }
        assert_eq!(
            app.state_of(&tree.root, own).await,
            own_before,
            "{who} changed its own"
        );
    }
    // The customer admin can't shut out the vendor admin above it either.
    let vendor_admin = format!("/clients/{}", admin_of("acme"));
    let before = app
        .expect(200, "GET", &vendor_admin, &tree.root, None)
        .await;
    for (method, tail, body) in [
        ("PATCH", "", Some(json!({"active": false}))),
        ("POST", "/revoke-tokens", None),
        ("POST", "/secrets", None),
        ("DELETE", "", None),
    ] {
        let path = format!("{vendor_admin}{tail}");
        let seen = app.expect(404, method, &path, &tree.customer, body).await;
        assert_eq!(seen, not_found("client"), "customer admin: {method} {path}");
    }
    let after = app
        .expect(200, "GET", &vendor_admin, &tree.root, None)
        .await;
    assert_eq!(after, before);
    app.expect(200, "GET", "/clients", &tree.vendor, None).await;
    // Nothing was created anywhere under the names tried.
    for path in ["/clients/smuggled", "/users/smuggled", "/orgs/smuggled"] {
        app.expect(404, "GET", path, &tree.root, None).await;
    }
    let groups = app
        .expect(200, "GET", "/groups?limit=200", &tree.root, None)
        .await;
    assert_eq!(
        names(&groups, "name"),
        sorted(&["acme-team", "globex-team", "initech-team"])
    );
}

async fn signing_keys_are_managed_by_root_administrators_only(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let tree = app.tree().await;
    let keys = app.expect(200, "GET", "/keys", &tree.root, None).await;
    let jwks = app.jwks().await;
    let kid = keys["keys"][0]["kid"].as_str().unwrap().to_string();
    let why = "signing keys belong to the whole deployment: only administrators in the root \
               organization manage them";
    for (who, token) in [("vendor", &tree.vendor), ("customer", &tree.customer)] {
        for path in ["/keys/rotate".to_string(), format!("/keys/{kid}/revoke")] {
            let seen = app.expect(403, "POST", &path, token, None).await;
            assert_eq!(seen, problem(403, why), "{who}: POST {path}");
            let now = app.expect(200, "GET", "/keys", &tree.root, None).await;
            assert_eq!(now, keys, "{who}: POST {path} changed the keys");
            assert_eq!(
                app.jwks().await,
                jwks,
                "{who}: POST {path} changed the JWKS"
            );
        }
    }
    // Root's administrators may.
    app.expect(201, "POST", "/keys/rotate", &tree.root, None)
        .await;
}
