//! Clients declared in the configuration file (`[[clients]]`), as Tuist declares its service
//! clients. They live in the store beside API-made clients, so the one-identifier rule holds for
//! them too, but they are marked `managed_by = config`: the admin API shows them and refuses to
//! change them, and their secrets never reach the database (read from the environment or given
//! as a SHA-256, held in memory).

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use diesel::Connection;
use serde_json::json;

use super::creation::client_summary;
use super::registry::CachedSecret;
use super::Client;
use crate::audit::{self, Actor, Target};
use crate::config::ConfiguredClient;
use crate::identifiers::comparison_key;
use crate::keys::MasterKey;
use crate::storage::clients::{self as client_rows, ClientRow};
use crate::storage::orgs as org_rows;
use crate::storage::principals::{self, PrincipalKind};
use crate::storage::{new_row_id, DbConnection, StoreError};

/// Why the configured clients can't be taken: start-up stops with this message.
#[derive(Debug, thiserror::Error)]
#[error("configured clients: {0}")]
pub struct ConfiguredError(pub String);

/// Inside the sync's transaction: a refusal rolls everything back like a store failure does.
enum SyncError {
    Refused(String),
    Store(StoreError),
}

impl From<StoreError> for SyncError {
    fn from(e: StoreError) -> Self {
        SyncError::Store(e)
    }
}

impl From<diesel::result::Error> for SyncError {
    fn from(e: diesel::result::Error) -> Self {
        SyncError::Store(StoreError::from_diesel(e))
    }
}

/// Minimum length of a configured secret (it is compared with a fast hash).
pub const MIN_SECRET_CHARS: usize = 32;

fn secret_of(entry: &ConfiguredClient, master: &MasterKey) -> Result<CachedSecret, String> {
    let id = format!("config:{}", entry.client_id);
    match (&entry.secret_env, &entry.secret_sha256) {
        (Some(var), None) => {
            let secret = std::env::var(var)
                .map_err(|_| format!("the environment variable {var} is not set"))?;
            if secret.chars().count() < MIN_SECRET_CHARS {
                return Err(format!(
                    "the secret in {var} is shorter than {MIN_SECRET_CHARS} characters"
                ));
            }
            if super::secret_values::shape(&secret) == super::secret_values::Shape::Broken {
                return Err(format!("{var}: {}", super::secret_values::LOOKALIKE));
            }
            Ok(CachedSecret {
                id,
                hash: master.hash_secret(secret.as_bytes()),
                expires_at: None,
                prehashed: false,
            })
        }
        (None, Some(hex)) => {
            let digest = decode_hex(hex)
                .filter(|d| d.len() == 32)
                .ok_or("secret_sha256 must be 64 hex digits")?;
            Ok(CachedSecret {
                id,
                hash: master.hash_secret(&digest),
                expires_at: None,
                prehashed: true,
            })
        }
        _ => Err("give exactly one of secret_env and secret_sha256".into()),
    }
}

fn decode_hex(hex: &str) -> Option<Vec<u8>> {
    let hex = hex.trim();
    if !hex.len().is_multiple_of(2) {
        return None;
    }
    (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(hex.get(i..i + 2)?, 16).ok())
        .collect()
}

fn to_client(
    entry: &ConfiguredClient,
    existing: Option<&ClientRow>,
    org_id: String,
    now: DateTime<Utc>,
) -> Client {
    let (id, created_at, revoked) = match existing {
        Some(row) => (
            row.id.clone(),
            DateTime::from_naive_utc_and_offset(row.created_at, Utc),
            row.tokens_revoked_before
                .map(|t| DateTime::from_naive_utc_and_offset(t, Utc)),
        ),
        None => (new_row_id(), now, None),
    };
    Client {
        id,
        description: "Declared in the configuration file".into(),
        scopes: entry.scopes.clone(),
        default_scopes: entry.default_scopes.clone(),
        audiences: entry.audiences.clone(),
        token_ttl_seconds: entry.token_ttl_seconds,
        is_admin_service_account: entry.is_admin_service_account,
        tokens_revoked_before: revoked,
        created_at,
        managed_by: "config".into(),
        org_id,
        ..Client::service_account(&entry.client_id, &entry.name, now)
    }
}

