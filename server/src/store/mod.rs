//! The server's storage, behind one interface so that a PostgreSQL backend can
//! sit beside the embedded SQLite one. Methods are blocking; handlers call them
//! on the blocking pool.

pub mod diary;
mod sqlite;

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use tiyan_core::protocol::{DeviceRole, LedgerItem, PhotoUploadState, Stream, Upload, UploadAck};
use tiyan_core::rating::Rating;
use tiyan_core::reference::{Officer, ReferenceData};
use uuid::Uuid;

pub use diary::StoredRevision;
pub use sqlite::SqliteStore;

/// Lower-case hex SHA-256, how photos and record contents are named.
pub fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(bytes))
}

pub type StoreResult<T> = Result<T, StoreError>;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("the enrolment code is unknown, used or expired")]
    InvalidCode,
    #[error("{0} not found")]
    NotFound(String),
    #[error("record {id} exists with other content")]
    Conflict { id: Uuid },
    #[error("the upload starts at {got}, but the server holds only up to {through}")]
    Gap { through: u64, got: u64 },
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    Malformed(String),
    #[error("request {0} was already served")]
    Replayed(Uuid),
    #[error("{0}")]
    Invalid(String),
    #[error("{0}")]
    TooLarge(String),
    #[error("the photo's bytes do not match its SHA-256: send it again")]
    PhotoMismatch,
    #[error("wrong password")]
    WrongPassword,
    #[error("this code enrols a {code:?} device, not a {expected:?}")]
    WrongRole { code: DeviceRole, expected: DeviceRole },
    #[error(transparent)]
    Db(#[from] tiyan_infra::sqlite::DbError),
}

impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> Self {
        StoreError::Db(e.into())
    }
}

/// An enrolled device as the server knows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Device {
    pub id: Uuid,
    pub name: String,
    pub role: DeviceRole,
    pub hall_id: String,
    pub window_id: Option<String>,
    pub secret_hash: String,
    pub enrolled_at: DateTime<Utc>,
    pub revoked_at: Option<DateTime<Utc>>,
    pub last_seen_at: Option<DateTime<Utc>>,
}

/// A new one-time enrolment code (only its hash is stored).
pub struct NewCode<'a> {
    pub code: &'a str,
    pub role: DeviceRole,
    pub hall_id: &'a str,
    pub window_id: Option<&'a str>,
    pub expires_at: DateTime<Utc>,
}

/// A rating as the server keeps it: the device's record and when it arrived.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StoredRating {
    #[serde(flatten)]
    pub rating: Rating,
    pub received_at: DateTime<Utc>,
    pub staff_name: Option<String>,
    pub employee_no: Option<String>,
    pub window_number: Option<String>,
}

/// What `export` selects; every field narrows, none set means everything.
#[derive(Debug, Clone, Default)]
pub struct RatingFilter {
    pub hall_id: Option<String>,
    pub window_id: Option<String>,
    pub staff_id: Option<String>,
    /// Device dates, inclusive.
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
}

#[derive(Debug, Clone, Serialize)]
pub struct DeviceSummary {
    pub device: Device,
    pub ratings: u64,
}

pub trait Storage: Send + Sync + 'static {
    fn create_code(&self, code: &NewCode<'_>, now: DateTime<Utc>) -> StoreResult<()>;
    /// Uses up `code` and enrols `device_id` with `secret_hash` (a device enrolled
    /// again gets the new secret and is no longer revoked).
    fn redeem_code(
        &self,
        code: &str,
        device_id: Uuid,
        name: &str,
        secret_hash: &str,
        expected: Option<DeviceRole>,
        now: DateTime<Utc>,
    ) -> StoreResult<Device>;
    fn device(&self, id: Uuid) -> StoreResult<Option<Device>>;
    fn revoke(&self, id: Uuid, now: DateTime<Utc>) -> StoreResult<()>;
    fn devices(&self) -> StoreResult<Vec<DeviceSummary>>;

    fn streams(&self, device: Uuid) -> StoreResult<Vec<Stream>>;
    /// Stores a page of records once: a record already held with the same content
    /// is a no-op, with other content a conflict (and nothing of the page is kept).
    fn ingest(&self, device: &Device, request_id: Uuid, upload: &Upload, now: DateTime<Utc>) -> StoreResult<UploadAck>;

    fn reference_version(&self) -> StoreResult<Option<i64>>;
    /// Replaces the reference data (sections left empty keep what is there) and
    /// returns the new version; an import that changes nothing keeps the version.
    fn import_reference(&self, data: &ReferenceData, photos: &[(String, Vec<u8>)]) -> StoreResult<i64>;
    fn reference(&self) -> StoreResult<ReferenceData>;
    fn photo(&self, sha256: &str) -> StoreResult<Option<Vec<u8>>>;

    fn ratings(&self, filter: &RatingFilter) -> StoreResult<Vec<StoredRating>>;

    /// How much of a diary photo this device has sent (complete: held, by anyone).
    fn photo_upload_state(&self, device: Uuid, sha256: &str) -> StoreResult<PhotoUploadState>;
    /// The next chunk of a diary photo; see [`diary::photo_chunk`].
    fn photo_chunk(
        &self,
        device: Uuid,
        sha256: &str,
        offset: u64,
        size: u64,
        chunk: &[u8],
        now: DateTime<Utc>,
    ) -> StoreResult<PhotoUploadState>;
    fn diary_photo(&self, sha256: &str) -> StoreResult<Option<Vec<u8>>>;
    /// The ledger items made from this device's diary problems.
    fn ledger_for_device(&self, device: Uuid) -> StoreResult<Vec<LedgerItem>>;
    /// Every diary revision, by device and sequence number.
    fn diary_revisions(&self) -> StoreResult<Vec<StoredRevision>>;
    /// An officer's profile (without the hash) when `password` is theirs.
    fn officer_sign_in(&self, officer_id: &str, password: &str) -> StoreResult<Officer>;
}
