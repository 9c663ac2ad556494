//! What an officer's laptop sends and reads beside its records: diary photos
//! in resumable chunks (each taken once, the last one checked against the
//! photo's SHA-256), and the ledger's state of its own problems.

use bytes::Bytes;
use tiyan_core::protocol::{LedgerItem, PhotoUploadState};
use tiyan_core::sync::is_sha256_hex;
use uuid::Uuid;

use super::Services;
use crate::error::{Error, Result};
use tiyan_storage::PhotoChunk;

fn photo_name(sha256: &str) -> Result<()> {
    if !is_sha256_hex(sha256) {
        return Err(Error::Malformed("a photo is named by the lower-case hex SHA-256 of its bytes".into()));
    }
    Ok(())
}

/// How much of a photo this device has sent.
pub async fn photo_upload_state(cx: &Services, device: Uuid, sha256: &str) -> Result<PhotoUploadState> {
    photo_name(sha256)?;
    Ok(cx.store.photo_upload_state(device, sha256).await?)
}

/// A chunk of a photo at `offset` of its `size` bytes.
pub async fn photo_chunk(
    cx: &Services,
    device: Uuid,
    sha256: String,
    (offset, size): (u64, u64),
    bytes: Bytes,
) -> Result<PhotoUploadState> {
    photo_name(&sha256)?;
    let chunk = PhotoChunk { device_id: device, sha256, offset, size, bytes, now: cx.now() };
    Ok(cx.store.photo_chunk(&chunk).await?)
}

/// The ledger items of this device's problems, with their replies.
pub async fn ledger(cx: &Services, device: Uuid) -> Result<Vec<LedgerItem>> {
    Ok(cx.store.ledger_for_device(device).await?)
}
