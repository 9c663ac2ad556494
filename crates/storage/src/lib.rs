//! The server's storage: traits split by area, each implemented by the embedded
//! SQLite backend and by the PostgreSQL backend. A backend only reads and
//! writes, in transactions; whatever decides something (does a page continue
//! the stream, may this code enrol, what does a chunk do) is a pure function in
//! `tiyan_core`, called by both backends alike. Errors name no driver, and no
//! row type that leaves this module carries a secret in a form that could be
//! serialised or printed.

pub mod accounts;
pub mod assessment;
#[cfg(feature = "conformance")]
pub mod conformance;
mod error;
pub mod ledger;
mod location;
pub mod predicate;
pub mod sql;
pub mod upward;

use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use tiyan_core::diary::DiaryRevision;
use tiyan_core::intake::Catalog;
use tiyan_core::protocol::{DeviceRole, LedgerItem, PhotoUploadState, RecordKind, Stream, Upload, UploadAck};
use tiyan_core::rating::Rating;
use tiyan_core::reference::{Officer, ReferenceData};
use uuid::Uuid;

pub use accounts::{Account, AccountStore, AuditEntry, AuditFilter, AuditRow, NewAccount, Session};
pub use assessment::{
    Alert, AssessmentStore, CaseTallyRow, Closing, DeviceReport, FigureSettings, FleetRow, LedgerTallyRow,
    OfficerProblems, RatingTallies, RevisionScore, TallyBy, TallyKind, TallyRow,
};
pub use ledger::{
    AppendEvent, CalendarDay, CalendarStore, CalendarYear, Dashboard, HallSettings, LedgerFilter, LedgerIntake,
    LedgerPage, LedgerRow, LedgerStore, NewItem, StoredEvent,
};
pub use location::Location;
pub use upward::{Delivery, OutboxKind, Outgoing, RefusedRecord, UpwardDay, UpwardStore, UpwardTarget};

pub use tiyan_infra::sha256_hex;

pub use error::{Error, Result};

/// A record the page sends again (its id and sequence number already taken):
/// a duplicate passes; a conflict (`tiyan_core::sync::resend`) is logged and
/// refuses the page.
pub fn resent<T: PartialEq>(held: Option<&T>, sent: &T, device: Uuid, id: Uuid, seq: u64) -> Result<()> {
    match tiyan_core::sync::resend(held, sent) {
        tiyan_core::sync::Resend::Duplicate => Ok(()),
        tiyan_core::sync::Resend::Conflict => {
            tracing::warn!(%device, %id, seq, "conflicting record refused");
            Err(Error::Conflict { id })
        }
    }
}

/// What is stored of a device's secret. Never serialised, never printed.
#[derive(Clone, PartialEq, Eq)]
pub enum StoredSecret {
    /// The SHA-256 of the 256-bit token the server handed out.
    Sha256([u8; 32]),
    /// An Argon2id hash made by an earlier version of the server; replaced by
    /// a SHA-256 at the device's first request after an upgrade.
    LegacyArgon2(String),
}

impl StoredSecret {
    /// Parses the column both backends keep it in: hex for a SHA-256, a PHC string for Argon2id.
    pub fn from_column(s: &str) -> Result<StoredSecret> {
        if s.starts_with("$argon2") {
            return Ok(StoredSecret::LegacyArgon2(s.to_string()));
        }
        let mut digest = [0u8; 32];
        hex::decode_to_slice(s, &mut digest).map_err(|_| Error::Backend("a device secret is unreadable".into()))?;
        Ok(StoredSecret::Sha256(digest))
    }
}

impl std::fmt::Debug for StoredSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("StoredSecret(..)")
    }
}

/// An officer's Argon2id password hash, as only the sign-in check sees it.
#[derive(Clone)]
pub struct PasswordHash(String);

impl PasswordHash {
    pub fn new(phc: String) -> Self {
        PasswordHash(phc)
    }

    pub fn phc(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for PasswordHash {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PasswordHash(..)")
    }
}

/// An enrolled device as the rest of the server sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Device {
    pub id: Uuid,
    pub name: String,
    pub role: DeviceRole,
    pub hall_id: String,
    pub window_id: Option<String>,
    pub enrolled_at: DateTime<Utc>,
    pub revoked_at: Option<DateTime<Utc>>,
    pub last_seen_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Serialize)]
