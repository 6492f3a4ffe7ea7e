//! `GET /admin/v1/audit-events`: newest first, filterable by actor, target and action.

use actix_web::{web, HttpResponse};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::auth::Caller;
use super::error::ApiError;
use super::page::{Page, PageQuery};
use crate::domain::tenancy::OrgSelector;
use crate::domain::{Core, DomainError};
use crate::storage::audit::{self as audit_rows, AuditFilter, AuditRow};

/// An audit event.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct AuditEvent {
    /// Event id.
    pub id: String,
    /// When.
    pub occurred_at: DateTime<Utc>,
    /// Who: a client_id, a user's id or `system`.
    pub actor: String,
    /// `service_account`, `user` or `system`.
    pub actor_kind: String,
    /// What, e.g. `client.admin_flag_set`.
    pub action: String,
    /// On what.
    pub target: String,
    /// `client`, `user`, `key`.
    pub target_kind: String,
    /// The caller's IP address.
    pub ip: Option<String>,
    /// The target's organization.
    pub org_id: Option<String>,
    /// Before/after of changed fields; never a secret.
    #[schema(value_type = Object)]
    pub details: serde_json::Value,
}

impl From<AuditRow> for AuditEvent {
    fn from(r: AuditRow) -> Self {
        AuditEvent {
            id: r.id,
            occurred_at: DateTime::from_naive_utc_and_offset(r.occurred_at, Utc),
            actor: r.actor,
            actor_kind: r.actor_kind,
            action: r.action,
            target: r.target,
            target_kind: r.target_kind,
            ip: r.ip,
            details: serde_json::from_str(&r.details).unwrap_or(serde_json::Value::Null),
            org_id: r.org_id,
        }
    }
}

/// Filters.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuditQuery {
    /// Only events by this actor.
    pub actor: Option<String>,
    /// Only events on this target.
    pub target: Option<String>,
    /// Only this action.
    pub action: Option<String>,
    /// Only events on targets of this organization (its id or slug).
    pub org: Option<String>,
    /// With `org`: also the organizations below it.
    pub subtree: Option<bool>,
    /// Items per page (1 to 200, default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
    /// Items to skip.
    #[param(minimum = 0)]
    pub offset: Option<i64>,
}

/// `GET /admin/v1/audit-events`
#[utoipa::path(get, path = "/admin/v1/audit-events", tag = "audit", params(AuditQuery),
    responses((status = 200, body = Page<AuditEvent>)), security(("bearer" = [])))]
pub async fn list_audit_events(
    caller: Caller,
    state: web::Data<Core>,
    query: web::Query<AuditQuery>,
) -> Result<HttpResponse, actix_web::Error> {
    caller.require("admin:audit:read")?;
    let q = query.into_inner();
    let (limit, offset) = PageQuery {
        limit: q.limit,
        offset: q.offset,
    }
    .resolve()?;
    let filter = AuditFilter {
        actor: q.actor,
        target: q.target,
        action: q.action,
    };
    let selector = OrgSelector {
        org: q.org,
        subtree: q.subtree.unwrap_or(false),
    };
    let acting = caller.acting.clone();
    let rows = state
        .db
        .read(move |conn| {
            // CONTRACT: events on targets outside the caller's reach are absent.
            let reach = acting.reach_for(conn, &selector)?;
            Ok::<_, DomainError>(audit_rows::list(conn, &reach, &filter, limit, offset)?)
        })
        .await
        .map_err(ApiError::from)?;
    Ok(HttpResponse::Ok().json(Page::new(
        rows.into_iter().map(AuditEvent::from).collect(),
        limit,
        offset,
    )))
}
