//! CONTRACT "Disabling an organization shuts out every principal in it and below it at once":
//! no tokens at the token endpoint, `401` at the admin API, `active: false` at introspection;
//! and only a caller holding everything its principals hold may do it.

use serde_json::json;

use crate::helpers::{spawn_app, Backend, TestApp, API};
use crate::on_both_backends;
use crate::orgs_support::{add, ask, group, org, refusal, remove, sa};
use crate::rules_support::ADMIN_AUD;

on_both_backends!(
    disabling_an_organization_shuts_out_it_and_below_at_once_and_enabling_restores,
    a_narrower_admin_cannot_disable_an_organization_holding_more_than_it,
);

struct Shop {
    /// (client_id, secret) of a plain service account in the vendor, in its customer, and
    /// in root.
    vendor_sa: (String, String),
    customer_sa: (String, String),
    root_sa: (String, String),
    /// A full admin service account living in the vendor.
    vendor_admin: (String, String),
}

async fn shop(app: &TestApp, boot: &str) -> Shop {
    let vendor = org(app, boot, "vendor", None).await;
    let customer = org(app, boot, "customer", Some(&vendor)).await;
    let root = "root".to_string();
    let mut made = Vec::new();
    for (id, in_org) in [("v-svc", &vendor), ("c-svc", &customer), ("r-svc", &root)] {
        let secret = sa(app, boot, id, in_org, &["read"], &[API]).await;
        made.push((id.to_string(), secret));
    }
    let body = json!({"client_id": "v-admin", "name": "v", "org_id": vendor,
                      "scopes": ["admin"], "default_scopes": ["admin"],
                      "audiences": [ADMIN_AUD], "is_admin_service_account": true});
    let (_, secret) = app.api_create_client(boot, body).await;
    let root_sa = made.pop().unwrap();
    let customer_sa = made.pop().unwrap();
    let vendor_sa = made.pop().unwrap();
    Shop {
        vendor_sa,
        customer_sa,
        root_sa,
        vendor_admin: ("v-admin".into(), secret.unwrap()),
    }
}

/// The status of an admin call that any admin may make.
async fn status_of(app: &TestApp, token: String) -> u16 {
    app.admin("GET", "/clients", Some(&token), None)
        .await
        .status
}

async fn disabling_an_organization_shuts_out_it_and_below_at_once_and_enabling_restores(
    backend: Backend,
) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let boot = app.admin_token().await;
    let s = shop(&app, &boot).await;
    let (va, vs) = (&s.vendor_admin.0, &s.vendor_admin.1);
    let admin_before = app.access_token(va, vs, &[]).await;
    let vendor_before = app.access_token(&s.vendor_sa.0, &s.vendor_sa.1, &[]).await;
    let customer_before = app
        .access_token(&s.customer_sa.0, &s.customer_sa.1, &[])
        .await;
    let api = |token: &str| status_of(&app, token.to_string());
    assert_eq!(api(&admin_before).await, 200);
    let off = json!({"active": false});
    let a = app
        .admin("PATCH", "/orgs/vendor", Some(&boot), Some(off))
        .await;
    assert_eq!(a.status, 200, "{}", a.body);
    assert_eq!(a.body["active"], false);
    // At once: no reload, no wait.
    for (id, secret) in [&s.vendor_sa, &s.customer_sa, &s.vendor_admin] {
        assert_eq!(
            refusal(&app, id, secret, &[]).await,
            "invalid_client",
            "{id} still gets tokens"
        );
    }
    assert_eq!(
        api(&admin_before).await,
        401,
        "the vendor's admin still works"
    );
    for token in [&vendor_before, &customer_before, &admin_before] {
        assert!(!app.is_active(token).await, "a token from inside is active");
    }
    // Everyone outside goes on.
    let (status, _) = ask(&app, &s.root_sa.0, &s.root_sa.1, &[]).await;
    assert_eq!(status, 200);
    assert_eq!(api(&boot).await, 200);
    // Enabling the vendor again lets everyone back in.
    let on = json!({"active": true});
    let a = app
        .admin("PATCH", "/orgs/vendor", Some(&boot), Some(on))
        .await;
    assert_eq!(a.status, 200, "{}", a.body);
    for (id, secret) in [&s.vendor_sa, &s.customer_sa, &s.vendor_admin] {
        let (status, body) = ask(&app, id, secret, &[]).await;
        assert_eq!(status, 200, "{id}: {body}");
    }
    assert_eq!(api(&admin_before).await, 200);
    assert!(app.is_active(&vendor_before).await);
    // Disabling the customer alone leaves the vendor above it working.
    let off = json!({"active": false});
    let a = app
        .admin("PATCH", "/orgs/customer", Some(&boot), Some(off))
        .await;
    assert_eq!(a.status, 200, "{}", a.body);
    let (cid, csecret) = &s.customer_sa;
    assert_eq!(refusal(&app, cid, csecret, &[]).await, "invalid_client");
    assert!(!app.is_active(&customer_before).await);
    let (status, _) = ask(&app, &s.vendor_sa.0, &s.vendor_sa.1, &[]).await;
    assert_eq!(status, 200);
    assert_eq!(api(&admin_before).await, 200);
}

