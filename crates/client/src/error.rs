//! One error type for the device side. Each variant has a stable `code` that the
//! UI switches on to pick a message from its catalogue; the `Display` text is for
//! logs and for people reading a CLI.

use std::path::PathBuf;

use chrono::{DateTime, Utc};
use tiyan_core::{
    case_no::CaseNoError, diary::DiaryIssue, pin::PinFormatError, rating::RatingError, reference::ReferenceError,
    settings::SettingsError,
};

pub type Result<T, E = Error> = std::result::Result<T, E>;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("the kiosk is not set up yet")]
    NotSetUp,
    #[error("no reference data has been imported yet")]
    NoReferenceData,
    #[error("nobody is signed in at this window")]
    WindowClosed,
    #[error("case {0} has already been rated")]
    CaseAlreadyRated(String),
    #[error("invalid case number: {0}")]
    CaseNo(#[from] CaseNoError),
    #[error("invalid rating: {0}")]
    Rating(#[from] RatingError),
    #[error("invalid PIN: {0}")]
    PinFormat(#[from] PinFormatError),
    #[error("wrong PIN ({failures} failed attempts in a row)")]
    WrongPin { failures: u32, retry_at: Option<DateTime<Utc>>, locked: bool },
    #[error("too many wrong PINs: try again after {until}")]
    PinLocked { until: DateTime<Utc> },
    #[error("wait until {until} before the next attempt")]
    PinWait { until: DateTime<Utc> },
    #[error("the administrator PIN is already set")]
    AdminPinAlreadySet,
    #[error("this needs the administrator PIN")]
    AdminLocked,
    #[error("unknown employee number or wrong PIN")]
    UnknownStaff,
    #[error("{0} belongs to another hall")]
    StaffOfOtherHall(String),
    #[error("window {0:?} is not in the reference data")]
    UnknownWindow(String),
    #[error("invalid reference data: {0}")]
    Reference(#[from] ReferenceError),
    #[error("cannot read reference data {path}: {reason}")]
    ReferenceFile { path: PathBuf, reason: String },
    #[error("the imported data is version {got}, older than the version {have} already here")]
    ReferenceOlder { have: i64, got: i64 },
    #[error("photo of staff {staff}: {reason}")]
    Photo { staff: String, reason: String },
    #[error("invalid settings: {0}")]
    Settings(#[from] SettingsError),
    #[error("the disk is full: nothing was saved")]
    DiskFull,
    #[error("the database at {path} was written by a newer Tiyan (schema {found}, this one knows {known})")]
    SchemaTooNew { path: PathBuf, found: i64, known: usize },
    #[error("{context}: {source}")]
    Io { context: String, source: std::io::Error },
    #[error("database: {0}")]
    Db(rusqlite::Error),
    #[error("database migration: {0}")]
    Migration(#[from] rusqlite_migration::Error),
    #[error("stored data is damaged: {0}")]
    Corrupt(String),
    #[error("no such diary entry for this officer")]
    UnknownEntry,
    #[error("no such photo")]
    UnknownPhoto,
    #[error("the photo was refused: {0}")]
    PhotoRefused(String),
    #[error("the entry cannot be submitted yet: {}", .0.iter().map(|i| i.to_string()).collect::<Vec<_>>().join("; "))]
    DiaryIncomplete(Vec<DiaryIssue>),
    #[error("the first sign-in of an officer on this laptop needs the server")]
    OfficerNeedsServer,
    #[error("the officer's appointment is not in force today")]
    OfficerNotAppointed,
    #[error("this device is not an officer laptop")]
    NotOfficerDevice,
    #[error("the ledger has no reply to answer on this problem (or it was answered already)")]
    NothingToAnswer,
}

impl From<rusqlite::Error> for Error {
    fn from(e: rusqlite::Error) -> Self {
        if e.sqlite_error_code() == Some(rusqlite::ErrorCode::DiskFull) { Error::DiskFull } else { Error::Db(e) }
    }
}

impl From<tiyan_infra::sqlite::DbError> for Error {
    fn from(e: tiyan_infra::sqlite::DbError) -> Self {
        use tiyan_infra::sqlite::DbError;
        match e {
            DbError::SchemaTooNew { path, found, known } => Error::SchemaTooNew { path, found, known },
            DbError::NoWal(mode) => Error::Corrupt(format!("the database refused WAL mode (got {mode})")),
            DbError::Io { context, source } => Error::Io { context, source },
            DbError::Sqlite(e) => Error::from(e),
            DbError::Migration(e) => Error::Migration(e),
        }
    }
}

impl From<tiyan_infra::secret::SecretError> for Error {
    fn from(e: tiyan_infra::secret::SecretError) -> Self {
        Error::Corrupt(e.to_string())
    }
}

impl Error {
    pub fn io(context: impl Into<String>) -> impl FnOnce(std::io::Error) -> Error {
        let context = context.into();
        move |source| Error::Io { context, source }
    }

    /// The stable code the UI's message catalogue is keyed by.
    pub fn code(&self) -> &'static str {
        match self {
            Error::NotSetUp => "not_set_up",
            Error::NoReferenceData => "no_reference_data",
            Error::WindowClosed => "window_closed",
            Error::CaseAlreadyRated(_) => "case_already_rated",
            Error::CaseNo(_) => "invalid_case_no",
            Error::Rating(RatingError::ReasonRequired) => "reason_required",
            Error::Rating(RatingError::PhoneWithoutConsent) => "phone_without_consent",
            Error::Rating(RatingError::InvalidPhone) => "invalid_phone",
            Error::Rating(RatingError::CommentTooLong) => "comment_too_long",
            Error::Rating(_) => "invalid_rating",
            Error::PinFormat(PinFormatError::Trivial) => "pin_trivial",
            Error::PinFormat(_) => "pin_format",
            Error::WrongPin { .. } => "wrong_pin",
            Error::PinLocked { .. } => "pin_locked",
            Error::PinWait { .. } => "pin_wait",
            Error::AdminPinAlreadySet => "admin_pin_already_set",
            Error::AdminLocked => "admin_locked",
            Error::UnknownStaff => "unknown_staff",
            Error::StaffOfOtherHall(_) => "staff_other_hall",
            Error::UnknownWindow(_) => "unknown_window",
            Error::Reference(_) | Error::ReferenceFile { .. } | Error::Photo { .. } => "invalid_reference",
            Error::ReferenceOlder { .. } => "reference_older",
            Error::Settings(_) => "invalid_settings",
            Error::DiskFull => "disk_full",
            Error::SchemaTooNew { .. } => "schema_too_new",
            Error::Io { .. } => "io",
            Error::Db(_) | Error::Migration(_) | Error::Corrupt(_) => "storage",
            Error::UnknownEntry => "unknown_entry",
            Error::UnknownPhoto => "unknown_photo",
            Error::PhotoRefused(_) => "photo_refused",
            Error::DiaryIncomplete(_) => "diary_incomplete",
            Error::OfficerNeedsServer => "officer_needs_server",
            Error::OfficerNotAppointed => "officer_not_appointed",
            Error::NotOfficerDevice => "not_officer_device",
            Error::NothingToAnswer => "nothing_to_answer",
        }
    }
}
