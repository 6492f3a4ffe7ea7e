//! Why a command was refused; each adapter maps these to its own error surface.

use crate::storage::StoreError;

/// A refused or failed command.
#[derive(Debug, thiserror::Error)]
pub enum DomainError {
    /// What it acts on does not exist (or is not visible to the caller).
    #[error("{0} not found")]
    NotFound(&'static str),
    /// It would break a rule of the thing it changes (422).
    #[error("{}", .0.join("; "))]
    Invalid(Vec<String>),
    /// It collides with the current state (409).
    #[error("{0}")]
    Conflict(String),
    /// The caller may not do it (403).
    #[error("{0}")]
    Forbidden(String),
    /// The store failed.
    #[error("{0}")]
    Store(StoreError),
    /// Something of ours failed (crypto, randomness): logged, never shown.
    #[error("{0}")]
    Internal(String),
}

impl From<StoreError> for DomainError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Conflict(m) => DomainError::Conflict(m),
            StoreError::Constraint(m) => DomainError::Invalid(vec![m]),
            StoreError::NotFound => DomainError::NotFound("record"),
            other => DomainError::Store(other),
        }
    }
}

impl DomainError {
    /// A `NotFound` from the store, named.
    pub fn not_found(what: &'static str) -> impl Fn(StoreError) -> DomainError {
        move |e| match e {
            StoreError::NotFound => DomainError::NotFound(what),
            other => other.into(),
        }
    }
}
