//! A public key and the one algorithm it verifies.

use jsonwebtoken::{Algorithm, DecodingKey};

/// A public key and the algorithm it is pinned to.
#[derive(Debug)]
pub struct VerifyKey {
    /// Key id.
    pub kid: String,
    /// The one algorithm this key verifies; never taken from a token's header.
    pub alg: Algorithm,
    /// The public key.
    pub key: DecodingKey,
}
