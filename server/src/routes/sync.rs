//! Health, enrolment, and the sync protocol proper: what the server holds of a
//! device, and uploads that are stored exactly once.

use std::sync::Arc;

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use chrono::Utc;
use rand::RngCore;
use tiyan_core::protocol::{
    EnrollRequest, Enrolled, ErrorCode, Health, MAX_PAGE, REQUEST_ID_HEADER, SyncState, Upload,
};
use uuid::Uuid;

use super::blocking;
use crate::AppState;
use crate::auth::AuthedDevice;
use crate::envelope::{self, Body};
use crate::error::ApiFailure;

pub async fn health() -> Response {
    envelope::ok(Health { status: "ok".into(), version: env!("CARGO_PKG_VERSION").into() })
}

pub async fn enroll(
    State(state): State<Arc<AppState>>,
    Body(req): Body<EnrollRequest>,
) -> Result<Response, ApiFailure> {
    let name = req.name.trim().chars().take(80).collect::<String>();
    let mut raw = [0u8; 32];
    rand::rng().fill_bytes(&mut raw);
    let secret = hex::encode(raw);
    let to_hash = secret.clone();
    let secret_hash = tokio::task::spawn_blocking(move || tiyan_infra::secret::hash(&to_hash))
        .await
        .map_err(ApiFailure::internal)?
        .map_err(ApiFailure::internal)?;
    let code = req.code.trim().to_ascii_uppercase();
    let (device_id, expected) = (req.device_id, req.role);
    let device =
        blocking(&state, move |s| s.redeem_code(&code, device_id, &name, &secret_hash, expected, Utc::now())).await?;
    tracing::info!(device = %device.id, hall = %device.hall_id, window = ?device.window_id, "device enrolled");
    Ok(envelope::ok(Enrolled {
        device_id: device.id,
        secret,
        role: device.role,
        hall_id: device.hall_id,
        window_id: device.window_id,
    }))
}

pub async fn state(
    State(state): State<Arc<AppState>>,
    AuthedDevice(device): AuthedDevice,
) -> Result<Response, ApiFailure> {
    let id = device.id;
    let (streams, reference_version) = blocking(&state, move |s| Ok((s.streams(id)?, s.reference_version()?))).await?;
    Ok(envelope::ok(SyncState { device_id: id, streams, reference_version }))
}

pub async fn upload(
    State(state): State<Arc<AppState>>,
    AuthedDevice(device): AuthedDevice,
    headers: HeaderMap,
    Body(upload): Body<Upload>,
) -> Result<Response, ApiFailure> {
    let request_id =
        headers.get(REQUEST_ID_HEADER).and_then(|v| v.to_str().ok()).and_then(|v| Uuid::parse_str(v).ok()).ok_or_else(
            || ApiFailure::malformed(format!("an upload needs a UUID in the {REQUEST_ID_HEADER} header")),
        )?;
    if upload.len() > MAX_PAGE {
        return Err(ApiFailure::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            ErrorCode::TooLarge,
            format!("at most {MAX_PAGE} records per upload"),
        ));
    }
    let id = device.id;
    let ack = blocking(&state, move |s| s.ingest(&device, request_id, &upload, Utc::now())).await?;
    if ack.stored > 0 {
        tracing::info!(device = %id, kind = ?ack.kind, stored = ack.stored, duplicates = ack.duplicates, through = ack.through, "records stored");
    }
    Ok(envelope::ok(ack))
}
