//! The client: the domain type and its stored form (the rules it must keep are in
//! `validate.rs`, those of its keys in `jwks_rules.rs`).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::storage::clients::ClientRow;
use crate::storage::{join_list, split_list};

/// The grant types a client may be given. Only client_credentials is served today; the others
/// are recorded for the human login flow to come.
pub const GRANT_TYPES: &[&str] = &[
    "client_credentials",
    "authorization_code",
    "refresh_token",
    crate::domain::workload::TOKEN_EXCHANGE,
];

/// Client authentication methods at the token endpoint.
pub const AUTH_METHODS: &[&str] = &[
    "client_secret_basic",
    "client_secret_post",
    "private_key_jwt",
    "none",
];

/// A client as the API shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Client {
    /// Internal id (UUID).
    pub id: String,
    /// The OAuth client_id.
    pub client_id: String,
    /// Display name.
    pub name: String,
    /// Free text.
    pub description: String,
    /// `confidential` or `public`.
    pub client_type: String,
    /// Grant types it may use.
    pub grant_types: Vec<String>,
    /// Scopes it may ask for.
    pub scopes: Vec<String>,
    /// Scopes granted when a request names none.
    pub default_scopes: Vec<String>,
    /// Audiences it may ask for.
    pub audiences: Vec<String>,
    /// Token lifetime; the server default when null.
    pub token_ttl_seconds: Option<i64>,
    /// How it authenticates at the token endpoint.
    pub token_endpoint_auth_method: String,
    /// A service account (may use client_credentials).
    pub is_service_account: bool,
    /// May use the admin API.
    pub is_admin_service_account: bool,
    /// Disabled clients get no tokens.
    pub active: bool,
    /// Tokens issued before this instant are refused.
    pub tokens_revoked_before: Option<DateTime<Utc>>,
    /// Creation time.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
    /// `api`, or `config` for a client declared in the configuration file (read-only here).
    #[serde(default = "managed_by_api")]
    pub managed_by: String,
    /// Public keys (a JWKS document, RFC 7517) the client signs its `private_key_jwt`
    /// assertions with; never a private key.
    #[serde(default)]
    #[schema(value_type = Option<Object>)]
    pub jwks: Option<serde_json::Value>,
    /// Audiences used when a request names none (a subset of `audiences`); all of them when
    /// null.
    #[serde(default)]
    pub default_audiences: Option<Vec<String>>,
    /// Its organization's id (fixed at creation).
    #[serde(default = "root_org")]
    pub org_id: String,
    /// Where the authorization endpoint may send a person back (exact match; a loopback IP
    /// literal matches on any port, RFC 8252 §7.3).
    #[serde(default)]
    pub redirect_uris: Vec<String>,
    /// Where its `private_key_jwt` keys are fetched (https, or http on a loopback host),
    /// instead of registering them in `jwks`.
    #[serde(default)]
    pub jwks_uri: Option<String>,
}

fn root_org() -> String {
    crate::storage::orgs::ROOT_ORG_ID.into()
}

fn managed_by_api() -> String {
    "api".into()
}

fn utc(t: chrono::NaiveDateTime) -> DateTime<Utc> {
    DateTime::from_naive_utc_and_offset(t, Utc)
}

impl From<&ClientRow> for Client {
    fn from(r: &ClientRow) -> Self {
        Client {
            id: r.id.clone(),
            client_id: r.client_id.clone(),
            name: r.name.clone(),
            description: r.description.clone(),
            client_type: r.client_type.clone(),
            grant_types: split_list(&r.grant_types),
            scopes: split_list(&r.scopes),
            default_scopes: split_list(&r.default_scopes),
            audiences: split_list(&r.audiences),
            token_ttl_seconds: r.token_ttl_seconds,
            token_endpoint_auth_method: r.token_endpoint_auth_method.clone(),
            is_service_account: r.is_service_account,
            is_admin_service_account: r.is_admin_service_account,
            active: r.active,
            tokens_revoked_before: r.tokens_revoked_before.map(utc),
            created_at: utc(r.created_at),
            updated_at: utc(r.updated_at),
            managed_by: r.managed_by.clone(),
            jwks: r.jwks.as_deref().and_then(|j| serde_json::from_str(j).ok()),
            default_audiences: r.default_audiences.as_deref().map(split_list),
            org_id: r.org_id.clone(),
            redirect_uris: split_list(&r.redirect_uris),
            jwks_uri: r.jwks_uri.clone(),
        }
    }
}

