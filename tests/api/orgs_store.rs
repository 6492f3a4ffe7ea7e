//! The store holds the organization rules too (docs/architecture.md "The store holds the rules
//! as well"): raw SQL that goes around the API and the domain is refused by the database
//! itself, on both backends. Each refused statement sits beside a near-identical one that is
//! accepted, so the refusal is the rule's and not a typo's.

use castellan::storage::orgs::ROOT_ORG_ID;
use serde_json::json;

use crate::helpers::{spawn_app, Backend, TestApp};
use crate::on_both_backends;
use crate::orgs_support::{accepted, group, insert_member, insert_org, org, refused, sa, user_in};

on_both_backends!(
    the_store_refuses_a_group_member_from_another_organization,
    the_store_refuses_a_fourth_organization_level_and_a_move,
    the_store_refuses_to_move_a_principal_or_a_group,
    the_store_refuses_to_delete_or_disable_root,
    the_store_refuses_to_delete_an_organization_that_is_not_empty,
    the_store_refuses_a_slug_that_is_not_lowercase_a_z_0_9_dash,
);

/// Two vendors, a customer below the first; returns (vendor, customer, other) ids.
async fn tree(app: &TestApp, boot: &str) -> (String, String, String) {
    let vendor = org(app, boot, "vendor", None).await;
    let customer = org(app, boot, "customer", Some(&vendor)).await;
    let other = org(app, boot, "other", None).await;
    (vendor, customer, other)
}

async fn the_store_refuses_a_group_member_from_another_organization(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let boot = app.admin_token().await;
    let (vendor, customer, other) = tree(&app, &boot).await;
    let g = group(&app, &boot, &vendor, "team", &["read"], &[]).await;
    sa(&app, &boot, "mine", &vendor, &[], &[]).await;
    sa(&app, &boot, "theirs", &other, &[], &[]).await;
    sa(&app, &boot, "below", &customer, &[], &[]).await;
    let their_user = user_in(&app, &boot, "stranger", &other).await;
    let (mine, theirs, below) = (
        app.row_id("mine"),
        app.row_id("theirs"),
        app.row_id("below"),
    );
    // Whichever organization the row claims, one of its two keys is wrong.
    for (i, (claimed, client)) in [
        (&vendor, &theirs),
        (&other, &theirs),
        (&vendor, &below),
        (&customer, &below),
    ]
    .into_iter()
    .enumerate()
    {
        refused(
            &app,
            insert_member(&format!("m{i}"), &g, claimed, Some(client), None),
        )
        .await;
    }
    for claimed in [&vendor, &other] {
        refused(
            &app,
            insert_member("mu", &g, claimed, None, Some(&their_user)),
        )
        .await;
    }
    // Neither both keys nor none.
    refused(
        &app,
        insert_member("mb", &g, &vendor, Some(&mine), Some(&their_user)),
    )
    .await;
    refused(&app, insert_member("mn", &g, &vendor, None, None)).await;
    accepted(&app, insert_member("ok", &g, &vendor, Some(&mine), None)).await;
    // And a member can't be moved into another organization afterwards.
    refused(
        &app,
        format!("UPDATE group_members SET client_pk = '{theirs}' WHERE id = 'ok'"),
    )
    .await;
}

async fn the_store_refuses_a_fourth_organization_level_and_a_move(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let boot = app.admin_token().await;
    let (vendor, customer, other) = tree(&app, &boot).await;
    // Below a customer: at its true depth, or lying about the parent's depth.
    refused(
        &app,
        insert_org("o1", "deeper", Some(&customer), 3, Some(2)),
    )
    .await;
    refused(
        &app,
        insert_org("o2", "deeper", Some(&customer), 2, Some(1)),
    )
    .await;
    refused(
        &app,
        insert_org("o3", "deeper", Some(&customer), 1, Some(0)),
    )
    .await;
    // A second root, or an organization with no parent posing as a vendor.
    refused(&app, insert_org("o4", "root-2", None, 0, None)).await;
    refused(&app, insert_org("o5", "orphan", None, 1, None)).await;
    accepted(
        &app,
        insert_org("o6", "customer-2", Some(&vendor), 2, Some(1)),
    )
    .await;
    // An organization does not move, neither under a customer nor elsewhere.
    let moves = [
        format!("UPDATE organizations SET parent_id = '{customer}', depth = 3, parent_depth = 2 WHERE id = '{other}'"),
        format!("UPDATE organizations SET parent_id = '{vendor}', depth = 2, parent_depth = 1 WHERE id = '{other}'"),
        format!("UPDATE organizations SET parent_id = '{other}' WHERE id = '{customer}'"),
    ];
    for sql in moves {
        refused(&app, sql).await;
    }
}

