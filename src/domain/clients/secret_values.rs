//! Client secrets: made by the server with 256 bits of entropy, shown once, stored as a keyed
//! hash (HMAC-SHA256 under a key derived from the master key). See docs/secrets.md for why a
//! keyed hash, not argon2id, is right for secrets no person chose.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use chrono::{DateTime, Utc};
use ring::rand::{SecureRandom, SystemRandom};

use crate::keys::{KeyError, MasterKey};
use crate::storage::clients::SecretRow;
use crate::storage::new_row_id;

/// The prefix of every generated secret, so that secret scanners can spot a leaked one.
pub const SECRET_PREFIX: &str = "cs_";

/// The hash scheme stored beside each hash.
pub const HASH_SCHEME: &str = "hmac-sha256";

/// A new secret: `cs_` and 32 random bytes in base64url (256 bits of entropy).
pub fn generate() -> Result<String, KeyError> {
    let mut bytes = [0u8; 32];
    SystemRandom::new()
        .fill(&mut bytes)
        .map_err(|_| KeyError::Crypto("random"))?;
    Ok(format!("{SECRET_PREFIX}{}", URL_SAFE_NO_PAD.encode(bytes)))
}

/// The row that stores `secret` for the client `client_pk`.
pub fn new_row(
    master: &MasterKey,
    client_pk: &str,
    name: &str,
    secret: &str,
    expires_at: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> SecretRow {
    SecretRow {
        id: new_row_id(),
        client_pk: client_pk.to_string(),
        name: name.to_string(),
        secret_hash: master.hash_secret(secret.as_bytes()),
        hash_scheme: HASH_SCHEME.to_string(),
        created_at: now.naive_utc(),
        expires_at: expires_at.map(|t| t.naive_utc()),
        last_used_at: None,
        revoked_at: None,
    }
}

/// Whether a client authenticates with shared secrets at all: a confidential client that does
/// not prove itself with a key (`private_key_jwt`).
pub fn accepted_by(client: &super::Client) -> bool {
    client.client_type == "confidential" && client.token_endpoint_auth_method != "private_key_jwt"
}

/// A new generated secret for the client, stored and audited in the caller's transaction;
/// returns its row and the plaintext (shown once).
pub fn add_generated(
    conn: &mut crate::storage::DbConnection,
    master: &MasterKey,
    client: &super::Client,
    name: &str,
    expires_at: Option<DateTime<Utc>>,
    actor: &crate::audit::Actor,
    now: DateTime<Utc>,
) -> Result<(SecretRow, String), crate::domain::DomainError> {
    let plain = generate().map_err(|e| crate::domain::DomainError::Internal(e.to_string()))?;
    let row = new_row(master, &client.id, name, &plain, expires_at, now);
    crate::storage::clients::insert_secret(conn, &row)?;
    let target = crate::audit::Target::new("client", &client.client_id, &client.org_id);
    record_created(conn, actor, target, &row, now)?;
    Ok((row, plain))
}

/// The audit event of a new secret.
pub fn record_created(
    conn: &mut crate::storage::DbConnection,
    actor: &crate::audit::Actor,
    target: crate::audit::Target<'_>,
    row: &SecretRow,
    now: DateTime<Utc>,
) -> crate::storage::StoreResult<()> {
    let expires_at = row.expires_at.map(|t| t.and_utc());
    crate::audit::record(
        conn,
        actor,
        "secret.created",
        target,
        serde_json::json!({"secret_id": row.id, "name": row.name, "expires_at": expires_at}),
        now,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_secrets_are_long_and_distinct() {
        let a = generate().unwrap();
        let b = generate().unwrap();
        assert_ne!(a, b);
        assert!(a.starts_with(SECRET_PREFIX));
        assert_eq!(a.len(), SECRET_PREFIX.len() + 43);
    }
}
