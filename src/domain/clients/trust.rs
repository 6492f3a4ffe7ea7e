//! A service account's trust policies (workload identity): listed, added and deleted like its
//! secrets: inside the caller's reach, bounded by what the caller holds, audited, and put in the
//! token endpoint's entry for the client in the same step.

use chrono::{DateTime, Utc};
use serde_json::json;

use super::{target, visible, Changed, ClientService, Configured};
use crate::audit::{self, Target};
use crate::domain::workload::{NewPolicy, Policy};
use crate::domain::{Acting, DomainError};
use crate::storage::{new_row_id, trust as rows};

impl ClientService {
    /// A service account's trust policies.
    pub async fn policies(&self, acting: &Acting, id: String) -> Result<Vec<Policy>, DomainError> {
        let acting = acting.clone();
        self.db
            .read(move |conn| {
                let row = visible(conn, &acting, &id)?;
                Ok(rows::of_client(conn, &row.id)?
                    .iter()
                    .map(Policy::from)
                    .collect())
            })
            .await
    }

    /// Adds a trust policy to a service account.
    pub async fn add_policy(
        &self,
        acting: &Acting,
        id: String,
        new: NewPolicy,
        now: DateTime<Utc>,
    ) -> Result<Policy, DomainError> {
        let now = Self::at(now);
        new.validate().map_err(DomainError::Invalid)?;
        let acting = acting.clone();
        self.change(move |conn| {
            let (client, _) = target(conn, &id, &acting, Configured::Refuse)?;
            if !client.is_service_account || client.client_type != "confidential" {
                return Err(DomainError::Invalid(vec![
                    "trust policies belong to confidential service accounts".into(),
                ]));
            }
            let row = new.to_row(new_row_id(), &client.id, now.naive_utc());
            rows::insert(conn, &row)?;
            let policy = Policy::from(&row);
            audit::record(
                conn,
                &acting.actor,
                "trust_policy.created",
                Target::new("client", &client.client_id, &client.org_id),
                json!({"policy_id": row.id, "issuer": row.issuer, "subject": row.subject,
                       "audience": row.audience}),
                now,
            )?;
            Changed::kept(conn, &client.id, client.client_id, policy)
        })
        .await
    }

    /// Deletes a trust policy: tokens of that workload stop being accepted at once.
    pub async fn delete_policy(
        &self,
        acting: &Acting,
        id: String,
        policy_id: String,
        now: DateTime<Utc>,
    ) -> Result<(), DomainError> {
        let now = Self::at(now);
        let acting = acting.clone();
        self.change(move |conn| {
            let (client, _) = target(conn, &id, &acting, Configured::Allow)?;
            let row = rows::delete(conn, &client.id, &policy_id)
                .map_err(DomainError::not_found("trust policy"))?;
            audit::record(
                conn,
                &acting.actor,
                "trust_policy.deleted",
                Target::new("client", &client.client_id, &client.org_id),
                json!({"policy_id": row.id, "issuer": row.issuer, "subject": row.subject}),
                now,
            )?;
            Changed::kept(conn, &client.id, client.client_id, ())
        })
        .await
    }
}
