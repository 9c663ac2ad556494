//! Opens the backend a location names: the server binary is where the choice
//! between the two is made, so that the services know only the traits.

use std::sync::Arc;

use tiyan_storage::{Location, Result, Storage};
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
