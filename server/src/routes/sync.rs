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
use tiyan_services::{alerts, devices, fleet, ingest};

/// Answers only when the database does, with the backend and its schema version.
pub async fn health(State(state): State<Arc<AppState>>) -> Result<Response, HttpError> {
    let db = state.services.store.health().await?;
    Ok(envelope::ok(Health {
        status: "ok".into(),
        version: env!("CARGO_PKG_VERSION").into(),
        backend: db.backend.into(),
        schema: db.schema,
    }))
}

pub async fn enroll(State(state): State<Arc<AppState>>, Body(req): Body<EnrollRequest>) -> Result<Response, HttpError> {
    Ok(envelope::ok(devices::enroll(state.services.store.as_ref(), &req, state.now()).await?))
}

/// What the server holds of the device; the query (a `StateQuery`) is what
/// the device says of itself, kept for the fleet. A malformed one changes nothing.
pub async fn state(
    State(state): State<Arc<AppState>>,
    who: DeviceCredentials,
    RawQuery(query): RawQuery,
) -> Result<Response, HttpError> {
    // The device and its state in one read: in a burst every device asks at
    // once, and each trip to the database is a wait for a reader or a connection.
    let (device, held) =
        devices::state(state.services.store.as_ref(), &state.services.hasher, who.id, &who.secret).await?;
    let report: StateQuery = serde_urlencoded::from_str(query.as_deref().unwrap_or(""))
        .map_err(|e| Error::Malformed(format!("the state query: {e}")))?;
    state.services.deferred.device_reported(device.id, fleet::report(&report, state.now())?);
    Ok(envelope::ok(held))
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
    let store = state.services.store.as_ref();
    // The windows the page rates: their live alert is checked just after it is stored.
    let windows = alerts::rated_windows(&upload);
    let now = state.now();
    let ack = ingest::upload(
        store,
        &state.services.catalog,
        &state.services.calendar,
        &state.services.ingested,
        wait,
        &device,
        request_id,
        upload,
        now,
    )
    .await?;
    if ack.stored > 0 {
        state.services.deferred.windows_rated(windows);
        tracing::info!(device = %device.id, kind = ?ack.kind, stored = ack.stored, duplicates = ack.duplicates, through = ack.through, "records stored");
    }
    Ok(envelope::ok(ack))
}
