//! Opens the backend a location names: the server binary is where the choice
//! between the two is made, so that the services know only the traits.

use std::sync::Arc;

use std::path::Path;

use tiyan_storage::{BackupInfo, Location, Result, Storage};
use tiyan_storage_postgres::PgStore;
use tiyan_storage_sqlite::SqliteStore;

/// Opens (creating and migrating if need be) the store at `location`: a
/// SQLite file path or a `postgres://` URL.
pub async fn open(location: &Location) -> Result<Arc<dyn Storage>> {
    Ok(match location {
        Location::Sqlite(path) => Arc::new(SqliteStore::open(path).await?),
        Location::Postgres(url) => Arc::new(PgStore::open(url).await?),
    })
}

/// A checked backup of the store at `location` written to `out`, while
/// servers may be serving: SQLite's `VACUUM INTO`, or `pg_dump --format=custom`.
pub async fn backup(location: &Location, out: &Path) -> Result<BackupInfo> {
    match location {
        Location::Sqlite(path) => {
            let (path, out) = (path.clone(), out.to_path_buf());
            tokio::task::spawn_blocking(move || tiyan_storage_sqlite::backup::backup(&path, &out))
                .await
                .map_err(|e| tiyan_storage::Error::Backend(e.to_string()))?
        }
        Location::Postgres(url) => tiyan_storage_postgres::backup::backup(url, out).await,
    }
}

/// Puts the backup `from` in the place of the (stopped) store at `location`;
/// on SQLite the replaced file is kept beside it, and its name returned.
pub async fn restore(
    location: &Location,
    from: &Path,
    replace: bool,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<(BackupInfo, Option<std::path::PathBuf>)> {
    match location {
        Location::Sqlite(path) => {
            let (path, from) = (path.clone(), from.to_path_buf());
            let stamp = now.format("%Y%m%dT%H%M%SZ").to_string();
            tokio::task::spawn_blocking(move || tiyan_storage_sqlite::backup::restore(&from, &path, &stamp))
                .await
                .map_err(|e| tiyan_storage::Error::Backend(e.to_string()))?
        }
        Location::Postgres(url) => Ok((tiyan_storage_postgres::backup::restore(from, url, replace).await?, None)),
    }
}
