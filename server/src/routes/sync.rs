//! Health, enrolment, and the sync protocol proper: what the server holds of a
//! device, and uploads that are stored exactly once.

use std::sync::Arc;

use axum::extract::{RawQuery, State};
use axum::http::HeaderMap;
use axum::response::Response;
use tiyan_core::protocol::{EnrollRequest, Health, REQUEST_ID_HEADER, StateQuery, Upload};
use uuid::Uuid;

use crate::AppState;
use crate::auth::{AuthedDevice, DeviceCredentials};
use crate::envelope::{self, Body};
use crate::error::{Error, HttpError};
use tiyan_services::{devices, ingest};

/// Answers only when the database does, with the backend and its schema version.
pub async fn health(State(state): State<Arc<AppState>>) -> Result<Response, HttpError> {
    let db = state.services.health().await?;
    Ok(envelope::ok(Health {
        status: "ok".into(),
        version: env!("CARGO_PKG_VERSION").into(),
        backend: db.backend.into(),
        schema: db.schema,
    }))
}

pub async fn enroll(State(state): State<Arc<AppState>>, Body(req): Body<EnrollRequest>) -> Result<Response, HttpError> {
    Ok(envelope::ok(devices::enroll(&state.services, &req).await?))
}

/// What the server holds of the device; the query (a `StateQuery`) is what
/// the device says of itself, kept for the fleet. A malformed one changes nothing.
pub async fn state(
    State(state): State<Arc<AppState>>,
    who: DeviceCredentials,
    RawQuery(query): RawQuery,
) -> Result<Response, HttpError> {
    let report = serde_urlencoded::from_str::<StateQuery>(query.as_deref().unwrap_or(""))
        .map_err(|e| tiyan_services::Error::Malformed(format!("the state query: {e}")));
    Ok(envelope::ok(devices::state(&state.services, who.id, &who.secret, report).await?))
}

pub async fn upload(
    State(state): State<Arc<AppState>>,
    AuthedDevice(device): AuthedDevice,
    headers: HeaderMap,
    Body(upload): Body<Upload>,
) -> Result<Response, HttpError> {
    let request_id = headers
        .get(REQUEST_ID_HEADER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| Uuid::parse_str(v).ok())
        .ok_or_else(|| Error::Malformed(format!("an upload needs a UUID in the {REQUEST_ID_HEADER} header")))?;
    let wait = state.settings.predecessor_wait;
    let (kind, began) = (upload.kind(), std::time::Instant::now());
    let result = ingest::upload(&state.services, &device, request_id, upload, wait).await.map_err(HttpError::from);
    let outcome = result.as_ref().map_err(|e| crate::error::status(&e.0).1);
    state.metrics.upload(kind, outcome, began.elapsed());
    Ok(envelope::ok(result?))
}
