//! The officer laptop's calls: diary photos in resumable chunks, the ledger's
//! state of its problems, and officer sign-in.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use serde::Deserialize;
use tiyan_core::protocol::{DeviceRole, OfficerSignIn};
use tiyan_core::sync::is_sha256_hex;

use crate::AppState;
use crate::auth::AuthedDevice;
use crate::client_addr::ClientAddr;
use crate::envelope::{self, Body};
use crate::error::{Error, HttpError};
use tiyan_services::officers;
use tiyan_storage::PhotoChunk;

fn photo_name(sha256: &str) -> Result<(), Error> {
    if !is_sha256_hex(sha256) {
        return Err(Error::Malformed("a photo is named by the lower-case hex SHA-256 of its bytes".into()));
    }
    Ok(())
}

pub async fn photo_upload_state(
    State(state): State<Arc<AppState>>,
    device: AuthedDevice,
    Path(sha256): Path<String>,
) -> Result<Response, HttpError> {
    let device = device.of_role(DeviceRole::Officer)?;
    photo_name(&sha256)?;
    Ok(envelope::ok(state.services.store.photo_upload_state(device.id, &sha256).await?))
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
    photo_name(&sha256)?;
    let chunk = PhotoChunk { device_id: device.id, sha256, offset: at.offset, size: at.size, bytes, now: state.now() };
    Ok(envelope::ok(state.services.store.photo_chunk(&chunk).await?))
}

pub async fn ledger(
    State(state): State<Arc<AppState>>,
    AuthedDevice(device): AuthedDevice,
) -> Result<Response, HttpError> {
    Ok(envelope::ok(state.services.store.ledger_for_device(device.id).await?))
}

pub async fn officer_sign_in(
    State(state): State<Arc<AppState>>,
    device: AuthedDevice,
    ClientAddr(client): ClientAddr,
    Body(req): Body<OfficerSignIn>,
) -> Result<Response, HttpError> {
    device.of_role(DeviceRole::Officer)?;
    let officer_id = req.officer_id.trim();
    let officer = officers::sign_in(
        state.services.store.as_ref(),
        &state.services.hasher,
        officer_id,
        &req.password,
        client,
        state.now(),
    )
    .await?;
    Ok(envelope::ok(officer))
}
