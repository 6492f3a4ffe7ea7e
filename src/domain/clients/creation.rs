//! Creating clients and secrets: one path for the CLI, start-up and the admin API.

use chrono::{DateTime, Utc};
use diesel::Connection;
use serde_json::json;

use super::{secret_values as secrets, Client};
use crate::audit::{self, Actor, Target};
use crate::domain::clients::ClientRules;
use crate::domain::DomainError;
use crate::keys::MasterKey;
use crate::storage::clients::{self as client_rows, SecretRow};
use crate::storage::{DbConnection, StoreError};

/// A client just created, with its first secret in the clear (shown once).
#[derive(Debug)]
pub struct Created {
    /// The client.
    pub client: Client,
    /// The first secret's row and plaintext (confidential clients).
    pub secret: Option<(SecretRow, String)>,
}

/// Creates a client (validated first; the store checks the same rules again) and, for a
/// confidential client, its first secret (`given_secret`, or a generated one). Audited.
pub fn create(
    conn: &mut DbConnection,
    master: &MasterKey,
    client: Client,
    given_secret: Option<String>,
    rules: &ClientRules,
    actor: &Actor,
    now: DateTime<Utc>,
) -> Result<Created, DomainError> {
    let mut problems = client
        .validate(rules.max_ttl_seconds)
        .err()
        .unwrap_or_default();
    problems.extend(client.audience_problems(&rules.admin_audience));
    if !problems.is_empty() {
        return Err(DomainError::Invalid(problems));
    }
    // A private_key_jwt client proves itself with its key; it gets no shared secret.
    let secret = if secrets::accepted_by(&client) {
        let plain = match given_secret {
            // Our prefix on a value we did not make would be refused at every door, on its shape.
            Some(s) if secrets::shape(&s) == secrets::Shape::Broken => {
                return Err(DomainError::Invalid(vec![secrets::LOOKALIKE.into()]))
            }
            Some(s) => s,
            None => secrets::generate().map_err(|e| DomainError::Internal(e.to_string()))?,
        };
        let row = secrets::new_row(master, &client.id, "initial", &plain, None, now);
        Some((row, plain))
    } else {
        None
    };
    conn.transaction(|conn| {
        client_rows::insert(conn, &client.to_row(), secret.as_ref().map(|(row, _)| row))?;
        audit::record(
            conn,
            actor,
            "client.created",
            Target::new("client", &client.client_id, &client.org_id),
            json!({"after": client_summary(&client)}),
            now,
        )?;
        if client.is_admin_service_account {
            audit::record(
                conn,
                actor,
                "client.admin_flag_set",
                Target::new("client", &client.client_id, &client.org_id),
                json!({"is_admin_service_account": {"before": false, "after": true}}),
                now,
            )?;
        }
        if let Some((row, _)) = &secret {
            let target = Target::new("client", &client.client_id, &client.org_id);
            secrets::record_created(conn, actor, target, row, now)?;
        }
        Ok::<_, StoreError>(())
    })?;
    Ok(Created { client, secret })
}

/// The audited view of a client (no secrets are part of a client).
pub fn client_summary(c: &Client) -> serde_json::Value {
    // The JWKS by its key ids: public keys, but a long document; the kids say what changed.
    let jwks_kids = c.jwks.as_ref().map(|j| {
        j.get("keys")
            .and_then(|k| k.as_array())
            .map(|keys| {
                keys.iter()
                    .map(|k| k.get("kid").cloned())
                    .collect::<Vec<_>>()
            })
            .unwrap_or_default()
    });
    json!({
        "client_id": c.client_id, "name": c.name, "description": c.description,
        "client_type": c.client_type,
        "grant_types": c.grant_types, "scopes": c.scopes, "default_scopes": c.default_scopes,
        "audiences": c.audiences, "default_audiences": c.default_audiences,
        "jwks_kids": jwks_kids, "token_ttl_seconds": c.token_ttl_seconds,
        "token_endpoint_auth_method": c.token_endpoint_auth_method,
        "is_service_account": c.is_service_account,
        "is_admin_service_account": c.is_admin_service_account, "active": c.active,
        "redirect_uris": c.redirect_uris, "jwks_uri": c.jwks_uri,
    })
}

/// The organization a bootstrapped admin lives in: the one with `slug`, or (when `create` is
/// set and none has it) a new one below root, audited as made by `system`.
pub fn org_for_bootstrap(
    conn: &mut DbConnection,
    slug: &str,
    create: bool,
    now: DateTime<Utc>,
) -> Result<String, DomainError> {
    use crate::storage::orgs::{self as org_rows, OrgRow, ROOT_ORG_ID};
    match org_rows::find_by_slug(conn, slug) {
        Ok(org) => return Ok(org.id),
        Err(StoreError::NotFound) if create => {}
        Err(StoreError::NotFound) => {
            return Err(DomainError::Invalid(vec![format!(
                "there is no organization with the slug {slug:?}: create it through the admin \
                 API (POST /admin/v1/orgs) or pass --create-org"
            )]))
        }
        Err(e) => return Err(e.into()),
    }
    if !crate::domain::orgs::valid_slug(slug) {
        return Err(DomainError::Invalid(vec![format!(
            "slug {slug:?} must be 1 to 63 characters of a-z, 0-9 and -"
        )]));
    }
    let row = OrgRow {
        id: crate::storage::new_row_id(),
        slug: slug.to_string(),
        name: slug.to_string(),
        parent_id: Some(ROOT_ORG_ID.to_string()),
        depth: 1,
        parent_depth: Some(0),
        active: true,
        created_at: now.naive_utc(),
        updated_at: now.naive_utc(),
    };
    conn.transaction(|conn| {
        org_rows::insert(conn, &row)?;
        audit::record(
            conn,
            &Actor::system(),
            "org.created",
            Target::new("org", &row.id, &row.id),
            json!({"slug": row.slug, "parent_id": row.parent_id}),
            now,
        )
    })?;
    Ok(row.id)
}

/// A new admin service account with every admin scope and the admin audience.
pub fn admin_service_account(
    client_id: Option<String>,
    name: &str,
    admin_audience: &str,
    now: DateTime<Utc>,
) -> Client {
    let client_id = client_id.unwrap_or_else(|| {
        let random = uuid::Uuid::new_v4().simple().to_string();
        format!("castellan-admin-{}", &random[..12])
    });
    Client {
        description: "Admin service account created by bootstrap".into(),
        scopes: crate::admin_scopes()
            .iter()
            .map(|s| s.to_string())
            .collect(),
        default_scopes: vec!["admin".into()],
        audiences: vec![admin_audience.to_string()],
        is_admin_service_account: true,
        ..Client::service_account(&client_id, name, now)
    }
}