async fn the_store_refuses_to_move_a_principal_or_a_group(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let boot = app.admin_token().await;
    let (vendor, _, other) = tree(&app, &boot).await;
    sa(&app, &boot, "stays", &vendor, &[], &[]).await;
    let user = user_in(&app, &boot, "stays-too", &vendor).await;
    let g = group(&app, &boot, &vendor, "team", &[], &[]).await;
    for target in [other.as_str(), ROOT_ORG_ID] {
        refused(
            &app,
            format!("UPDATE clients SET org_id = '{target}' WHERE client_id = 'stays'"),
        )
        .await;
        refused(
            &app,
            format!("UPDATE users SET org_id = '{target}' WHERE id = '{user}'"),
        )
        .await;
        refused(
            &app,
            format!("UPDATE groups SET org_id = '{target}' WHERE id = '{g}'"),
        )
        .await;
    }
    refused(
        &app,
        "UPDATE clients SET org_id = NULL WHERE client_id = 'stays'".into(),
    )
    .await;
    // Other changes to the same rows go through.
    accepted(
        &app,
        "UPDATE clients SET name = 'n' WHERE client_id = 'stays'".into(),
    )
    .await;
    accepted(
        &app,
        format!("UPDATE users SET display_name = 'n' WHERE id = '{user}'"),
    )
    .await;
    accepted(
        &app,
        format!("UPDATE groups SET description = 'n' WHERE id = '{g}'"),
    )
    .await;
    let a = app.admin("GET", "/clients/stays", Some(&boot), None).await;
    assert_eq!(a.body["org_id"], vendor.as_str());
}

async fn the_store_refuses_to_delete_or_disable_root(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let boot = app.admin_token().await;
    let (vendor, _, _) = tree(&app, &boot).await;
    refused(
        &app,
        format!("DELETE FROM organizations WHERE id = '{ROOT_ORG_ID}'"),
    )
    .await;
    refused(&app, "DELETE FROM organizations WHERE slug = 'root'".into()).await;
    refused(
        &app,
        format!("UPDATE organizations SET active = FALSE WHERE id = '{ROOT_ORG_ID}'"),
    )
    .await;
    // A vendor may be disabled by SQL: the rule is root's alone.
    accepted(
        &app,
        format!("UPDATE organizations SET active = FALSE WHERE id = '{vendor}'"),
    )
    .await;
    let a = app.admin("GET", "/orgs/root", Some(&boot), None).await;
    assert_eq!((a.status, a.body["active"].clone()), (200, json!(true)));
}

async fn the_store_refuses_to_delete_an_organization_that_is_not_empty(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let boot = app.admin_token().await;
    let (vendor, customer, other) = tree(&app, &boot).await;
    // The customer holds a client, the other vendor a user, the vendor a child.
    sa(&app, &boot, "inside", &customer, &[], &[]).await;
    user_in(&app, &boot, "someone", &other).await;
    let with_group = org(&app, &boot, "with-group", None).await;
    group(&app, &boot, &with_group, "g", &[], &[]).await;
    for id in [&customer, &other, &vendor, &with_group] {
        refused(&app, format!("DELETE FROM organizations WHERE id = '{id}'")).await;
    }
    let empty = org(&app, &boot, "empty", None).await;
    accepted(
        &app,
        format!("DELETE FROM organizations WHERE id = '{empty}'"),
    )
    .await;
    let a = app.admin("GET", "/clients/inside", Some(&boot), None).await;
    assert_eq!(a.body["org_id"], customer.as_str());
}

async fn the_store_refuses_a_slug_that_is_not_lowercase_a_z_0_9_dash(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let boot = app.admin_token().await;
    let (vendor, _, _) = tree(&app, &boot).await;
    let long = "a".repeat(64);
    for (i, bad) in [
        "Acme",
        "ACME",
        "acme_corp",
        "",
        "ácme",
        "acme corp",
        long.as_str(),
    ]
    .into_iter()
    .enumerate()
    {
        refused(
            &app,
            insert_org(&format!("s{i}"), bad, Some(ROOT_ORG_ID), 1, Some(0)),
        )
        .await;
    }
    // Nor by renaming one, nor taking a slug already used.
    refused(
        &app,
        format!("UPDATE organizations SET slug = 'Vendor' WHERE id = '{vendor}'"),
    )
    .await;
    refused(
        &app,
        insert_org("dup", "vendor", Some(ROOT_ORG_ID), 1, Some(0)),
    )
    .await;
    accepted(
        &app,
        insert_org("fine", &"a".repeat(63), Some(ROOT_ORG_ID), 1, Some(0)),
    )
    .await;
    accepted(
        &app,
        insert_org("fine-2", "acme-2", Some(ROOT_ORG_ID), 1, Some(0)),
    )
    .await;
}
