//! The admin routes the tenancy tests try across the boundary, as tables of templates filled in
//! with one organization's things (`{c}` its service account's row id, `{cid}` its client_id,
//! `{sid}` its secret's id, `{u}`/`{un}` its user's id and username, `{g}` its group, `{o}`/
//! `{slug}` the organization) and with the caller's own (`{my_c}`, `{my_cid}`, `{my_g}`).

use serde_json::Value;

use crate::tenancy_support::{Things, Tree};

/// Reads: (path, the same thing by its id, what a `404` names). An admin path accepts a
/// client_id, a username or a slug wherever it accepts an id.
#[rustfmt::skip]
pub const READS: &[(&str, &str, &str)] = &[
    ("/clients/{c}",                "/clients/{c}",             "client"),
    ("/clients/{cid}",              "/clients/{c}",             "client"),
    ("/clients/{c}/secrets",        "/clients/{c}/secrets",     "client"),
    ("/clients/{cid}/secrets",      "/clients/{c}/secrets",     "client"),
    ("/clients/{c}/permissions",    "/clients/{c}/permissions", "client"),
    ("/clients/{cid}/permissions",  "/clients/{c}/permissions", "client"),
    ("/users/{u}",                  "/users/{u}",               "user"),
    ("/users/{un}",                 "/users/{u}",               "user"),
    ("/users/{u}/permissions",      "/users/{u}/permissions",   "user"),
    ("/users/{un}/permissions",     "/users/{u}/permissions",   "user"),
    ("/groups/{g}",                 "/groups/{g}",              "group"),
    ("/groups/{g}/members",         "/groups/{g}/members",      "group"),
    ("/orgs/{o}",                   "/orgs/{o}",                "organization"),
    ("/orgs/{slug}",                "/orgs/{o}",                "organization"),
];

