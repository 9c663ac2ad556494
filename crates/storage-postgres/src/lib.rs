//! The PostgreSQL backend, for a province: several server processes on one
//! database. tokio-postgres with a deadpool pool; numbered migrations taken
//! under an advisory lock, so processes starting together migrate once.
//! Concurrency is explicit: what must happen once is serialised by a row lock
//! (`FOR UPDATE`) or a transaction-scoped advisory lock, never left to luck.

mod accounts;
mod assessment;
pub mod backup;
mod devices;
mod diary;
mod ledger;
mod reference;
mod sync;
mod upward;

use async_trait::async_trait;
use chrono::{DateTime, FixedOffset, Utc};
use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod, Runtime};
use tokio_postgres::NoTls;

use tiyan_storage::{AttemptStore, Attempts, Database, DbHealth, Error, PoolStatus, Result, sql};

/// Keeps the rows of `column` whose hall is in the `text[]` parameter `$n`,
/// or every row when it is NULL: an account's scope ([`tiyan_core::accounts::Scope::halls`]).
pub(crate) fn in_halls(column: &str, n: u8) -> String {
    format!("(${n}::text[] IS NULL OR {column} = ANY(${n}))")
}

pub(crate) const STEPS: &[&str] = &[
    include_str!("../migrations/0001_server.sql"),
    include_str!("../migrations/0002_hall_office.sql"),
    include_str!("../migrations/0003_assessment.sql"),
    include_str!("../migrations/0004_cases.sql"),
    include_str!("../migrations/0005_regions.sql"),
    include_str!("../migrations/0006_hall_versions.sql"),
    include_str!("../migrations/0007_rollups.sql"),
    include_str!("../migrations/0008_upward.sql"),
    include_str!("../migrations/0009_phone_erasure.sql"),
    include_str!("../migrations/0010_reporting_codes.sql"),
    include_str!("../migrations/0011_kiosk_policy.sql"),
    include_str!("../migrations/0012_rating_months.sql"),
    include_str!("../migrations/0013_rating_months_folded.sql"),
    include_str!("../migrations/0014_queue_without_jit.sql"),
];

/// Taken while migrating (`pg_advisory_lock`): one process migrates, the others wait.
const MIGRATION_LOCK: i64 = 0x7469_7961_6e00_0001;
/// Connections per server process; PostgreSQL's default allows 100 in all.
const POOL_SIZE: usize = 16;
/// Pages ingested at once per process. More than a few only queue on the
/// database's cores and its WAL, and a burst of uploads holding every pooled
/// connection keeps a device's state request (three short reads) waiting
/// behind all of them; so pages take turns here and reads find a connection.
const INGESTS: usize = 4;

#[derive(Clone)]
pub struct PgStore {
    pool: Pool,
    ingests: std::sync::Arc<tokio::sync::Semaphore>,
}

impl PgStore {
    pub async fn open(url: &str) -> Result<PgStore> {
        let config: tokio_postgres::Config =
            url.parse().map_err(|e| Error::Config(format!("not a PostgreSQL URL: {e}")))?;
        let manager = Manager::from_config(config, NoTls, ManagerConfig { recycling_method: RecyclingMethod::Fast });
        let pool = Pool::builder(manager)
            .max_size(POOL_SIZE)
            .runtime(Runtime::Tokio1)
            .wait_timeout(Some(std::time::Duration::from_secs(10)))
            .create_timeout(Some(std::time::Duration::from_secs(10)))
            .build()
            .map_err(|e| Error::Config(e.to_string()))?;
        let store = PgStore { pool, ingests: std::sync::Arc::new(tokio::sync::Semaphore::new(INGESTS)) };
        store.migrate().await?;
        Ok(store)
    }

    async fn client(&self) -> Result<deadpool_postgres::Object> {
        Ok(self.pool.get().await?)
    }

    async fn migrate(&self) -> Result<()> {
        let mut client = self.client().await?;
        client.execute("SELECT pg_advisory_lock($1)", &[&MIGRATION_LOCK]).await?;
        let result = self.migrate_locked(&mut client).await;
        client.execute("SELECT pg_advisory_unlock($1)", &[&MIGRATION_LOCK]).await?;
        result
    }

