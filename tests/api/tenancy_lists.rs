//! CONTRACT "Administration follows the tree", for lists, audit events and what an admin may
//! do inside its subtree: what lies outside is absent from every list and from the audit
//! trail, naming it (`?org=`) is `404`; a vendor admin administers its customer organization.

use serde_json::{json, Value};

use crate::helpers::{spawn_app, Backend, API};
use crate::on_both_backends;
use crate::tenancy_routes::ghost;
use crate::tenancy_support::{names, not_found, sorted};
use castellan::storage::orgs::ROOT_ORG_ID;

on_both_backends!(
    lists_hold_only_the_subtree_and_naming_an_outside_organization_is_404,
    audit_events_on_targets_outside_the_subtree_are_absent,
    a_vendor_admin_administers_its_customer_organization,
);

async fn lists_hold_only_the_subtree_and_naming_an_outside_organization_is_404(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let tree = app.tree().await;
    let (acme, globex) = (["acme-admin", "acme-svc"], ["globex-admin", "globex-svc"]);
    let both = [acme, globex].concat();
    let globex_by_id = format!("/clients?org={}", tree.globex.org_id);
    // (who, token, list, the key of its items, what it holds)
    #[rustfmt::skip]
    let table: Vec<(&str, &str, &str, &str, Vec<&str>)> = vec![
        ("root", &tree.root, "/orgs", "slug", vec!["root", "acme", "globex", "initech"]),
        ("root", &tree.root, "/clients?org=initech", "client_id", vec!["initech-svc"]),
        ("vendor", &tree.vendor, "/clients", "client_id", both.clone()),
        ("vendor", &tree.vendor, "/clients?org=acme", "client_id", acme.to_vec()),
        ("vendor", &tree.vendor, "/clients?org=acme&subtree=true", "client_id", both.clone()),
        ("vendor", &tree.vendor, "/clients?org=globex", "client_id", globex.to_vec()),
        ("vendor", &tree.vendor, &globex_by_id, "client_id", globex.to_vec()),
        ("vendor", &tree.vendor, "/users", "username", vec!["acme-user", "globex-user"]),
        ("vendor", &tree.vendor, "/users?org=globex", "username", vec!["globex-user"]),
        ("vendor", &tree.vendor, "/groups", "name", vec!["acme-team", "globex-team"]),
        ("vendor", &tree.vendor, "/groups?org=acme", "name", vec!["acme-team"]),
        ("vendor", &tree.vendor, "/orgs", "slug", vec!["acme", "globex"]),
        ("customer", &tree.customer, "/clients", "client_id", globex.to_vec()),
        ("customer", &tree.customer, "/clients?org=globex&subtree=true", "client_id",
         globex.to_vec()),
        ("customer", &tree.customer, "/users", "username", vec!["globex-user"]),
        ("customer", &tree.customer, "/groups", "name", vec!["globex-team"]),
        ("customer", &tree.customer, "/orgs", "slug", vec!["globex"]),
    ];
    for (who, token, path, key, expected) in table {
        let sep = if path.contains('?') { '&' } else { '?' };
        let page = app
            .expect(200, "GET", &format!("{path}{sep}limit=200"), token, None)
            .await;
        assert_eq!(names(&page, key), sorted(&expected), "{who}: GET {path}");
    }
    // Naming an organization outside the subtree, by slug or id, with or without subtree.
    // An organization that does not exist gets the same answer.
    let nowhere = ghost();
    let outside_of_acme = vec![
        "initech",
        tree.initech.org_id.as_str(),
        "root",
        ROOT_ORG_ID,
        nowhere.slug,
        nowhere.org_id.as_str(),
    ];
    let outside_of_globex = [&outside_of_acme[..], &["acme", tree.acme.org_id.as_str()]].concat();
    for (who, token, outside) in [
        ("vendor", &tree.vendor, outside_of_acme),
        ("customer", &tree.customer, outside_of_globex),
    ] {
        for list in ["/clients", "/users", "/groups", "/audit-events"] {
            for org in &outside {
                for tail in ["", "&subtree=true"] {
                    let path = format!("{list}?org={org}{tail}");
                    let seen = app.expect(404, "GET", &path, token, None).await;
                    assert_eq!(seen, not_found("organization"), "{who}: GET {path}");
                }
            }
        }
    }
}

