//! What a flow answers when it refuses or fails: the request, the rules, the
//! database. No HTTP here: the server's routes give each a status and the
//! protocol's code (`tiyan-server`'s `error.rs`), its pages words from the
//! catalogue. What the database said stays in the log, never in an answer.

use chrono::{DateTime, Utc};
use tiyan_core::enrolment::CodeRefusal;
use tiyan_core::intake::RecordRefused;
use tiyan_core::ledger::StepError;
use tiyan_core::protocol::{MAX_BODY_BYTES, PROTOCOL_VERSION};
use tiyan_core::reference::ReferenceError;
use tiyan_core::sync::{ChunkError, PageError};
use uuid::Uuid;

pub type Result<T, E = Error> = std::result::Result<T, E>;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    // --- the request itself ---
    #[error("{0}")]
    Malformed(String),
    #[error("this server speaks protocol {PROTOCOL_VERSION}; the device speaks {0}: update the device")]
    IncompatibleProtocol(u32),
    #[error("the request is larger than {MAX_BODY_BYTES} bytes")]
    BodyTooLarge,
    #[error("{0}")]
    TooLarge(String),
    #[error("{0}")]
    Unauthenticated(String),
    #[error("this device was revoked by the administrator")]
    DeviceRevoked,
    #[error("{0}")]
    Forbidden(String),
    #[error("no such endpoint")]
    NoEndpoint,

    // --- what the rules decided ---
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
    #[error("wrong password")]
    WrongPassword,
    #[error("too many wrong passwords: try again after {until}")]
    Locked { until: DateTime<Utc> },
    #[error("the officer's appointment does not include today")]
    NotAppointed,
    /// What a person entered that cannot be taken; each has words in both languages.
    #[error(transparent)]
    Invalid(#[from] Invalid),
    #[error(transparent)]
    Step(#[from] StepError),
    /// Someone else changed the item since the person saw it.
    #[error("the item changed meanwhile: look at it again")]
    Stale,

    // --- the database ---
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

/// Input refused, by kind: the API answers its English words, the admin web
/// shows its words from the catalogue (`admin::texts`) in the reader's language.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Invalid {
    #[error("a note has at most 2000 characters")]
    NoteTooLong,
    #[error("an item cannot be linked with itself")]
    LinkSelf,
    #[error("the published data covers 2004 to 2026, not {0}")]
    RegistryYear(i32),
    #[error("not a calendar in holiday-cn's format")]
    CalendarFile,
    #[error("year {0} is out of range")]
    Year(i32),
    #[error("the file names no holiday of {0}")]
    NoHolidays(i32),
    #[error(transparent)]
    Reference(#[from] ReferenceError),
    #[error("a password for officer {0}, who is not in the data")]
    OfficerUnknown(String),
    #[error("a password has at least 10 characters")]
    PasswordTooShort,
    #[error("a password of digits only is too easy to guess")]
    PasswordDigitsOnly,
    #[error("the two passwords differ")]
    PasswordsDiffer,
    #[error("a login has 2 to 40 letters, digits, '.', '-' or '_'")]
    Login,
    #[error("the login {0} is taken")]
    LoginTaken(String),
    #[error(
        "a supervisor is placed over a region or everything, a clerk in a hall, an administrator or a viewer in either"
    )]
    HallForRole,
    #[error("hall {0} is not in the reference data")]
    UnknownHall(String),
    #[error("region {0} is not in the reference data")]
    UnknownRegion(String),
    #[error(transparent)]
    Division(#[from] tiyan_core::region::BadDivision),
    #[error("window {0} is not in the hall")]
    UnknownWindow(String),
    #[error("a name has 1 to 40 characters")]
    Name,
    #[error("an account cannot change its own role or standing")]
    OwnAccount,
    #[error("a PIN has 4 to 12 digits")]
    Pin,
    #[error("{0} must be filled in")]
    Required(&'static str),
    #[error("{0} is not a valid value")]
    Value(&'static str),
    #[error("the photo is not a readable JPEG, PNG or WebP image")]
    Photo,
    #[error("a limit is 1 to 60 working days")]
    Limit,
    #[error("a code is valid for 1 to 720 hours")]
    Hours,
    #[error("{0}")]
    Config(String),
    #[error(transparent)]
    Method(#[from] tiyan_core::assessment::MethodError),
    #[error("a month can be closed only once it is over")]
    MonthNotOver,
    #[error(
        "the minimum is 1 to 1000 ratings, opening before closing, silence 5 to 1440 minutes, the alert 1 to 240 minutes, 1 to 1000 ratings and 1 to 100%, the rating rate 1 to 100%"
    )]
    FigureSettings,
    #[error(transparent)]
    KioskPolicy(#[from] tiyan_core::settings::PolicyError),
}

impl Error {
    pub fn internal(cause: impl std::fmt::Display) -> Self {
        Error::Internal(cause.to_string())
    }
}

impl From<tiyan_core::ledger::StepRefusal> for Error {
    fn from(e: tiyan_core::ledger::StepRefusal) -> Self {
        match e {
            tiyan_core::ledger::StepRefusal::Stale => Error::Stale,
            tiyan_core::ledger::StepRefusal::Step(e) => Error::Step(e),
        }
    }
}

impl From<tiyan_storage::Error> for Error {
    fn from(e: tiyan_storage::Error) -> Self {
        use tiyan_storage::Error as S;
        match e {
            S::NotFound(what) => Error::NotFound(what),
            S::Conflict { id } => Error::Conflict { id },
            S::Page(e) => Error::Page(e),
            S::Replayed(id) => Error::Replayed(id),
            S::Code(e) => Error::Code(e),
            S::Chunk(e) => Error::Chunk(e),
            S::PhotoMismatch => Error::PhotoMismatch,
            S::Rejected(e) => Error::Rejected(e),
            S::Stale => Error::Stale,
            S::LoginTaken(login) => Error::Invalid(Invalid::LoginTaken(login)),
            S::UnknownHall(hall) => Error::Invalid(Invalid::UnknownHall(hall)),
            S::Config(words) => Error::Invalid(Invalid::Config(words)),
            S::SchemaTooNew { found, known } => Error::SchemaTooNew { found, known },
            S::Unavailable(cause) => Error::Unavailable(cause),
            S::Backend(cause) => Error::Backend(cause),
            S::Internal(cause) => Error::Internal(cause),
        }
    }
}