    async fn migrate_locked(&self, client: &mut deadpool_postgres::Object) -> Result<()> {
        let exists: bool = client.query_one("SELECT to_regclass('schema_migrations') IS NOT NULL", &[]).await?.get(0);
        if !exists {
            client
                .batch_execute(
                    "CREATE TABLE schema_migrations (
                         version    INTEGER PRIMARY KEY,
                         applied_at TIMESTAMPTZ NOT NULL DEFAULT now())",
                )
                .await?;
        }
        let found: i32 = client.query_one("SELECT coalesce(max(version), 0) FROM schema_migrations", &[]).await?.get(0);
        if found as usize > STEPS.len() {
            return Err(Error::SchemaTooNew { found: i64::from(found), known: STEPS.len() });
        }
        for (i, sql) in STEPS.iter().enumerate().skip(found as usize) {
            let version = i as i32 + 1;
            tracing::info!(version, "migrating the PostgreSQL database");
            let tx = client.transaction().await?;
            tx.batch_execute(sql).await?;
            tx.execute("INSERT INTO schema_migrations (version) VALUES ($1)", &[&version]).await?;
            tx.commit().await?;
        }
        Ok(())
    }
}

/// A device time back from its instant and the offset kept beside it.
fn device_time(at: DateTime<Utc>, offset_minutes: i16) -> Result<DateTime<FixedOffset>> {
    let offset = FixedOffset::east_opt(i32::from(offset_minutes) * 60)
        .ok_or_else(|| Error::Backend(format!("UTC offset of {offset_minutes} minutes")))?;
    Ok(at.with_timezone(&offset))
}

fn offset_minutes(t: &DateTime<FixedOffset>) -> i16 {
    (t.offset().local_minus_utc() / 60) as i16
}

fn json<T: serde::de::DeserializeOwned>(text: &str) -> Result<T> {
    serde_json::from_str(text).map_err(|e| Error::Backend(format!("stored JSON: {e}")))
}

#[async_trait]
impl AttemptStore for PgStore {
    async fn attempts(&self, key: &str) -> Result<Attempts> {
        let client = self.client().await?;
        let row = client.query_opt(sql::attempts::ATTEMPTS, &[&key]).await?;
        Ok(row.map_or_else(Attempts::default, |r| Attempts {
            failures: r.get::<_, i32>(0) as u32,
            last_failure: Some(r.get(1)),
        }))
    }

    async fn record_failure(&self, key: &str, now: DateTime<Utc>) -> Result<Attempts> {
        let client = self.client().await?;
        let row = client
            .query_one(
                "INSERT INTO sign_in_failures (key, failures, last_failure_at) VALUES ($1, 1, $2)
                 ON CONFLICT (key) DO UPDATE
                     SET failures = sign_in_failures.failures + 1, last_failure_at = excluded.last_failure_at
                 RETURNING failures",
                &[&key, &now],
            )
            .await?;
        Ok(Attempts { failures: row.get::<_, i32>(0) as u32, last_failure: Some(now) })
    }

    async fn clear_failures(&self, key: &str) -> Result<()> {
        self.client().await?.execute(sql::attempts::CLEAR, &[&key]).await?;
        Ok(())
    }

    async fn prune_failures(&self, before: DateTime<Utc>) -> Result<u64> {
        Ok(self.client().await?.execute(sql::attempts::PRUNE, &[&before]).await?)
    }
}

#[async_trait]
impl Database for PgStore {
    async fn health(&self) -> Result<DbHealth> {
        let client = self.client().await?;
        let schema: i32 =
            client.query_one("SELECT coalesce(max(version), 0) FROM schema_migrations", &[]).await?.get(0);
        let s = self.pool.status();
        let n = |v: usize| u32::try_from(v).unwrap_or(u32::MAX);
        let pool = PoolStatus { open: n(s.size), max: n(s.max_size), idle: n(s.available), waiting: n(s.waiting) };
        Ok(DbHealth { backend: "postgres", schema: schema as u32, pool })
    }
}

#[cfg(test)]
mod tests {
    use tiyan_core::ledger::{LedgerState, Outcome};
    use tiyan_storage::predicate;

    /// The rollups' triggers spell core's rules out (a migration is static):
    /// they must spell them as `predicate` does today.
    #[test]
    fn rollup_rules_are_core_s() {
        let sql = include_str!("../migrations/0007_rollups.sql");
        for fragment in [
            predicate::bad(""),
            predicate::bad("r."),
            predicate::rectified("l.outcome"),
            format!("l.outcome = '{}'", Outcome::Explained.as_str()),
            format!("l.state = '{}'", LedgerState::Excluded.as_str()),
        ] {
            assert!(sql.contains(&fragment), "0007_rollups.sql does not say {fragment}");
        }
    }
}
