//! What the key ring is told by configuration: algorithm, imported RSA key, retention and
//! rotation schedule.

use std::path::PathBuf;

use chrono::Duration;
use jsonwebtoken::Algorithm;

use super::{signer, KeyError};
use crate::config::Settings;

/// What the key ring is told by configuration.
#[derive(Debug, Clone)]
pub struct KeyPolicy {
    /// Algorithm of new keys.
    pub alg: Algorithm,
    /// RSA private key to import (ring cannot generate RSA keys).
    pub rsa_key_file: Option<PathBuf>,
    /// How long a retired key stays published: the longest token lifetime plus leeway.
    pub retention: Duration,
    /// Scheduled rotation interval (`None`: rotate only when asked).
    pub rotation_interval: Option<Duration>,
    /// How long a scheduled next key is published before it signs.
    pub publish_ahead: Duration,
}

impl KeyPolicy {
    /// From settings.
    pub fn from_settings(settings: &Settings) -> Result<Self, KeyError> {
        Ok(KeyPolicy {
            alg: signer::parse_alg(&settings.signing.algorithm)?,
            rsa_key_file: settings
                .signing
                .rsa_private_key_file
                .as_ref()
                .map(PathBuf::from),
            retention: Duration::seconds(
                settings.token.max_ttl_seconds + settings.token.leeway_seconds,
            ),
            rotation_interval: (settings.signing.rotation_interval_seconds > 0)
                .then(|| Duration::seconds(settings.signing.rotation_interval_seconds)),
            publish_ahead: Duration::seconds(settings.signing.publish_ahead_seconds),
        })
    }
}
