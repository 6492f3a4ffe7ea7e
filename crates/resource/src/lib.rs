//! Accept Castellan access tokens (RFC 9068) in any actix-web service, offline: signatures
//! checked against the issuer's JWKS (each key pinned to its own algorithm), the issuer,
//! audience and time claims checked, revoked tokens refused from the issuer's signed revocation
//! list, and the caller handed over as a typed [`Principal`] whose subject is either a
//! [`ServiceAccountId`] or a [`UserId`], never a bare string that could be taken for the other.
//!
//! ```ignore
//! let jwks = Arc::new(RemoteJwks::new(&format!("{issuer}/.well-known/jwks.json"), Default::default())?);
//! let verifier = TokenVerifier::new(&issuer, "https://orders.example", 60, KeySource::Remote(jwks));
//! let feed = Arc::new(RevocationFeed::for_verifier(&verifier, Default::default())?);
//! feed.spawn();
//! let guard = web::Data::new(ResourceGuard::new(verifier).with_revocations(feed));
//! App::new().app_data(guard.clone()).route("/orders", web::get().to(
//!     |auth: Authenticated| async move {
//!         auth.require_scope(&["orders:read"])?;
//!         Ok::<_, AuthError>(HttpResponse::Ok().finish())
//!     }));
//! ```
//!
//! The crate has no storage of its own; the authorization server uses it too, for its admin
//! API, with its own key ring ([`KeySource::Local`]) and a [`PrincipalDirectory`] over its store.

pub mod claims;
mod error;
mod extract;
mod jwk;
mod jwks;
mod key;
mod outside;
mod principal;
pub mod provider;
mod revocations;
mod verify;

use std::sync::Arc;

pub use error::{AuthError, DEFAULT_REALM};
pub use extract::{bearer_token, Authenticated};
pub use jwk::{parse_jwks, parse_key, rsa_modulus_bits, RSA_MODULUS_BITS};
pub use jwks::{check_jwks_uri, MAX_REDIRECTS};
pub use jwks::{JwksError, RemoteJwks, RemoteJwksOptions};
pub use key::VerifyKey;
pub use outside::OutsideKeys;
pub use principal::{check_kind, Principal, PrincipalDirectory, PrincipalKind};
pub use principal::{ServiceAccountId, Subject, UserId};
pub use revocations::{issued_at_micros, RevocationFeed, RevocationFeedOptions, REVOCATIONS_TYP};
pub use verify::{BoxFuture, KeySource, LocalKeys, TokenVerifier, VerifiedToken};
pub use verify::{MAX_LEEWAY_SECONDS, MAX_TOKEN_LEN};

/// Everything the [`Authenticated`] extractor needs; put it in the app as
/// `web::Data<ResourceGuard>`.
pub struct ResourceGuard {
    /// Checks the tokens.
    pub verifier: TokenVerifier,
    /// When set, a token is accepted only if its subject names exactly one principal, of the
    /// kind the token claims.
    pub directory: Option<Arc<dyn PrincipalDirectory>>,
    /// When set, a token the issuer's revocation list names is refused.
    pub revocations: Option<Arc<RevocationFeed>>,
    /// The realm in `WWW-Authenticate` challenges.
    pub realm: String,
}

impl ResourceGuard {
    /// A guard with no directory and no revocation feed, in the realm [`DEFAULT_REALM`].
    pub fn new(verifier: TokenVerifier) -> Self {
        ResourceGuard {
            verifier,
            directory: None,
            revocations: None,
            realm: DEFAULT_REALM.to_string(),
        }
    }

    /// With a directory that checks each token's subject.
    pub fn with_directory(mut self, directory: Arc<dyn PrincipalDirectory>) -> Self {
        self.directory = Some(directory);
        self
    }

    /// With the issuer's revocation list (start its polling with [`RevocationFeed::spawn`]).
    pub fn with_revocations(mut self, feed: Arc<RevocationFeed>) -> Self {
        self.revocations = Some(feed);
        self
    }

    /// In another realm.
    pub fn with_realm(mut self, realm: impl Into<String>) -> Self {
        self.realm = realm.into();
        self
    }

    /// Verifies a bearer token, checks the revocation list and the subject; what the extractor
    /// does, for callers outside actix-web's extraction. The directory runs on the blocking
    /// thread pool.
    pub async fn authenticate(&self, token: &str) -> Result<Principal, AuthError> {
        let verified = self.verifier.verify(token).await?;
        if let Some(feed) = &self.revocations {
            feed.check(&verified.claims)?;
        }
        let principal = Principal::from_claims(&verified.claims)?;
        if let Some(directory) = &self.directory {
            let directory = Arc::clone(directory);
            let subject = principal.subject.as_str().to_string();
            let kinds = actix_web::web::block(move || directory.kinds_of(&subject))
                .await
                .map_err(|e| AuthError::Internal(format!("principal directory: {e}")))??;
            check_kind(principal.kind(), &kinds)?;
        }
        Ok(principal)
    }
}
