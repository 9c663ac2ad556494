//! Reference data for devices: what changed since their version, cut to what
//! the device needs, and staff photos by their SHA-256.

use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use tiyan_core::protocol::{DeviceRole, ErrorCode, ReferenceUpdate};
use tiyan_core::reference::ReferenceData;

use super::blocking;
use crate::AppState;
use crate::auth::AuthedDevice;
use crate::envelope;
use crate::error::ApiFailure;
use crate::store::Device;

#[derive(Deserialize)]
pub struct Since {
    since: Option<i64>,
}

pub async fn reference(
    State(state): State<Arc<AppState>>,
    AuthedDevice(device): AuthedDevice,
    Query(q): Query<Since>,
) -> Result<Response, ApiFailure> {
    let version = blocking(&state, |s| s.reference_version()).await?;
    if version.is_none() || version == q.since {
        return Ok(envelope::ok(ReferenceUpdate { version, data: None }));
    }
    let data = blocking(&state, |s| s.reference()).await?;
    Ok(envelope::ok(ReferenceUpdate { version, data: Some(for_device(data, &device)) }))
}

/// A kiosk gets its own hall (with the staff PIN hashes it checks sign-ins
/// against); an officer laptop gets halls, matters and officer profiles, but no
/// staff and no password hashes.
fn for_device(mut d: ReferenceData, device: &Device) -> ReferenceData {
    match device.role {
        DeviceRole::Kiosk => {
            d.halls.retain(|h| h.id == device.hall_id);
            d.windows.retain(|w| w.hall_id == device.hall_id);
            d.staff.retain(|s| s.hall_id == device.hall_id);
            d.matters.clear();
            d.officers.clear();
        }
        DeviceRole::Officer => {
            d.staff.clear();
            for o in &mut d.officers {
                o.password_hash = None;
            }
        }
    }
    d
}

pub async fn photo(
    State(state): State<Arc<AppState>>,
    AuthedDevice(_device): AuthedDevice,
    Path(sha256): Path<String>,
) -> Result<Response, ApiFailure> {
    if sha256.len() != 64 || !sha256.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(ApiFailure::malformed("a photo is named by its SHA-256 in hex"));
    }
    let bytes = blocking(&state, move |s| s.photo(&sha256))
        .await?
        .ok_or_else(|| ApiFailure::new(StatusCode::NOT_FOUND, ErrorCode::NotFound, "no such photo"))?;
    let kind = match image::guess_format(&bytes) {
        Ok(image::ImageFormat::Png) => "image/png",
        Ok(image::ImageFormat::WebP) => "image/webp",
        Ok(image::ImageFormat::Jpeg) => "image/jpeg",
        _ => "application/octet-stream",
    };
    Ok(([(header::CONTENT_TYPE, kind)], bytes).into_response())
}
