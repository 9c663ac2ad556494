//! Answers in the protocol's envelope, and request bodies read with our own
//! errors (axum's rejections would answer in plain text).

use axum::extract::{FromRequest, Request};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use chrono::Utc;
use serde::Serialize;
use serde::de::DeserializeOwned;
use tiyan_core::protocol::{ApiError, Envelope, PROTOCOL_VERSION, Reply};

use crate::error::{Error, HttpError};

fn json_response<T: Serialize>(envelope: &Envelope<T>) -> Response {
    match serde_json::to_vec(envelope) {
        Ok(bytes) => ([(header::CONTENT_TYPE, "application/json")], bytes).into_response(),
        Err(e) => {
            tracing::error!(%e, "cannot serialize an answer");
            axum::http::StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}

pub fn ok<T: Serialize>(body: T) -> Response {
    json_response(&Envelope { protocol: PROTOCOL_VERSION, server_time: Utc::now(), body: Reply::Ok(body) })
}

pub fn error(body: ApiError) -> Response {
    json_response::<()>(&Envelope { protocol: PROTOCOL_VERSION, server_time: Utc::now(), body: Reply::Error(body) })
}

/// A JSON request body; too large → 413, unreadable → 400, both in the envelope.
pub struct Body<T>(pub T);

/// A body larger than this is parsed on the blocking pool: a burst of full
/// pages must not keep the async workers from answering small requests.
const PARSE_INLINE_BYTES: usize = 64 * 1024;

/// Large bodies are parsed one at a time per process: a burst of full pages
/// queues here, leaving the other cores to answer small requests (a device's
/// state, an enrolment) at once. The single writer takes pages one by one anyway.
static LARGE_PARSES: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(1);

fn parse<T: DeserializeOwned>(bytes: &[u8]) -> Result<Body<T>, Error> {
    serde_json::from_slice(bytes)
        .map(Body)
        .map_err(|e| Error::Malformed(format!("the request body is not what the protocol describes: {e}")))
}

impl<S: Send + Sync, T: DeserializeOwned + Send + 'static> FromRequest<S> for Body<T> {
    type Rejection = HttpError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let bytes = axum::body::Bytes::from_request(req, state).await.map_err(|rejection| {
            if rejection.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
                Error::BodyTooLarge
            } else {
                Error::Malformed("the request body could not be read".into())
            }
        })?;
        if bytes.len() <= PARSE_INLINE_BYTES {
            return Ok(parse(&bytes)?);
        }
        let _turn = LARGE_PARSES.acquire().await.map_err(Error::internal)?;
        Ok(tokio::task::spawn_blocking(move || parse(&bytes)).await.map_err(Error::internal)??)
    }
}
