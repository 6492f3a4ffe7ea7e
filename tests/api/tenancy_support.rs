//! The tenancy fixture: root → vendor `acme` → customer `globex`, and a second vendor
//! `initech` beside acme. An admin service account (scope `admin`) in acme and one in globex,
//! and in each of the three organizations a plain service account, a user, and a group holding
//! both. Plus what the tenancy tests compare with: problem details, and the state of an
//! organization's things as the root admin reads it.

use serde_json::{json, Value};

use crate::helpers::{TestApp, API};
use crate::rules_support::ADMIN_AUD;

/// One organization and what the fixture put in it.
pub struct Things {
    /// The organization's slug, which is also the prefix of every name in it.
    pub slug: &'static str,
    /// The organization's id.
    pub org_id: String,
    /// The plain service account: row id, client_id, its one secret's id.
    pub client_pk: String,
    pub client_id: String,
    pub secret_id: String,
    /// The user: id, username.
    pub user_id: String,
    pub username: String,
    /// The group holding both.
    pub group_id: String,
}

/// The whole tree, with the three admins' tokens.
pub struct Tree {
    /// The bootstrap admin's token (root organization, scope `admin`).
    pub root: String,
    /// The acme admin's token (scope `admin`).
    pub vendor: String,
    /// The globex admin's token (scope `admin`).
    pub customer: String,
    pub acme: Things,
    pub globex: Things,
    pub initech: Things,
}

/// The client_id of an organization's admin service account.
pub fn admin_of(slug: &str) -> String {
    format!("{slug}-admin")
}

/// The problem details the admin API answers with.
pub fn problem(status: u16, detail: &str) -> Value {
    let title = match status {
        403 => "Forbidden",
        404 => "Not found",
        409 => "Conflict",
        _ => panic!("no title for {status} here"),
    };
    json!({"type": "about:blank", "title": title, "status": status, "detail": detail})
}

/// `404`, "no such {what}": the answer for something that does not exist.
pub fn not_found(what: &str) -> Value {
    problem(404, &format!("no such {what}"))
}

impl TestApp {
    /// A call that must answer `status`; returns the body.
    pub async fn expect(
        &self,
        status: u16,
        method: &str,
        path: &str,
        token: &str,
        body: Option<Value>,
    ) -> Value {
        let a = self.admin(method, path, Some(token), body).await;
        assert_eq!(a.status, status, "{method} {path}: {}", a.body);
        a.body
    }

    /// A `201` create; returns the answer.
    async fn created(&self, token: &str, path: &str, body: Value) -> Value {
        self.expect(201, "POST", path, token, Some(body)).await
    }

    /// An organization's admin service account and its token (resource = the admin audience).
    async fn org_admin(&self, root: &str, slug: &str) -> String {
        let client_id = admin_of(slug);
        let created = self
            .created(
                root,
                "/clients",
                json!({"client_id": client_id, "name": format!("{slug} admin"), "org_id": slug,
                       "scopes": ["admin"], "default_scopes": ["admin"], "audiences": [ADMIN_AUD],
                       "is_admin_service_account": true}),
            )
            .await;
        let secret = created["client_secret"].as_str().expect("client_secret");
        let extra = [("resource", ADMIN_AUD), ("scope", "admin")];
        self.access_token(&client_id, secret, &extra).await
    }

