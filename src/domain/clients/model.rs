//! The client: the domain type and the rules every client must keep.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::storage::clients::ClientRow;
use crate::storage::{join_list, split_list};

/// The grant types a client may be given. Only client_credentials is served today; the others
/// are recorded for the human login flow to come.
pub const GRANT_TYPES: &[&str] = &["client_credentials", "authorization_code", "refresh_token"];

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
        }
    }

    /// Whether it may use the client_credentials grant at all.
    pub fn has_grant(&self, grant: &str) -> bool {
        self.grant_types.iter().any(|g| g == grant)
    }

    /// Checks every rule a client must keep. Returns each broken rule; never repairs anything.
    pub fn validate(&self, max_ttl_seconds: i64) -> Result<(), Vec<String>> {
        let mut problems = Vec::new();
        if let Err(problem) = crate::identifiers::check_client_id(&self.client_id) {
            problems.push(problem);
        }
        if self.name.trim().is_empty() || self.name.chars().count() > 200 {
            problems.push("name must be 1 to 200 characters".into());
        }
        if self.client_type != "confidential" && self.client_type != "public" {
            problems.push("client_type must be confidential or public".into());
        }
        for g in &self.grant_types {
            if !GRANT_TYPES.contains(&g.as_str()) {
                problems.push(format!("unknown grant type {g:?}"));
            }
        }
        for s in self.scopes.iter().chain(&self.default_scopes) {
            if !valid_scope_token(s) {
                problems.push(format!("{s:?} is not a valid scope (RFC 6749 §3.3)"));
            }
        }
        for d in &self.default_scopes {
            if !self.scopes.contains(d) {
                problems.push(format!(
                    "default scope {d:?} is not among the client's scopes"
                ));
            }
        }
        for a in &self.audiences {
            if a.is_empty() || a.chars().any(|c| c.is_whitespace() || c.is_control()) {
                problems.push(format!("{a:?} is not a valid audience"));
            }
        }
        for d in self.default_audiences.iter().flatten() {
            if !self.audiences.contains(d) {
                problems.push(format!(
                    "default audience {d:?} is not among the client's audiences"
                ));
            }
        }
        if let Some(ttl) = self.token_ttl_seconds {
            if ttl <= 0 || ttl > max_ttl_seconds {
                problems.push(format!(
                    "token_ttl_seconds must be between 1 and {max_ttl_seconds}"
                ));
            }
        }
        if !AUTH_METHODS.contains(&self.token_endpoint_auth_method.as_str()) {
            problems.push(format!(
                "token_endpoint_auth_method must be one of {}",
                AUTH_METHODS.join(", ")
            ));
        }
        match (
            self.client_type.as_str(),
            self.token_endpoint_auth_method.as_str(),
        ) {
            ("public", m) if m != "none" => problems
                .push("a public client authenticates with token_endpoint_auth_method none".into()),
            ("confidential", "none") => problems.push(
                "a confidential client needs a token_endpoint_auth_method other than none".into(),
            ),
            _ => {}
        }
        match (&self.jwks, self.token_endpoint_auth_method.as_str()) {
            (None, "private_key_jwt") => {
                problems.push("private_key_jwt needs the client's public keys in jwks".into())
            }
            (Some(jwks), _) => problems.extend(check_jwks(jwks)),
            _ => {}
        }
        if self.is_admin_service_account {
            // CONTRACT: only a confidential service account with client_credentials may be an
            // admin service account. Refused, never repaired.
            if self.client_type != "confidential" {
                problems.push("is_admin_service_account requires a confidential client".into());
            }
            if !self.is_service_account {
                problems.push("is_admin_service_account requires is_service_account".into());
            }
            if !self.has_grant("client_credentials") {
                problems
                    .push("is_admin_service_account requires the client_credentials grant".into());
            }
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(problems)
        }
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

    /// What it holds, for the rule "no principal grants what it does not hold".
    pub fn holdings(&self) -> crate::domain::powers::Holdings<'_> {
        crate::domain::powers::Holdings {
            scopes: &self.scopes,
            audiences: &self.audiences,
            admin_flag: self.is_admin_service_account,
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

    /// An active admin service account holding the full `admin` scope: one of those the last
    /// can't be removed.
    pub fn is_full_admin(&self) -> bool {
        self.active && self.is_admin_service_account && self.scopes.iter().any(|s| s == "admin")
    }
}

/// What is wrong with a client's JWKS: it must hold at least one usable public signing key
/// with `kid` and `alg`, and no private key material at all.
pub fn check_jwks(jwks: &serde_json::Value) -> Vec<String> {
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use base64::Engine;
    use jsonwebtoken::Algorithm as A;
    const PRIVATE: &[&str] = &["d", "p", "q", "dp", "dq", "qi", "k", "oth"];
    let Some(keys) = jwks.get("keys").and_then(|k| k.as_array()) else {
        return vec!["jwks must be a JWKS document: {\"keys\": [...]}".into()];
    };
    if keys
        .iter()
        .any(|k| PRIVATE.iter().any(|m| k.get(*m).is_some()))
    {
        return vec!["jwks holds private key material: publish public keys only".into()];
    }
    if keys.is_empty() {
        return vec!["jwks has no keys".into()];
    }
    let field = |key: &serde_json::Value, name: &str| {
        key.get(name).and_then(|v| v.as_str()).map(str::to_string)
    };
    let bytes = |key: &serde_json::Value, name: &str| {
        field(key, name)
            .and_then(|v| URL_SAFE_NO_PAD.decode(v.trim_end_matches('=')).ok())
            .map_or(0, |b| b.len())
    };
    let mut problems = Vec::new();
    for (i, key) in keys.iter().enumerate() {
        let name = field(key, "kid").map_or_else(|| format!("#{}", i + 1), |k| format!("{k:?}"));
        let Some(parsed) = crate::resource::parse_key(key.clone()) else {
            let bits = field(key, "n").and_then(|n| crate::resource::rsa_modulus_bits(&n));
            problems.push(match bits {
                Some(bits) if !crate::resource::RSA_MODULUS_BITS.contains(&bits) => format!(
                    "jwks key {name}: an RSA key must have 2048 to 8192 bits, this one has {bits}"
                ),
                _ => format!(
                    "jwks key {name} is not a usable public signing key: it needs a kid, an alg \
                     (not HS*), use \"sig\" if any, and a key type and curve that fit the alg"
                ),
            });
            continue;
        };
        let fits = match parsed.alg {
            A::ES256 => bytes(key, "x") == 32 && bytes(key, "y") == 32,
            A::EdDSA => bytes(key, "x") == 32,
            A::RS256 | A::RS384 | A::RS512 | A::PS256 | A::PS384 | A::PS512 => true,
            _ => {
                problems.push(format!(
                    "jwks key {name}: only ES256 (P-256), EdDSA (Ed25519) and RSA keys \
                     (RS256..PS512, at least 2048 bits) are accepted"
                ));
                continue;
            }
        };
        if !fits {
            problems.push(format!(
                "jwks key {name}: the public key has the wrong length"
            ));
        }
    }
    if problems.is_empty() {
        let parsed = crate::resource::parse_jwks(jwks.to_string().as_bytes());
        if parsed.map_or(true, |p| p.len() != keys.len()) {
            problems.push("jwks names a kid more than once".into());
        }
    }
    problems
}

/// An identifier (client_id, username): 1 to 128 printable characters, no whitespace.
pub fn valid_identifier(id: &str) -> bool {
    !id.is_empty()
        && id.chars().count() <= 128
        && id.chars().all(|c| !c.is_whitespace() && !c.is_control())
}

/// A scope token: RFC 6749 §3.3 `1*( %x21 / %x23-5B / %x5D-7E )`.
pub fn valid_scope_token(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b == 0x21 || (0x23..=0x5B).contains(&b) || (0x5D..=0x7E).contains(&b))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn admin() -> Client {
        Client {
            scopes: vec!["admin".into()],
            default_scopes: vec!["admin".into()],
            audiences: vec!["urn:castellan:admin".into()],
            is_admin_service_account: true,
            ..Client::service_account("ci", "CI", Utc::now())
        }
    }

    #[test]
    fn an_admin_service_account_must_be_a_confidential_service_account_with_the_grant() {
        assert!(admin().validate(3600).is_ok());
        let mut c = admin();
        c.grant_types.clear();
        assert!(c.validate(3600).is_err());
        let mut c = admin();
        c.is_service_account = false;
        assert!(c.validate(3600).is_err());
        let mut c = admin();
        c.client_type = "public".into();
        c.token_endpoint_auth_method = "none".into();
        assert!(c.validate(3600).is_err());
    }

    #[test]
    fn scope_tokens_follow_rfc_6749() {
        assert!(valid_scope_token("account:usage:read"));
        assert!(!valid_scope_token("a b"));
        assert!(!valid_scope_token("quote\""));
        assert!(!valid_scope_token(""));
    }
}
