//! Write transactions: one writer at a time, so that a change reads what it changes and two
//! changes never interleave (CONTRACT: "Changes don't get lost").
//!
//! - On this node, a mutex: changes run one after another, and so do the in-memory cache
//!   updates that follow them (in commit order).
//! - On SQLite, the transaction's first statement is a write, so SQLite takes its write lock
//!   at once and a second process waits (`busy_timeout`) instead of failing with "database is
//!   locked" when a read transaction later tries to become a write one.
//! - On PostgreSQL, a transaction-scoped advisory lock serializes writers across nodes.

use diesel::prelude::*;

use super::pool::{Db, DbConnection};
use super::schema::principals;
use super::StoreError;

/// The advisory lock every write transaction takes on PostgreSQL.
const WRITE_LOCK: i64 = 0x4341_5354_0001; // "CAST" 1

diesel::define_sql_function! {
    /// PostgreSQL's transaction-scoped advisory lock.
    fn pg_advisory_xact_lock(key: diesel::sql_types::BigInt);
}

diesel::define_sql_function! {
    /// PostgreSQL's NOTIFY as a function (delivered when the transaction commits).
    fn pg_notify(channel: diesel::sql_types::Text, payload: diesel::sql_types::Text);
}

/// The channel every change a cache holds is announced on (CONTRACT "Many nodes").
pub const CHANGES_CHANNEL: &str = "castellan_changes";

/// Announces a change to the other nodes, inside its transaction: PostgreSQL delivers it on
/// commit, and never for a rolled-back change. The payload names this node.
fn announce(conn: &mut DbConnection, node: &str) -> Result<(), diesel::result::Error> {
    if let DbConnection::Postgres(pg) = conn {
        diesel::select(pg_notify(CHANGES_CHANNEL, node)).execute(pg)?;
    }
    Ok(())
}

/// A failure inside a write transaction: the store's, or the change's own refusal.
enum TxError<E> {
    Store(diesel::result::Error),
    Refused(E),
}

impl<E> From<diesel::result::Error> for TxError<E> {
    fn from(e: diesel::result::Error) -> Self {
        TxError::Store(e)
    }
}

fn take_write_lock(conn: &mut DbConnection) -> Result<(), diesel::result::Error> {
    match conn {
        DbConnection::Postgres(pg) => {
            diesel::select(pg_advisory_xact_lock(WRITE_LOCK)).execute(pg)?;
        }
        DbConnection::Sqlite(lite) => {
            // Matches no row; being a write, it makes SQLite take the write lock now.
            diesel::update(principals::table.filter(principals::id.eq("")))
                .set(principals::kind.eq(principals::kind))
                .execute(lite)?;
        }
    }
    Ok(())
}

impl Db {
    /// Runs `change` as one write transaction (rolled back when it returns an error), then
    /// `after` with its result while still the only writer on this node: the place to update
    /// in-memory caches, so they follow the store in commit order. Blocking: call off the
    /// async workers (see [`Db::write`]).
    pub fn write_blocking<T, E>(
        &self,
        change: impl FnOnce(&mut DbConnection) -> Result<T, E>,
        after: impl FnOnce(&T),
    ) -> Result<T, E>
    where
        E: From<StoreError>,
    {
        let _one_writer = match self.writer.lock() {
            Ok(g) => g,
            Err(poisoned) => poisoned.into_inner(),
        };
        let mut conn = self.conn()?;
        let node = self.node.clone();
        let result = conn.transaction::<T, TxError<E>, _>(|conn| {
            take_write_lock(conn)?;
            let value = change(conn).map_err(TxError::Refused)?;
            announce(conn, &node)?;
            Ok(value)
        });
        match result {
            Ok(value) => {
                after(&value);
                Ok(value)
            }
            Err(TxError::Refused(e)) => Err(e),
            Err(TxError::Store(e)) => Err(StoreError::from_diesel(e).into()),
        }
    }

    /// This node's name in change announcements.
    pub fn node(&self) -> &str {
        &self.node
    }

    /// [`Db::write_blocking`] on a blocking thread.
    pub async fn write<T, E, F, A>(&self, change: F, after: A) -> Result<T, E>
    where
        F: FnOnce(&mut DbConnection) -> Result<T, E> + Send + 'static,
        A: FnOnce(&T) + Send + 'static,
        T: Send + 'static,
        E: From<StoreError> + Send + 'static,
    {
        let db = self.clone();
        actix_web::web::block(move || db.write_blocking(change, after))
            .await
            .map_err(|e| StoreError::Pool(format!("blocking task failed: {e}")))?
    }
}
