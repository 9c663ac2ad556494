//! Backups of the server's SQLite file while it serves, and restoring one into
//! a stopped server's place. `VACUUM INTO` writes a consistent, compact copy from
//! one read transaction (WAL lets the server go on writing meanwhile); the copy
//! is then checked (`integrity_check`, its schema, its ratings) before it is
//! called a backup. A restore refuses a copy written by a newer schema, and
//! keeps the file it replaces beside it.

use std::path::{Path, PathBuf};

use rusqlite::{Connection, OpenFlags};
use tiyan_storage::{BackupInfo, Error, Result};

fn io(context: String) -> impl FnOnce(std::io::Error) -> Error {
    move |e| Error::Backend(format!("{context}: {e}"))
}

/// Checks a copy and says what it holds.
pub fn check(path: &Path) -> Result<BackupInfo> {
    let conn = Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY)?;
    let verdict: String = conn.query_row("PRAGMA integrity_check", [], |r| r.get(0))?;
    if verdict != "ok" {
        return Err(Error::Backend(format!("{} is damaged: {verdict}", path.display())));
    }
    let schema: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
    if schema > super::STEPS.len() as i64 {
        return Err(Error::SchemaTooNew { found: schema, known: super::STEPS.len() });
    }
    let ratings: u64 = conn.query_row("SELECT count(*) FROM ratings", [], |r| r.get(0))?;
    let bytes = std::fs::metadata(path).map_err(io(format!("reading {}", path.display())))?.len();
    Ok(BackupInfo { schema: schema.max(0) as u32, ratings: Some(ratings), bytes })
}

/// A consistent copy of the database at `db` written to `out` (which must not
/// exist), checked, and flushed to the disk.
pub fn backup(db: &Path, out: &Path) -> Result<BackupInfo> {
    if out.exists() {
        return Err(Error::Config(format!("{} exists: give a new file", out.display())));
    }
    if !db.exists() {
        return Err(Error::NotFound(format!("database {}", db.display())));
    }
    let conn = tiyan_infra::sqlite::connect(db)?;
    let target = out.to_str().ok_or_else(|| Error::Config(format!("{} is not a UTF-8 path", out.display())))?;
    conn.execute("VACUUM INTO ?1", [target])?;
    std::fs::File::open(out).and_then(|f| f.sync_all()).map_err(io(format!("flushing {}", out.display())))?;
    check(out)
}

/// Puts the backup at `from` in the place of the database at `db` (the server
/// stopped): refused if the backup is damaged or newer than this binary, or if
/// the database is in use. The replaced file is kept as `<db>.replaced-<time>`.
pub fn restore(from: &Path, db: &Path, stamp: &str) -> Result<(BackupInfo, Option<PathBuf>)> {
    let info = check(from)?;
    let mut kept = None;
    if db.exists() {
        // A server at work holds the file: an exclusive lock says nobody does.
        let conn = Connection::open(db)?;
        conn.busy_timeout(std::time::Duration::ZERO)?;
        conn.execute_batch("BEGIN EXCLUSIVE; ROLLBACK;")
            .map_err(|_| Error::Config(format!("{} is in use: stop tiyan-server first", db.display())))?;
        drop(conn);
        let aside = PathBuf::from(format!("{}.replaced-{stamp}", db.display()));
        std::fs::rename(db, &aside).map_err(io(format!("moving {} aside", db.display())))?;
        for suffix in ["-wal", "-shm"] {
            let side = PathBuf::from(format!("{}{suffix}", db.display()));
            if side.exists() {
                let to = PathBuf::from(format!("{}{suffix}", aside.display()));
                std::fs::rename(&side, &to).map_err(io(format!("moving {} aside", side.display())))?;
            }
        }
        kept = Some(aside);
    }
    let part = PathBuf::from(format!("{}.restoring", db.display()));
    std::fs::copy(from, &part).map_err(io(format!("copying {}", from.display())))?;
    std::fs::File::open(&part).and_then(|f| f.sync_all()).map_err(io(format!("flushing {}", part.display())))?;
    std::fs::rename(&part, db).map_err(io(format!("putting the backup at {}", db.display())))?;
    if let Some(dir) = db.parent().filter(|d| !d.as_os_str().is_empty()) {
        // The rename is durable once the folder is.
        let _ = std::fs::File::open(dir).and_then(|d| d.sync_all());
    }
    Ok((info, kept))
}