async fn a_narrower_admin_cannot_disable_an_organization_holding_more_than_it(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let boot = app.admin_token().await;
    let s = shop(&app, &boot).await;
    let (narrow, _) = app
        .limited_admin("org-keeper", &["admin:orgs:write", "admin:orgs:read"])
        .await;
    // The vendor holds principals with `read`, an API audience and `admin`: more than it.
    // The customer alone holds `read` and the API audience: still more than it.
    for slug in ["vendor", "customer"] {
        let path = format!("/orgs/{slug}");
        let off = json!({"active": false});
        let a = app.admin("PATCH", &path, Some(&narrow), Some(off)).await;
        assert_eq!(a.status, 403, "{slug}: {}", a.body);
        let a = app.admin("GET", &path, Some(&boot), None).await;
        assert_eq!(a.body["active"], true, "{slug} was disabled after all");
    }
    for (id, secret) in [&s.vendor_sa, &s.customer_sa, &s.vendor_admin] {
        let (status, body) = ask(&app, id, secret, &[]).await;
        assert_eq!(status, 200, "{id}: {body}");
    }
    // Holding more only through a group counts too: a user holding nothing of its own, and a
    // service account holding nothing of its own.
    let grouped = org(&app, &boot, "grouped", None).await;
    let g = group(&app, &boot, &grouped, "deployers", &["deploy:write"], &[]).await;
    let user = json!({"username": "gina", "org_id": grouped});
    assert_eq!(
        app.admin("POST", "/users", Some(&boot), Some(user))
            .await
            .status,
        201
    );
    sa(&app, &boot, "grouped-svc", &grouped, &[], &[]).await;
    for member in ["gina", "grouped-svc"] {
        assert_eq!(add(&app, &boot, &g, member).await.0, 201);
        let off = json!({"active": false});
        let a = app
            .admin("PATCH", "/orgs/grouped", Some(&narrow), Some(off))
            .await;
        assert_eq!(a.status, 403, "{member}: {}", a.body);
        assert_eq!(remove(&app, &boot, &g, member).await, 204);
    }
    // What it covers, it may disable: an organization of nobody, and a rename is no power.
    org(&app, &boot, "empty", None).await;
    let off = json!({"active": false});
    let a = app
        .admin("PATCH", "/orgs/empty", Some(&narrow), Some(off))
        .await;
    assert_eq!(a.status, 200, "{}", a.body);
    let rename = json!({"name": "Vendor, renamed"});
    let a = app
        .admin("PATCH", "/orgs/vendor", Some(&narrow), Some(rename))
        .await;
    assert_eq!(a.status, 200, "{}", a.body);
}
