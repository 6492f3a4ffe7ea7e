//! Configuration: the shipped defaults (`config/default.toml`), then `--config FILE`, then the
//! environment (`CASTELLAN_*`, and `DATABASE_URL`).

mod env;
mod issuer;
mod limits;
mod sections;

use std::fmt;
use std::path::Path;

use figment::providers::{Env, Format, Toml};
use figment::Figment;
use serde::{Deserialize, Serialize};

pub use env::{is_setting, shape, unknown_variables};
pub use limits::{is_listen_address, AuditSettings, LimitSettings};
pub use sections::{
    AdminSettings, CacheSettings, ConfiguredClient, LogFormat, MetricsSettings, RateLimitSettings,
    SigningSettings, TokenSettings,
};

const DEFAULTS: &str = include_str!("../../config/default.toml");

/// A secret from configuration; never printed.
#[derive(Clone, Deserialize, Serialize, PartialEq, Eq)]
#[serde(transparent)]
pub struct SecretString(String);

impl SecretString {
    /// Wraps a secret.
    pub fn new(value: impl Into<String>) -> Self {
        SecretString(value.into())
    }
    /// The secret itself; call only where it is used.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for SecretString {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

/// Everything Castellan can be told.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    /// address:port to listen on.
    pub listen: String,
    /// address:port of the management listener, the only one that serves `/metrics`.
    pub management_listen: String,
    /// The issuer URL put in tokens and metadata; `http://` + `listen` when unset.
    pub issuer: Option<String>,
    /// SQLite path or `sqlite://` URL, or `postgres://` URL.
    pub database_url: String,
    /// Master key (32 bytes, base64url) sealing signing keys and keying secret hashes.
    pub master_key: Option<SecretString>,
    /// Where the master key is kept when not configured (created on first start).
    pub master_key_file: String,
    /// client_id of the admin service account created when none exists.
    pub bootstrap_client_id: Option<String>,
    /// Its secret (at least 32 characters).
    pub bootstrap_client_secret: Option<SecretString>,
    /// Service clients declared here rather than through the admin API (`[[clients]]`).
    #[serde(default)]
    pub clients: Vec<ConfiguredClient>,
    /// Access tokens.
    pub token: TokenSettings,
    /// Signing keys.
    pub signing: SigningSettings,
    /// The admin API.
    pub admin: AdminSettings,
    /// In-memory tables.
    pub cache: CacheSettings,
    /// Rate limits on the token endpoint.
    pub rate_limit: RateLimitSettings,
    /// Limits on slow and greedy callers.
    pub limits: LimitSettings,
    /// The audit trail.
    pub audit: AuditSettings,
    /// The log's layout: `text` or `json`.
    #[serde(default)]
    pub log_format: LogFormat,
    /// Reverse proxies (CIDRs or addresses) whose `Forwarded` / `X-Forwarded-For` headers are
    /// believed for the caller's address; empty: the TCP peer is the caller.
    #[serde(default, deserialize_with = "sections::string_or_list")]
    pub trusted_proxies: Vec<String>,
    /// Optional metric series.
    pub metrics: MetricsSettings,
}

/// Configuration that can't be used.
#[derive(Debug, thiserror::Error)]
#[error("configuration: {0}")]
pub struct ConfigError(pub String);

impl Settings {
    /// Defaults, then the file (if any), then the environment.
    pub fn load(file: Option<&Path>) -> Result<Self, ConfigError> {
        let mut figment = Figment::from(Toml::string(DEFAULTS));
        if let Some(path) = file {
            if !path.exists() {
                return Err(ConfigError(format!("{} does not exist", path.display())));
            }
            figment = figment.merge(Toml::file(path));
        }
        // CONTRACT: a CASTELLAN_* variable that names no setting is one warning, not an error.
        let shape = env::shape()?;
        for name in env::unknown_variables(&shape, env::variable_names()) {
            log::warn!("ignoring the environment variable {name}: it is not a Castellan setting");
        }
        let figment = figment
            .merge(Env::raw().only(&["DATABASE_URL"]))
            // CASTELLAN_TEST_* belongs to the test suite, not to the server.
            .merge(Env::prefixed(env::PREFIX).split("__").filter(move |key| {
                !env::is_test_key(key.as_str()) && env::is_setting(&shape, key.as_str())
            }));
        let settings: Settings = figment.extract().map_err(env::name_the_variables)?;
        for (key, value) in [
            ("listen", &settings.listen),
            ("management_listen", &settings.management_listen),
        ] {
            if !is_listen_address(value) {
                return Err(ConfigError(format!(
                    "{}: {value:?} is not an address:port",
                    env::source_of(&figment, key)
                )));
            }
        }
        settings.validate()?;
        Ok(settings)
    }