    /// A plain service account, a user and a group holding both, in organization `slug`.
    async fn things(&self, root: &str, slug: &'static str, org_id: String) -> Things {
        let client_id = format!("{slug}-svc");
        let client = self
            .created(
                root,
                "/clients",
                json!({"client_id": client_id, "name": format!("{slug} service"), "org_id": slug,
                       "scopes": ["read"], "default_scopes": ["read"], "audiences": [API]}),
            )
            .await;
        assert_eq!(client["org_id"], org_id.as_str(), "{client}");
        let client_pk = client["id"].as_str().unwrap().to_string();
        let secrets = self
            .expect(
                200,
                "GET",
                &format!("/clients/{client_pk}/secrets"),
                root,
                None,
            )
            .await;
        let username = format!("{slug}-user");
        let user = self
            .created(
                root,
                "/users",
                json!({"username": username, "org_id": slug}),
            )
            .await;
        assert_eq!(user["org_id"], org_id.as_str(), "{user}");
        let group = self
            .created(
                root,
                "/groups",
                json!({"org_id": org_id, "name": format!("{slug}-team"), "description": "",
                       "scopes": ["read"], "audiences": [API]}),
            )
            .await;
        let group_id = group["id"].as_str().unwrap().to_string();
        for member in [&client_id, &username] {
            let path = format!("/groups/{group_id}/members");
            self.created(root, &path, json!({"principal": member}))
                .await;
        }
        Things {
            slug,
            org_id,
            client_pk,
            client_id,
            secret_id: secrets[0]["id"].as_str().unwrap().to_string(),
            user_id: user["id"].as_str().unwrap().to_string(),
            username,
            group_id,
        }
    }

    /// Builds the tree.
    pub async fn tree(&self) -> Tree {
        let root = self.admin_token().await;
        let mut ids = Vec::new();
        for (slug, parent) in [("acme", None), ("globex", Some("acme")), ("initech", None)] {
            let org = self
                .created(
                    &root,
                    "/orgs",
                    json!({"slug": slug, "name": slug.to_uppercase(), "parent_id": parent}),
                )
                .await;
            ids.push(org["id"].as_str().unwrap().to_string());
        }
        let vendor = self.org_admin(&root, "acme").await;
        let customer = self.org_admin(&root, "globex").await;
        let mut ids = ids.into_iter();
        let acme = self.things(&root, "acme", ids.next().unwrap()).await;
        let globex = self.things(&root, "globex", ids.next().unwrap()).await;
        let initech = self.things(&root, "initech", ids.next().unwrap()).await;
        Tree {
            root,
            vendor,
            customer,
            acme,
            globex,
            initech,
        }
    }

    /// Everything about an organization's things, as the root admin reads it: its record, its
    /// service account (with secrets and permissions), its user, its group and members, what
    /// each list holds in it, and its audit events. Two equal states mean nothing changed.
    pub async fn state_of(&self, root: &str, t: &Things) -> Value {
        let paths = [
            format!("/orgs/{}", t.org_id),
            format!("/clients/{}", t.client_pk),
            format!("/clients/{}/secrets", t.client_pk),
            format!("/clients/{}/permissions", t.client_pk),
            format!("/users/{}", t.user_id),
            format!("/users/{}/permissions", t.user_id),
            format!("/groups/{}", t.group_id),
            format!("/groups/{}/members", t.group_id),
            format!("/clients?org={}&subtree=true&limit=200", t.slug),
            format!("/users?org={}&subtree=true&limit=200", t.slug),
            format!("/groups?org={}&subtree=true&limit=200", t.slug),
            format!("/audit-events?org={}&subtree=true&limit=200", t.slug),
            "/orgs?limit=200".to_string(),
        ];
        let mut state = serde_json::Map::new();
        for path in paths {
            let mut body = self.expect(200, "GET", &path, root, None).await;
            // The only field that moves by itself (recorded off the request path).
            if let Value::Array(secrets) = &mut body {
                for s in secrets {
                    s.as_object_mut().unwrap().remove("last_used_at");
                }
            }
            state.insert(path, body);
        }
        Value::Object(state)
    }
}

/// The `client_id`s, usernames, names or slugs (by `key`) of a list answer's items.
pub fn names(page: &Value, key: &str) -> Vec<String> {
    let mut out: Vec<String> = page["items"]
        .as_array()
        .unwrap_or_else(|| panic!("not a page: {page}"))
        .iter()
        .map(|i| i[key].as_str().unwrap().to_string())
        .collect();
    out.sort();
    out
}

/// Sorted owned strings, to compare with [`names`].
pub fn sorted(items: &[&str]) -> Vec<String> {
    let mut out: Vec<String> = items.iter().map(|s| s.to_string()).collect();
    out.sort();
    out
}
