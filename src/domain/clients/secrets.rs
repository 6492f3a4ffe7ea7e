//! Adding and revoking a client's secrets (rotation with overlap: several live at once).

use chrono::{DateTime, Utc};
use serde_json::json;

use super::{target, Changed, ClientService, Configured};
use crate::audit::{self, Target};
use crate::domain::clients::secret_values;
use crate::domain::{Acting, DomainError};
use crate::storage::clients::{self as client_rows, SecretRow};

/// A secret to add.
#[derive(Debug, Clone, Default)]
pub struct NewSecret {
    /// A name for people (default `secret`).
    pub name: Option<String>,
    /// When it stops working; never, when None.
    pub expires_at: Option<DateTime<Utc>>,
}

impl ClientService {
    /// Adds a secret beside the others; the plaintext is returned once.
    pub async fn add_secret(
        &self,
        acting: &Acting,
        id: String,
        new: NewSecret,
        now: DateTime<Utc>,
    ) -> Result<(SecretRow, String), DomainError> {
        let now = Self::at(now);
        let name = new.name.unwrap_or_else(|| "secret".into());
        if name.trim().is_empty() || name.chars().count() > 100 {
            return Err(DomainError::Invalid(vec![
                "name must be 1 to 100 characters".into(),
            ]));
        }
        if new.expires_at.is_some_and(|t| t <= now) {
            return Err(DomainError::Invalid(vec![
                "expires_at is in the past".into()
            ]));
        }
        let (master, acting) = (self.master.clone(), acting.clone());
        self.change(move |conn| {
            let (client, _) = target(conn, &id, &acting, Configured::Refuse)?;
            if !secret_values::accepted_by(&client) {
                return Err(DomainError::Invalid(vec![format!(
                    "this client authenticates with {}: a secret would never be accepted",
                    client.token_endpoint_auth_method
                )]));
            }
            let added = secret_values::add_generated(
                conn,
                &master,
                &client,
                &name,
                new.expires_at,
                &acting.actor,
                now,
            )?;
            Changed::kept(conn, &client.id, client.client_id, added)
        })
        .await
    }

    /// Revokes one secret at once.
    pub async fn revoke_secret(
        &self,
        acting: &Acting,
        id: String,
        secret_id: String,
        now: DateTime<Utc>,
    ) -> Result<(), DomainError> {
        let now = Self::at(now);
        let acting = acting.clone();
        self.change(move |conn| {
            let (client, _) = target(conn, &id, &acting, Configured::Allow)?;
            client_rows::revoke_secret(conn, &client.id, &secret_id, now.naive_utc())
                .map_err(DomainError::not_found("secret"))?;
            audit::record(
                conn,
                &acting.actor,
                "secret.revoked",
                Target::new("client", &client.client_id, &client.org_id),
                json!({"secret_id": secret_id}),
                now,
            )?;
            Changed::kept(conn, &client.id, client.client_id, ())
        })
        .await
    }
}
