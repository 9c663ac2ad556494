//! What storage answers when it cannot do what was asked: the facts a backend
//! knows (not found, a conflict, a stale version, the database down), never
//! HTTP and never words for a person. The services turn these into their own
//! errors; what the database said stays in `Backend`/`Unavailable` for the log.
//!
//! The conversions from the drivers' errors sit here, each behind the feature
//! its backend turns on, because the rule that `?` on a driver call gives a
//! storage error needs the impl beside one of the two types (Rust's orphan
//! rule); the traits themselves name no driver.

use tiyan_core::enrolment::CodeRefusal;
use tiyan_core::intake::RecordRefused;
use tiyan_core::sync::{ChunkError, PageError};
use uuid::Uuid;

pub type Result<T, E = Error> = std::result::Result<T, E>;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{0} not found")]
    NotFound(String),
    #[error("record {id} exists with other content")]
    Conflict { id: Uuid },
    #[error(transparent)]
    Page(#[from] PageError),
    #[error("request {0} was already served")]
    Replayed(Uuid),
    #[error(transparent)]
    Code(#[from] CodeRefusal),
    #[error(transparent)]
    Chunk(#[from] ChunkError),
    #[error("the photo's bytes do not match its SHA-256: send it again")]
    PhotoMismatch,
    #[error(transparent)]
    Rejected(#[from] RecordRefused),
    /// Someone else changed the row since it was read.
    #[error("the item changed meanwhile: look at it again")]
    Stale,
    /// An account's login is unique.
    #[error("the login {0} is taken")]
    LoginTaken(String),
    /// An account names a hall the reference data does not hold.
    #[error("hall {0} is not in the reference data")]
    UnknownHall(String),
    /// The settings the store was opened with cannot be used (a malformed URL).
    #[error("{0}")]
    Config(String),
    #[error("the database was written by a newer tiyan-server (schema {found}, this one knows {known})")]
    SchemaTooNew { found: i64, known: usize },
    /// The database cannot be reached (down, refusing, timing out).
    #[error("the database is unavailable: {0}")]
    Unavailable(String),
    /// Anything else the database said; for the log only.
    #[error("database: {0}")]
    Backend(String),
    #[error("internal: {0}")]
    Internal(String),
}

#[cfg(feature = "sqlite")]
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

#[cfg(feature = "sqlite")]
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

#[cfg(feature = "postgres")]
impl From<tokio_postgres::Error> for Error {
    fn from(e: tokio_postgres::Error) -> Self {
        match e.as_db_error() {
            // The database answered: a constraint, a type, a bug of ours.
            Some(db) => Error::Backend(format!("{}: {}", db.code().code(), db.message())),
            // No answer: the connection failed or closed.
            None => Error::Unavailable(e.to_string()),
        }
    }
}

#[cfg(feature = "postgres")]
impl From<deadpool_postgres::PoolError> for Error {
    fn from(e: deadpool_postgres::PoolError) -> Self {
        match e {
            deadpool_postgres::PoolError::Backend(e) => e.into(),
            other => Error::Unavailable(other.to_string()),
        }
    }
}
