//! The server's one error type. Storage, services and routes all speak it; a
//! response carries the protocol's envelope with a stable code and plain
//! words. What the database said stays in the log, never in a response.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use tiyan_core::enrolment::CodeRefusal;
use tiyan_core::intake::RecordRefused;
use tiyan_core::ledger::StepError;
use tiyan_core::protocol::{ApiError, ErrorCode, MAX_BODY_BYTES, PROTOCOL_VERSION};
use tiyan_core::reference::ReferenceError;
use tiyan_core::sync::{ChunkError, PageError};
use uuid::Uuid;

use crate::envelope;

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
    Step(#[from] tiyan_core::ledger::StepError),
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
    #[error("a supervisor belongs to no hall; every other account to one")]
    HallForRole,
    #[error("hall {0} is not in the reference data")]
    UnknownHall(String),
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
        "the minimum is 1 to 1000 ratings, opening before closing, silence 5 to 1440 minutes, the alert 1 to 240 minutes, 1 to 1000 ratings and 1 to 100%"
    )]
    FigureSettings,
}

impl Error {
    pub fn internal(cause: impl std::fmt::Display) -> Self {
        Error::Internal(cause.to_string())
    }

    /// The status and the protocol's code this error is answered with.
    pub fn status(&self) -> (StatusCode, ErrorCode) {
        use {ErrorCode as C, StatusCode as S};
        match self {
            Error::Malformed(_) | Error::Invalid(_) | Error::PhotoMismatch | Error::Chunk(ChunkError::PastTheEnd) => {
                (S::BAD_REQUEST, C::Malformed)
            }
            Error::Chunk(ChunkError::SizeChanged(_)) => (S::BAD_REQUEST, C::Malformed),
            Error::Page(PageError::Disorder) => (S::BAD_REQUEST, C::Malformed),
            Error::IncompatibleProtocol(_) => (S::BAD_REQUEST, C::IncompatibleProtocol),
            Error::BodyTooLarge | Error::TooLarge(_) | Error::Chunk(ChunkError::TooLarge { .. }) => {
                (S::PAYLOAD_TOO_LARGE, C::TooLarge)
            }
            Error::Unauthenticated(_) => (S::UNAUTHORIZED, C::Unauthenticated),
            Error::DeviceRevoked => (S::UNAUTHORIZED, C::DeviceRevoked),
            Error::Forbidden(_) | Error::Page(PageError::OtherDevice { .. }) => (S::FORBIDDEN, C::Forbidden),
            Error::NoEndpoint | Error::NotFound(_) => (S::NOT_FOUND, C::NotFound),
            Error::Conflict { .. } => (S::CONFLICT, C::Conflict),
            Error::Page(PageError::Gap { .. }) => (S::UNPROCESSABLE_ENTITY, C::Gap),
            Error::Replayed(_) => (S::CONFLICT, C::Replayed),
            Error::Code(CodeRefusal::Invalid) => (S::FORBIDDEN, C::InvalidCode),
            Error::Code(CodeRefusal::WrongRole { .. }) => (S::FORBIDDEN, C::WrongRole),
            Error::Rejected(_) => (S::UNPROCESSABLE_ENTITY, C::Rejected),
            Error::Step(StepError::NotAllowed { .. }) => (S::FORBIDDEN, C::Forbidden),
            Error::Step(StepError::EmptyReply) => (S::BAD_REQUEST, C::Malformed),
            Error::Step(StepError::NoRegistration) => (S::INTERNAL_SERVER_ERROR, C::Internal),
            Error::Step(_) | Error::Stale => (S::CONFLICT, C::Conflict),
            Error::WrongPassword => (S::FORBIDDEN, C::WrongPassword),
            Error::Locked { .. } => (S::TOO_MANY_REQUESTS, C::Locked),
            Error::NotAppointed => (S::FORBIDDEN, C::NotAppointed),
            Error::Unavailable(_) => (S::SERVICE_UNAVAILABLE, C::Unavailable),
            Error::SchemaTooNew { .. } | Error::Backend(_) | Error::Internal(_) => {
                (S::INTERNAL_SERVER_ERROR, C::Internal)
            }
        }
    }
}

impl IntoResponse for Error {
    fn into_response(self) -> Response {
        let (status, code) = self.status();
        let message = match &self {
            Error::Unavailable(cause) => {
                tracing::error!(%cause, "database unavailable");
                "the server cannot reach its database just now; try again shortly".to_string()
            }
            Error::SchemaTooNew { .. } | Error::Backend(_) | Error::Internal(_) => {
                tracing::error!(cause = %self, "internal error");
                "internal error; see the server log".to_string()
            }
            other => other.to_string(),
        };
        let retry_at = match &self {
            Error::Locked { until } => Some(*until),
            _ => None,
        };
        (status, envelope::error(ApiError { code, message, retry_at })).into_response()
    }
}
