//! A snapshot of the keys: their states and public facts, the verifiers by kid and the JWKS,
//! built from the rows in the store.

use std::collections::HashMap;
use std::sync::Arc;

use chrono::{DateTime, NaiveDateTime, Utc};
use jsonwebtoken::jwk::Jwk;
use jsonwebtoken::DecodingKey;
use serde::Serialize;

pub use castellan_resource::VerifyKey;

use super::{signer, utc, KeyError, KeyPolicy, MasterKey, Signer};
use crate::storage::keys::{self as key_rows, KeyRow};
use crate::storage::DbConnection;

/// Where a key is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum KeyState {
    /// Published, not signing yet.
    Next,
    /// Signing new tokens.
    Current,
    /// No longer signing; published until its tokens have expired.
    Retiring,
}

/// A key as the admin API lists it (public facts only).
#[derive(Debug, Clone, Serialize)]
pub struct KeyInfo {
    /// Key id.
    pub kid: String,
    /// Algorithm.
    pub alg: String,
    /// Life stage.
    pub state: KeyState,
    /// Creation time.
    pub created_at: DateTime<Utc>,
    /// Signs from.
    pub activates_at: DateTime<Utc>,
    /// Stopped signing at.
    pub retired_at: Option<DateTime<Utc>>,
    /// Leaves the JWKS at.
    pub unpublish_at: Option<DateTime<Utc>>,
}

/// One consistent snapshot of the keys.
pub struct KeySet {
    /// The key that signs now.
    pub signer: Arc<Signer>,
    /// Every published key by kid.
    pub verifiers: HashMap<String, Arc<VerifyKey>>,
    /// The JWKS document, rendered once.
    pub jwks: String,
    /// The keys and their states.
    pub infos: Vec<KeyInfo>,
    /// What the store held when this set was built: (kid, activates_at, retired_at) of each
    /// published key; a reload that finds the same builds nothing.
    pub(super) fingerprint: Vec<(String, NaiveDateTime, Option<NaiveDateTime>)>,
    /// The instant the states were computed for.
    pub(super) built_for: DateTime<Utc>,
}

/// Builds the snapshot from the store; `None` when no key can sign at `now`.
pub(super) fn build_set(
    conn: &mut DbConnection,
    master: &MasterKey,
    policy: &KeyPolicy,
    now: DateTime<Utc>,
) -> Result<Option<KeySet>, KeyError> {
    let rows = key_rows::list_live(conn, (now - policy.retention).naive_utc())?;
    build_from_rows(conn, rows, master, policy, now)
}

/// (kid, activates_at, retired_at) of each row, what decides whether a set must be rebuilt.
pub(super) fn fingerprint(rows: &[KeyRow]) -> Vec<(String, NaiveDateTime, Option<NaiveDateTime>)> {
    rows.iter()
        .map(|r| (r.kid.clone(), r.activates_at, r.retired_at))
        .collect()
}

/// Builds the snapshot from rows read from the store; `None` when no key can sign at `now`.
pub(super) fn build_from_rows(
    conn: &mut DbConnection,
    rows: Vec<KeyRow>,
    master: &MasterKey,
    policy: &KeyPolicy,
    now: DateTime<Utc>,
) -> Result<Option<KeySet>, KeyError> {
    let naive_now = now.naive_utc();
    let Some(current) = rows
        .iter()
        .filter(|r| r.retired_at.is_none() && r.activates_at <= naive_now)
        .max_by_key(|r| r.activates_at)
    else {
        return Ok(None);
    };
    // A key superseded by a newer active one retires when the newer one activated.
    let superseded: Vec<&KeyRow> = rows
        .iter()
        .filter(|r| r.retired_at.is_none() && r.activates_at < current.activates_at)
        .collect();
    if !superseded.is_empty() {
        key_rows::retire_all_but(conn, &current.kid, current.activates_at)?;
    }

    let pkcs8 = master.open(&current.kid, &current.sealed_private)?;
    let signer = Arc::new(Signer::from_pkcs8(
        &current.kid,
        signer::parse_alg(&current.alg)?,
        &pkcs8,
    )?);

    let mut verifiers = HashMap::new();
    let mut jwks = Vec::new();
    let mut infos = Vec::new();
    for row in &rows {
        let retired_at = row
            .retired_at
            .or_else(|| (row.activates_at < current.activates_at).then_some(current.activates_at));
        let jwk_value: serde_json::Value = serde_json::from_str(&row.public_jwk)
            .map_err(|_| KeyError::Config(format!("key {} has a broken public JWK", row.kid)))?;
        let jwk: Jwk = serde_json::from_value(jwk_value.clone())
            .map_err(|_| KeyError::Config(format!("key {} has a broken public JWK", row.kid)))?;
        let key = DecodingKey::from_jwk(&jwk)
            .map_err(|_| KeyError::Config(format!("key {} has an unusable public JWK", row.kid)))?;
        let alg = signer::parse_alg(&row.alg)?;
        verifiers.insert(
            row.kid.clone(),
            Arc::new(VerifyKey {
                kid: row.kid.clone(),
                alg,
                key,
            }),
        );
        jwks.push(jwk_value);
        let state = if row.kid == current.kid {
            KeyState::Current
        } else if retired_at.is_none() && row.activates_at > naive_now {
            KeyState::Next
        } else {
            KeyState::Retiring
        };
        infos.push(KeyInfo {
            kid: row.kid.clone(),
            alg: row.alg.clone(),
            state,
            created_at: utc(row.created_at),
            activates_at: utc(row.activates_at),
            retired_at: retired_at.map(utc),
            unpublish_at: retired_at.map(|t| utc(t) + policy.retention),
        });
    }
    let jwks = serde_json::json!({ "keys": jwks }).to_string();
    Ok(Some(KeySet {
        signer,
        verifiers,
        jwks,
        infos,
        fingerprint: fingerprint(&rows),
        built_for: now,
    }))
}