pub struct DeviceSummary {
    pub device: Device,
    pub ratings: u64,
}

/// A new one-time enrolment code: only its SHA-256 is stored.
#[derive(Debug, Clone)]
pub struct NewCode {
    pub code_sha256: String,
    pub role: DeviceRole,
    pub hall_id: String,
    pub window_id: Option<String>,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

/// A device redeeming a code, with the SHA-256 of the secret it will be given.
#[derive(Debug, Clone)]
pub struct Enrolment {
    pub code_sha256: String,
    pub device_id: Uuid,
    pub name: String,
    pub secret_sha256: [u8; 32],
    pub expected: Option<DeviceRole>,
    pub now: DateTime<Utc>,
}

/// A page of records to store, already checked against the device and the
/// reference data. Cheap to clone: the service may try it again.
#[derive(Debug, Clone)]
pub struct IngestPage {
    pub device_id: Uuid,
    pub request_id: Uuid,
    pub upload: Arc<Upload>,
    pub received_at: DateTime<Utc>,
    /// The ledger items the page's bad reviews or problems make, and the
    /// officer's answers it carries, stored in the same transaction.
    pub ledger: Arc<LedgerIntake>,
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
    /// The halls asked for, within the account's scope (None: every hall).
    pub halls: Option<Vec<String>>,
    pub window_id: Option<String>,
    pub staff_id: Option<String>,
    /// The device's local dates, inclusive.
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
}

/// A diary revision as the server keeps it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StoredRevision {
    #[serde(flatten)]
    pub revision: DiaryRevision,
    pub received_at: DateTime<Utc>,
}

/// Reference data to store: already merged over what was there and validated.
#[derive(Debug, Clone)]
pub struct ReferenceImport {
    pub data: ReferenceData,
    /// SHA-256 of the merged data: the same again keeps the version.
    pub fingerprint: String,
    /// (sha256, bytes) of staff photos.
    pub photos: Vec<(String, Vec<u8>)>,
    /// (officer id, Argon2id hash) for officers whose password the import sets.
    pub passwords: Vec<(String, PasswordHash)>,
    pub basis: Basis,
}

/// The table of a kind of reference row and the column its rows are known
/// by: fixed names, never from a request.
pub fn reference_table(kind: tiyan_core::reference::Kind) -> (&'static str, &'static str) {
    use tiyan_core::reference::Kind;
    match kind {
        Kind::Region => ("regions", "code"),
        Kind::Hall => ("halls", "id"),
        Kind::Window => ("windows", "id"),
        Kind::Staff => ("staff", "id"),
        Kind::Reason => ("reasons", "code"),
        Kind::Matter => ("matters", "id"),
        Kind::Officer => ("officers", "id"),
    }
}

/// A change in the page to store: the one row, the halls whose kiosks hold it
/// (their version moves, so that only they pull), photos and a password it
/// brings, and the version it was made on.
#[derive(Debug, Clone)]
pub struct ReferenceEdit {
    pub change: tiyan_core::reference::Change,
    pub holders: tiyan_core::reference::Holders,
    pub photos: Vec<(String, Vec<u8>)>,
    pub passwords: Vec<(String, PasswordHash)>,
    /// The version the person saw: `Stale` when another is current by now.
    pub based_on: Option<i64>,
}

/// The halls whose version a change moves, as the backends' queries take them (None: every hall).
pub fn holders(h: &tiyan_core::reference::Holders) -> Option<&[String]> {
    match h {
        tiyan_core::reference::Holders::Every => None,
        tiyan_core::reference::Holders::Halls(halls) => Some(halls),
    }
}

/// What an import was made from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Basis {
    /// A file: written over whatever version is current.
    File,
    /// A change in the page to this version of the data (None: there was no
    /// data yet): refused as `Stale` if another version is current by now.
    Version(Option<i64>),
}

