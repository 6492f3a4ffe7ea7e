//! Making keys: a new key (generated, or the imported RSA key) sealed and stored with its
//! audit event, and rotation to a new current key.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use chrono::{DateTime, Utc};
use jsonwebtoken::Algorithm;
use ring::rand::{SecureRandom, SystemRandom};

use super::{signer, utc, KeyError, KeyPolicy, MasterKey, Signer};
use crate::audit::{self, Actor};
use crate::storage::keys::{self as key_rows, KeyRow};
use crate::storage::DbConnection;

fn new_kid() -> Result<String, KeyError> {
    let mut bytes = [0u8; 16];
    SystemRandom::new()
        .fill(&mut bytes)
        .map_err(|_| KeyError::Crypto("random"))?;
    Ok(URL_SAFE_NO_PAD.encode(bytes))
}

/// Makes a new key current at `now` and retires the others (used by the CLI too); the audit
/// event is written in the same transaction.
pub fn rotate(
    conn: &mut DbConnection,
    master: &MasterKey,
    policy: &KeyPolicy,
    now: DateTime<Utc>,
    actor: &Actor,
) -> Result<String, KeyError> {
    use diesel::Connection;
    conn.transaction(|conn| {
        let kid = create_key(conn, master, policy, now, actor, "key.rotated")?;
        key_rows::retire_all_but(conn, &kid, now.naive_utc())?;
        Ok(kid)
    })
}

fn new_private_key(policy: &KeyPolicy) -> Result<Vec<u8>, KeyError> {
    match (policy.alg, &policy.rsa_key_file) {
        (Algorithm::RS256, Some(path)) => {
            let bytes =
                std::fs::read(path).map_err(|e| KeyError::Io(path.display().to_string(), e))?;
            signer::read_rsa_pkcs8(&bytes)
        }
        (alg, _) => signer::generate_pkcs8(alg),
    }
}

pub(super) fn create_key(
    conn: &mut DbConnection,
    master: &MasterKey,
    policy: &KeyPolicy,
    now: DateTime<Utc>,
    actor: &Actor,
    action: &str,
) -> Result<String, KeyError> {
    create_key_at(conn, master, policy, now, now, actor, action)
}

/// Creates a key that signs from `activates_at`, and audits it. Call inside a transaction.
pub(super) fn create_key_at(
    conn: &mut DbConnection,
    master: &MasterKey,
    policy: &KeyPolicy,
    now: DateTime<Utc>,
    activates_at: DateTime<Utc>,
    actor: &Actor,
    action: &str,
) -> Result<String, KeyError> {
    let kid = new_kid()?;
    let pkcs8 = new_private_key(policy)?;
    let signer = Signer::from_pkcs8(&kid, policy.alg, &pkcs8)?;
    let jwk = signer.public_jwk();
    if policy.alg == Algorithm::RS256 {
        // An imported RSA key must be new: rotating to the same key would be no rotation.
        let live = key_rows::list_live(conn, (now - policy.retention).naive_utc())?;
        let same = live.iter().any(|row| {
            serde_json::from_str::<serde_json::Value>(&row.public_jwk)
                .map(|old| old["n"] == jwk["n"])
                .unwrap_or(false)
        });
        if same {
            return Err(KeyError::Config(
                "signing.rsa_private_key_file holds a key already in use: put a new key there first".into(),
            ));
        }
    }
    let row = KeyRow {
        kid: kid.clone(),
        alg: signer::alg_name(policy.alg).to_string(),
        public_jwk: jwk.to_string(),
        sealed_private: master.seal(&kid, &pkcs8)?,
        created_at: now.naive_utc(),
        activates_at: activates_at.naive_utc(),
        retired_at: None,
        revoked_at: None,
    };
    key_rows::insert(conn, &row)?;
    audit::record(
        conn,
        actor,
        action,
        audit::Target::deployment("key", &kid),
        serde_json::json!({"alg": row.alg, "activates_at": utc(row.activates_at)}),
        now,
    )?;
    Ok(kid)
}
