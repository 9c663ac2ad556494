//! The device's store: one SQLite connection behind a mutex, opened with the
//! pragmas and migrations of [`crate::db`]. The per-concern `impl Store` blocks
//! live in their own modules (reference data, staff, ratings, PINs, settings).

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};

use chrono::{DateTime, FixedOffset};
use rusqlite::{Connection, OptionalExtension, Transaction};
use tiyan_core::pin::LockoutPolicy;
use uuid::Uuid;

use crate::clock::{Clock, SystemClock};
use crate::{Result, db};

pub struct Store {
    conn: Mutex<Connection>,
    path: PathBuf,
    device_id: Uuid,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) lockout: LockoutPolicy,
}

impl Store {
    /// Opens the store at `path` with the system clock.
    pub fn open(path: &Path) -> Result<Store> {
        Store::open_with_clock(path, Arc::new(SystemClock))
    }

    pub fn open_with_clock(path: &Path, clock: Arc<dyn Clock>) -> Result<Store> {
        let conn = db::open(path)?;
        let device_id = device_id(&conn)?;
        Ok(Store {
            conn: Mutex::new(conn),
            path: path.to_path_buf(),
            device_id,
            clock,
            lockout: LockoutPolicy::default(),
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// This device's identity, made once when the database was created.
    pub fn device_id(&self) -> Uuid {
        self.device_id
    }

    pub fn now(&self) -> DateTime<FixedOffset> {
        self.clock.now()
    }

    /// The connection. A panic while it was held cannot leave a transaction half
    /// done (rusqlite rolls back on drop), so a poisoned lock is safe to reuse.
    pub(crate) fn conn(&self) -> MutexGuard<'_, Connection> {
        self.conn.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Runs `f` in an IMMEDIATE transaction (the write lock is taken up front, so
    /// two writers never deadlock on an upgrade) and commits if it returns Ok.
    pub(crate) fn write<T>(&self, f: impl FnOnce(&Transaction<'_>) -> Result<T>) -> Result<T> {
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let out = f(&tx)?;
        tx.commit()?;
        Ok(out)
    }

    /// [`Store::write`] for what the device can learn again if a power cut
    /// loses it (an acknowledgement: the server's state says it anew): the
    /// commit is not fsynced on its own (`synchronous=NORMAL`), the next full
    /// commit or checkpoint makes it durable. Keeps a drain from waiting on the
    /// disk once per page.
    pub(crate) fn write_relaxed<T>(&self, f: impl FnOnce(&Transaction<'_>) -> Result<T>) -> Result<T> {
        let mut conn = self.conn();
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        let result = (|| {
            let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
            let out = f(&tx)?;
            tx.commit()?;
            Ok(out)
        })();
        conn.pragma_update(None, "synchronous", "FULL")?;
        result
    }

    /// The pragmas in force on the store's own connection, for diagnostics and tests.
    pub fn pragmas(&self) -> Result<Pragmas> {
        let conn = self.conn();
        let get = |name: &str| conn.pragma_query_value(None, name, |r| r.get::<_, rusqlite::types::Value>(0));
        let int = |v: rusqlite::types::Value| match v {
            rusqlite::types::Value::Integer(i) => i,
            _ => -1,
        };
        let journal_mode = match get("journal_mode")? {
            rusqlite::types::Value::Text(t) => t,
            other => format!("{other:?}"),
        };
        Ok(Pragmas {
            journal_mode,
            synchronous: int(get("synchronous")?),
            foreign_keys: int(get("foreign_keys")?) == 1,
            busy_timeout_ms: int(get("busy_timeout")?),
        })
    }

    /// Runs `PRAGMA integrity_check`; "ok" when the file is sound.
    pub fn integrity_check(&self) -> Result<String> {
        Ok(self.conn().query_row("PRAGMA integrity_check", [], |r| r.get(0))?)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Pragmas {
    pub journal_mode: String,
    /// 2 is FULL.
    pub synchronous: i64,
    pub foreign_keys: bool,
    pub busy_timeout_ms: i64,
}

pub(crate) fn get_meta(conn: &Connection, key: &str) -> Result<Option<String>> {
    Ok(conn.query_row("SELECT value FROM meta WHERE key = ?1", [key], |r| r.get(0)).optional()?)
}

pub(crate) fn set_meta(conn: &Connection, key: &str, value: &str) -> Result<()> {
    conn.execute(
        "INSERT INTO meta (key, value) VALUES (?1, ?2) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        [key, value],
    )?;
    Ok(())
}

fn device_id(conn: &Connection) -> Result<Uuid> {
    if let Some(v) = get_meta(conn, "device_id")? {
        return Uuid::parse_str(&v).map_err(|e| crate::Error::Corrupt(format!("device id {v:?}: {e}")));
    }
    let id = Uuid::now_v7();
    set_meta(conn, "device_id", &id.to_string())?;
    Ok(id)
}