impl Basis {
    /// Whether the import may be written over `current`.
    pub fn admits(self, current: Option<i64>) -> bool {
        match self {
            Basis::File => true,
            Basis::Version(v) => tiyan_core::reference::edit_is_current(v, current),
        }
    }
}

#[derive(Debug, Clone)]
pub struct OfficerCredentials {
    pub officer: Officer,
    /// None: no password set yet (the officer cannot sign in).
    pub password: Option<PasswordHash>,
}

/// The chunk at `offset` of a `size`-byte diary photo.
#[derive(Debug, Clone)]
pub struct PhotoChunk {
    pub device_id: Uuid,
    pub sha256: String,
    pub offset: u64,
    pub size: u64,
    pub bytes: bytes::Bytes,
    pub now: DateTime<Utc>,
}

/// Consecutive failed attempts under one key (an officer, a client address).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Attempts {
    pub failures: u32,
    pub last_failure: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Serialize)]
pub struct DbHealth {
    pub backend: &'static str,
    pub schema: u32,
    /// For `/metrics` only: the health answer anybody may ask for says nothing of it.
    #[serde(skip)]
    pub pool: PoolStatus,
}

/// This process's connections to the database, for `/metrics`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct PoolStatus {
    /// Connections open now, and at most.
    pub open: u32,
    pub max: u32,
    /// Open and not in use.
    pub idle: u32,
    /// Requests waiting for a connection.
    pub waiting: u32,
}

/// See [`SyncStore::device_state`].
pub struct DeviceState {
    pub device: Device,
    pub secret: StoredSecret,
    pub streams: Vec<Stream>,
    pub reference_version: Option<i64>,
}

/// Every stream kind with how far `held` says it is held (0 when not yet).
pub fn streams_held(held: impl Fn(RecordKind) -> Option<u64>) -> Vec<Stream> {
    RecordKind::ALL.iter().map(|&kind| Stream { kind, through: held(kind).unwrap_or(0) }).collect()
}

/// Devices and their enrolment.
#[async_trait]
pub trait DeviceStore: Send + Sync {
    async fn create_code(&self, code: &NewCode) -> Result<()>;
    /// Uses up the code (checked by `tiyan_core::enrolment::check_code`) and
    /// enrols the device; a device enrolled again gets the new secret and is no
    /// longer revoked. Two redemptions of one code at once: one wins.
    async fn redeem_code(&self, enrolment: &Enrolment) -> Result<Device>;
    async fn device_credentials(&self, id: Uuid) -> Result<Option<(Device, StoredSecret)>>;
    async fn replace_secret(&self, id: Uuid, secret_sha256: [u8; 32]) -> Result<()>;
    async fn revoke(&self, id: Uuid, now: DateTime<Utc>) -> Result<()>;
    async fn devices(&self) -> Result<Vec<DeviceSummary>>;
}

/// The record streams devices upload.
#[async_trait]
pub trait SyncStore: Send + Sync {
    /// A device's state request in one read (the request every device makes
    /// first after an outage, so one trip to the database instead of three):
    /// the device with its secret, how far each of its streams is held, the
    /// reference version. `None` when no such device is enrolled. The service
    /// checks the secret before anything else of it is used.
    async fn device_state(&self, device: Uuid) -> Result<Option<DeviceState>>;
    /// Stores a page once, in one transaction: a replayed request id is
    /// refused, the page must continue the stream, a record already held with
    /// the same content is a no-op and with other content a conflict (and then
    /// nothing of the page is kept). The same page at two processes at once:
    /// stored once.
    async fn ingest(&self, page: &IngestPage) -> Result<UploadAck>;
    /// Forgets request ids seen before `before`; returns how many.
    async fn prune_seen_requests(&self, before: DateTime<Utc>) -> Result<u64>;
    async fn ratings(&self, filter: &RatingFilter) -> Result<Vec<StoredRating>>;
}

