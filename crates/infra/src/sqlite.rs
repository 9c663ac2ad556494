//! Opening a SQLite file: the pragmas every connection needs, and numbered
//! migrations, with a copy of the file taken before any of them runs.

use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::Connection;
use rusqlite_migration::{M, Migrations};

/// How long a statement waits for another connection's lock before failing.
pub const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("the database at {path} was written by a newer Tiyan (schema {found}, this one knows {known})")]
    SchemaTooNew { path: PathBuf, found: i64, known: usize },
    #[error("the database refused WAL mode (got {0})")]
    NoWal(String),
    #[error("{context}: {source}")]
    Io { context: String, source: std::io::Error },
    #[error("database: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("database migration: {0}")]
    Migration(#[from] rusqlite_migration::Error),
}

/// Sets the pragmas that make an acknowledged commit survive a power cut:
/// WAL with `synchronous=FULL` (the WAL is fsynced at every commit), a busy
/// timeout so a reader elsewhere never fails a write, and enforced foreign keys.
pub fn configure(conn: &Connection) -> Result<(), DbError> {
    let mode: String = conn.pragma_update_and_check(None, "journal_mode", "WAL", |r| r.get(0))?;
    if !mode.eq_ignore_ascii_case("wal") {
        return Err(DbError::NoWal(mode));
    }
    conn.pragma_update(None, "synchronous", "FULL")?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    conn.busy_timeout(BUSY_TIMEOUT)?;
    Ok(())
}

/// For the server's single writer: its statement and savepoint journals in
/// memory. Every write runs in a savepoint (tiyan-storage-sqlite's `writer`),
/// and so do its statements that may fail halfway (a foreign key, a trigger):
/// each keeps the old content of every page it changes, by default in a
/// temporary file, a write system call per page. In memory such a journal holds
/// at most one write's pages (a page of records: about a megabyte); a page's
/// twenty ledger items took 0.40 ms instead of 0.95 (issue 16). Temporary tables and
/// sorts of this connection's own statements go to memory too; the writer's
/// are small, and the readers keep the default.
pub fn journals_in_memory(conn: &Connection) -> Result<(), DbError> {
    conn.pragma_update(None, "temp_store", "MEMORY")?;
    Ok(())
}

/// Opens (creating if needed) the database at `path` and brings its schema up
/// to `steps` (one SQL text per numbered migration; append only, never edit a
/// shipped step).
pub fn open(path: &Path, steps: &[&'static str]) -> Result<Connection, DbError> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)
            .map_err(|source| DbError::Io { context: format!("cannot create {}", dir.display()), source })?;
    }
    let mut conn = Connection::open(path)?;
    configure(&conn)?;
    migrate(&mut conn, path, steps)?;
    Ok(conn)
}

/// Opens another connection to a database [`open`] has already migrated.
pub fn connect(path: &Path) -> Result<Connection, DbError> {
    let conn = Connection::open(path)?;
    configure(&conn)?;
    Ok(conn)
}

fn migrate(conn: &mut Connection, path: &Path, steps: &[&'static str]) -> Result<(), DbError> {
    let found: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
    let known = steps.len();
    if found > known as i64 {
        return Err(DbError::SchemaTooNew { path: path.to_path_buf(), found, known });
    }
    if found > 0 && (found as usize) < known {
        let copy = backup_path(path, found);
        tracing::info!(from = found, to = known, backup = %copy.display(), "migrating the database");
        backup(conn, &copy)?;
    }
    let steps = steps.iter().map(|sql| M::up(sql)).collect();
    Migrations::new(steps).to_latest(conn)?;
    Ok(())
}

/// `<dir>/backups/<file>.v<version>-<unix seconds>.bak`, beside the database.
fn backup_path(path: &Path, version: i64) -> PathBuf {
    let dir = path.parent().unwrap_or(Path::new(".")).join("backups");
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("tiyan.db");
    let stamp = chrono::Utc::now().timestamp();
    dir.join(format!("{name}.v{version}-{stamp}.bak"))
}

/// A consistent copy of the whole database (WAL included) through SQLite itself.
pub fn backup(conn: &Connection, to: &Path) -> Result<(), DbError> {
    if let Some(dir) = to.parent() {
        std::fs::create_dir_all(dir)
            .map_err(|source| DbError::Io { context: format!("cannot create {}", dir.display()), source })?;
    }
    conn.execute("VACUUM INTO ?1", [to.to_string_lossy()])?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const FIRST: &str = "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) STRICT;";

    #[test]
    fn the_writer_keeps_its_journals_in_memory() {
        let dir = tempfile::tempdir().unwrap();
        let conn = open(&dir.path().join("t.db"), &[FIRST]).unwrap();
        let store = |c: &Connection| c.pragma_query_value(None, "temp_store", |r| r.get::<_, i64>(0)).unwrap();
        assert_eq!(store(&conn), 0, "the default: a file");
        journals_in_memory(&conn).unwrap();
        assert_eq!(store(&conn), 2, "memory");
    }

    #[test]
    fn a_copy_is_taken_before_migrating_and_migrations_run_once() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.db");
        let mut conn = open(&path, &[FIRST]).unwrap();
        conn.execute("INSERT INTO meta (key, value) VALUES ('marker', 'before')", []).unwrap();
        assert!(!dir.path().join("backups").exists(), "a new database needs no backup");

        let next = [FIRST, "ALTER TABLE meta ADD COLUMN note TEXT;"];
        migrate(&mut conn, &path, &next).unwrap();
        let version: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0)).unwrap();
        assert_eq!(version, 2);

        let backups: Vec<_> =
            std::fs::read_dir(dir.path().join("backups")).unwrap().map(|e| e.unwrap().path()).collect();
        assert_eq!(backups.len(), 1);
        let name = backups[0].file_name().unwrap().to_string_lossy().to_string();
        assert!(name.starts_with("t.db.v1-"), "{name}");
        let old = Connection::open(&backups[0]).unwrap();
        let v: i64 = old.pragma_query_value(None, "user_version", |r| r.get(0)).unwrap();
        let marker: String = old.query_row("SELECT value FROM meta WHERE key = 'marker'", [], |r| r.get(0)).unwrap();
        assert_eq!((v, marker.as_str()), (1, "before"));

        // Already at the latest version: nothing runs, no new copy.
        migrate(&mut conn, &path, &next).unwrap();
        assert_eq!(std::fs::read_dir(dir.path().join("backups")).unwrap().count(), 1);
    }

    #[test]
    fn a_schema_from_a_newer_build_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.db");
        drop(open(&path, &[FIRST]).unwrap());
        Connection::open(&path).unwrap().pragma_update(None, "user_version", 9).unwrap();
        assert!(matches!(open(&path, &[FIRST]), Err(DbError::SchemaTooNew { found: 9, known: 1, .. })));
    }
}