async fn audit_events_on_targets_outside_the_subtree_are_absent(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let tree = app.tree().await;
    let events = |token: &str, query: &str| {
        let path = format!("/audit-events?limit=200{query}");
        let token = token.to_string();
        let app = &app;
        async move { app.expect(200, "GET", &path, &token, None).await["items"].clone() }
    };
    let targets = |items: &Value| -> Vec<String> {
        let list = items.as_array().unwrap().iter();
        list.map(|e| e["target"].as_str().unwrap().to_string())
            .collect()
    };
    // There is something to hide: root sees events about initech's things.
    let everything = events(&tree.root, "").await;
    let i = &tree.initech;
    let initech = [&i.client_id, &i.username, &i.group_id, &i.org_id];
    for t in initech {
        assert!(
            targets(&everything).contains(t),
            "root sees no event on {t}"
        );
    }
    // Each admin sees exactly the events on its subtree's targets, and nothing of initech's.
    for (who, token, top, orgs) in [
        (
            "vendor",
            &tree.vendor,
            "acme",
            vec![&tree.acme.org_id, &tree.globex.org_id],
        ),
        (
            "customer",
            &tree.customer,
            "globex",
            vec![&tree.globex.org_id],
        ),
    ] {
        let seen = events(token, "").await;
        let subtree = events(&tree.root, &format!("&org={top}&subtree=true")).await;
        assert_eq!(seen, subtree, "{who}");
        for e in seen.as_array().unwrap() {
            let org = e["org_id"].as_str().unwrap().to_string();
            assert!(orgs.contains(&&org), "{who} sees {e}");
        }
        let seen = targets(&seen);
        assert!(seen.contains(&"globex-svc".to_string()), "{who}: {seen:?}");
        for t in initech {
            assert!(!seen.contains(t), "{who} sees an event on {t}");
            let filtered = events(token, &format!("&target={t}")).await;
            assert_eq!(filtered, json!([]), "{who}: ?target={t}");
        }
        let seen = app
            .admin("GET", "/audit-events?org=initech", Some(token), None)
            .await;
        assert_eq!(
            (seen.status, seen.body),
            (404, not_found("organization")),
            "{who}"
        );
    }
    // The customer admin sees nothing of its vendor's own targets either.
    let seen = targets(&events(&tree.customer, "").await);
    for t in [
        "acme-svc",
        "acme-user",
        "acme-admin",
        tree.acme.group_id.as_str(),
    ] {
        assert!(
            !seen.iter().any(|s| s == t),
            "customer sees an event on {t}"
        );
    }
}

