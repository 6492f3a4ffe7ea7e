//! Finding the server's database from the command line. A command that works on its data
//! refuses a database that does not exist, rather than create an empty one and report success;
//! `migrate` creates one only when asked (`--create`), or on PostgreSQL, where the database
//! exists and only Castellan's tables are new.

use std::path::Path;

use chrono::Utc;

use crate::config::Settings;
use crate::keys::MasterKey;
use crate::storage::{self, Backend, Db};

/// Where else to look, said in every refusal.
const OR_POINT: &str = "or point CASTELLAN_DATABASE_URL at the server's database";

/// Whether a SQLite path names a file (not `:memory:` or a `file:` URI).
fn is_file(path: &str) -> bool {
    !path.is_empty() && path != ":memory:" && !path.starts_with("file:")
}

/// A path as given, and where it resolves to when it is relative.
fn show_path(path: &Path) -> String {
    match std::path::absolute(path) {
        Ok(full) if full != path => format!("{} ({})", path.display(), full.display()),
        _ => path.display().to_string(),
    }
}

/// The database for messages: the SQLite path, or the PostgreSQL URL without its password
/// and query (which may hold one too).
fn show(backend: &Backend) -> String {
    match backend {
        Backend::Sqlite(path) => show_path(Path::new(path)),
        Backend::Postgres(url) => match url::Url::parse(url) {
            Ok(mut parsed) => {
                if parsed.password().is_some() {
                    let _ = parsed.set_password(Some("***"));
                }
                parsed.set_query(None);
                parsed.set_fragment(None);
                parsed.to_string()
            }
            Err(_) => "the configured PostgreSQL URL".into(),
        },
    }
}

/// Opens the database (an existing SQLite file, or a PostgreSQL database that answers) and
/// tells whether it holds Castellan's tables.
fn open(backend: &Backend, url: &str) -> Result<(Db, bool), String> {
    let cannot = |e: storage::StoreError| {
        let e = e.to_string();
        match backend {
            Backend::Postgres(_) => format!(
                "cannot open the PostgreSQL database at {} ({}). The database must exist \
                 (Castellan creates its tables, not the database): create it, {OR_POINT}",
                show(backend),
                e.trim_end()
            ),
            Backend::Sqlite(_) => {
                format!(
                    "cannot open the database at {}: {}",
                    show(backend),
                    e.trim_end()
                )
            }
        }
    };
    let db = Db::open(url).map_err(cannot)?;
    let mut conn = db.conn().map_err(cannot)?;
    let present = storage::has_schema(&mut conn).map_err(cannot)?;
    drop(conn);
    Ok((db, present))
}

/// The server's database, for a command that works on its data (`bootstrap`, `keys …`): it
/// must exist and hold Castellan's tables. Pending migrations are applied, as `serve` would.
pub fn open_existing(settings: &Settings) -> Result<Db, String> {
    let backend = Backend::from_url(&settings.database_url);
    if let Backend::Sqlite(path) = &backend {
        if is_file(path) && !Path::new(path).exists() {
            return Err(format!(
                "no database at {}: run `castellan serve` once to create it, or \
                 `castellan migrate --create`, {OR_POINT}",
                show(&backend)
            ));
        }
    }
    let (db, present) = open(&backend, &settings.database_url)?;
    if !present {
        let create = match backend {
            Backend::Sqlite(_) => "`castellan migrate --create`",
            Backend::Postgres(_) => "`castellan migrate` (or `castellan serve` once)",
        };
        return Err(format!(
            "the database at {} holds no Castellan tables: run {create} to create them, \
             {OR_POINT}",
            show(&backend)
        ));
    }
    db.migrate().map_err(|e| e.to_string())?;
    Ok(db)
}

/// `castellan migrate [--create]`: applies pending migrations. On SQLite the database must
/// exist and be Castellan's unless `create`; on PostgreSQL the database must exist, and its
/// tables are created when it has none.
pub fn migrate(settings: &Settings, create: bool) -> Result<(), String> {
    let backend = Backend::from_url(&settings.database_url);
    let db = match &backend {
        Backend::Sqlite(path) if !create => {
            if is_file(path) && !Path::new(path).exists() {
                return Err(format!(
                    "no database at {}: `castellan migrate --create` creates it there, \
                     {OR_POINT}",
                    show(&backend)
                ));
            }
            let (db, present) = open(&backend, &settings.database_url)?;
            if !present {
                return Err(format!(
                    "the database at {} holds no Castellan tables (is it the server's?): \
                     `castellan migrate --create` creates them there, {OR_POINT}",
                    show(&backend)
                ));
            }
            db
        }
        _ => open(&backend, &settings.database_url)?.0,
    };
    let applied = db.migrate().map_err(|e| e.to_string())?;
    eprintln!(
        "castellan: the {} database at {} is up to date ({applied} migrations applied)",
        db.backend_name(),
        show(&backend)
    );
    Ok(())
}

/// The server's master key, never a new one: a new key would open none of the sealed signing
/// keys, and secrets hashed with it would never match. It must also open the stored keys.
pub fn master_key(settings: &Settings, db: &Db) -> Result<MasterKey, String> {
    let (master, source) = match &settings.master_key {
        Some(key) => (
            MasterKey::from_base64(key.expose())
                .map_err(|e| format!("CASTELLAN_MASTER_KEY: {e}"))?,
            "CASTELLAN_MASTER_KEY".to_string(),
        ),
        None => {
            let path = Path::new(&settings.master_key_file);
            if !path.exists() {
                return Err(format!(
                    "no master key at {}: the server's data is sealed with its master key. \
                     Set CASTELLAN_MASTER_KEY_FILE to the server's key file, or \
                     CASTELLAN_MASTER_KEY to the key (a new deployment: `castellan serve` \
                     creates it on its first start)",
                    show_path(path)
                ));
            }
            let (master, _) = MasterKey::load_or_create(path).map_err(|e| e.to_string())?;
            (master, format!("the master key in {}", show_path(path)))
        }
    };
    let mut conn = db.conn().map_err(|e| e.to_string())?;
    let rows =
        storage::keys::list_live(&mut conn, Utc::now().naive_utc()).map_err(|e| e.to_string())?;
    if let Some(row) = rows.last() {
        if master.open(&row.kid, &row.sealed_private).is_err() {
            return Err(format!(
                "{source} does not open this database's signing keys: it is not the server's \
                 master key. Set CASTELLAN_MASTER_KEY_FILE or CASTELLAN_MASTER_KEY to the \
                 server's"
            ));
        }
    }
    Ok(master)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_database_url_is_shown_without_its_password() {
        let url = "postgres://castellan:s3cret@db.internal:5432/auth?sslmode=require&password=q";
        let shown = show(&Backend::from_url(url));
        assert_eq!(shown, "postgres://castellan:***@db.internal:5432/auth");
        let plain = show(&Backend::from_url("postgres://castellan@db.internal/auth"));
        assert_eq!(plain, "postgres://castellan@db.internal/auth");
    }
}
