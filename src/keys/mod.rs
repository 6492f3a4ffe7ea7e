//! Signing keys: generated with ring, sealed at rest under the master key, held in memory
//! parsed, published in the JWKS until the last token each one signed has expired.

mod keyring;
mod lookup;
pub mod master;
mod policy;
mod revoke;
mod rotation;
mod set;
pub mod signer;

use chrono::{DateTime, NaiveDateTime, Utc};

use crate::storage::StoreError;
/// jsonwebtoken's cryptography on ring (lives with the resource-server crate, which needs it too).
pub use castellan_resource::provider;
pub use keyring::KeyRing;
pub use master::MasterKey;
pub use policy::KeyPolicy;
pub use revoke::{revoke, Revocation};
use rotation::create_key;
pub use rotation::{
    rotate, rotate_at, Rotation, Switch, MAX_ROTATION_DELAY_SECONDS, ROTATION_DELAY_SECONDS,
};
use set::{build_from_rows, fingerprint};
pub use set::{KeyInfo, KeySet, KeyState, VerifyKey};
pub use signer::Signer;

/// Failures around keys.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    /// Settings that can't work.
    #[error("{0}")]
    Config(String),
    /// A cryptographic operation failed.
    #[error("crypto: {0}")]
    Crypto(&'static str),
    /// A key file could not be read or written.
    #[error("{0}: {1}")]
    Io(String, std::io::Error),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<diesel::result::Error> for KeyError {
    fn from(e: diesel::result::Error) -> Self {
        KeyError::Store(StoreError::from_diesel(e))
    }
}

fn utc(t: NaiveDateTime) -> DateTime<Utc> {
    DateTime::from_naive_utc_and_offset(t, Utc)
}
