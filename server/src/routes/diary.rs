//! The officer laptop's calls: diary photos in resumable chunks, the ledger's
//! state of its problems, and officer sign-in.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use serde::Deserialize;
use tiyan_core::protocol::{DeviceRole, OfficerSignIn};

use crate::AppState;
use crate::auth::AuthedDevice;
use crate::client_addr::ClientAddr;
use crate::envelope::{self, Body};
use crate::error::HttpError;
use tiyan_services::{diary, officers};

pub async fn photo_upload_state(
    State(state): State<Arc<AppState>>,
    device: AuthedDevice,
    Path(sha256): Path<String>,
) -> Result<Response, HttpError> {
    let device = device.of_role(DeviceRole::Officer)?;
    Ok(envelope::ok(diary::photo_upload_state(&state.services, device.id, &sha256).await?))
}

#[derive(Deserialize)]
pub struct ChunkAt {
    offset: u64,
    size: u64,
}

pub async fn photo_chunk(
    State(state): State<Arc<AppState>>,
    device: AuthedDevice,
    Path(sha256): Path<String>,
    Query(at): Query<ChunkAt>,
    bytes: Bytes,
) -> Result<Response, HttpError> {
    let device = device.of_role(DeviceRole::Officer)?;
    Ok(envelope::ok(diary::photo_chunk(&state.services, device.id, sha256, (at.offset, at.size), bytes).await?))
}

pub async fn ledger(
    State(state): State<Arc<AppState>>,
    AuthedDevice(device): AuthedDevice,
) -> Result<Response, HttpError> {
    Ok(envelope::ok(diary::ledger(&state.services, device.id).await?))
}

pub async fn officer_sign_in(
    State(state): State<Arc<AppState>>,
    device: AuthedDevice,
    ClientAddr(client): ClientAddr,
    Body(req): Body<OfficerSignIn>,
) -> Result<Response, HttpError> {
    device.of_role(DeviceRole::Officer)?;
    let officer_id = req.officer_id.trim();
    let officer = officers::sign_in(&state.services, officer_id, &req.password, client).await?;
    Ok(envelope::ok(officer))
}
