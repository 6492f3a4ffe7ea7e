//! The resource-server side: what any actix-web service embeds to accept Castellan access
//! tokens (RFC 9068), Castellan's own admin API included.
//!
//! ```ignore
//! let verifier = TokenVerifier::new(issuer, "urn:castellan:admin", 30, KeySource::Remote(jwks));
//! let guard = web::Data::new(ResourceGuard::new(verifier));
//! App::new().app_data(guard.clone()).route("/things", web::get().to(
//!     |auth: Authenticated| async move {
//!         auth.require_scope(&["things:read"])?;
//!         Ok::<_, AuthError>(HttpResponse::Ok().finish())
//!     }));
//! ```

pub mod claims;
mod error;
mod extract;
mod jwk;
mod jwks;
mod outside;
mod principal;
mod verify;

#[cfg(test)]
mod tests;

use std::sync::Arc;

pub use error::{AuthError, DEFAULT_REALM};
pub use extract::{bearer_token, Authenticated};
pub use jwk::{parse_jwks, parse_key, rsa_modulus_bits, RSA_MODULUS_BITS};
pub use jwks::{check_jwks_uri, MAX_REDIRECTS};
pub use jwks::{JwksError, RemoteJwks, RemoteJwksOptions};
pub use outside::OutsideKeys;
pub use principal::{check_kind, Principal, PrincipalDirectory, PrincipalKind, StoreDirectory};
pub use verify::{KeySource, TokenVerifier, VerifiedToken, MAX_LEEWAY_SECONDS, MAX_TOKEN_LEN};

/// Everything the [`Authenticated`] extractor needs; put it in the app as
/// `web::Data<ResourceGuard>`.
pub struct ResourceGuard {
    /// Checks the tokens.
    pub verifier: TokenVerifier,
    /// When set, a token is accepted only if its subject names exactly one principal, of the
    /// kind the token claims.
    pub directory: Option<Arc<dyn PrincipalDirectory>>,
    /// The realm in `WWW-Authenticate` challenges.
    pub realm: String,
}

impl ResourceGuard {
    /// A guard with no directory, in the realm [`DEFAULT_REALM`].
    pub fn new(verifier: TokenVerifier) -> Self {
        ResourceGuard {
            verifier,
            directory: None,
            realm: DEFAULT_REALM.to_string(),
        }
    }

    /// With a directory that checks each token's subject.
    pub fn with_directory(mut self, directory: Arc<dyn PrincipalDirectory>) -> Self {
        self.directory = Some(directory);
        self
    }

    /// In another realm.
    pub fn with_realm(mut self, realm: impl Into<String>) -> Self {
        self.realm = realm.into();
        self
    }

    /// Verifies a bearer token and checks its subject; what the extractor does, for callers
    /// outside actix-web's extraction. The directory runs on the blocking thread pool.
    pub async fn authenticate(&self, token: &str) -> Result<Principal, AuthError> {
        let verified = self.verifier.verify(token).await?;
        let principal = Principal::from_claims(&verified.claims)?;
        if let Some(directory) = &self.directory {
            let directory = Arc::clone(directory);
            let subject = principal.subject.clone();
            let kinds = actix_web::web::block(move || directory.kinds_of(&subject))
                .await
                .map_err(|e| AuthError::Internal(format!("principal directory: {e}")))??;
            check_kind(principal.kind, &kinds)?;
        }
        Ok(principal)
    }
}
