//! Connections and the pool (migrations and the start-up lock: `migrate.rs`).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use diesel::connection::SimpleConnection;
use diesel::r2d2::{self, ManageConnection, R2D2Connection};
use diesel::{Connection, PgConnection, SqliteConnection};

use super::migrate::{migrate, StartLock};
use super::{StoreError, StoreResult};

/// How long a caller waits for a connection while the database answers (the pool is busy).
const BUSY_WAIT: Duration = Duration::from_secs(10);
/// How often a waiting caller looks whether the database stopped answering: then it gives up
/// at once instead of waiting out [`BUSY_WAIT`].
const UNREACHABLE_CHECK: Duration = Duration::from_millis(200);
/// r2d2 retries failed connections with a backoff capped at half of this: the pool heals
/// within about a second of the database's return.
const CONNECT_RETRY: Duration = Duration::from_secs(2);

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
    /// Whether the last attempt to open a connection failed.
    unreachable: Arc<AtomicBool>,
}

impl Manager {
    fn open(&self) -> Result<DbConnection, r2d2::Error> {
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
}

impl ManageConnection for Manager {
    type Connection = DbConnection;
    type Error = r2d2::Error;

    fn connect(&self) -> Result<DbConnection, r2d2::Error> {
        let result = self.open();
        let failed = result.is_err();
        // Logged on the change only: r2d2 retries every second while the database is away.
        if self.unreachable.swap(failed, Ordering::Relaxed) != failed {
            match &result {
                Err(e) => log::error!("the {} database is unreachable: {e}", self.backend.name()),
                Ok(_) => log::warn!("the {} database is reachable again", self.backend.name()),
            }
        }
        result
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
    unreachable: Arc<AtomicBool>,
    /// One writer at a time on this node (see `storage/write.rs`).
    pub(super) writer: Arc<std::sync::Mutex<()>>,
    /// This node's name in change announcements (so it can ignore its own).
    pub(super) node: Arc<str>,
}

/// Failed connections are logged by [`Manager::connect`], once per outage.
#[derive(Debug)]
struct QuietErrors;

impl r2d2::HandleError<r2d2::Error> for QuietErrors {
    fn handle_error(&self, _: r2d2::Error) {}
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
        let unreachable = Arc::new(AtomicBool::new(false));
        // Unchecked: connections open in the background; the first caller waits for one.
        let pool = r2d2::Pool::builder()
            .max_size(size)
            // Connections open when first needed, never speculatively in the background: a
            // background connect still in flight when a short-lived process (the CLI) exits
            // races libpq's teardown and crashes it.
            .min_idle(Some(0))
            .connection_timeout(CONNECT_RETRY)
            .error_handler(Box::new(QuietErrors))
            .build_unchecked(Manager {
                backend: backend.clone(),
                unreachable: unreachable.clone(),
            });
        if let Backend::Sqlite(path) = &backend {
            // One connection opened (a local file: no waiting on a network), so that the
            // database and its `-wal` and `-shm` files exist, then made owner-only.
            drop(pool.get().map_err(|e| StoreError::Pool(e.to_string()))?);
            super::files::restrict_sqlite(path)
                .map_err(|e| StoreError::Pool(format!("restricting {path}: {e}")))?;
        }
        Ok(Db {
            pool,
            backend_name,
            unreachable,
            writer: Default::default(),
            node: uuid::Uuid::new_v4().to_string().into(),
        })
    }

    /// `sqlite` or `postgresql`.
    /// The pool's size: (connections open, of which idle, the most allowed).
    pub fn pool_state(&self) -> (u32, u32, u32) {
        let state = self.pool.state();
        (
            state.connections,
            state.idle_connections,
            self.pool.max_size(),
        )
    }

    pub fn backend_name(&self) -> &'static str {
        self.backend_name
    }

    /// Applies pending migrations under the start-up lock; returns how many ran.
    pub fn migrate(&self) -> StoreResult<usize> {
        let mut conn = StartLock::acquire(self.conn()?)?;
        migrate(&mut conn)
    }

    /// A pooled connection, for blocking code (the CLI, start-up, background tasks). While the
    /// database answers, waits up to 10 s for a busy pool; once connections fail, gives up
    /// within a fraction of a second with [`StoreError::Unavailable`].
    pub fn conn(&self) -> StoreResult<r2d2::PooledConnection<Manager>> {
        let started = Instant::now();
        loop {
            let left = BUSY_WAIT.saturating_sub(started.elapsed());
            match self.pool.get_timeout(UNREACHABLE_CHECK.min(left)) {
                Ok(conn) => return Ok(conn),
                Err(e) => {
                    if self.unreachable.load(Ordering::Relaxed) || started.elapsed() >= BUSY_WAIT {
                        return Err(StoreError::Unavailable(e.to_string()));
                    }
                }
            }
        }
    }

    /// Runs blocking store code off the async workers (actix workers are single-threaded).
    pub async fn run<F, T>(&self, f: F) -> StoreResult<T>
    where
        F: FnOnce(&mut DbConnection) -> StoreResult<T> + Send + 'static,
        T: Send + 'static,
    {
        self.read(f).await
    }

    /// [`Db::run`] for code with its own error type (the domain's reads).
    pub async fn read<F, T, E>(&self, f: F) -> Result<T, E>
    where
        F: FnOnce(&mut DbConnection) -> Result<T, E> + Send + 'static,
        T: Send + 'static,
        E: From<StoreError> + Send + 'static,
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
