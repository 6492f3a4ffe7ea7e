//! Connections, the pool, migrations.

use std::time::Duration;

use diesel::connection::SimpleConnection;
use diesel::r2d2::{self, ManageConnection, R2D2Connection};
use diesel::{Connection, PgConnection, SqliteConnection};
use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};

use super::{StoreError, StoreResult};

const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/sqlite");
const POSTGRES_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/postgres");

/// A connection to either backend; queries written once run on both.
#[derive(diesel::MultiConnection)]
pub enum DbConnection {
    /// PostgreSQL, for more than one node.
    Postgres(PgConnection),
    /// Embedded SQLite, the default.
    Sqlite(SqliteConnection),
}

/// Which backend a database URL names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Backend {
    /// A `postgres://` or `postgresql://` URL.
    Postgres(String),
    /// A file path (from a plain path, `sqlite://path` or `sqlite:path`).
    Sqlite(String),
}

impl Backend {
    /// Reads the backend from a URL or path.
    pub fn from_url(url: &str) -> Self {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            return Backend::Postgres(url.to_string());
        }
        let path = url
            .strip_prefix("sqlite://")
            .or_else(|| url.strip_prefix("sqlite:"))
            .unwrap_or(url);
        Backend::Sqlite(path.to_string())
    }

    /// A short name for logs.
    pub fn name(&self) -> &'static str {
        match self {
            Backend::Postgres(_) => "postgresql",
            Backend::Sqlite(_) => "sqlite",
        }
    }
}

/// Opens connections of the backend the URL named, and sets SQLite up on each (r2d2 manager).
#[derive(Debug, Clone)]
pub struct Manager {
    backend: Backend,
}

impl ManageConnection for Manager {
    type Connection = DbConnection;
    type Error = r2d2::Error;

    fn connect(&self) -> Result<DbConnection, r2d2::Error> {
        match &self.backend {
            Backend::Postgres(url) => PgConnection::establish(url)
                .map(DbConnection::Postgres)
                .map_err(r2d2::Error::ConnectionError),
            Backend::Sqlite(path) => {
                let mut conn =
                    SqliteConnection::establish(path).map_err(r2d2::Error::ConnectionError)?;
                // WAL lets readers run beside the one writer; the busy timeout makes a second
                // writer wait instead of failing; foreign keys are off by default in SQLite.
                // busy_timeout first: the pool opens connections side by side, and the others
                // must wait for the one switching a new file to WAL, not fail.
                conn.batch_execute(
                    "PRAGMA busy_timeout = 5000; PRAGMA journal_mode = WAL; \
                     PRAGMA foreign_keys = ON; PRAGMA synchronous = NORMAL;",
                )
                .map_err(r2d2::Error::QueryError)?;
                Ok(DbConnection::Sqlite(conn))
            }
        }
    }

    fn is_valid(&self, conn: &mut DbConnection) -> Result<(), r2d2::Error> {
        conn.ping().map_err(r2d2::Error::QueryError)
    }

    fn has_broken(&self, conn: &mut DbConnection) -> bool {
        conn.is_broken()
    }
}

/// The connection pool; cheap to clone.
#[derive(Clone)]
pub struct Db {
    pool: r2d2::Pool<Manager>,
    backend_name: &'static str,
    /// One writer at a time on this node (see `storage/write.rs`).
    pub(super) writer: std::sync::Arc<std::sync::Mutex<()>>,
}

impl Db {
    /// Opens the database the URL names (creating a SQLite file and its folder if needed) and
    /// applies pending migrations.
    pub fn connect(url: &str) -> StoreResult<Self> {
        let db = Self::open(url)?;
        db.migrate()?;
        Ok(db)
    }

    /// Opens the database without migrating it.
    pub fn open(url: &str) -> StoreResult<Self> {
        let backend = Backend::from_url(url);
        if let Backend::Sqlite(path) = &backend {
            super::files::prepare_sqlite(path)
                .map_err(|e| StoreError::Pool(format!("creating {path}: {e}")))?;
        }
        let size = match backend {
            Backend::Sqlite(_) => 4,
            Backend::Postgres(_) => 8,
        };
        let backend_name = backend.name();
        let pool = r2d2::Pool::builder()
            .max_size(size)
            .connection_timeout(Duration::from_secs(10))
            .build(Manager {
                backend: backend.clone(),
            })
            .map_err(|e| StoreError::Pool(e.to_string()))?;
        if let Backend::Sqlite(path) = &backend {
            // The pool has opened its connections: `-wal` and `-shm` exist now.
            super::files::restrict_sqlite(path)
                .map_err(|e| StoreError::Pool(format!("restricting {path}: {e}")))?;
        }
        Ok(Db {
            pool,
            backend_name,
            writer: Default::default(),
        })
    }

    /// `sqlite` or `postgresql`.
    pub fn backend_name(&self) -> &'static str {
        self.backend_name
    }

    /// Applies pending migrations; returns how many ran.
    pub fn migrate(&self) -> StoreResult<usize> {
        let mut conn = self.conn()?;
        let applied = match &mut conn as &mut DbConnection {
            DbConnection::Sqlite(c) => c.run_pending_migrations(SQLITE_MIGRATIONS),
            DbConnection::Postgres(c) => c.run_pending_migrations(POSTGRES_MIGRATIONS),
        }
        .map_err(|e| StoreError::Migration(e.to_string()))?
        .len();
        // Identifier keys are computed in Rust (a UTS #39 skeleton), so rows older than the
        // column get theirs here, once.
        for warning in super::principals::backfill_keys(&mut conn)? {
            log::warn!("{warning}");
        }
        Ok(applied)
    }

    /// A pooled connection, for blocking code (the CLI, start-up, background tasks).
    pub fn conn(&self) -> StoreResult<r2d2::PooledConnection<Manager>> {
        self.pool.get().map_err(|e| StoreError::Pool(e.to_string()))
    }

    /// Runs blocking store code off the async workers (actix workers are single-threaded).
    pub async fn run<F, T>(&self, f: F) -> StoreResult<T>
    where
        F: FnOnce(&mut DbConnection) -> StoreResult<T> + Send + 'static,
        T: Send + 'static,
    {
        let db = self.clone();
        actix_web::web::block(move || {
            let mut conn = db.conn()?;
            f(&mut conn)
        })
        .await
        .map_err(|e| StoreError::Pool(format!("blocking task failed: {e}")))?
    }

    /// Whether a connection can be had and answers (for `/readyz`).
    pub async fn ping(&self) -> bool {
        self.run(|conn| conn.ping().map_err(StoreError::from_diesel))
            .await
            .is_ok()
    }
}
