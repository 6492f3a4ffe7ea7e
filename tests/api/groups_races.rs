//! CONTRACT "Changes don't get lost", for memberships: changes side by side all land, and each
//! one that answered success has exactly one audit event.

use serde_json::json;

use crate::helpers::{spawn_app, Backend};
use crate::on_both_backends;
use crate::orgs_support::{group, members, sa};
use crate::rules_support::{admin_call, all_at_once};

on_both_backends!(
    concurrent_adds_of_different_members_all_land,
    concurrent_add_and_remove_of_one_member_lose_neither_state_nor_audit,
);

async fn concurrent_adds_of_different_members_all_land(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let boot = app.admin_token().await;
    let ids: Vec<String> = (0..12).map(|i| format!("crowd-{i:02}")).collect();
    for id in &ids {
        sa(&app, &boot, id, "root", &[], &[]).await;
    }
    for round in 0..3 {
        let g = group(
            &app,
            &boot,
            "root",
            &format!("crowd-{round}"),
            &["read"],
            &[],
        )
        .await;
        let path = format!("/groups/{g}/members");
        let calls = ids
            .iter()
            .map(|id| admin_call(&app, "POST", &path, &boot, Some(json!({"principal": id}))))
            .collect();
        for (status, body) in all_at_once(calls).await {
            assert_eq!(status, 201, "round {round}: {body}");
        }
        assert_eq!(members(&app, &boot, &g).await, ids, "round {round}");
        let (actions, _) = app
            .audit_actions(&boot, &format!("target={g}&action=group.member_added"))
            .await;
        assert_eq!(actions.len(), ids.len(), "round {round}");
        // And every one of them holds what the group gives, at its next token.
        for id in &ids {
            let row = app.state.clients.get(id).unwrap();
            assert!(
                row.groups.contains(&g),
                "round {round}: {id} misses the group"
            );
        }
    }
}

async fn concurrent_add_and_remove_of_one_member_lose_neither_state_nor_audit(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let boot = app.admin_token().await;
    sa(&app, &boot, "flapper", "root", &[], &[]).await;
    let g = group(&app, &boot, "root", "flappers", &["read"], &[]).await;
    let collection = format!("/groups/{g}/members");
    let one = format!("{collection}/flapper");
    let (mut added, mut removed) = (0, 0);
    for round in 0..25 {
        let answers = all_at_once(vec![
            admin_call(
                &app,
                "POST",
                &collection,
                &boot,
                Some(json!({"principal": "flapper"})),
            ),
            admin_call(&app, "DELETE", &one, &boot, None),
        ])
        .await;
        let (add, del) = (answers[0].0, answers[1].0);
        assert_eq!(
            add, 201,
            "round {round}: the member was absent: {:?}",
            answers[0]
        );
        assert!(del == 204 || del == 404, "round {round}: {:?}", answers[1]);
        added += 1;
        // A removal that succeeded came after the add; one that found nobody came before it.
        let now = members(&app, &boot, &g).await;
        if del == 204 {
            removed += 1;
            assert!(now.is_empty(), "round {round}: removed, yet {now:?}");
        } else {
            assert_eq!(now, vec!["flapper"], "round {round}");
            let (status, _) = admin_call(&app, "DELETE", &one, &boot, None).await;
            assert_eq!(status, 204);
            removed += 1;
        }
        let in_registry = app
            .state
            .clients
            .get("flapper")
            .unwrap()
            .groups
            .contains(&g);
        assert!(
            !in_registry,
            "round {round}: the token endpoint still sees the group"
        );
    }
    let count = |action: &'static str| {
        let app = &app;
        let boot = &boot;
        let g = &g;
        async move {
            let q = format!("target={g}&action={action}&limit=200");
            app.audit_actions(boot, &q).await.0.len()
        }
    };
    assert_eq!(count("group.member_added").await, added);
    assert_eq!(count("group.member_removed").await, removed);
}
