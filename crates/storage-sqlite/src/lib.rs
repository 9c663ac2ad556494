//! The embedded backend: one SQLite file in WAL mode, so a hall or a county
//! runs the server with no other software. One writer connection on a thread
//! of its own with group commit (SQLite writes one transaction at a time
//! anyway), a thread that checkpoints the WAL beside it, and a few readers that
//! never wait for either; reads run on the blocking pool.

mod accounts;
mod assessment;
pub mod backup;
mod devices;
mod diary;
mod ledger;
mod reference;
mod sync;
mod upward;
mod writer;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use async_trait::async_trait;
use chrono::{DateTime, FixedOffset, NaiveDate, Utc};
use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};

use tiyan_storage::{AttemptStore, Attempts, Database, DbHealth, Error, PoolStatus, Result, sql};

/// Keeps the rows of `column` whose hall is in the JSON array parameter `?n`,
/// or every row when it is NULL: an account's scope ([`tiyan_core::accounts::Scope::halls`]).
pub(crate) fn in_halls(column: &str, n: u8) -> String {
    format!("(?{n} IS NULL OR {column} IN (SELECT value FROM json_each(?{n})))")
}

/// The parameter [`in_halls`] reads.
pub(crate) fn halls_param(halls: Option<&[String]>) -> Option<String> {
    halls.map(|h| serde_json::Value::from(h.to_vec()).to_string())
}

pub(crate) const STEPS: &[&str] = &[
    include_str!("../migrations/0001_server.sql"),
    include_str!("../migrations/0002_diary.sql"),
    include_str!("../migrations/0003_province.sql"),
    include_str!("../migrations/0004_hall_office.sql"),
    include_str!("../migrations/0005_assessment.sql"),
    include_str!("../migrations/0006_cases.sql"),
    include_str!("../migrations/0007_regions.sql"),
    include_str!("../migrations/0008_hall_versions.sql"),
    include_str!("../migrations/0009_rollups.sql"),
    include_str!("../migrations/0010_upward.sql"),
    include_str!("../migrations/0011_phone_erasure.sql"),
    include_str!("../migrations/0012_reporting_codes.sql"),
    include_str!("../migrations/0013_kiosk_policy.sql"),
];
const READERS: usize = 4;

#[derive(Clone)]
pub struct SqliteStore {
    inner: Arc<Inner>,
}

struct Inner {
    path: PathBuf,
    writer: writer::Writer,
    readers: Vec<Mutex<Connection>>,
    next_reader: AtomicUsize,
}

/// Copies the WAL back into the database file on a thread of its own, instead
/// of inside whichever commit crosses SQLite's threshold: the single writer
/// spends its time on commits, and a checkpoint (a copy and an fsync of the
/// main file) runs beside them.
struct Checkpointer {
    committed: Option<std::sync::mpsc::SyncSender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Checkpointer {
    /// Between passes; a pass runs only when something was committed.
    const EVERY: std::time::Duration = std::time::Duration::from_millis(250);

    fn start(path: &Path) -> Result<Checkpointer> {
        let conn = tiyan_infra::sqlite::connect(path)?;
        let (committed, commits) = std::sync::mpsc::sync_channel::<()>(1);
        let thread = std::thread::Builder::new()
            .name("sqlite-checkpoint".into())
            .spawn(move || {
                use std::sync::mpsc::RecvTimeoutError;
                let checkpoint = || {
                    if let Err(e) = conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(())) {
                        tracing::warn!(error = %e, "WAL checkpoint failed; the next one tries again");
                    }
                };
                let (mut dirty, mut last) = (false, std::time::Instant::now());
                loop {
                    match commits.recv_timeout(Self::EVERY) {
                        Ok(()) => dirty = true,
                        Err(RecvTimeoutError::Timeout) => {}
                        // The store was dropped: a last pass, and done.
                        Err(RecvTimeoutError::Disconnected) => {
                            if dirty {
                                checkpoint();
                            }
                            return;
                        }
                    }
                    if dirty && last.elapsed() >= Self::EVERY {
                        checkpoint();
                        (dirty, last) = (false, std::time::Instant::now());
                    }
                }
            })
            .map_err(|e| Error::Backend(format!("cannot start the checkpoint thread: {e}")))?;
        Ok(Checkpointer { committed: Some(committed), thread: Some(thread) })
    }

    fn nudge(&self) {
        if let Some(c) = &self.committed {
            let _ = c.try_send(());
        }
    }
}

