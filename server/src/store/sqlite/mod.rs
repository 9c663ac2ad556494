//! The embedded backend: one SQLite file in WAL mode, so a hall or a county
//! runs the server with no other software. One writer connection (SQLite
//! writes one transaction at a time anyway) and a few readers that never wait
//! for it; every call runs on the blocking pool.

mod devices;
mod diary;
mod reference;
mod sync;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use async_trait::async_trait;
use chrono::{DateTime, FixedOffset, NaiveDate, Utc};
use rusqlite::{Connection, OptionalExtension, Transaction, TransactionBehavior, params};

use super::{AttemptStore, Attempts, Database, DbHealth, Error, Result};

const STEPS: &[&str] = &[
    include_str!("../../../migrations/sqlite/0001_server.sql"),
    include_str!("../../../migrations/sqlite/0002_diary.sql"),
    include_str!("../../../migrations/sqlite/0003_province.sql"),
];
const READERS: usize = 4;

#[derive(Clone)]
pub struct SqliteStore {
    inner: Arc<Inner>,
}

struct Inner {
    path: PathBuf,
    writer: Mutex<Connection>,
    readers: Vec<Mutex<Connection>>,
    next_reader: AtomicUsize,
}

fn lock(m: &Mutex<Connection>) -> MutexGuard<'_, Connection> {
    // A panic mid-transaction rolls it back (the Transaction's drop): the connection is sound.
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl From<rusqlite::Error> for Error {
    fn from(e: rusqlite::Error) -> Self {
        match e.sqlite_error_code() {
            Some(rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::CannotOpen) => {
                Error::Unavailable(e.to_string())
            }
            _ => Error::Backend(e.to_string()),
        }
    }
}

impl From<tiyan_infra::sqlite::DbError> for Error {
    fn from(e: tiyan_infra::sqlite::DbError) -> Self {
        use tiyan_infra::sqlite::DbError;
        match e {
            DbError::SchemaTooNew { found, known, .. } => Error::SchemaTooNew { found, known },
            DbError::Sqlite(e) => e.into(),
            other => Error::Backend(other.to_string()),
        }
    }
}

impl SqliteStore {
    pub async fn open(path: &Path) -> Result<SqliteStore> {
        let path = path.to_path_buf();
        tokio::task::spawn_blocking(move || SqliteStore::open_blocking(&path))
            .await
            .map_err(|e| Error::Backend(e.to_string()))?
    }

    fn open_blocking(path: &Path) -> Result<SqliteStore> {
        let writer = tiyan_infra::sqlite::open(path, STEPS)?;
        let readers =
            (0..READERS).map(|_| tiyan_infra::sqlite::connect(path).map(Mutex::new)).collect::<Result<Vec<_>, _>>()?;
        Ok(SqliteStore {
            inner: Arc::new(Inner {
                path: path.to_path_buf(),
                writer: Mutex::new(writer),
                readers,
                next_reader: AtomicUsize::new(0),
            }),
        })
    }

    pub fn path(&self) -> &Path {
        &self.inner.path
    }

    /// A read on one of the reader connections, off the async threads.
    async fn read<T: Send + 'static>(
        &self,
        f: impl FnOnce(&Connection) -> Result<T> + Send + 'static,
    ) -> Result<T> {
        let inner = self.inner.clone();
        blocking(move || {
            let i = inner.next_reader.fetch_add(1, Ordering::Relaxed) % inner.readers.len();
            f(&lock(&inner.readers[i]))
        })
        .await
    }

    /// A read of several statements that must see one version of the data.
    async fn read_tx<T: Send + 'static>(
        &self,
        f: impl FnOnce(&Transaction<'_>) -> Result<T> + Send + 'static,
    ) -> Result<T> {
        let inner = self.inner.clone();
        blocking(move || {
            let i = inner.next_reader.fetch_add(1, Ordering::Relaxed) % inner.readers.len();
            let mut conn = lock(&inner.readers[i]);
            let tx = conn.transaction_with_behavior(TransactionBehavior::Deferred)?;
            let out = f(&tx)?;
            tx.finish()?;
            Ok(out)
        })
        .await
    }

    /// One IMMEDIATE transaction on the writer connection, committed if `f` succeeds.
    async fn write<T: Send + 'static>(
        &self,
        f: impl FnOnce(&Transaction<'_>) -> Result<T> + Send + 'static,
    ) -> Result<T> {
        let inner = self.inner.clone();
        blocking(move || {
            let mut conn = lock(&inner.writer);
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let out = f(&tx)?;
            tx.commit()?;
            Ok(out)
        })
        .await
    }
}

