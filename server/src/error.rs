//! One error type for the HTTP side: every failure is answered with the
//! protocol's envelope, a stable code and plain words. Internal causes are
//! logged here and never reach the body.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use tiyan_core::protocol::{ApiError, ErrorCode};

use crate::envelope;
use crate::store::StoreError;

#[derive(Debug)]
pub struct ApiFailure {
    pub status: StatusCode,
    pub code: ErrorCode,
    pub message: String,
}

impl ApiFailure {
    pub fn new(status: StatusCode, code: ErrorCode, message: impl Into<String>) -> Self {
        ApiFailure { status, code, message: message.into() }
    }

    pub fn unauthenticated(message: impl Into<String>) -> Self {
        ApiFailure::new(StatusCode::UNAUTHORIZED, ErrorCode::Unauthenticated, message)
    }

    pub fn malformed(message: impl Into<String>) -> Self {
        ApiFailure::new(StatusCode::BAD_REQUEST, ErrorCode::Malformed, message)
    }

    pub fn internal(cause: impl std::fmt::Display) -> Self {
        tracing::error!(%cause, "internal error");
        ApiFailure::new(StatusCode::INTERNAL_SERVER_ERROR, ErrorCode::Internal, "internal error; see the server log")
    }
}

impl From<StoreError> for ApiFailure {
    fn from(e: StoreError) -> Self {
        use StatusCode as S;
        match e {
            StoreError::InvalidCode => ApiFailure::new(S::FORBIDDEN, ErrorCode::InvalidCode, e.to_string()),
            StoreError::NotFound(_) => ApiFailure::new(S::NOT_FOUND, ErrorCode::NotFound, e.to_string()),
            StoreError::Conflict { .. } => ApiFailure::new(S::CONFLICT, ErrorCode::Conflict, e.to_string()),
            StoreError::Gap { .. } => ApiFailure::new(S::UNPROCESSABLE_ENTITY, ErrorCode::Gap, e.to_string()),
            StoreError::Forbidden(_) => ApiFailure::new(S::FORBIDDEN, ErrorCode::Forbidden, e.to_string()),
            StoreError::Malformed(_) | StoreError::Invalid(_) | StoreError::PhotoMismatch => {
                ApiFailure::malformed(e.to_string())
            }
            StoreError::TooLarge(_) => ApiFailure::new(S::PAYLOAD_TOO_LARGE, ErrorCode::TooLarge, e.to_string()),
            StoreError::WrongPassword => ApiFailure::new(S::FORBIDDEN, ErrorCode::WrongPassword, e.to_string()),
            StoreError::WrongRole { .. } => ApiFailure::new(S::FORBIDDEN, ErrorCode::WrongRole, e.to_string()),
            StoreError::Replayed(_) => ApiFailure::new(S::CONFLICT, ErrorCode::Replayed, e.to_string()),
            StoreError::Db(_) => ApiFailure::internal(e),
        }
    }
}

impl IntoResponse for ApiFailure {
    fn into_response(self) -> Response {
        let body = ApiError { code: self.code, message: self.message };
        (self.status, envelope::error(body)).into_response()
    }
}
