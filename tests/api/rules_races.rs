//! CONTRACT "Changes don't get lost" and "No principal grants what it does not hold", tried
//! concurrently: hundreds of changes side by side never leave a state nobody asked for, never
//! undo a disable or a demotion, and never remove the last full admin.

use serde_json::json;

use crate::helpers::{spawn_app, Backend, API};
use crate::on_both_backends;
use crate::rules_support::{admin_call, all_at_once, ADMIN_AUD};

on_both_backends!(
    concurrent_patches_never_undo_a_disable_or_a_cleared_admin_flag,
    concurrent_user_patches_never_undo_a_disable,
    concurrent_admin_writes_never_answer_500,
    two_full_admins_deleting_each_other_leave_one,
);

async fn concurrent_patches_never_undo_a_disable_or_a_cleared_admin_flag(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let admin = app.admin_token().await;
    let (created, _) = app
        .api_create_client(
            &admin,
            json!({"client_id": "target", "name": "t", "scopes": ["admin:audit:read"],
                   "audiences": [ADMIN_AUD], "is_admin_service_account": true}),
        )
        .await;
    let path = format!("/clients/{}", created["id"].as_str().unwrap());
    let rounds = 60;
    for i in 0..rounds {
        let reset = json!({"active": true, "is_admin_service_account": true});
        assert_eq!(
            admin_call(&app, "PATCH", &path, &admin, Some(reset))
                .await
                .0,
            200
        );
        let answers = all_at_once(vec![
            admin_call(&app, "PATCH", &path, &admin, Some(json!({"active": false}))),
            admin_call(
                &app,
                "PATCH",
                &path,
                &admin,
                Some(json!({"is_admin_service_account": false})),
            ),
            admin_call(
                &app,
                "PATCH",
                &path,
                &admin,
                Some(json!({"description": format!("round {i}")})),
            ),
        ])
        .await;
        for (status, body) in &answers {
            assert_eq!(*status, 200, "round {i}: {body}");
        }
        let (_, now) = admin_call(&app, "GET", &path, &admin, None).await;
        assert_eq!(now["active"], false, "round {i}: a disable was undone");
        assert_eq!(
            now["is_admin_service_account"], false,
            "round {i}: a demotion was undone"
        );
        assert_eq!(
            now["description"],
            format!("round {i}"),
            "round {i}: a change was lost"
        );
    }
    // Each change has its own audit event.
    let (actions, _) = app
        .audit_actions(
            &admin,
            "target=target&action=client.admin_flag_cleared&limit=100",
        )
        .await;
    assert_eq!(actions.len(), rounds);
}

async fn concurrent_user_patches_never_undo_a_disable(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let admin = app.admin_token().await;
    let (status, user) = admin_call(
        &app,
        "POST",
        "/users",
        &admin,
        Some(json!({"username": "dana"})),
    )
    .await;
    assert_eq!(status, 201, "{user}");
    let path = format!("/users/{}", user["id"].as_str().unwrap());
    for i in 0..40 {
        let reset = json!({"active": true});
        assert_eq!(
            admin_call(&app, "PATCH", &path, &admin, Some(reset))
                .await
                .0,
            200
        );
        let answers = all_at_once(vec![
            admin_call(&app, "PATCH", &path, &admin, Some(json!({"active": false}))),
            admin_call(
                &app,
                "PATCH",
                &path,
                &admin,
                Some(json!({"display_name": format!("Dana {i}")})),
            ),
        ])
        .await;
        for (status, body) in &answers {
            assert_eq!(*status, 200, "round {i}: {body}");
        }
        let (_, now) = admin_call(&app, "GET", &path, &admin, None).await;
        assert_eq!(now["active"], false, "round {i}: a disable was undone");
        assert_eq!(
            now["display_name"],
            format!("Dana {i}"),
            "round {i}: a change was lost"
        );
    }
}

async fn concurrent_admin_writes_never_answer_500(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let admin = app.admin_token().await;
    for batch in 0..4 {
        let calls = (0..16)
            .map(|i| {
                let body = json!({"client_id": format!("w-{batch}-{i}"), "name": "w",
                                  "scopes": ["read"], "audiences": [API]});
                admin_call(&app, "POST", "/clients", &admin, Some(body))
            })
            .collect();
        for (status, body) in all_at_once(calls).await {
            assert_eq!(status, 201, "batch {batch}: {body}");
        }
    }
}

async fn two_full_admins_deleting_each_other_leave_one(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let boot = app.admin_token().await;
    // Only the bootstrap admin holds the full admin scope: it can't remove itself.
    let me = app.row_id(crate::helpers::ADMIN_ID);
    let me_path = format!("/clients/{me}");
    assert_eq!(
        admin_call(&app, "DELETE", &me_path, &boot, None).await.0,
        409
    );
    let (status, _) = admin_call(
        &app,
        "PATCH",
        &me_path,
        &boot,
        Some(json!({"active": false})),
    )
    .await;
    assert_eq!(status, 409);
    let (status, _) = admin_call(
        &app,
        "PATCH",
        &me_path,
        &boot,
        Some(json!({"scopes": ["admin:clients:read"], "default_scopes": []})),
    )
    .await;
    assert_eq!(status, 409);
    // Two full admins delete each other at once: exactly one goes.
    let mut current = (me, boot);
    for round in 0..12 {
        let (other_id, other_token) = app.full_admin(&current.1, &format!("peer-{round}")).await;
        let answers = all_at_once(vec![
            admin_call(
                &app,
                "DELETE",
                &format!("/clients/{other_id}"),
                &current.1,
                None,
            ),
            admin_call(
                &app,
                "DELETE",
                &format!("/clients/{}", current.0),
                &other_token,
                None,
            ),
        ])
        .await;
        let deleted: Vec<bool> = answers.iter().map(|(s, _)| *s == 204).collect();
        assert_eq!(
            deleted.iter().filter(|d| **d).count(),
            1,
            "round {round}: {answers:?}"
        );
        if deleted[1] {
            current = (other_id, other_token);
        }
    }
    let (status, list) = admin_call(&app, "GET", "/clients?limit=200", &current.1, None).await;
    assert_eq!(status, 200);
    let full_admins = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| {
            c["is_admin_service_account"] == true
                && c["scopes"].as_array().unwrap().iter().any(|s| s == "admin")
        })
        .count();
    assert_eq!(full_admins, 1);
}
