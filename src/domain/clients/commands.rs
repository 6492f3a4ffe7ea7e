//! Creating, changing, deleting a client and revoking its tokens.

use chrono::{DateTime, Utc};
use serde_json::{json, Map, Value};

use super::{require_covers, target, Changed, ClientPatch, Configured};
use super::{ClientService, Stored, WithSecret};
use crate::audit::{self, Target};
use crate::domain::clients::creation::{self as creation, client_summary};
use crate::domain::clients::{secret_values, Client};
use crate::domain::holdings::{self, keep_last_admin};
use crate::domain::{Acting, DomainError};
use crate::storage::clients as client_rows;

impl ClientService {
    /// Creates a client in `org` (an id or slug inside the caller's reach; the caller's own
    /// organization when None); a confidential one gets its first secret, shown once.
    pub async fn create(
        &self,
        acting: &Acting,
        mut client: Client,
        org: Option<String>,
        now: DateTime<Utc>,
    ) -> Result<WithSecret, DomainError> {
        let now = Self::at(now);
        client.created_at = now;
        client.updated_at = now;
        let (master, rules, acting) = (self.master.clone(), self.rules.clone(), acting.clone());
        self.change(move |conn| {
            client.org_id = acting.org_for_new(conn, org.as_deref())?;
            require_covers(&acting, &holdings::client_with(&client.to_row(), &[]))?;
            let actor = &acting.actor;
            let created = creation::create(conn, &master, client, None, &rules, actor, now)?;
            let client_id = created.client.client_id.clone();
            let stored = Stored::read(conn, &created.client.id)?;
            Ok(Changed {
                value: WithSecret {
                    client: created.client,
                    secret: created.secret,
                },
                stored: Some(stored),
                client_id,
            })
        })
        .await
    }

    /// Changes a client: the patch is applied to the row as read inside the transaction, so
    /// two concurrent changes never undo each other. Promoting a client to admin revokes
    /// every secret and token it had and gives it one new secret.
    pub async fn update(
        &self,
        acting: &Acting,
        id: String,
        patch: ClientPatch,
        now: DateTime<Utc>,
    ) -> Result<WithSecret, DomainError> {
        let now = Self::at(now);
        let (master, rules, acting) = (self.master.clone(), self.rules.clone(), acting.clone());
        self.change(move |conn| {
            keep_last_admin(conn, |conn| {
                let (before, groups) = target(conn, &id, &acting, Configured::Refuse)?;
                let id = before.id.clone();
                let mut after = patch.apply(before.clone()).map_err(DomainError::Invalid)?;
                after.updated_at = now;
                let mut problems = after
                    .validate(rules.max_ttl_seconds)
                    .err()
                    .unwrap_or_default();
                problems.extend(after.audience_problems(&rules.admin_audience));
                if !problems.is_empty() {
                    return Err(DomainError::Invalid(problems));
                }
                require_covers(&acting, &holdings::client_with(&after.to_row(), &groups))?;
                client_rows::update(conn, &after.to_row())?;
                let actor = &acting.actor;
                let target = after.client_id.clone();
                audit::record(
                    conn,
                    actor,
                    "client.updated",
                    Target::new("client", &target, &after.org_id),
                    json!({"changes": diff(&before, &after)}),
                    now,
                )?;
                if before.is_admin_service_account != after.is_admin_service_account {
                    let action = if after.is_admin_service_account {
                        "client.admin_flag_set"
                    } else {
                        "client.admin_flag_cleared"
                    };
                    audit::record(
                        conn,
                        actor,
                        action,
                        Target::new("client", &target, &after.org_id),
                        json!({"is_admin_service_account": {
                        "before": before.is_admin_service_account,
                        "after": after.is_admin_service_account}}),
                        now,
                    )?;
                }
                let secret = if !before.has_admin_privilege() && after.has_admin_privilege() {
                    promote(conn, &master, &after, actor, now)?
                } else {
                    None
                };
                let stored = Stored::read(conn, &id)?;
                Ok(Changed {
                    value: WithSecret {
                        client: Client::from(&stored.row),
                        secret,
                    },
                    stored: Some(stored),
                    client_id: target,
                })
            })
        })
        .await
    }

    /// Deletes a client, its secrets and its identifier.
    pub async fn delete(
        &self,
        acting: &Acting,
        id: String,
        now: DateTime<Utc>,
    ) -> Result<(), DomainError> {
        let now = Self::at(now);
        let acting = acting.clone();
        self.change(move |conn| {
            keep_last_admin(conn, |conn| {
                let (before, _) = target(conn, &id, &acting, Configured::Refuse)?;
                client_rows::delete(conn, &before.id)?;
                // Offline verifiers keep accepting its tokens unless the revocation list names it.
                crate::storage::revoked::client_deleted(conn, &before.client_id, now.naive_utc())?;
                audit::record(
                    conn,
                    &acting.actor,
                    "client.deleted",
                    Target::new("client", &before.client_id, &before.org_id),
                    json!({"before": client_summary(&before)}),
                    now,
                )?;
                Ok(Changed {
                    value: (),
                    stored: None,
                    client_id: before.client_id,
                })
            })
        })
        .await
    }

    /// Bulk revocation: every token issued to the client until `now` (to the microsecond)
    /// stops being accepted; none issued after it is touched.
    pub async fn revoke_tokens(
        &self,
        acting: &Acting,
        id: String,
        now: DateTime<Utc>,
    ) -> Result<DateTime<Utc>, DomainError> {
        let now = Self::at(now);
        let acting = acting.clone();
        self.change(move |conn| {
            let (target, _) = target(conn, &id, &acting, Configured::Allow)?;
            client_rows::set_tokens_revoked_before(conn, &target.id, now.naive_utc())?;
            audit::record(
                conn,
                &acting.actor,
                "client.tokens_revoked",
                Target::new("client", &target.client_id, &target.org_id),
                json!({"tokens_revoked_before": now}),
                now,
            )?;
            Changed::kept(conn, &target.id, target.client_id, now)
        })
        .await
    }
}

/// CONTRACT: promoting a client to admin revokes every secret and token it had; it gets one
/// new secret (unless it authenticates by key), shown once.
fn promote(
    conn: &mut crate::storage::DbConnection,
    master: &crate::keys::MasterKey,
    client: &Client,
    actor: &audit::Actor,
    now: DateTime<Utc>,
) -> Result<Option<(client_rows::SecretRow, String)>, DomainError> {
    let revoked = client_rows::revoke_all_secrets(conn, &client.id, now.naive_utc())?;
    client_rows::set_tokens_revoked_before(conn, &client.id, now.naive_utc())?;
    audit::record(
        conn,
        actor,
        "client.promoted",
        Target::new("client", &client.client_id, &client.org_id),
        json!({"secrets_revoked": revoked, "tokens_revoked_before": now}),
        now,
    )?;
    if !secret_values::accepted_by(client) {
        return Ok(None);
    }
    let added = secret_values::add_generated(conn, master, client, "promoted", None, actor, now)?;
    Ok(Some(added))
}

/// The changed fields, before and after (never a secret: clients hold none).
fn diff(before: &Client, after: &Client) -> Value {
    let (b, a) = (client_summary(before), client_summary(after));
    let mut changes = Map::new();
    if let (Value::Object(b), Value::Object(a)) = (b, a) {
        for (key, new) in a {
            let old = b.get(&key).cloned().unwrap_or(Value::Null);
            if old != new {
                changes.insert(key, json!({"before": old, "after": new}));
            }
        }
    }
    Value::Object(changes)
}