/// Brings the store in line with the configured clients and returns their secrets, by client
/// row id. A collision, an invalid entry or a missing secret is an error that names the entry
/// and what it collides with; nothing is written then.
pub fn sync(
    conn: &mut DbConnection,
    master: &MasterKey,
    entries: &[ConfiguredClient],
    max_ttl_seconds: i64,
    now: DateTime<Utc>,
) -> Result<HashMap<String, Vec<CachedSecret>>, ConfiguredError> {
    // By comparison key: two entries that look alike would be one principal twice.
    let mut seen: HashMap<String, usize> = HashMap::new();
    for (i, e) in entries.iter().enumerate() {
        if let Some(first) = seen.insert(comparison_key(&e.client_id), i) {
            let other = &entries[first].client_id;
            let what = if *other == e.client_id {
                format!("both declare the client_id {other:?}")
            } else {
                format!(
                    "declare look-alike client_ids {other:?} and {:?}",
                    e.client_id
                )
            };
            return Err(ConfiguredError(format!(
                "entries #{} and #{} {what}",
                first + 1,
                i + 1
            )));
        }
    }
    let actor = Actor::system();
    let result = conn.transaction(|conn| {
        // Entries removed from the file leave the store first, so that one renamed to a
        // look-alike does not collide with its own old name.
        let declared: HashSet<&str> = entries.iter().map(|e| e.client_id.as_str()).collect();
        let (rows, _) = client_rows::load_all(conn)?;
        for row in rows.iter().filter(|r| r.managed_by == "config" && !declared.contains(r.client_id.as_str())) {
            client_rows::delete(conn, &row.id)?;
            audit::record(conn, &actor, "client.deleted", Target::new("client", &row.client_id, &row.org_id),
                json!({"managed_by": "config", "reason": "no longer in the configuration"}), now)?;
        }
        let mut secrets = HashMap::new();
        for (i, entry) in entries.iter().enumerate() {
            let name = format!("entry #{} ({:?})", i + 1, entry.client_id);
            if let Some((held, kind)) = principals::holder_of(conn, &entry.client_id)? {
                if held != entry.client_id {
                    return Err(SyncError::Refused(format!(
                        "{name} would be a second principal beside the stored {} {held:?}: the two identifiers look alike",
                        kind.as_str()
                    )));
                }
            }
            let kinds = principals::resolve(conn, &entry.client_id)?;
            let existing = if kinds.contains(&PrincipalKind::User) {
                return Err(SyncError::Refused(format!("{name} collides with the stored user {:?}", entry.client_id)));
            } else if kinds.contains(&PrincipalKind::Client) {
                let row = client_rows::find_by_client_id(conn, &entry.client_id)?;
                if row.managed_by != "config" {
                    return Err(SyncError::Refused(format!(
                        "{name} collides with the stored client {:?} (created through the admin API)",
                        entry.client_id
                    )));
                }
                Some(row)
            } else {
                None
            };
            let slug = entry.org.as_deref().unwrap_or("root");
            let org_id = match org_rows::find_by_slug(conn, slug) {
                Ok(org) => org.id,
                Err(StoreError::NotFound) => return Err(SyncError::Refused(format!(
                    "{name}: there is no organization with the slug {slug:?} (create it first)"))),
                Err(e) => return Err(e.into()),
            };
            if existing.as_ref().is_some_and(|row| row.org_id != org_id) {
                return Err(SyncError::Refused(format!(
                    "{name}: a principal's organization is fixed at creation, and this client lives \
                     elsewhere than {slug:?}: remove the entry, start once, then declare it again")));
            }
            let client = to_client(entry, existing.as_ref(), org_id, now);
            if let Err(problems) = client.validate(max_ttl_seconds) {
                return Err(SyncError::Refused(format!("{name}: {}", problems.join("; "))));
            }
            let secret = match secret_of(entry, master) {
                Ok(s) => s,
                Err(e) => return Err(SyncError::Refused(format!("{name}: {e}"))),
            };
            let flag_before = existing.as_ref().is_some_and(|r| r.is_admin_service_account);
            if flag_before != client.is_admin_service_account {
                let action = if client.is_admin_service_account {
                    "client.admin_flag_set"
                } else {
                    "client.admin_flag_cleared"
                };
                audit::record(conn, &actor, action, Target::new("client", &client.client_id, &client.org_id),
                    json!({"managed_by": "config", "is_admin_service_account":
                        {"before": flag_before, "after": client.is_admin_service_account}}), now)?;
            }
            match existing {
                Some(row) if !same_config(&row, &client.to_row()) => {
                    client_rows::update(conn, &client.to_row())?;
                    audit::record(conn, &actor, "client.updated", Target::new("client", &client.client_id, &client.org_id),
                        json!({"managed_by": "config", "after": client_summary(&client)}), now)?;
                }
                Some(_) => {}
                None => {
                    client_rows::insert(conn, &client.to_row(), None)?;
                    audit::record(conn, &actor, "client.created", Target::new("client", &client.client_id, &client.org_id),
                        json!({"managed_by": "config", "after": client_summary(&client)}), now)?;
                }
            }
            secrets.insert(client.id.clone(), vec![secret]);
        }
        Ok::<_, SyncError>(secrets)
    });
    match result {
        Ok(secrets) => Ok(secrets),
        Err(SyncError::Refused(message)) => Err(ConfiguredError(message)),
        Err(SyncError::Store(e)) => Err(ConfiguredError(e.to_string())),
    }
}

/// Whether the fields configuration decides are equal (so an unchanged entry writes nothing).
fn same_config(a: &ClientRow, b: &ClientRow) -> bool {
    a.name == b.name
        && a.scopes == b.scopes
        && a.default_scopes == b.default_scopes
        && a.audiences == b.audiences
        && a.grant_types == b.grant_types
        && a.token_ttl_seconds == b.token_ttl_seconds
        && a.is_admin_service_account == b.is_admin_service_account
}
