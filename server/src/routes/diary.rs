//! The officer laptop's calls: diary photos in resumable chunks, the ledger's
//! state of its problems, and officer sign-in.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use chrono::Utc;
use serde::Deserialize;
use tiyan_core::protocol::{DeviceRole, ErrorCode, OfficerSignIn};

use super::blocking;
use crate::AppState;
use crate::auth::AuthedDevice;
use crate::envelope::{self, Body};
use crate::error::ApiFailure;
use crate::store::Device;

fn officer_laptop(device: &Device) -> Result<(), ApiFailure> {
    if device.role != DeviceRole::Officer {
        return Err(ApiFailure::new(StatusCode::FORBIDDEN, ErrorCode::Forbidden, "only an officer laptop may do this"));
    }
    Ok(())
}

pub async fn photo_upload_state(
    State(state): State<Arc<AppState>>,
    AuthedDevice(device): AuthedDevice,
    Path(sha256): Path<String>,
) -> Result<Response, ApiFailure> {
    officer_laptop(&device)?;
    let id = device.id;
    Ok(envelope::ok(blocking(&state, move |s| s.photo_upload_state(id, &sha256)).await?))
}

#[derive(Deserialize)]
pub struct ChunkAt {
    offset: u64,
    size: u64,
}

pub async fn photo_chunk(
    State(state): State<Arc<AppState>>,
    AuthedDevice(device): AuthedDevice,
    Path(sha256): Path<String>,
    Query(at): Query<ChunkAt>,
    chunk: Bytes,
) -> Result<Response, ApiFailure> {
    officer_laptop(&device)?;
    let id = device.id;
    let state = blocking(&state, move |s| s.photo_chunk(id, &sha256, at.offset, at.size, &chunk, Utc::now())).await?;
    Ok(envelope::ok(state))
}

pub async fn ledger(
    State(state): State<Arc<AppState>>,
    AuthedDevice(device): AuthedDevice,
) -> Result<Response, ApiFailure> {
    let id = device.id;
    Ok(envelope::ok(blocking(&state, move |s| s.ledger_for_device(id)).await?))
}

pub async fn officer_sign_in(
    State(state): State<Arc<AppState>>,
    AuthedDevice(device): AuthedDevice,
    Body(req): Body<OfficerSignIn>,
) -> Result<Response, ApiFailure> {
    officer_laptop(&device)?;
    let officer_id = req.officer_id.trim().to_string();
    let result = blocking(&state, move |s| s.officer_sign_in(&officer_id, &req.password)).await;
    if result.is_err() {
        tracing::warn!(device = %device.id, officer = %req.officer_id.trim(), "officer sign-in refused");
    }
    Ok(envelope::ok(result?))
}
