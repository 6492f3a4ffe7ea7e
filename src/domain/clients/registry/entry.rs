//! An entry of the registry: what the token endpoint knows of one client and its secrets.

use std::collections::HashMap;
use std::sync::Arc;

use chrono::{DateTime, NaiveDateTime, Utc};

use crate::keys::VerifyKey;
use crate::storage::clients::{ClientRow, SecretRow};
use crate::storage::split_list;

/// How a client authenticates: its registered `token_endpoint_auth_method`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthMethod {
    /// HTTP Basic with client_id and secret (RFC 6749 §2.3.1).
    ClientSecretBasic,
    /// client_id and client_secret in the form body (RFC 6749 §2.3.1).
    ClientSecretPost,
    /// A signed JWT assertion (RFC 7523 §2.2).
    PrivateKeyJwt,
    /// None: a public client (also what an unknown stored value means: nothing passes).
    None,
}

impl AuthMethod {
    /// The method a stored `token_endpoint_auth_method` names.
    pub fn from_registered(method: &str) -> Self {
        match method {
            "client_secret_basic" => AuthMethod::ClientSecretBasic,
            "client_secret_post" => AuthMethod::ClientSecretPost,
            "private_key_jwt" => AuthMethod::PrivateKeyJwt,
            _ => AuthMethod::None,
        }
    }
}

/// A live secret's hash.
#[derive(Debug, Clone)]
pub struct CachedSecret {
    /// Secret id.
    pub id: String,
    /// HMAC-SHA256 of the secret.
    pub hash: Vec<u8>,
    /// Not accepted from this instant.
    pub expires_at: Option<DateTime<Utc>>,
    /// `hash` is the HMAC of the secret's SHA-256 (a configured `secret_sha256`), not of the
    /// secret itself.
    pub prehashed: bool,
}

impl CachedSecret {
    pub(super) fn from_row(s: &SecretRow) -> Self {
        CachedSecret {
            id: s.id.clone(),
            hash: s.secret_hash.clone(),
            expires_at: s.expires_at.map(utc),
            prehashed: false,
        }
    }
}

/// What the token endpoint needs to know of a client.
#[derive(Debug)]
pub struct CachedClient {
    /// Internal id.
    pub id: String,
    /// OAuth client_id.
    pub client_id: String,
    /// Confidential (not public).
    pub confidential: bool,
    /// Has the client_credentials grant.
    pub client_credentials: bool,
    /// Flagged a service account.
    pub is_service_account: bool,
    /// Flagged an admin service account.
    pub is_admin_service_account: bool,
    /// Enabled.
    pub active: bool,
    /// Scopes it may ask for, in configured order.
    pub scopes: Vec<String>,
    /// Scopes granted when none are asked for.
    pub default_scopes: Vec<String>,
    /// Audiences it may ask for.
    pub audiences: Vec<String>,
    /// Its own token lifetime, if set.
    pub token_ttl_seconds: Option<i64>,
    /// Tokens issued before this are revoked.
    pub tokens_revoked_before: Option<DateTime<Utc>>,
    /// Live secrets.
    pub secrets: Vec<CachedSecret>,
    /// The one method it authenticates by (its registered `token_endpoint_auth_method`).
    pub auth_method: AuthMethod,
    /// Audiences used when a request names none (None: all of `audiences`).
    pub default_audiences: Option<Vec<String>>,
    /// Its public keys for `private_key_jwt`, by kid, each pinned to its algorithm.
    pub assertion_keys: HashMap<String, Arc<VerifyKey>>,
    /// Its organization.
    pub org_id: String,
    /// The groups it is in (their grants are in the directory).
    pub groups: Vec<String>,
    /// Has the authorization_code grant.
    pub authorization_code: bool,
    /// Has the refresh_token grant.
    pub refresh_token: bool,
    /// Registered redirect URIs.
    pub redirect_uris: Vec<String>,
    /// Has the token-exchange grant.
    pub token_exchange: bool,
    /// Its trust policies (workload identity).
    pub trust_policies: Vec<Arc<crate::domain::workload::TrustPolicy>>,
    /// Where its `private_key_jwt` keys are fetched, instead of registered ones.
    pub assertion_jwks_uri: Option<String>,
}

fn utc(t: NaiveDateTime) -> DateTime<Utc> {
    DateTime::from_naive_utc_and_offset(t, Utc)
}

impl CachedClient {
    pub(super) fn new(row: &ClientRow, secrets: Vec<CachedSecret>, groups: Vec<String>) -> Self {
        let grants = split_list(&row.grant_types);
        CachedClient {
            id: row.id.clone(),
            client_id: row.client_id.clone(),
            confidential: row.client_type == "confidential",
            client_credentials: grants.iter().any(|g| g == "client_credentials"),
            is_service_account: row.is_service_account,
            is_admin_service_account: row.is_admin_service_account,
            active: row.active,
            scopes: split_list(&row.scopes),
            default_scopes: split_list(&row.default_scopes),
            audiences: split_list(&row.audiences),
            token_ttl_seconds: row.token_ttl_seconds,
            tokens_revoked_before: row.tokens_revoked_before.map(utc),
            secrets,
            auth_method: AuthMethod::from_registered(&row.token_endpoint_auth_method),
            default_audiences: row.default_audiences.as_deref().map(split_list),
            assertion_keys: row
                .jwks
                .as_deref()
                .and_then(|j| crate::resource::parse_jwks(j.as_bytes()).ok())
                .unwrap_or_default(),
            org_id: row.org_id.clone(),
            groups,
            authorization_code: grants.iter().any(|g| g == "authorization_code"),
            refresh_token: grants.iter().any(|g| g == "refresh_token"),
            redirect_uris: split_list(&row.redirect_uris),
            token_exchange: grants
                .iter()
                .any(|g| g == crate::domain::workload::TOKEN_EXCHANGE),
            trust_policies: Vec::new(),
            assertion_jwks_uri: row.jwks_uri.clone(),
        }
    }

    /// With its trust policies.
    pub fn with_policies(mut self, rows: &[crate::storage::trust::PolicyRow]) -> Self {
        self.trust_policies = rows
            .iter()
            .filter_map(crate::domain::workload::TrustPolicy::from_row)
            .map(Arc::new)
            .collect();
        self
    }
}
