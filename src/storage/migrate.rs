//! Migrations, and the start-up lock under which a node runs them.

use diesel::r2d2;
use diesel::RunQueryDsl;
use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};

use super::pool::{DbConnection, Manager};
use super::{StoreError, StoreResult};

const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/sqlite");
const POSTGRES_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/postgres");

/// The advisory lock (PostgreSQL) under which a node migrates and seeds the database at
/// start-up, so that nodes starting at once do it exactly once ("castella" in ASCII).
pub const START_LOCK_KEY: i64 = 0x6361_7374_656c_6c61;

diesel::define_sql_function! {
    /// PostgreSQL's session-level advisory lock; waits until it is free. It returns `void`:
    /// run it with `execute`, never load its value.
    fn pg_advisory_lock(key: diesel::sql_types::BigInt) -> diesel::sql_types::Bool;
}

diesel::define_sql_function! {
    /// Releases [`pg_advisory_lock`].
    fn pg_advisory_unlock(key: diesel::sql_types::BigInt) -> diesel::sql_types::Bool;
}

/// Applies pending migrations on this connection; returns how many ran. Call it under the
/// [`StartLock`] where other nodes may start at the same time.
pub fn migrate(conn: &mut DbConnection) -> StoreResult<usize> {
    let applied = match conn {
        DbConnection::Sqlite(c) => c.run_pending_migrations(SQLITE_MIGRATIONS),
        DbConnection::Postgres(c) => c.run_pending_migrations(POSTGRES_MIGRATIONS),
    }
    .map_err(|e| StoreError::Migration(e.to_string()))?
    .len();
    // Identifier keys are computed in Rust (a UTS #39 skeleton), so rows older than the
    // column get theirs here, once.
    for warning in super::principals::backfill_keys(conn)? {
        log::warn!("{warning}");
    }
    Ok(applied)
}

/// One row of [`has_schema`]'s catalog query.
#[derive(diesel::QueryableByName)]
struct Present {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    n: i64,
}

/// Whether the database holds Castellan's tables (its `signing_keys` table), read from the
/// catalog without creating anything (diesel's own migration queries create their table).
pub fn has_schema(conn: &mut DbConnection) -> StoreResult<bool> {
    let present: Present = match conn {
        DbConnection::Sqlite(c) => diesel::sql_query(
            "SELECT count(*) AS n FROM sqlite_master WHERE type = 'table' AND name = 'signing_keys'",
        )
        .get_result(c),
        DbConnection::Postgres(c) => {
            diesel::sql_query("SELECT count(to_regclass('signing_keys')) AS n").get_result(c)
        }
    }
    .map_err(StoreError::from_diesel)?;
    Ok(present.n > 0)
}

/// A connection holding the start-up lock: on PostgreSQL a session advisory lock, so that of
/// the nodes starting at once on one database one migrates and seeds it while the others wait,
/// then find it done. SQLite needs none (one file, one process). Dropping it releases the lock
/// (a crash releases it with the session).
pub struct StartLock {
    conn: r2d2::PooledConnection<Manager>,
}

impl StartLock {
    /// Waits for the lock on this connection.
    pub fn acquire(mut conn: r2d2::PooledConnection<Manager>) -> StoreResult<Self> {
        if let DbConnection::Postgres(pg) = &mut *conn {
            diesel::select(pg_advisory_lock(START_LOCK_KEY))
                .execute(pg)
                .map_err(StoreError::from_diesel)?;
        }
        Ok(StartLock { conn })
    }
}

impl std::ops::Deref for StartLock {
    type Target = DbConnection;

    fn deref(&self) -> &DbConnection {
        &self.conn
    }
}

impl std::ops::DerefMut for StartLock {
    fn deref_mut(&mut self) -> &mut DbConnection {
        &mut self.conn
    }
}

impl Drop for StartLock {
    fn drop(&mut self) {
        if let DbConnection::Postgres(pg) = &mut *self.conn {
            if let Err(e) = diesel::select(pg_advisory_unlock(START_LOCK_KEY)).execute(pg) {
                log::warn!("releasing the start-up lock failed: {e}");
            }
        }
    }
}
