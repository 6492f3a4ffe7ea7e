//! CONTRACT "Deleting one is 409 while it still has principals, groups or child organizations"
//! and "the last full admin", tried concurrently: a delete racing creations into the same
//! organization never leaves anything orphaned, and two group-made admins removing each other
//! at once leave one.

use serde_json::json;

use crate::helpers::{spawn_app, Backend, ADMIN_ID};
use crate::on_both_backends;
use crate::orgs_support::{add, bare_admin, group, members, org};
use crate::rules_support::{admin_call, all_at_once, ADMIN_AUD};

on_both_backends!(
    a_delete_racing_creations_into_the_organization_orphans_nothing,
    two_admins_by_group_removing_each_other_at_once_leave_one,
);

async fn a_delete_racing_creations_into_the_organization_orphans_nothing(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let boot = app.admin_token().await;
    for round in 0..15 {
        let slug = format!("doomed-{round}");
        let id = org(&app, &boot, &slug, None).await;
        let client = json!({"client_id": format!("c-{round}"), "name": "c", "org_id": id});
        let user = json!({"username": format!("u-{round}"), "org_id": id});
        let grp = json!({"name": "g", "org_id": id});
        let child = json!({"slug": format!("child-{round}"), "name": "c", "parent_id": id});
        let answers = all_at_once(vec![
            admin_call(&app, "DELETE", &format!("/orgs/{id}"), &boot, None),
            admin_call(&app, "POST", "/clients", &boot, Some(client)),
            admin_call(&app, "POST", "/users", &boot, Some(user)),
            admin_call(&app, "POST", "/groups", &boot, Some(grp)),
            admin_call(&app, "POST", "/orgs", &boot, Some(child)),
        ])
        .await;
        let deleted = answers[0].0 == 204;
        let created = answers[1..].iter().filter(|(s, _)| *s == 201).count();
        for (status, body) in &answers {
            assert!(*status < 500, "round {round}: {status} {body}");
        }
        if deleted {
            assert_eq!(
                created, 0,
                "round {round}: created into a deleted org: {answers:?}"
            );
        } else {
            assert_eq!(answers[0].0, 409, "round {round}: {:?}", answers[0]);
            assert!(created > 0, "round {round}: refused with nothing inside");
        }
        // What the store holds agrees with the answers.
        let (status, _) = admin_call(&app, "GET", &format!("/orgs/{id}"), &boot, None).await;
        assert_eq!(status, if deleted { 404 } else { 200 }, "round {round}");
        let (status, _) =
            admin_call(&app, "GET", &format!("/clients/c-{round}"), &boot, None).await;
        assert_eq!(
            status == 200,
            answers[1].0 == 201,
            "round {round}: the client"
        );
    }
}

async fn two_admins_by_group_removing_each_other_at_once_leave_one(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let boot = app.admin_token().await;
    let admins = group(&app, &boot, "root", "admins", &["admin"], &[ADMIN_AUD]).await;
    let mut tokens = Vec::new();
    for id in ["heir-a", "heir-b"] {
        let secret = bare_admin(&app, &boot, id, "root").await;
        assert_eq!(add(&app, &boot, &admins, id).await.0, 201);
        let form = [("scope", "admin"), ("audience", ADMIN_AUD)];
        tokens.push(app.access_token(id, &secret, &form).await);
    }
    let demote = json!({"scopes": ["admin:clients:read"], "default_scopes": []});
    let path = format!("/clients/{}", app.row_id(ADMIN_ID));
    let a = app.admin("PATCH", &path, Some(&boot), Some(demote)).await;
    assert_eq!(a.status, 200, "{}", a.body);
    let member = |who: &str| format!("/groups/{admins}/members/{who}");
    let answers = all_at_once(vec![
        admin_call(&app, "DELETE", &member("heir-b"), &tokens[0], None),
        admin_call(&app, "DELETE", &member("heir-a"), &tokens[1], None),
    ])
    .await;
    let done = answers.iter().filter(|(s, _)| *s == 204).count();
    assert_eq!(done, 1, "{answers:?}");
    for (status, body) in &answers {
        assert!([204, 403, 409].contains(status), "{status} {body}");
    }
    // heir-a removing heir-b leaves heir-a, and the other way round.
    let (survivor, token) = if answers[0].0 == 204 {
        ("heir-a", &tokens[0])
    } else {
        ("heir-b", &tokens[1])
    };
    assert_eq!(members(&app, token, &admins).await, vec![survivor]);
    let a = app.admin("GET", "/clients", Some(token), None).await;
    assert_eq!(a.status, 200, "the last full admin was locked out");
}