    /// Defaults only, for tests that build their own configuration.
    pub fn defaults() -> Result<Self, ConfigError> {
        Figment::from(Toml::string(DEFAULTS))
            .extract()
            .map_err(|e| ConfigError(e.to_string()))
    }

    /// Refuses settings that can't work; never repairs them silently.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let t = &self.token;
        if t.default_ttl_seconds <= 0 || t.max_ttl_seconds <= 0 || t.leeway_seconds < 0 {
            return Err(ConfigError("token lifetimes must be positive".into()));
        }
        if t.default_ttl_seconds > t.max_ttl_seconds {
            return Err(ConfigError(
                "token.default_ttl_seconds is longer than token.max_ttl_seconds".into(),
            ));
        }
        match self.signing.algorithm.as_str() {
            "ES256" | "EdDSA" => {}
            "RS256" if self.signing.rsa_private_key_file.is_some() => {}
            "RS256" => {
                return Err(ConfigError(
                    "signing.algorithm = RS256 needs signing.rsa_private_key_file".into(),
                ))
            }
            other => {
                return Err(ConfigError(format!(
                    "signing.algorithm {other:?} is not one of ES256, EdDSA, RS256"
                )))
            }
        }
        let rotation = self.signing.rotation_interval_seconds;
        if rotation > 0
            && (self.signing.publish_ahead_seconds <= 0
                || self.signing.publish_ahead_seconds >= rotation)
        {
            return Err(ConfigError(
                "signing.publish_ahead_seconds must be positive and shorter than signing.rotation_interval_seconds".into(),
            ));
        }
        if self.signing.rotation_interval_seconds < 0 {
            return Err(ConfigError(
                "signing.rotation_interval_seconds is negative".into(),
            ));
        }
        match (&self.bootstrap_client_id, &self.bootstrap_client_secret) {
            (Some(_), None) | (None, Some(_)) => {
                return Err(ConfigError(
                    "set both CASTELLAN_BOOTSTRAP_CLIENT_ID and CASTELLAN_BOOTSTRAP_CLIENT_SECRET, or neither"
                        .into(),
                ))
            }
            (Some(_), Some(secret)) if secret.expose().chars().count() < 32 => {
                return Err(ConfigError(
                    "CASTELLAN_BOOTSTRAP_CLIENT_SECRET must be at least 32 characters".into(),
                ))
            }
            _ => {}
        }
        if self.admin.audience.trim().is_empty() {
            return Err(ConfigError("admin.audience is empty".into()));
        }
        for (key, value) in [
            ("listen", &self.listen),
            ("management_listen", &self.management_listen),
        ] {
            if !is_listen_address(value) {
                return Err(ConfigError(format!("{key} {value:?} is not address:port")));
            }
        }
        if self.limits.body_timeout_seconds == 0 || self.limits.connections_per_address == 0 {
            return Err(ConfigError(
                "limits.body_timeout_seconds and limits.connections_per_address must be at least 1"
                    .into(),
            ));
        }
        if self.audit.retention_days == 0 {
            return Err(ConfigError(
                "audit.retention_days must be at least 1".into(),
            ));
        }
        if self.rate_limit.failure_backoff_max_seconds == 0 {
            return Err(ConfigError(
                "rate_limit.failure_backoff_max_seconds must be at least 1".into(),
            ));
        }
        Ok(())
    }

    /// The issuer URL, without a trailing slash.
    pub fn issuer(&self) -> String {
        let issuer = match &self.issuer {
            Some(issuer) => issuer.clone(),
            None => format!("http://{}", self.listen),
        };
        issuer.trim_end_matches('/').to_string()
    }
}

#[cfg(test)]
mod tests;
