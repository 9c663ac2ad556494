//! Opening the device's SQLite file: the pragmas every connection needs, and the
//! numbered migrations, with a copy of the file taken before any of them runs.

use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::Connection;
use rusqlite_migration::{M, Migrations};

use crate::{Error, Result};

/// The schema, one numbered file per step. Append only: never edit a shipped step.
const STEPS: &[&str] = &[include_str!("../migrations/0001_kiosk.sql")];

/// How long a statement waits for another connection's lock before failing.
pub const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// Sets the pragmas that make an acknowledged commit survive a power cut:
/// WAL with `synchronous=FULL` (the WAL is fsynced at every commit), a busy
/// timeout so a reader elsewhere never fails a write, and enforced foreign keys.
pub fn configure(conn: &Connection) -> Result<()> {
    let mode: String = conn.pragma_update_and_check(None, "journal_mode", "WAL", |r| r.get(0))?;
    if !mode.eq_ignore_ascii_case("wal") {
        return Err(Error::Corrupt(format!("the database refused WAL mode (got {mode})")));
    }
    conn.pragma_update(None, "synchronous", "FULL")?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    conn.busy_timeout(BUSY_TIMEOUT)?;
    Ok(())
}

/// Opens (creating if needed) the database at `path` and brings its schema up to date.
pub fn open(path: &Path) -> Result<Connection> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(Error::io(format!("cannot create {}", dir.display())))?;
    }
    let mut conn = Connection::open(path)?;
    configure(&conn)?;
    migrate(&mut conn, path, STEPS)?;
    Ok(conn)
}

fn migrate(conn: &mut Connection, path: &Path, steps: &[&'static str]) -> Result<()> {
    let found: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
    let known = steps.len();
    if found > known as i64 {
        return Err(Error::SchemaTooNew { path: path.to_path_buf(), found, known });
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
pub fn backup(conn: &Connection, to: &Path) -> Result<()> {
    if let Some(dir) = to.parent() {
        std::fs::create_dir_all(dir).map_err(Error::io(format!("cannot create {}", dir.display())))?;
    }
    conn.execute("VACUUM INTO ?1", [to.to_string_lossy()])?;
    Ok(())
}

/// The schema version this build writes.
pub fn schema_version() -> usize {
    STEPS.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_copy_is_taken_before_migrating_and_migrations_run_once() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.db");
        let mut conn = open(&path).unwrap();
        conn.execute("INSERT INTO meta (key, value) VALUES ('marker', 'before')", []).unwrap();
        assert!(!dir.path().join("backups").exists(), "a new database needs no backup");

        let next: Vec<&'static str> = vec![STEPS[0], "ALTER TABLE meta ADD COLUMN note TEXT;"];
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
}
