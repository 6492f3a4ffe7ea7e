//! Making keys: a new key (generated, or the imported RSA key) sealed and stored with its
//! audit event, and rotation to a new current key.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use chrono::{DateTime, Duration, Utc};
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

/// How long a manual rotation publishes the new key before it signs, unless told otherwise:
/// longer than the 30 s during which common JWKS clients (jose, PyJWT) refuse to refetch, so
/// they hold the new key before the first token it signs reaches them.
pub const ROTATION_DELAY_SECONDS: i64 = 60;

/// The longest delay a manual rotation accepts (a day).
pub const MAX_ROTATION_DELAY_SECONDS: i64 = 86_400;

/// When the key a manual rotation makes starts signing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Switch {
    /// At once: verifiers that cached the JWKS refuse its tokens until they refetch it.
    Now,
    /// After this long, published meanwhile, so that verifiers already hold it.
    After(Duration),
}

impl Default for Switch {
    fn default() -> Self {
        Switch::After(Duration::seconds(ROTATION_DELAY_SECONDS))
    }
}

impl Switch {
    /// A delay in seconds: 0 is [`Switch::Now`]; more than [`MAX_ROTATION_DELAY_SECONDS`] or
    /// less than 0 is refused.
    pub fn after_seconds(seconds: i64) -> Result<Self, KeyError> {
        match seconds {
            0 => Ok(Switch::Now),
            1..=MAX_ROTATION_DELAY_SECONDS => Ok(Switch::After(Duration::seconds(seconds))),
            _ => Err(KeyError::Config(format!(
                "the delay must be between 0 and {MAX_ROTATION_DELAY_SECONDS} seconds"
            ))),
        }
    }
}

/// What a manual rotation did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rotation {
    /// The key that signs from `activates_at`.
    pub kid: String,
    /// When it signs (on every node, each within a key watch of that instant).
    pub activates_at: DateTime<Utc>,
    /// False when a key already published and waiting was kept (its activation brought
    /// forward when it came later than asked) instead of a new one.
    pub created: bool,
}

/// Makes a new key current at `now` and retires the others; the audit event is written in the
/// same transaction. The immediate rotation: see [`rotate_at`] for the one that waits.
pub fn rotate(
    conn: &mut DbConnection,
    master: &MasterKey,
    policy: &KeyPolicy,
    now: DateTime<Utc>,
    actor: &Actor,
) -> Result<String, KeyError> {
    rotate_at(conn, master, policy, now, Switch::Now, actor).map(|r| r.kid)
}

/// A manual rotation (CLI, admin API). `Switch::Now`: a new key signs at once and the others
/// retire. `Switch::After(d)`: a new key is published now and signs from `now + d`; every node
/// switches to it then (the key watch), and the current key retires at that instant and stays
/// published until its tokens have expired. When a key is already published and waiting (a
/// scheduled one, or an earlier rotation), it is kept rather than a second one made: its
/// activation is brought forward to `now + d` when it came later, and left alone otherwise.
/// Audited (`key.rotated`) in the same transaction.
pub fn rotate_at(
    conn: &mut DbConnection,
    master: &MasterKey,
    policy: &KeyPolicy,
    now: DateTime<Utc>,
    switch: Switch,
    actor: &Actor,
) -> Result<Rotation, KeyError> {
    use diesel::Connection;
    conn.transaction(|conn| {
        let delay = match switch {
            Switch::Now => {
                let kid = create_key(conn, master, policy, now, actor, "key.rotated")?;
                key_rows::retire_all_but(conn, &kid, now.naive_utc())?;
                return Ok(Rotation {
                    kid,
                    activates_at: now,
                    created: true,
                });
            }
            Switch::After(delay) => delay,
        };
        let at = now + delay;
        let live = key_rows::list_live(conn, (now - policy.retention).naive_utc())?;
        let waiting = live
            .iter()
            .filter(|r| r.retired_at.is_none() && r.activates_at > now.naive_utc())
            .min_by_key(|r| r.activates_at);
        let Some(waiting) = waiting else {
            let kid = create_key_at(conn, master, policy, now, at, actor, "key.rotated")?;
            return Ok(Rotation {
                kid,
                activates_at: at,
                created: true,
            });
        };
        let mut activates_at = utc(waiting.activates_at);
        if activates_at > at && key_rows::bring_forward(conn, &waiting.kid, at.naive_utc())? {
            audit::record(
                conn,
                actor,
                "key.rotated",
                audit::Target::deployment("key", &waiting.kid),
                serde_json::json!({"alg": waiting.alg, "activates_at": at,
                                   "was_to_activate_at": activates_at}),
                now,
            )?;
            activates_at = at;
        }
        Ok(Rotation {
            kid: waiting.kid.clone(),
            activates_at,
            created: false,
        })
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