async fn blocking<T: Send + 'static>(f: impl FnOnce() -> Result<T> + Send + 'static) -> Result<T> {
    tokio::task::spawn_blocking(f).await.map_err(|e| Error::Backend(format!("a store task failed: {e}")))?
}

/// Times are kept as RFC 3339 text.
fn time(s: &str) -> rusqlite::Result<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s).map(|t| t.to_utc()).map_err(|e| conversion(Box::new(e)))
}

fn device_time(s: &str) -> rusqlite::Result<DateTime<FixedOffset>> {
    DateTime::parse_from_rfc3339(s).map_err(|e| conversion(Box::new(e)))
}

fn date(s: &str) -> rusqlite::Result<NaiveDate> {
    s.parse().map_err(|e: chrono::ParseError| conversion(Box::new(e)))
}

fn conversion(e: Box<dyn std::error::Error + Send + Sync>) -> rusqlite::Error {
    rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Text, e)
}

fn uuid(s: &str) -> rusqlite::Result<uuid::Uuid> {
    uuid::Uuid::parse_str(s).map_err(|e| conversion(Box::new(e)))
}

/// The device's own date and UTC offset (minutes) of a device time: figures by
/// day and month group by them, never by the server's clock.
fn local_day(t: &DateTime<FixedOffset>) -> (String, i32) {
    (t.date_naive().to_string(), t.offset().local_minus_utc() / 60)
}

#[async_trait]
impl AttemptStore for SqliteStore {
    async fn attempts(&self, key: &str) -> Result<Attempts> {
        let key = key.to_string();
        self.read(move |c| {
            let row: Option<(u32, String)> = c
                .prepare_cached("SELECT failures, last_failure_at FROM sign_in_failures WHERE key = ?1")?
                .query_row([key], |r| Ok((r.get(0)?, r.get(1)?)))
                .optional()?;
            Ok(match row {
                Some((failures, at)) => Attempts { failures, last_failure: Some(time(&at)?) },
                None => Attempts::default(),
            })
        })
        .await
    }

    async fn record_failure(&self, key: &str, now: DateTime<Utc>) -> Result<Attempts> {
        let key = key.to_string();
        self.write(move |tx| {
            let failures: u32 = tx.query_row(
                "INSERT INTO sign_in_failures (key, failures, last_failure_at) VALUES (?1, 1, ?2)
                 ON CONFLICT (key) DO UPDATE SET failures = failures + 1, last_failure_at = excluded.last_failure_at
                 RETURNING failures",
                params![key, now.to_rfc3339()],
                |r| r.get(0),
            )?;
            Ok(Attempts { failures, last_failure: Some(now) })
        })
        .await
    }

    async fn clear_failures(&self, key: &str) -> Result<()> {
        let key = key.to_string();
        self.write(move |tx| {
            tx.execute("DELETE FROM sign_in_failures WHERE key = ?1", [key])?;
            Ok(())
        })
        .await
    }
}

#[async_trait]
impl Database for SqliteStore {
    async fn health(&self) -> Result<DbHealth> {
        self.read(|c| {
            let schema: u32 = c.pragma_query_value(None, "user_version", |r| r.get(0))?;
            Ok(DbHealth { backend: "sqlite", schema })
        })
        .await
    }
}
