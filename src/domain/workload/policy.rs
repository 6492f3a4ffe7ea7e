//! A trust policy: as stored, as the API shows it, and as the token endpoint holds it in memory.

use std::collections::HashMap;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::DEFAULT_MAX_TOKEN_AGE_SECONDS;
use crate::keys::VerifyKey;
use crate::storage::trust::PolicyRow;

/// A trust policy as the API shows it.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Policy {
    /// Id (UUID).
    pub id: String,
    /// The outside issuer, matched exactly against the workload token's `iss`.
    pub issuer: String,
    /// Where the issuer's keys are fetched.
    pub jwks_uri: Option<String>,
    /// The issuer's keys, pinned (public keys only).
    #[schema(value_type = Option<Object>)]
    pub jwks: Option<Value>,
    /// Must be among the workload token's `aud`.
    pub audience: String,
    /// Matched exactly against `sub`.
    pub subject: String,
    /// JSON Pointer (RFC 6901) into the token → the exact value required.
    #[schema(value_type = Object)]
    pub claims: serde_json::Map<String, Value>,
    /// The oldest `iat` accepted, in seconds.
    pub max_token_age_seconds: i64,
    /// Creation time.
    pub created_at: DateTime<Utc>,
}

impl From<&PolicyRow> for Policy {
    fn from(r: &PolicyRow) -> Self {
        Policy {
            id: r.id.clone(),
            issuer: r.issuer.clone(),
            jwks_uri: r.jwks_uri.clone(),
            jwks: r.jwks.as_deref().and_then(|j| serde_json::from_str(j).ok()),
            audience: r.audience.clone(),
            subject: r.subject.clone(),
            claims: serde_json::from_str(&r.claims).unwrap_or_default(),
            max_token_age_seconds: r.max_token_age_seconds,
            created_at: DateTime::from_naive_utc_and_offset(r.created_at, Utc),
        }
    }
}

/// `POST /admin/v1/clients/{id}/trust-policies`.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewPolicy {
    /// The outside issuer (its `iss`, exactly).
    pub issuer: String,
    /// Where its keys are fetched: https, or http on a loopback host.
    pub jwks_uri: Option<String>,
    /// Or its keys, pinned: a JWKS document of public keys.
    #[schema(value_type = Option<Object>)]
    pub jwks: Option<Value>,
    /// Must be among the workload token's `aud`.
    pub audience: String,
    /// Matched exactly against `sub`.
    pub subject: String,
    /// JSON Pointer → exact value (default none).
    #[serde(default)]
    #[schema(value_type = Option<Object>)]
    pub claims: serde_json::Map<String, Value>,
    /// Default 3600.
    pub max_token_age_seconds: Option<i64>,
}

impl NewPolicy {
    /// Every broken rule.
    pub fn validate(&self) -> Result<(), Vec<String>> {
        let mut problems = Vec::new();
        let text =
            |v: &str| !v.trim().is_empty() && v.len() <= 1000 && !v.chars().any(char::is_control);
        if !text(&self.issuer) {
            problems.push("issuer must be 1 to 1000 characters".into());
        }
        if !text(&self.audience) {
            problems.push("audience must be 1 to 1000 characters".into());
        }
        if !text(&self.subject) {
            problems.push("subject must be 1 to 1000 characters: pin the workload".into());
        }
        match (&self.jwks_uri, &self.jwks) {
            (Some(uri), None) => {
                if let Err(e) = crate::resource::check_jwks_uri(uri) {
                    problems.push(format!("jwks_uri: {e}"));
                }
            }
            (None, Some(jwks)) => {
                // The same rules as a client's keys: public keys only, of kinds we verify.
                let key_problems = crate::domain::clients::check_jwks(jwks);
                if !key_problems.is_empty() {
                    problems.extend(key_problems.into_iter().map(|p| format!("jwks: {p}")));
                } else if !crate::resource::parse_jwks(jwks.to_string().as_bytes())
                    .is_ok_and(|keys| !keys.is_empty())
                {
                    problems.push(
                        "jwks must be a JWKS document with at least one key Castellan can verify"
                            .into(),
                    );
                }
            }
            _ => problems.push("give exactly one of jwks_uri and jwks".into()),
        }
        for (pointer, value) in &self.claims {
            if !pointer.starts_with('/') {
                problems.push(format!(
                    "claims key {pointer:?} must be a JSON Pointer (starting with /)"
                ));
            }
            if value.is_object() || value.is_array() || value.is_null() {
                problems.push(format!(
                    "claims value of {pointer:?} must be a string, number or boolean"
                ));
            }
        }
        if self
            .max_token_age_seconds
            .is_some_and(|s| !(1..=86_400).contains(&s))
        {
            problems.push("max_token_age_seconds must be between 1 and 86400".into());
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(problems)
        }
    }

    /// The row to store.
    pub fn to_row(&self, id: String, client_pk: &str, now: chrono::NaiveDateTime) -> PolicyRow {
        PolicyRow {
            id,
            client_pk: client_pk.to_string(),
            issuer: self.issuer.clone(),
            jwks_uri: self.jwks_uri.clone(),
            jwks: self.jwks.as_ref().map(Value::to_string),
            audience: self.audience.clone(),
            subject: self.subject.clone(),
            claims: Value::Object(self.claims.clone()).to_string(),
            max_token_age_seconds: self
                .max_token_age_seconds
                .unwrap_or(DEFAULT_MAX_TOKEN_AGE_SECONDS),
            created_at: now,
        }
    }
}

/// Where a policy's keys come from.
#[derive(Debug)]
pub enum PolicyKeys {
    /// Pinned, by kid.
    Pinned(HashMap<String, Arc<VerifyKey>>),
    /// Fetched from this JWKS URI (cached, shared by every policy naming it).
    Remote(String),
}

/// A policy as the token endpoint holds it.
#[derive(Debug)]
pub struct TrustPolicy {
    /// Id.
    pub id: String,
    /// `iss`, exactly.
    pub issuer: String,
    /// Its keys.
    pub keys: PolicyKeys,
    /// Among `aud`.
    pub audience: String,
    /// `sub`, exactly.
    pub subject: String,
    /// JSON Pointer → exact value.
    pub claims: Vec<(String, Value)>,
    /// Oldest `iat` accepted, seconds.
    pub max_token_age_seconds: i64,
}

impl TrustPolicy {
    /// From its row (None for a row that no longer parses: it then matches nothing).
    pub fn from_row(r: &PolicyRow) -> Option<Self> {
        let keys = match (&r.jwks_uri, &r.jwks) {
            (Some(uri), _) => PolicyKeys::Remote(uri.clone()),
            (None, Some(jwks)) => {
                PolicyKeys::Pinned(crate::resource::parse_jwks(jwks.as_bytes()).ok()?)
            }
            (None, None) => return None,
        };
        let claims: serde_json::Map<String, Value> = serde_json::from_str(&r.claims).ok()?;
        Some(TrustPolicy {
            id: r.id.clone(),
            issuer: r.issuer.clone(),
            keys,
            audience: r.audience.clone(),
            subject: r.subject.clone(),
            claims: claims.into_iter().collect(),
            max_token_age_seconds: r.max_token_age_seconds,
        })
    }
}
