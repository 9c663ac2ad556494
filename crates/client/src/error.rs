//! One error type for the device side. Each variant has a stable `code` that the
//! UI switches on to pick a message from its catalogue; the `Display` text is for
//! logs and for people reading a CLI.

use std::path::PathBuf;

use chrono::{DateTime, Utc};
use tiyan_core::{
    case_no::CaseNoError, diary::DiaryIssue, error_code::ErrorCode, pin::PinFormatError, rating::RatingError,
    reference::ReferenceError, settings::SettingsError,
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
    #[error("no officer is signed in")]
    OfficerSignedOut,
    #[error("the server's address is not usable: {0}")]
    InvalidServer(String),
    #[error("the window is paused: no rating until it is resumed")]
    WindowPaused,
    #[error("the hall is closed: the kiosk takes a rating only for a case the window opened")]
    HallClosed,
    #[error("the kiosk is being set up or administered: no request from the window now")]
    LinkBusy,
    #[error("this request id was used before for another request")]
    RequestReused,
    #[error("the {0} is too long or holds a control character")]
    LinkField(&'static str),
    #[error("the request is not what the window link takes: {0}")]
    LinkMalformed(String),
    #[error("no such request of the window link")]
    LinkNotFound,
    #[error("the request is larger than the window link takes")]
    LinkTooLarge,
    #[error("the request does not carry the kiosk's token")]
    LinkUnauthorized,
    #[error("the request came from an address the administrator did not allow")]
    LinkSourceRefused,
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
    pub fn code(&self) -> ErrorCode {
        match self {
            Error::NotSetUp => ErrorCode::NotSetUp,
            Error::NoReferenceData => ErrorCode::NoReferenceData,
            Error::WindowClosed => ErrorCode::WindowClosed,
            Error::CaseAlreadyRated(_) => ErrorCode::CaseAlreadyRated,
            Error::CaseNo(_) => ErrorCode::InvalidCaseNo,
            Error::Rating(RatingError::ReasonRequired) => ErrorCode::ReasonRequired,
            Error::Rating(RatingError::PhoneWithoutConsent) => ErrorCode::PhoneWithoutConsent,
            Error::Rating(RatingError::InvalidPhone) => ErrorCode::InvalidPhone,
            Error::Rating(RatingError::CommentTooLong) => ErrorCode::CommentTooLong,
            Error::Rating(_) => ErrorCode::InvalidRating,
            Error::PinFormat(PinFormatError::Trivial) => ErrorCode::PinTrivial,
            Error::PinFormat(_) => ErrorCode::PinFormat,
            Error::WrongPin { .. } => ErrorCode::WrongPin,
            Error::PinLocked { .. } => ErrorCode::PinLocked,
            Error::PinWait { .. } => ErrorCode::PinWait,
            Error::AdminPinAlreadySet => ErrorCode::AdminPinAlreadySet,
            Error::AdminLocked => ErrorCode::AdminLocked,
            Error::UnknownStaff => ErrorCode::UnknownStaff,
            Error::StaffOfOtherHall(_) => ErrorCode::StaffOtherHall,
            Error::UnknownWindow(_) => ErrorCode::UnknownWindow,
            Error::Reference(_) | Error::ReferenceFile { .. } | Error::Photo { .. } => ErrorCode::InvalidReference,
            Error::ReferenceOlder { .. } => ErrorCode::ReferenceOlder,
            Error::Settings(_) => ErrorCode::InvalidSettings,
            Error::DiskFull => ErrorCode::DiskFull,
            Error::SchemaTooNew { .. } => ErrorCode::SchemaTooNew,
            Error::Io { .. } => ErrorCode::Io,
            Error::Db(_) | Error::Migration(_) | Error::Corrupt(_) => ErrorCode::Storage,
            Error::UnknownEntry => ErrorCode::UnknownEntry,
            Error::UnknownPhoto => ErrorCode::UnknownPhoto,
            Error::PhotoRefused(_) => ErrorCode::PhotoRefused,
            Error::DiaryIncomplete(_) => ErrorCode::DiaryIncomplete,
            Error::OfficerNeedsServer => ErrorCode::OfficerNeedsServer,
            Error::OfficerNotAppointed => ErrorCode::OfficerNotAppointed,
            Error::NotOfficerDevice => ErrorCode::NotOfficerDevice,
            Error::NothingToAnswer => ErrorCode::NothingToAnswer,
            Error::OfficerSignedOut => ErrorCode::OfficerSignedOut,
            Error::InvalidServer(_) => ErrorCode::InvalidServer,
            Error::WindowPaused => ErrorCode::WindowPaused,
            Error::HallClosed => ErrorCode::HallClosed,
            Error::LinkBusy => ErrorCode::LinkBusy,
            Error::RequestReused => ErrorCode::RequestReused,
            Error::LinkField(_) | Error::LinkMalformed(_) => ErrorCode::Malformed,
            Error::LinkNotFound => ErrorCode::NotFound,
            Error::LinkTooLarge => ErrorCode::TooLarge,
            Error::LinkUnauthorized => ErrorCode::LinkUnauthorized,
            Error::LinkSourceRefused => ErrorCode::LinkSourceRefused,
        }
    }
}