async fn a_vendor_admin_administers_its_customer_organization(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let tree = app.tree().await;
    let (v, c, g) = (&tree.vendor, &tree.customer, &tree.globex);
    let client = |client_id: &str, org: Option<&str>| {
        let mut body = json!({"client_id": client_id, "name": client_id, "scopes": ["read"],
                              "audiences": [API]});
        if let Some(org) = org {
            body["org_id"] = json!(org);
        }
        Some(body)
    };
    // Where a new client lands: where it is told (by slug or id), else the caller's own.
    for (token, client_id, org, lands_in) in [
        (v, "globex-new", Some("globex"), &g.org_id),
        (v, "globex-new-2", Some(g.org_id.as_str()), &g.org_id),
        (v, "acme-new", None, &tree.acme.org_id),
        (c, "globex-own", None, &g.org_id),
    ] {
        let created = app
            .expect(201, "POST", "/clients", token, client(client_id, org))
            .await;
        assert_eq!(
            created["org_id"],
            lands_in.as_str(),
            "{client_id}: {created}"
        );
    }
    let in_globex = [
        "globex-admin",
        "globex-new",
        "globex-new-2",
        "globex-own",
        "globex-svc",
    ];
    let in_acme = ["acme-admin", "acme-new", "acme-svc"];
    for (path, expected) in [
        ("/clients?org=globex", in_globex.to_vec()),
        ("/clients?org=acme", in_acme.to_vec()),
        (
            "/clients?org=acme&subtree=true",
            [&in_acme[..], &in_globex[..]].concat(),
        ),
    ] {
        let page = app.expect(200, "GET", path, v, None).await;
        assert_eq!(names(&page, "client_id"), sorted(&expected), "GET {path}");
    }
    // Every kind of change, in globex, by the vendor admin.
    let body = json!({"org_id": "globex", "name": "ops", "scopes": ["read"], "audiences": [API]});
    let group = app.expect(201, "POST", "/groups", v, Some(body)).await;
    assert_eq!(group["org_id"], g.org_id.as_str(), "{group}");
    let members = format!("/groups/{}/members", group["id"].as_str().unwrap());
    let member = app
        .expect(
            201,
            "POST",
            &members,
            v,
            Some(json!({"principal": "globex-new"})),
        )
        .await;
    assert_eq!(member["principal"], "globex-new", "{member}");
    // Inside the subtree but of another organization than the group: 422, not 404.
    let other = app
        .expect(
            422,
            "POST",
            &members,
            v,
            Some(json!({"principal": "acme-svc"})),
        )
        .await;
    let why = "acme-svc belongs to another organization than the group: members come from the \
               group's own organization";
    assert_eq!(other["errors"], json!([why]), "{other}");
    let user = json!({"username": "globex-new-user", "org_id": g.org_id});
    app.expect(201, "POST", "/users", v, Some(user)).await;
    let patched = app
        .expect(
            200,
            "PATCH",
            "/users/globex-user",
            v,
            Some(json!({"display_name": "Gus"})),
        )
        .await;
    assert_eq!(patched["display_name"], "Gus");
    let secret = app
        .expect(201, "POST", "/clients/globex-svc/secrets", v, None)
        .await;
    let path = format!(
        "/clients/globex-svc/secrets/{}",
        secret["id"].as_str().unwrap()
    );
    app.expect(204, "DELETE", &path, v, None).await;
    let revoked = app
        .expect(200, "POST", "/clients/globex-svc/revoke-tokens", v, None)
        .await;
    assert!(revoked["tokens_revoked_before"].is_string(), "{revoked}");
    let renamed = app
        .expect(
            200,
            "PATCH",
            "/orgs/globex",
            v,
            Some(json!({"name": "Globex Corp"})),
        )
        .await;
    assert_eq!(renamed["name"], "Globex Corp");
    // A new organization lands below the caller's own; a customer has no room below it.
    let hooli = json!({"slug": "hooli", "name": "Hooli"});
    let hooli = app.expect(201, "POST", "/orgs", v, Some(hooli)).await;
    assert_eq!(hooli["parent_id"], tree.acme.org_id.as_str(), "{hooli}");
    app.expect(204, "DELETE", "/orgs/hooli", v, None).await;
    let below = json!({"slug": "subsidiary", "name": "S", "parent_id": "globex"});
    for token in [v, c] {
        app.expect(422, "POST", "/orgs", token, Some(below.clone()))
            .await;
    }
    // The customer admin sees what its vendor did in its organization.
    let seen = app
        .expect(200, "GET", "/audit-events?limit=200", c, None)
        .await;
    let actions: Vec<(&str, &str)> = seen["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["actor"] == "acme-admin")
        .map(|e| (e["action"].as_str().unwrap(), e["target"].as_str().unwrap()))
        .collect();
    for expected in [
        ("client.created", "globex-new"),
        ("client.tokens_revoked", "globex-svc"),
    ] {
        assert!(
            actions.contains(&expected),
            "{expected:?} not in {actions:?}"
        );
    }
    assert!(
        !actions.iter().any(|(_, t)| *t == "acme-new"),
        "{actions:?}"
    );
}