/// Reference data: halls, windows, staff, reasons, matters, officers.
#[async_trait]
pub trait ReferenceStore: Send + Sync {
    async fn reference_version(&self) -> Result<Option<i64>>;
    /// The current reference data, read in one transaction (never half of one
    /// version and half of the next); officers without any password hash.
    async fn reference(&self) -> Result<ReferenceData>;
    /// Writes an import; the same fingerprint again keeps the version. Every
    /// hall's version moves with it.
    async fn import_reference(&self, import: &ReferenceImport) -> Result<i64>;
    /// Writes one change made in the page (already checked against the whole
    /// data by the services) and returns the version now in force; the halls
    /// it names take that version, the others keep theirs.
    async fn edit_reference(&self, edit: &ReferenceEdit) -> Result<i64>;
    /// What a kiosk of `hall` holds (the hall, its windows and staff, the
    /// reasons) at the hall's own version, read in one transaction; no data
    /// when the kiosk holds that version already (`since`) or there is none.
    async fn hall_reference(&self, hall: &str, since: Option<i64>) -> Result<tiyan_core::protocol::ReferenceUpdate>;
    /// Every id a record may name, retired ones included, with the version read.
    async fn catalog(&self) -> Result<(Option<i64>, Catalog)>;
    async fn photo(&self, sha256: &str) -> Result<Option<Vec<u8>>>;
    /// An active officer and their password hash, for sign-in.
    async fn officer_credentials(&self, officer_id: &str) -> Result<Option<OfficerCredentials>>;
}

/// Officers' diaries: revisions, their photos, the ledger items of their problems.
#[async_trait]
pub trait DiaryStore: Send + Sync {
    /// How much of a diary photo this device has sent (complete: held, by anyone).
    async fn photo_upload_state(&self, device: Uuid, sha256: &str) -> Result<PhotoUploadState>;
    /// Takes a chunk as `tiyan_core::sync::chunk_step` says; the last one
    /// assembles the photo and keeps it only if its SHA-256 matches (else the
    /// chunks are dropped and the error is `PhotoMismatch`). Two chunks of one
    /// photo at once: each taken at most once, in order.
    async fn photo_chunk(&self, chunk: &PhotoChunk) -> Result<PhotoUploadState>;
    async fn diary_photo(&self, sha256: &str) -> Result<Option<Vec<u8>>>;
    /// The ledger items made from this device's diary problems, with their replies.
    async fn ledger_for_device(&self, device: Uuid) -> Result<Vec<LedgerItem>>;
    /// Every diary revision, by device and sequence number.
    async fn diary_revisions(&self) -> Result<Vec<StoredRevision>>;
    /// Drops photo uploads without a chunk since `before`; returns how many.
    async fn prune_photo_uploads(&self, before: DateTime<Utc>) -> Result<u64>;
}

/// Failed sign-in attempts, shared by every server process.
#[async_trait]
pub trait AttemptStore: Send + Sync {
    async fn attempts(&self, key: &str) -> Result<Attempts>;
    /// Counts one more failure at `now` (atomically) and returns the count.
    async fn record_failure(&self, key: &str, now: DateTime<Utc>) -> Result<Attempts>;
    async fn clear_failures(&self, key: &str) -> Result<()>;
    /// Forgets counts whose last failure was before `before`; returns how many.
    async fn prune_failures(&self, before: DateTime<Utc>) -> Result<u64>;
}

#[async_trait]
pub trait Database: Send + Sync {
    /// Answers only when the database does: the backend and its schema version.
    async fn health(&self) -> Result<DbHealth>;
}

/// Everything the server keeps, behind one handle.
pub trait Storage:
    DeviceStore
    + SyncStore
    + ReferenceStore
    + DiaryStore
    + AttemptStore
    + AccountStore
    + LedgerStore
    + CalendarStore
    + AssessmentStore
    + UpwardStore
    + Database
    + 'static
{
}

impl<T> Storage for T where
    T: DeviceStore
        + SyncStore
        + ReferenceStore
        + DiaryStore
        + AttemptStore
        + AccountStore
        + LedgerStore
        + CalendarStore
        + AssessmentStore
        + UpwardStore
        + Database
        + 'static
{
}

/// What a backup holds, as checked after writing it (or before restoring it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BackupInfo {
    /// The schema version it was written at.
    pub schema: u32,
    /// Ratings in it (None where the backend's format cannot say without restoring).
    pub ratings: Option<u64>,
    pub bytes: u64,
}
