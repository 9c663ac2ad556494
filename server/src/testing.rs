//! For tests (the `testing` feature): a fresh database on either backend, and
//! a macro that runs one test body on both, so that no rule is tested on one
//! backend only. PostgreSQL comes from `TIYAN_TEST_PG_URL` (scripts/test.sh
//! starts a throwaway cluster and sets it); without it a PostgreSQL test fails
//! and says why, it never passes silently.

use std::sync::Arc;

use tiyan_storage::{Location, Storage};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// A database that exists for one test: a SQLite file in a temporary folder,
/// or a PostgreSQL database created on the test server and dropped after.
pub struct TestDb {
    pub location: Location,
    pub dir: tempfile::TempDir,
    postgres: Option<(String, String)>,
}

/// The PostgreSQL server tests run against.
pub fn admin_url() -> String {
    std::env::var("TIYAN_TEST_PG_URL").unwrap_or_else(|_| {
        panic!(
            "TIYAN_TEST_PG_URL is not set: run the tests with `bash scripts/test.sh` (it starts a throwaway \
             PostgreSQL), or point TIYAN_TEST_PG_URL at a PostgreSQL server (postgres://user@host:port/postgres)"
        )
    })
}

/// `url` with its database name replaced by `database`.
pub fn with_database(url: &str, database: &str) -> String {
    let (base, query) = url.split_once('?').map_or((url, None), |(b, q)| (b, Some(q)));
    let (scheme, rest) = base.split_once("://").unwrap_or(("postgres", base));
    let authority = rest.split_once('/').map_or(rest, |(a, _)| a);
    let mut out = format!("{scheme}://{authority}/{database}");
    if let Some(q) = query {
        out.push('?');
        out.push_str(q);
    }
    out
}

/// A plain connection to `url` (for setting up and checking, outside the store).
pub async fn connect(url: &str) -> tokio_postgres::Client {
    let (client, connection) = tokio_postgres::connect(url, tokio_postgres::NoTls)
        .await
        .unwrap_or_else(|e| panic!("cannot reach the test PostgreSQL at {}: {e}", Location::parse(url)));
    tokio::spawn(connection);
    client
}

impl TestDb {
    /// In the system's temporary folder, on `TIYAN_TEST_PG_URL`'s server.
    pub async fn new(backend: Backend) -> TestDb {
        TestDb::create(backend, None, None).await
    }

    /// In a folder under `base` (a real disk, for benchmarks), and on the
    /// PostgreSQL server at `admin` when given.
    pub async fn create(backend: Backend, base: Option<&std::path::Path>, admin: Option<&str>) -> TestDb {
        let dir = match base {
            Some(base) => tempfile::tempdir_in(base),
            None => tempfile::tempdir(),
        }
        .expect("a temporary folder");
        match backend {
            Backend::Sqlite => TestDb { location: Location::Sqlite(dir.path().join("server.db")), dir, postgres: None },
            Backend::Postgres => {
                let admin = admin.map_or_else(admin_url, str::to_string);
                let name = format!("tiyan_test_{}", uuid::Uuid::now_v7().simple());
                connect(&admin)
                    .await
                    .batch_execute(&format!("CREATE DATABASE {name}"))
                    .await
                    .unwrap_or_else(|e| panic!("cannot create a test database: {e}"));
                TestDb {
                    location: Location::Postgres(with_database(&admin, &name)),
                    dir,
                    postgres: Some((admin, name)),
                }
            }
        }
    }

    pub async fn open(&self) -> Arc<dyn Storage> {
        crate::database::open(&self.location).await.unwrap_or_else(|e| panic!("opening the {}: {e}", self.location))
    }

    /// Runs SQL straight on the database, as an older server or an intruder with
    /// access to the file would (tests of what storage does with such rows).
    pub async fn execute(&self, sql: &str) {
        match &self.location {
            Location::Sqlite(path) => {
                let conn = rusqlite::Connection::open(path).expect("open the SQLite file");
                conn.execute_batch(sql).unwrap_or_else(|e| panic!("{sql}: {e}"));
            }
            Location::Postgres(url) => {
                connect(url).await.batch_execute(sql).await.unwrap_or_else(|e| panic!("{sql}: {e}"));
            }
        }
    }

    /// What `tiyan-server --db` takes for this database.
    pub fn arg(&self) -> String {
        match &self.location {
            Location::Sqlite(path) => path.display().to_string(),
            Location::Postgres(url) => url.clone(),
        }
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let Some((admin, name)) = self.postgres.take() else { return };
        // Drop runs inside the test's runtime: the database goes on a thread of its own.
        let dropped = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().ok()?;
            runtime.block_on(async {
                let (client, connection) = tokio_postgres::connect(&admin, tokio_postgres::NoTls).await.ok()?;
                tokio::spawn(connection);
                client.batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).await.ok()
            })
        });
        let _ = dropped.join();
    }
}

/// What a test body returns: nothing (it asserts), or a `Result` whose error fails the test.
pub trait Outcome {
    fn check(self);
}

impl Outcome for () {
    fn check(self) {}
}

impl<E: std::fmt::Debug> Outcome for Result<(), E> {
    fn check(self) {
        if let Err(e) = self {
            panic!("{e:?}");
        }
    }
}

/// Runs each named `async fn(Backend)` as two tests, `sqlite::NAME` and
/// `postgres::NAME`, on a multi-threaded runtime.
#[macro_export]
macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    $crate::testing::Outcome::check(super::$name($crate::testing::Backend::Sqlite).await)
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    $crate::testing::Outcome::check(super::$name($crate::testing::Backend::Postgres).await)
                }
            )*
        }
    };
}
