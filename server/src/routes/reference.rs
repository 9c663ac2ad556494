//! Reference data for devices: what changed since their version, cut to what
//! the device needs, and staff photos by their SHA-256.

use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use tiyan_core::protocol::ReferenceUpdate;
use tiyan_core::sync::is_sha256_hex;

use crate::AppState;
use crate::auth::AuthedDevice;
use crate::envelope;
use crate::error::{Error, HttpError};
use tiyan_services::reference::for_device;

#[derive(Deserialize)]
pub struct Since {
    since: Option<i64>,
}

pub async fn reference(
    State(state): State<Arc<AppState>>,
    AuthedDevice(device): AuthedDevice,
    Query(q): Query<Since>,
) -> Result<Response, HttpError> {
    let version = state.services.store.reference_version().await?;
    if version.is_none() || version == q.since {
        return Ok(envelope::ok(ReferenceUpdate { version, data: None }));
    }
    // The version sent is the one read with the data, in one transaction.
    let data = for_device(state.services.store.reference().await?, &device);
    Ok(envelope::ok(ReferenceUpdate { version: Some(data.version), data: Some(data) }))
}

pub async fn photo(
    State(state): State<Arc<AppState>>,
    AuthedDevice(_device): AuthedDevice,
    Path(sha256): Path<String>,
) -> Result<Response, HttpError> {
    if !is_sha256_hex(&sha256) {
        return Err(Error::Malformed("a photo is named by the lower-case hex SHA-256 of its bytes".into()).into());
    }
    let bytes = state.services.store.photo(&sha256).await?.ok_or_else(|| Error::NotFound("photo".into()))?;
    let kind = match image::guess_format(&bytes) {
        Ok(image::ImageFormat::Png) => "image/png",
        Ok(image::ImageFormat::WebP) => "image/webp",
        Ok(image::ImageFormat::Jpeg) => "image/jpeg",
        _ => "application/octet-stream",
    };
    Ok(([(header::CONTENT_TYPE, kind)], bytes).into_response())
}