impl Client {
    /// The row to store.
    pub fn to_row(&self) -> ClientRow {
        ClientRow {
            id: self.id.clone(),
            client_id: self.client_id.clone(),
            principal_kind: "client".into(),
            name: self.name.clone(),
            description: self.description.clone(),
            client_type: self.client_type.clone(),
            grant_types: join_list(&self.grant_types),
            scopes: join_list(&self.scopes),
            default_scopes: join_list(&self.default_scopes),
            audiences: join_list(&self.audiences),
            token_ttl_seconds: self.token_ttl_seconds,
            token_endpoint_auth_method: self.token_endpoint_auth_method.clone(),
            is_service_account: self.is_service_account,
            is_admin_service_account: self.is_admin_service_account,
            active: self.active,
            tokens_revoked_before: self.tokens_revoked_before.map(|t| t.naive_utc()),
            created_at: self.created_at.naive_utc(),
            updated_at: self.updated_at.naive_utc(),
            managed_by: self.managed_by.clone(),
            jwks: self.jwks.as_ref().map(|j| j.to_string()),
            default_audiences: self.default_audiences.as_deref().map(join_list),
            org_id: self.org_id.clone(),
            redirect_uris: join_list(&self.redirect_uris),
            jwks_uri: self.jwks_uri.clone(),
        }
    }

    /// A new confidential service account with the client_credentials grant,
    /// `client_secret_basic`, no scopes or audiences yet, active, managed by the API.
    pub fn service_account(client_id: &str, name: &str, now: DateTime<Utc>) -> Self {
        Client {
            id: crate::storage::new_row_id(),
            client_id: client_id.to_string(),
            name: name.to_string(),
            description: String::new(),
            client_type: "confidential".into(),
            grant_types: vec!["client_credentials".into()],
            scopes: Vec::new(),
            default_scopes: Vec::new(),
            audiences: Vec::new(),
            token_ttl_seconds: None,
            token_endpoint_auth_method: "client_secret_basic".into(),
            is_service_account: true,
            is_admin_service_account: false,
            active: true,
            tokens_revoked_before: None,
            created_at: now,
            updated_at: now,
            managed_by: "api".into(),
            jwks: None,
            default_audiences: None,
            org_id: root_org(),
            redirect_uris: Vec::new(),
            jwks_uri: None,
        }
    }

    /// Whether it may use the client_credentials grant at all.
    pub fn has_grant(&self, grant: &str) -> bool {
        self.grant_types.iter().any(|g| g == grant)
    }
}

impl Client {
    /// CONTRACT (Audiences): a token that carries the admin audience carries no other, so
    /// `default_audiences` may not name it beside another.
    pub fn audience_problems(&self, admin_audience: &str) -> Vec<String> {
        match &self.default_audiences {
            Some(d) if d.len() > 1 && d.iter().any(|a| a == admin_audience) => vec![format!(
                "default_audiences may not hold the admin audience {admin_audience:?} together \
                 with another: a token for the admin API carries no other audience"
            )],
            _ => Vec::new(),
        }
    }

    /// Any admin privilege: an admin-audience scope or the admin flag (CONTRACT: promotion is
    /// going from none to some).
    pub fn has_admin_privilege(&self) -> bool {
        self.is_admin_service_account
            || self
                .scopes
                .iter()
                .any(|s| crate::domain::powers::is_admin_scope(s))
    }
}
