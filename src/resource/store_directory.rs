//! A [`PrincipalDirectory`] over Castellan's own store, and the key ring as local keys.

use std::sync::Arc;

use castellan_resource::VerifyKey;
use castellan_resource::{AuthError, BoxFuture, LocalKeys, PrincipalDirectory, PrincipalKind};

use crate::keys::KeyRing;
use crate::storage::principals::{self, PrincipalKind as StoredKind};
use crate::storage::{Db, StoreError};

/// The key ring as a [`KeySource::Local`](castellan_resource::KeySource::Local).
pub struct OwnKeys(pub Arc<KeyRing>);

/// A kid of ours this node doesn't hold (a rotation on another node) is reloaded first.
impl LocalKeys for OwnKeys {
    fn key_or_reload<'a>(
        &'a self,
        kid: &'a str,
    ) -> BoxFuture<'a, Result<Option<Arc<VerifyKey>>, String>> {
        Box::pin(async move {
            self.0
                .verifier_or_reload(kid)
                .await
                .map_err(|e| e.to_string())
        })
    }
}

/// A [`PrincipalDirectory`] over Castellan's own store.
#[derive(Clone)]
pub struct StoreDirectory {
    /// The store.
    pub db: Db,
}

impl StoreDirectory {
    /// Over this store.
    pub fn new(db: Db) -> Self {
        StoreDirectory { db }
    }
}

impl PrincipalDirectory for StoreDirectory {
    fn kinds_of(&self, subject: &str) -> Result<Vec<PrincipalKind>, AuthError> {
        let mut conn = self.db.conn().map_err(directory_error)?;
        let kinds = principals::resolve(&mut conn, subject).map_err(directory_error)?;
        // Every client is typed as a service account here: only service accounts get tokens,
        // and a plain client's identifier still can't be a user's.
        Ok(kinds
            .into_iter()
            .map(|k| match k {
                StoredKind::Client => PrincipalKind::ServiceAccount,
                StoredKind::User => PrincipalKind::User,
            })
            .collect())
    }
}

/// A store failure: 503 while the database can't be reached, else 500.
fn directory_error(e: StoreError) -> AuthError {
    match e {
        StoreError::Unavailable(_) => AuthError::Unavailable(format!("principal directory: {e}")),
        other => AuthError::Internal(format!("principal directory: {other}")),
    }
}
