//! The admin API's users, and routes for people that refuse service accounts.

use serde_json::{json, Value};

use crate::admin_misc_support::{claims, sign};
use crate::helpers::{spawn_app, Backend};
use crate::on_both_backends;

on_both_backends!(
    users_are_created_updated_and_deleted_without_ever_showing_a_password,
    a_route_for_people_refuses_service_accounts_cleanly,
);

async fn users_are_created_updated_and_deleted_without_ever_showing_a_password(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let admin = app.admin_token().await;
    let pw = "a long enough passphrase";
    let a = app
        .admin("POST", "/users", Some(&admin), Some(json!({"username": "bob", "display_name": "Bob", "email": "bob@example.com", "password": pw})))
        .await;
    assert_eq!(a.status, 201, "{}", a.body);
    assert_eq!(a.body["has_password"], true);
    let text = a.body.to_string();
    assert!(
        !text.contains(pw) && !text.contains("argon2") && a.body.get("password_hash").is_none()
    );
    let path = format!("/users/{}", a.body["id"].as_str().unwrap());
    // Stored as argon2id.
    let stored = app
        .state
        .db
        .run(|c| castellan::storage::users::find_by_username(c, "bob"))
        .await
        .unwrap();
    assert!(stored.password_hash.unwrap().starts_with("$argon2id$"));
    // Partial update keeps what was not sent; null clears the email.
    let a = app
        .admin(
            "PATCH",
            &path,
            Some(&admin),
            Some(json!({"display_name": "Robert"})),
        )
        .await;
    assert_eq!(
        (a.body["display_name"].as_str(), a.body["email"].as_str()),
        (Some("Robert"), Some("bob@example.com"))
    );
    let a = app
        .admin("PATCH", &path, Some(&admin), Some(json!({"email": null})))
        .await;
    assert_eq!(a.body["email"], Value::Null);
    for bad in [
        json!({"password": "short"}),
        json!({"username": "robert"}),
        json!({"email": "not-an-address"}),
    ] {
        assert_eq!(
            app.admin("PATCH", &path, Some(&admin), Some(bad.clone()))
                .await
                .status,
            422,
            "{bad}"
        );
    }
    assert_eq!(
        app.admin(
            "POST",
            "/users",
            Some(&admin),
            Some(json!({"username": "has space"}))
        )
        .await
        .status,
        422
    );
    let list = app.admin("GET", "/users", Some(&admin), None).await;
    assert_eq!(list.body["items"].as_array().unwrap().len(), 1);
    assert_eq!(
        app.admin("DELETE", &path, Some(&admin), None).await.status,
        204
    );
    assert_eq!(
        app.admin("GET", &path, Some(&admin), None).await.status,
        404
    );
    // Every change audited, no password in any event.
    let (actions, events) = app.audit_actions(&admin, "target=bob").await;
    let actions: Vec<&str> = actions.iter().map(String::as_str).collect();
    assert_eq!(actions.first(), Some(&"user.deleted"));
    assert!(actions.contains(&"user.created") && actions.contains(&"user.updated"));
    assert!(!events.to_string().contains(pw) && !events.to_string().contains("argon2"));
}

async fn a_route_for_people_refuses_service_accounts_cleanly(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let admin = app.admin_token().await;
    let body = json!({"current_password": "x", "new_password": "a brand new passphrase"});
    let a = app
        .admin("PUT", "/me/password", Some(&admin), Some(body))
        .await;
    assert_eq!(a.status, 403);
    assert_eq!(a.content_type, "application/problem+json");
    assert!(a.body["detail"]
        .as_str()
        .unwrap()
        .contains("service-account"));
    // A person's token (minted with the server's key: the login flow comes later) works.
    let carol = app
        .admin(
            "POST",
            "/users",
            Some(&admin),
            Some(json!({"username": "carol", "password": "carol's first passphrase"})),
        )
        .await;
    // CONTRACT ("User tokens"): a user token's sub is the user's id.
    let carol_id = carol.body["id"].as_str().unwrap().to_string();
    let user_token = sign(&app, &claims(&app, &carol_id, "user", "admin:users:read"));
    // Live means live: a person holds only what groups give it, so a scope in its token that
    // it does not hold opens nothing; the route made for people still works.
    assert_eq!(
        app.admin("GET", "/users", Some(&user_token), None)
            .await
            .status,
        403
    );
    let a = app
        .admin("PUT", "/me/password", Some(&user_token), Some(json!({"current_password": "carol's first passphrase", "new_password": "carol's second passphrase"})))
        .await;
    assert_eq!(a.status, 204, "{}", a.body);
    let a = app
        .admin(
            "PUT",
            "/me/password",
            Some(&user_token),
            Some(json!({"current_password": "wrong", "new_password": "carol's third passphrase"})),
        )
        .await;
    assert_eq!(a.status, 403);
}
