//! Audit events: who did what to which principal, from where.

use chrono::{DateTime, Utc};
use serde_json::Value;

use crate::storage::audit::{self as audit_rows, AuditRow};
use crate::storage::{new_row_id, DbConnection, StoreResult};

/// Who acted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    /// client_id, username or `system`.
    pub id: String,
    /// `service_account`, `user` or `system`.
    pub kind: String,
    /// Caller's IP address.
    pub ip: Option<String>,
}

impl Actor {
    /// Castellan itself (start-up, the CLI).
    pub fn system() -> Self {
        Actor {
            id: "system".into(),
            kind: "system".into(),
            ip: None,
        }
    }
}

/// What an event is about: its kind, its identifier, and the organization it lives in (which
/// decides who sees the event).
#[derive(Debug, Clone, Copy)]
pub struct Target<'a> {
    /// `client`, `user`, `group`, `org`, `key`.
    pub kind: &'a str,
    /// A client_id, username, group or organization id, kid.
    pub id: &'a str,
    /// The organization it lives in (root for deployment-wide things such as keys).
    pub org_id: &'a str,
}

impl<'a> Target<'a> {
    /// A target in an organization.
    pub fn new(kind: &'a str, id: &'a str, org_id: &'a str) -> Self {
        Target { kind, id, org_id }
    }

    /// A deployment-wide target (signing keys): root's.
    pub fn deployment(kind: &'a str, id: &'a str) -> Self {
        Target {
            kind,
            id,
            org_id: crate::storage::orgs::ROOT_ORG_ID,
        }
    }
}

/// Writes one event; call inside the transaction of the change it records.
pub fn record(
    conn: &mut DbConnection,
    actor: &Actor,
    action: &str,
    target: Target<'_>,
    details: Value,
    now: DateTime<Utc>,
) -> StoreResult<()> {
    audit_rows::insert(
        conn,
        &AuditRow {
            id: new_row_id(),
            occurred_at: now.naive_utc(),
            actor: actor.id.clone(),
            actor_kind: actor.kind.clone(),
            action: action.to_string(),
            target: target.id.to_string(),
            target_kind: target.kind.to_string(),
            ip: actor.ip.clone(),
            details: details.to_string(),
            org_id: Some(target.org_id.to_string()),
        },
    )
}

/// Purges the events older than `retention_days` days before `now` (CONTRACT "At rest");
/// returns how many went. The background job calls it.
pub fn purge_expired(
    conn: &mut DbConnection,
    retention_days: u32,
    now: DateTime<Utc>,
) -> StoreResult<usize> {
    let cutoff = now - chrono::Duration::days(i64::from(retention_days));
    audit_rows::purge_before(conn, cutoff.naive_utc())
}
