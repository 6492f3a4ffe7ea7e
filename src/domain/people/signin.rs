//! Checking a person's username and password: argon2id off the async workers, the same work
//! and the same answer for an unknown user, a wrong password, a disabled user or organization.

use std::sync::OnceLock;

use super::{live_user, PeopleService};
use crate::domain::users::{hash_password, verify_password};
use crate::domain::DomainError;
use crate::identifiers::enforce_username;
use crate::storage::users::{self as user_rows, UserRow};

/// Why a sign-in failed: one answer for every credential problem.
#[derive(Debug)]
pub enum SignInError {
    /// Unknown user, wrong password, disabled user or organization: all the same.
    Refused,
    /// The store or the hash could not run.
    Failed(DomainError),
}

/// A hash compared against when there is no user, so that an unknown username costs what a
/// wrong password costs.
fn dummy_hash() -> &'static str {
    static DUMMY: OnceLock<String> = OnceLock::new();
    DUMMY.get_or_init(|| {
        hash_password("castellan: no such user, a long dummy password").unwrap_or_default()
    })
}

impl PeopleService {
    /// The user these credentials name, if they are right and the user may act.
    pub async fn sign_in(&self, username: &str, password: String) -> Result<UserRow, SignInError> {
        let name = enforce_username(username).unwrap_or_else(|_| username.to_string());
        let found = self
            .db
            .read(move |conn| {
                let user = match user_rows::find_by_username(conn, &name) {
                    Ok(u) => u,
                    Err(crate::storage::StoreError::NotFound) => return Ok(None),
                    Err(e) => return Err(DomainError::from(e)),
                };
                live_user(conn, &user.id)
            })
            .await
            .map_err(SignInError::Failed)?;
        let stored = found
            .as_ref()
            .and_then(|u| u.password_hash.clone())
            .unwrap_or_else(|| dummy_hash().to_string());
        let ok = actix_web::web::block(move || verify_password(&password, &stored))
            .await
            .map_err(|e| SignInError::Failed(DomainError::Internal(e.to_string())))?;
        match found {
            Some(user) if ok && user.password_hash.is_some() => Ok(user),
            _ => Err(SignInError::Refused),
        }
    }
}