impl Drop for Checkpointer {
    fn drop(&mut self) {
        self.committed.take(); // the thread sees the channel close and ends
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn lock(m: &Mutex<Connection>) -> MutexGuard<'_, Connection> {
    // A panic mid-transaction rolls it back (the Transaction's drop): the connection is sound.
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl SqliteStore {
    pub async fn open(path: &Path) -> Result<SqliteStore> {
        let path = path.to_path_buf();
        tokio::task::spawn_blocking(move || SqliteStore::open_blocking(&path))
            .await
            .map_err(|e| Error::Backend(e.to_string()))?
    }

    fn open_blocking(path: &Path) -> Result<SqliteStore> {
        let conn = tiyan_infra::sqlite::open(path, STEPS)?;
        conn.pragma_update(None, "wal_autocheckpoint", 0)?;
        tiyan_infra::sqlite::journals_in_memory(&conn)?;
        let writer = writer::Writer::start(conn, Checkpointer::start(path)?)?;
        let readers =
            (0..READERS).map(|_| tiyan_infra::sqlite::connect(path).map(Mutex::new)).collect::<Result<Vec<_>, _>>()?;
        Ok(SqliteStore {
            inner: Arc::new(Inner { path: path.to_path_buf(), writer, readers, next_reader: AtomicUsize::new(0) }),
        })
    }

    pub fn path(&self) -> &Path {
        &self.inner.path
    }

    /// A read on one of the reader connections, off the async threads.
    async fn read<T: Send + 'static>(&self, f: impl FnOnce(&Connection) -> Result<T> + Send + 'static) -> Result<T> {
        let inner = self.inner.clone();
        blocking(move || {
            let i = inner.next_reader.fetch_add(1, Ordering::Relaxed) % inner.readers.len();
            f(&lock(&inner.readers[i]))
        })
        .await
    }

    /// A read of several statements that must see one version of the data.
    async fn read_tx<T: Send + 'static>(&self, f: impl FnOnce(&Connection) -> Result<T> + Send + 'static) -> Result<T> {
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

    /// A write in the single writer's transaction (see [`writer`]): answered
    /// once committed, or with the error that kept it out.
    async fn write<T: Send + 'static>(&self, f: impl FnOnce(&Connection) -> Result<T> + Send + 'static) -> Result<T> {
        self.inner.writer.write(f).await
    }
}

async fn blocking<T: Send + 'static>(f: impl FnOnce() -> Result<T> + Send + 'static) -> Result<T> {
    tokio::task::spawn_blocking(f).await.map_err(|e| Error::Backend(format!("a store task failed: {e}")))?
}

/// Times are kept as RFC 3339 text.
/// A statement of [`tiyan_storage::sql`] as SQLite reads it: PostgreSQL's
/// `$1` as `?1` (the same numbers, so both backends bind alike).
fn q(sql: &str) -> std::borrow::Cow<'_, str> {
    if sql.contains('$') { std::borrow::Cow::Owned(sql.replace('$', "?")) } else { std::borrow::Cow::Borrowed(sql) }
}

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
                .prepare_cached(&q(sql::attempts::ATTEMPTS))?
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
            tx.execute(&q(sql::attempts::CLEAR), [key])?;
            Ok(())
        })
        .await
    }

    async fn prune_failures(&self, before: DateTime<Utc>) -> Result<u64> {
        self.write(move |tx| Ok(tx.execute(&q(sql::attempts::PRUNE), [before.to_rfc3339()])? as u64)).await
    }
}

#[async_trait]
impl Database for SqliteStore {
    async fn health(&self) -> Result<DbHealth> {
        self.read(|c| {
            let schema: u32 = c.pragma_query_value(None, "user_version", |r| r.get(0))?;
            Ok(schema)
        })
        .await
        .map(|schema| {
            // The readers (this read holds none now) and the one writer, all opened at the start.
            let readers = &self.inner.readers;
            let idle = readers.iter().filter(|r| r.try_lock().is_ok()).count();
            let open = u32::try_from(readers.len() + 1).unwrap_or(u32::MAX);
            let idle = u32::try_from(idle).unwrap_or(u32::MAX);
            DbHealth { backend: "sqlite", schema, pool: PoolStatus { open, max: open, idle, waiting: 0 } }
        })
    }
}

#[cfg(test)]
mod rollup_tests {
    use tiyan_core::ledger::{LedgerState, Outcome};
    use tiyan_storage::predicate;

    /// The rollups' triggers spell core's rules out (a migration is static):
    /// they must spell them as `predicate` does today.
    #[test]
    fn rollup_rules_are_core_s() {
        let sql = include_str!("../migrations/0009_rollups.sql");
        let mut fragments = vec![predicate::bad("r."), predicate::bad("")];
        for l in ["NEW", "OLD", "l"] {
            fragments.push(predicate::rectified(&format!("{l}.outcome")));
            fragments.push(format!("{l}.outcome = '{}'", Outcome::Explained.as_str()));
            fragments.push(format!("{l}.state <> '{}'", LedgerState::Excluded.as_str()));
        }
        for fragment in fragments {
            assert!(sql.contains(&fragment), "0009_rollups.sql does not say {fragment}");
        }
    }
}
