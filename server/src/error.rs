//! How the device API answers a refusal or a failure: each of the services'
//! errors with a status and the protocol's stable code, in the envelope, in
//! plain words. What the database said stays in the log, never in a response.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use tiyan_core::enrolment::CodeRefusal;
use tiyan_core::ledger::StepError;
use tiyan_core::protocol::{ApiError, ErrorCode};
use tiyan_core::sync::{ChunkError, PageError};
pub use tiyan_services::{Error, Invalid};

use crate::envelope;

/// A services' error on its way out as an HTTP answer (the device API's, and
/// the request extractors'). A newtype because the error is the services'
/// crate's and the response trait axum's.
#[derive(Debug)]
pub struct HttpError(pub Error);

pub type Result<T, E = HttpError> = std::result::Result<T, E>;

impl<E: Into<Error>> From<E> for HttpError {
    fn from(e: E) -> Self {
        HttpError(e.into())
    }
}

/// The status and the protocol's code this error is answered with.
pub fn status(error: &Error) -> (StatusCode, ErrorCode) {
    use {ErrorCode as C, StatusCode as S};
    match error {
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
        Error::SchemaTooNew { .. } | Error::Backend(_) | Error::Internal(_) => (S::INTERNAL_SERVER_ERROR, C::Internal),
    }
}

impl IntoResponse for HttpError {
    fn into_response(self) -> Response {
        let HttpError(error) = self;
        let (status, code) = status(&error);
        let message = match &error {
            Error::Unavailable(cause) => {
                tracing::error!(%cause, "database unavailable");
                "the server cannot reach its database just now; try again shortly".to_string()
            }
            Error::SchemaTooNew { .. } | Error::Backend(_) | Error::Internal(_) => {
                tracing::error!(cause = %error, "internal error");
                "internal error; see the server log".to_string()
            }
            other => other.to_string(),
        };
        let retry_at = match &error {
            Error::Locked { until } => Some(*until),
            _ => None,
        };
        (status, envelope::error(ApiError { code, message, retry_at })).into_response()
    }
}
