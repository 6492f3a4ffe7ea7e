//! The store under a test: which backend it runs on, and a database of its own (a fresh SQLite
//! file, or a fresh PostgreSQL database dropped afterwards).

use std::io::Write;
use std::sync::Once;

use diesel::{Connection, PgConnection, RunQueryDsl};

/// Which store a test runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

static SKIP_NOTICE: Once = Once::new();

/// A database of its own for one test; a PostgreSQL one is dropped afterwards.
pub struct TestDb {
    pub url: String,
    pg: Option<(String, String)>,
}

impl TestDb {
    pub fn new(backend: Backend, dir: &std::path::Path) -> Option<Self> {
        match backend {
            Backend::Sqlite => Some(TestDb {
                url: dir.join("castellan.db").display().to_string(),
                pg: None,
            }),
            Backend::Postgres => {
                let Ok(base) = std::env::var("CASTELLAN_TEST_POSTGRES_URL") else {
                    SKIP_NOTICE.call_once(|| {
                        // Written straight to stderr: the test harness captures eprintln!.
                        let _ = writeln!(
                            std::io::stderr(),
                            "\nNOTE: CASTELLAN_TEST_POSTGRES_URL is not set: the PostgreSQL half of \
                             the storage tests is SKIPPED (they pass without running).\n"
                        );
                    });
                    return None;
                };
                let name = format!("castellan_t_{}", uuid::Uuid::new_v4().simple());
                let mut admin =
                    PgConnection::establish(&base).expect("connect to CASTELLAN_TEST_POSTGRES_URL");
                diesel::sql_query(format!("CREATE DATABASE {name}"))
                    .execute(&mut admin)
                    .expect("create test database");
                let mut url = url::Url::parse(&base).expect("postgres URL");
                url.set_path(&format!("/{name}"));
                Some(TestDb {
                    url: url.to_string(),
                    pg: Some((base, name)),
                })
            }
        }
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let Some((base, name)) = &self.pg {
            if let Ok(mut admin) = PgConnection::establish(base) {
                let _ = diesel::sql_query(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                    .execute(&mut admin);
            }
        }
    }
}
