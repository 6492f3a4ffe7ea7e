//! The sections of the settings: configured clients, tokens, signing, the admin API, caches
//! and rate limits.

use serde::{Deserialize, Serialize};

/// A service client declared in the configuration file. It is a confidential service account
/// with the client_credentials grant; the admin API shows it but cannot change it.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ConfiguredClient {
    /// Its client_id; must not be taken by a stored client, a user or another entry.
    pub client_id: String,
    /// Display name.
    pub name: String,
    /// Name of an environment variable that holds the secret (at least 32 characters).
    pub secret_env: Option<String>,
    /// Hex SHA-256 of the secret, for files that must not hold the secret itself.
    pub secret_sha256: Option<String>,
    /// Token lifetime (default: the server's).
    pub token_ttl_seconds: Option<i64>,
    /// Scopes it may ask for.
    #[serde(default)]
    pub scopes: Vec<String>,
    /// Scopes granted when a request names none.
    #[serde(default)]
    pub default_scopes: Vec<String>,
    /// Audiences it may ask for.
    #[serde(default)]
    pub audiences: Vec<String>,
    /// May use the admin API.
    #[serde(default)]
    pub is_admin_service_account: bool,
    /// The slug of the organization it lives in (default `root`); it must exist.
    pub org: Option<String>,
}

/// Access-token settings.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct TokenSettings {
    /// Lifetime when the client sets none, seconds.
    pub default_ttl_seconds: i64,
    /// Longest lifetime a client may be given, seconds.
    pub max_ttl_seconds: i64,
    /// Clock skew allowed on exp/nbf, seconds.
    pub leeway_seconds: i64,
}

/// Signing-key settings.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct SigningSettings {
    /// `ES256`, `EdDSA` or `RS256`.
    pub algorithm: String,
    /// PKCS#8 RSA private key to import for RS256.
    pub rsa_private_key_file: Option<String>,
    /// Scheduled rotation interval, seconds (0: never).
    pub rotation_interval_seconds: i64,
    /// With scheduled rotation: how long the next key is published before it signs, seconds,
    /// so that verifiers' cached JWKS hold it in time.
    pub publish_ahead_seconds: i64,
}

/// Admin API settings.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct AdminSettings {
    /// Audience the admin API requires.
    pub audience: String,
}

/// Cache settings.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct CacheSettings {
    /// Reload interval of the in-memory client and key tables, seconds.
    pub refresh_seconds: u64,
}

/// Rate limits on `POST /oauth2/token`, kept in memory per node (docs/operations.md).
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RateLimitSettings {
    /// Whether any of the limits below apply.
    pub enabled: bool,
    /// Tokens issued per second to one client, sustained (0: unlimited).
    pub per_client_per_second: u32,
    /// Tokens one client may get at once above the sustained rate (0: same as the rate).
    pub per_client_burst: u32,
    /// Token requests per second from one source address, any outcome (0: unlimited).
    pub per_address_per_second: u32,
    /// Requests one address may send at once above the sustained rate (0: same as the rate).
    pub per_address_burst: u32,
    /// Failed client authentications one source address may make per minute, over every
    /// client_id together, before its requests are refused (0: unlimited).
    pub failures_per_address_per_minute: u32,
    /// Failed client authentications one source address may make per minute against one
    /// client_id before its requests for that client_id are refused (0: unlimited).
    pub failures_per_address_client_per_minute: u32,
    /// Longest refusal after repeated failures, seconds; refusals double up to it.
    pub failure_backoff_max_seconds: u64,
}

/// The log's layout (`log_format`, `CASTELLAN_LOG_FORMAT`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// env_logger's layout, for people.
    #[default]
    Text,
    /// One JSON object per line, for log shippers.
    Json,
}

/// What `/metrics` holds beyond the fixed series.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct MetricsSettings {
    /// Count issued tokens per client (`castellan_tokens_issued_total{client_id}`).
    pub per_client_series: bool,
    /// At most this many client series; the rest count as `client_id="_other"`.
    pub per_client_limit: usize,
}

/// A list given as a TOML array or, from the environment, as one comma-separated string.
pub fn string_or_list<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum OneOrMany {
        One(String),
        Many(Vec<String>),
    }
    Ok(match OneOrMany::deserialize(d)? {
        OneOrMany::One(s) => s
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect(),
        OneOrMany::Many(list) => list,
    })
}
