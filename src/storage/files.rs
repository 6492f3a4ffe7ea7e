//! Files at rest (CONTRACT "At rest"): the data directory, whichever Castellan creates, is
//! created `0700`; the SQLite files (database, `-wal`, `-shm`) and the master key are `0600`.

use std::fs::{DirBuilder, OpenOptions, Permissions};
use std::io;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::Path;

/// Files SQLite keeps beside the database.
const SQLITE_SUFFIXES: &[&str] = &["", "-wal", "-shm", "-journal"];

/// Creates `dir` and its missing parents `0700`; an existing folder is left as it is (it is
/// the operator's).
pub fn create_private_dir(dir: &Path) -> io::Result<()> {
    if dir.as_os_str().is_empty() || dir.is_dir() {
        return Ok(());
    }
    DirBuilder::new().recursive(true).mode(0o700).create(dir)
}

/// Whether a SQLite path names a file of ours (not `:memory:` or a `file:` URI).
fn is_plain_file(path: &str) -> bool {
    !path.is_empty() && path != ":memory:" && !path.starts_with("file:")
}

/// Before SQLite opens `path`: its folder exists (created `0700`) and the database file
/// exists, owner-only, so that SQLite, which gives `-wal` and `-shm` the database file's
/// permissions, never makes a world-readable one.
pub fn prepare_sqlite(path: &str) -> io::Result<()> {
    if !is_plain_file(path) {
        return Ok(());
    }
    let path = Path::new(path);
    if let Some(dir) = path.parent() {
        create_private_dir(dir)?;
    }
    // Neither truncates nor replaces an existing database.
    OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(false)
        .mode(0o600)
        .open(path)?;
    restrict_sqlite(path.to_string_lossy().as_ref())
}

/// Makes the database file and those beside it owner-only (`0600`), for databases created
/// before this rule, or by another tool.
pub fn restrict_sqlite(path: &str) -> io::Result<()> {
    if !is_plain_file(path) {
        return Ok(());
    }
    for suffix in SQLITE_SUFFIXES {
        let file = format!("{path}{suffix}");
        match std::fs::set_permissions(&file, Permissions::from_mode(0o600)) {
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            other => other?,
        }
    }
    Ok(())
}
