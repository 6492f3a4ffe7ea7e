//! The access token's claims (RFC 9068 §2.2).

use serde::{Deserialize, Serialize};

/// `principal_type` of a token that speaks for a service account.
pub const SERVICE_ACCOUNT: &str = "service_account";
/// `principal_type` of a token that speaks for a user.
pub const USER: &str = "user";

/// One audience or several (RFC 7519 §4.1.3).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Audience {
    /// A single audience, sent as a string.
    One(String),
    /// Several, sent as an array.
    Many(Vec<String>),
}

impl Audience {
    /// From a list: a string when there is one.
    pub fn from_list(mut list: Vec<String>) -> Self {
        if list.len() == 1 {
            Audience::One(list.remove(0))
        } else {
            Audience::Many(list)
        }
    }

    /// Whether `aud` is among them.
    pub fn contains(&self, aud: &str) -> bool {
        match self {
            Audience::One(a) => a == aud,
            Audience::Many(list) => list.iter().any(|a| a == aud),
        }
    }
}

/// The claims Castellan puts in every access token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessTokenClaims {
    /// Issuer URL.
    pub iss: String,
    /// Subject: for a service account, its client_id.
    pub sub: String,
    /// Audience(s).
    pub aud: Audience,
    /// Expiry (seconds since the epoch).
    pub exp: i64,
    /// Issued at.
    pub iat: i64,
    /// Not before.
    pub nbf: i64,
    /// Unique token id.
    pub jti: String,
    /// The client the token was issued to.
    pub client_id: String,
    /// Space-separated scopes.
    pub scope: String,
    /// Which kind of principal `sub` names: `service_account` or `user`.
    pub principal_type: String,
    /// The id of the organization the principal belongs to (every token Castellan issues
    /// carries it; optional only so that a token issued before organizations still parses).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub org_id: Option<String>,
    /// RFC 8693 §4.1: the workload acting for the service account (workload identity).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub act: Option<Actor>,
}

/// The `act` claim: who acts (an outside issuer's subject).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Actor {
    /// The workload token's issuer.
    pub iss: String,
    /// The workload token's subject.
    pub sub: String,
}
