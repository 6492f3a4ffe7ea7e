//! Helpers for the organization and group tests: organizations, groups, members, users and
//! service accounts made through the admin API; token requests that answer (status, body); and
//! raw SQL run straight on the store.

use castellan::storage::DbConnection;
use diesel::{QueryResult, RunQueryDsl};
use serde_json::{json, Value};

use crate::helpers::TestApp;

/// Creates an organization below `parent` (an id or a slug; None: the caller's own); its id.
pub async fn org(app: &TestApp, token: &str, slug: &str, parent: Option<&str>) -> String {
    let body = json!({"slug": slug, "name": format!("{slug} Inc."), "parent_id": parent});
    let a = app.admin("POST", "/orgs", Some(token), Some(body)).await;
    assert_eq!(a.status, 201, "create org {slug}: {}", a.body);
    a.body["id"].as_str().unwrap().to_string()
}

/// Creates a group in `org` (an id or a slug); its id.
pub async fn group(
    app: &TestApp,
    token: &str,
    org: &str,
    name: &str,
    scopes: &[&str],
    audiences: &[&str],
) -> String {
    let body = json!({"org_id": org, "name": name, "scopes": scopes, "audiences": audiences});
    let a = app.admin("POST", "/groups", Some(token), Some(body)).await;
    assert_eq!(a.status, 201, "create group {name}: {}", a.body);
    a.body["id"].as_str().unwrap().to_string()
}

/// Adds `principal` (a client_id or a username) to a group; the status and body.
pub async fn add(app: &TestApp, token: &str, group: &str, principal: &str) -> (u16, Value) {
    let path = format!("/groups/{group}/members");
    let a = app
        .admin(
            "POST",
            &path,
            Some(token),
            Some(json!({"principal": principal})),
        )
        .await;
    (a.status, a.body)
}

/// Removes `principal` from a group; the status.
pub async fn remove(app: &TestApp, token: &str, group: &str, principal: &str) -> u16 {
    let path = format!("/groups/{group}/members/{principal}");
    app.admin("DELETE", &path, Some(token), None).await.status
}

/// The principals (client_ids and usernames) of a group's members, sorted.
pub async fn members(app: &TestApp, token: &str, group: &str) -> Vec<String> {
    let path = format!("/groups/{group}/members");
    let a = app.admin("GET", &path, Some(token), None).await;
    assert_eq!(a.status, 200, "members: {}", a.body);
    let mut names: Vec<String> = a
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["principal"].as_str().unwrap().to_string())
        .collect();
    names.sort();
    names
}

/// A service account in `org` holding exactly `scopes` and `audiences` of its own (no
/// default scopes); its secret.
pub async fn sa(
    app: &TestApp,
    token: &str,
    client_id: &str,
    org: &str,
    scopes: &[&str],
    audiences: &[&str],
) -> String {
    let body = json!({"client_id": client_id, "name": client_id, "org_id": org,
                      "scopes": scopes, "audiences": audiences});
    let (_, secret) = app.api_create_client(token, body).await;
    secret.unwrap()
}

/// An admin service account in `org` holding nothing of its own: what it may do comes from
/// its groups. Its secret.
pub async fn bare_admin(app: &TestApp, token: &str, client_id: &str, org: &str) -> String {
    let body = json!({"client_id": client_id, "name": client_id, "org_id": org,
                      "is_admin_service_account": true});
    let (_, secret) = app.api_create_client(token, body).await;
    secret.unwrap()
}

/// A client_credentials request with extra fields; the status and body.
pub async fn ask(app: &TestApp, id: &str, secret: &str, extra: &[(&str, &str)]) -> (u16, Value) {
    let mut form = vec![("grant_type", "client_credentials")];
    form.extend_from_slice(extra);
    let res = app.token_basic(id, secret, &form).await;
    let status = res.status().as_u16();
    (status, res.json().await.unwrap_or(Value::Null))
}

/// The `error` of a refused token request (panics on a granted one).
pub async fn refusal(app: &TestApp, id: &str, secret: &str, extra: &[(&str, &str)]) -> String {
    let (status, body) = ask(app, id, secret, extra).await;
    assert_ne!(status, 200, "{id} got a token: {body}");
    body["error"].as_str().unwrap_or_default().to_string()
}

/// A user in `org_id`; its id.
pub async fn user_in(app: &TestApp, boot: &str, username: &str, org_id: &str) -> String {
    let body = json!({"username": username, "org_id": org_id});
    let a = app.admin("POST", "/users", Some(boot), Some(body)).await;
    assert_eq!(a.status, 201, "{}", a.body);
    a.body["id"].as_str().unwrap().to_string()
}

/// Runs one statement straight on the store, as an operator with a SQL shell would.
pub async fn exec(app: &TestApp, sql: String) -> QueryResult<usize> {
    app.state
        .db
        .run(move |conn| {
            Ok(match conn {
                DbConnection::Postgres(c) => diesel::sql_query(sql).execute(c),
                DbConnection::Sqlite(c) => diesel::sql_query(sql).execute(c),
            })
        })
        .await
        .expect("a connection")
}

/// Asserts the store refuses a statement.
pub async fn refused(app: &TestApp, sql: String) {
    let result = exec(app, sql.clone()).await;
    assert!(result.is_err(), "the store accepted: {sql} ({result:?})");
}

/// Asserts the store accepts a statement that changes one row.
pub async fn accepted(app: &TestApp, sql: String) {
    let result = exec(app, sql.clone()).await;
    assert_eq!(result, Ok(1), "the store refused: {sql}");
}

/// An organization row as raw SQL would write it.
pub fn insert_org(
    id: &str,
    slug: &str,
    parent: Option<&str>,
    depth: i32,
    parent_depth: Option<i32>,
) -> String {
    let text = |v: Option<&str>| v.map_or("NULL".to_string(), |v| format!("'{v}'"));
    let int = |v: Option<i32>| v.map_or("NULL".to_string(), |v| v.to_string());
    format!(
        "INSERT INTO organizations (id, slug, name, parent_id, depth, parent_depth, active, \
         created_at, updated_at) VALUES ('{id}', '{slug}', 'x', {}, {depth}, {}, TRUE, \
         CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)",
        text(parent),
        int(parent_depth)
    )
}

/// A group membership row as raw SQL would write it.
pub fn insert_member(
    id: &str,
    group: &str,
    org: &str,
    client: Option<&str>,
    user: Option<&str>,
) -> String {
    let text = |v: Option<&str>| v.map_or("NULL".to_string(), |v| format!("'{v}'"));
    format!(
        "INSERT INTO group_members (id, group_id, org_id, client_pk, user_id, added_at) \
         VALUES ('{id}', '{group}', '{org}', {}, {}, CURRENT_TIMESTAMP)",
        text(client),
        text(user)
    )
}
