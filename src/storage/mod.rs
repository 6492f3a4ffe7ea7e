//! Storage: one diesel code path over SQLite (embedded, the default) and PostgreSQL.
//!
//! The backend is chosen from the URL, never by trial: a PostgreSQL URL that does not answer is
//! an error, not a new SQLite file with a strange name.

pub mod audit;
pub mod clients;
pub mod files;
pub mod groups;
pub mod keys;
pub mod listen;
mod migrate;
pub mod orgs;
pub mod people;
mod pool;
pub mod principals;
pub mod revoked;
pub mod schema;
mod secrets;
pub mod trust;
pub mod used_assertions;
pub mod users;
mod write;

use std::path::PathBuf;

pub use migrate::{has_schema, migrate, StartLock, START_LOCK_KEY};
pub use pool::{Backend, Db, DbConnection};

/// Errors of the store, mapped by the callers to HTTP answers.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The row asked for does not exist.
    #[error("not found")]
    NotFound,
    /// A unique key is taken (an identifier, a name).
    #[error("conflict: {0}")]
    Conflict(String),
    /// A CHECK or foreign-key constraint refused the write.
    #[error("constraint violated: {0}")]
    Constraint(String),
    /// Any other database failure.
    #[error("database error: {0}")]
    Database(#[from] diesel::result::Error),
    /// No connection could be had.
    #[error("connection pool: {0}")]
    Pool(String),
    /// The database can't be reached now (connections fail or were cut): callers answer 503
    /// with `Retry-After`; it heals by itself when the database is back.
    #[error("database unavailable: {0}")]
    Unavailable(String),
    /// The database could not be migrated.
    #[error("migration failed: {0}")]
    Migration(String),
}

impl StoreError {
    /// Sorts a diesel error into the variants callers act on.
    pub fn from_diesel(err: diesel::result::Error) -> Self {
        use diesel::result::{DatabaseErrorKind as K, Error as E};
        match err {
            E::NotFound => StoreError::NotFound,
            E::DatabaseError(K::UniqueViolation, info) => {
                StoreError::Conflict(info.message().to_string())
            }
            E::DatabaseError(
                K::CheckViolation | K::ForeignKeyViolation | K::NotNullViolation,
                info,
            ) => StoreError::Constraint(info.message().to_string()),
            E::DatabaseError(K::ClosedConnection, info) => {
                StoreError::Unavailable(info.message().to_string())
            }
            other => StoreError::Database(other),
        }
    }
}

/// Result of a store call.
pub type StoreResult<T> = Result<T, StoreError>;

/// Where the embedded database lives when the URL names a SQLite file, for the master key.
pub fn sqlite_path(url: &str) -> Option<PathBuf> {
    match Backend::from_url(url) {
        Backend::Sqlite(path) => Some(PathBuf::from(path)),
        Backend::Postgres(_) => None,
    }
}

/// A new random identifier for a row (UUID v7: sortable by creation time).
pub fn new_row_id() -> String {
    uuid::Uuid::now_v7().to_string()
}

/// Space-separated list columns (scopes, audiences, grant types), as OAuth writes scopes.
pub fn join_list(items: &[String]) -> String {
    items.join(" ")
}

/// The inverse of [`join_list`].
pub fn split_list(text: &str) -> Vec<String> {
    text.split(' ')
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
}
