//! The audit trail.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::orgs::Reach;
use super::schema::audit_events;
use super::{DbConnection, StoreError, StoreResult};

/// A row of `audit_events`.
#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable)]
#[diesel(table_name = audit_events)]
pub struct AuditRow {
    /// Event id (UUID v7, so ids sort by time).
    pub id: String,
    /// When it happened (UTC).
    pub occurred_at: NaiveDateTime,
    /// Who acted: a client_id, a username, or `system`.
    pub actor: String,
    /// `service_account`, `user` or `system`.
    pub actor_kind: String,
    /// What was done, e.g. `client.created`.
    pub action: String,
    /// What it was done to (an identifier).
    pub target: String,
    /// `client`, `user`, `secret`, `key`.
    pub target_kind: String,
    /// The caller's IP address.
    pub ip: Option<String>,
    /// JSON: before/after of changed fields, never a secret.
    pub details: String,
    /// The target's organization.
    pub org_id: Option<String>,
}

/// Filters for listing events.
#[derive(Debug, Default, Clone)]
pub struct AuditFilter {
    /// Only events by this actor.
    pub actor: Option<String>,
    /// Only events on this target.
    pub target: Option<String>,
    /// Only this action.
    pub action: Option<String>,
}

/// Writes one event.
pub fn insert(conn: &mut DbConnection, row: &AuditRow) -> StoreResult<()> {
    diesel::insert_into(audit_events::table)
        .values(row)
        .execute(conn)
        .map_err(StoreError::from_diesel)?;
    Ok(())
}

/// The events on targets inside `within`, newest first.
pub fn list(
    conn: &mut DbConnection,
    within: &Reach,
    filter: &AuditFilter,
    limit: i64,
    offset: i64,
) -> StoreResult<Vec<AuditRow>> {
    let mut query = audit_events::table.into_boxed();
    if let Some(ids) = within.ids() {
        query = query.filter(audit_events::org_id.eq_any(ids.to_vec()));
    }
    if let Some(actor) = &filter.actor {
        query = query.filter(audit_events::actor.eq(actor.clone()));
    }
    if let Some(target) = &filter.target {
        query = query.filter(audit_events::target.eq(target.clone()));
    }
    if let Some(action) = &filter.action {
        query = query.filter(audit_events::action.eq(action.clone()));
    }
    query
        .order((audit_events::occurred_at.desc(), audit_events::id.desc()))
        .limit(limit)
        .offset(offset)
        .select(AuditRow::as_select())
        .load(conn)
        .map_err(StoreError::from_diesel)
}

/// Deletes the events that happened before `cutoff`; returns how many.
pub fn purge_before(conn: &mut DbConnection, cutoff: NaiveDateTime) -> StoreResult<usize> {
    diesel::delete(audit_events::table.filter(audit_events::occurred_at.lt(cutoff)))
        .execute(conn)
        .map_err(StoreError::from_diesel)
}
