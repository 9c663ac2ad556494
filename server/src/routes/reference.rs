//! Reference data for devices: what changed since their version, cut to what
//! the device needs, and staff photos by their SHA-256.

use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use crate::AppState;
use crate::auth::AuthedDevice;
use crate::envelope;
use crate::error::HttpError;
use tiyan_services::reference;

#[derive(Deserialize)]
pub struct Since {
    since: Option<i64>,
}

pub async fn reference(
    State(state): State<Arc<AppState>>,
    AuthedDevice(device): AuthedDevice,
    Query(q): Query<Since>,
) -> Result<Response, HttpError> {
    Ok(envelope::ok(reference::update_for(&state.services, &device, q.since).await?))
}

pub async fn photo(
    State(state): State<Arc<AppState>>,
    AuthedDevice(device): AuthedDevice,
    Path(sha256): Path<String>,
) -> Result<Response, HttpError> {
    let bytes = reference::device_photo(&state.services, &device, &sha256).await?;
    let kind = match image::guess_format(&bytes) {
        Ok(image::ImageFormat::Png) => "image/png",
        Ok(image::ImageFormat::WebP) => "image/webp",
        Ok(image::ImageFormat::Jpeg) => "image/jpeg",
        _ => "application/octet-stream",
    };
    Ok(([(header::CONTENT_TYPE, kind)], bytes).into_response())
}