/// Changes: (method, path, JSON body or "", what the `404` names).
#[rustfmt::skip]
pub const CHANGES: &[(&str, &str, &str, &str)] = &[
    ("PATCH",  "/clients/{c}",                   r#"{"name": "mine now"}"#,          "client"),
    ("PATCH",  "/clients/{cid}",                 r#"{"active": false}"#,             "client"),
    ("DELETE", "/clients/{c}",                   "",                                 "client"),
    ("DELETE", "/clients/{cid}",                 "",                                 "client"),
    ("POST",   "/clients/{c}/secrets",           "",                                 "client"),
    ("POST",   "/clients/{cid}/secrets",         r#"{"name": "planted"}"#,           "client"),
    ("DELETE", "/clients/{c}/secrets/{sid}",     "",                                 "client"),
    ("DELETE", "/clients/{cid}/secrets/{sid}",   "",                                 "client"),
    // Its own client, someone else's secret.
    ("DELETE", "/clients/{my_c}/secrets/{sid}",  "",                                 "secret"),
    ("POST",   "/clients/{c}/revoke-tokens",     "",                                 "client"),
    ("POST",   "/clients/{cid}/revoke-tokens",   "",                                 "client"),
    ("PATCH",  "/users/{u}",                     r#"{"display_name": "mine now"}"#,  "user"),
    ("PATCH",  "/users/{un}",                    r#"{"active": false}"#,             "user"),
    ("DELETE", "/users/{u}",                     "",                                 "user"),
    ("DELETE", "/users/{un}",                    "",                                 "user"),
    ("PATCH",  "/groups/{g}",                    r#"{"scopes": [], "audiences": []}"#, "group"),
    ("DELETE", "/groups/{g}",                    "",                                 "group"),
    ("POST",   "/groups/{g}/members",            r#"{"principal": "{my_cid}"}"#,     "group"),
    ("DELETE", "/groups/{g}/members/{cid}",      "",                                 "group"),
    ("DELETE", "/groups/{g}/members/{un}",       "",                                 "group"),
    // Its own group, someone else's principal.
    ("POST",   "/groups/{my_g}/members",         r#"{"principal": "{cid}"}"#,        "principal"),
    ("POST",   "/groups/{my_g}/members",         r#"{"principal": "{un}"}"#,         "principal"),
    ("DELETE", "/groups/{my_g}/members/{cid}",   "",                                 "principal"),
    ("DELETE", "/groups/{my_g}/members/{un}",    "",                                 "principal"),
    ("PATCH",  "/orgs/{o}",                      r#"{"name": "mine now"}"#,   "organization"),
    ("PATCH",  "/orgs/{slug}",                   r#"{"active": false}"#,      "organization"),
    ("DELETE", "/orgs/{o}",                      "",                          "organization"),
    ("DELETE", "/orgs/{slug}",                   "",                          "organization"),
];

/// Creations in an organization, or below it: (path, JSON body naming it as `{org}`). Each is
/// tried naming it by id and by slug; a `404` names the organization.
#[rustfmt::skip]
pub const CREATIONS: &[(&str, &str)] = &[
    ("/clients", r#"{"client_id": "smuggled", "name": "s", "org_id": "{org}"}"#),
    ("/users",   r#"{"username": "smuggled", "org_id": "{org}"}"#),
    ("/groups",  r#"{"name": "smuggled", "org_id": "{org}"}"#),
    ("/orgs",    r#"{"slug": "smuggled", "name": "s", "parent_id": "{org}"}"#),
];

/// A template with `t`'s things, and the caller's `own` as `{my_…}`, put in.
pub fn fill(template: &str, t: &Things, own: &Things) -> String {
    [
        ("{my_c}", own.client_pk.as_str()),
        ("{my_cid}", &own.client_id),
        ("{my_g}", &own.group_id),
        ("{c}", &t.client_pk),
        ("{cid}", &t.client_id),
        ("{sid}", &t.secret_id),
        ("{u}", &t.user_id),
        ("{un}", &t.username),
        ("{g}", &t.group_id),
        ("{o}", &t.org_id),
        ("{slug}", t.slug),
    ]
    .iter()
    .fold(template.to_string(), |s, (k, v)| s.replace(k, v))
}

/// A change tried on `t`'s things by a caller whose own things are `own`.
pub struct Change {
    pub method: &'static str,
    pub path: String,
    pub body: Option<Value>,
    /// What the `404` names.
    pub what: &'static str,
}

/// Every row of [`CHANGES`] and [`CREATIONS`], filled in.
pub fn changes(t: &Things, own: &Things) -> Vec<Change> {
    let json = |body: &str| serde_json::from_str(&fill(body, t, own)).unwrap();
    let mut out: Vec<Change> = CHANGES
        .iter()
        .map(|&(method, path, body, what)| Change {
            method,
            path: fill(path, t, own),
            body: (!body.is_empty()).then(|| json(body)),
            what,
        })
        .collect();
    for (path, body) in CREATIONS {
        for org in ["{o}", "{slug}"] {
            out.push(Change {
                method: "POST",
                path: path.to_string(),
                body: Some(json(&body.replace("{org}", org))),
                what: "organization",
            });
        }
    }
    out
}

/// Things that were never there: what an admin gets for them is the standard that things
/// outside its subtree are held to.
pub fn ghost() -> Things {
    let id = |n: u8| format!("00000000-0000-4000-8000-0000000000{n:02}");
    Things {
        slug: "nowhere",
        org_id: id(1),
        client_pk: id(2),
        client_id: "nowhere-svc".into(),
        secret_id: id(3),
        user_id: id(4),
        username: "nowhere-user".into(),
        group_id: id(5),
    }
}

/// Who crosses: (name, token, its own organization's things, what lies outside its subtree).
pub fn crossings(tree: &Tree) -> Vec<(&'static str, &str, &Things, Vec<&Things>)> {
    vec![
        (
            "vendor admin",
            &tree.vendor,
            &tree.acme,
            vec![&tree.initech],
        ),
        (
            "customer admin",
            &tree.customer,
            &tree.globex,
            vec![&tree.acme, &tree.initech],
        ),
    ]
}
