//! Who is asking: the protocol version every API request must name, and the
//! enrolled device behind `Authorization: Bearer <device id>:<secret>`.

use std::sync::Arc;

use axum::extract::{FromRequestParts, Request};
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use axum::middleware::Next;
use axum::response::Response;
use tiyan_core::protocol::{DeviceRole, PROTOCOL_HEADER, PROTOCOL_VERSION};
use uuid::Uuid;

use crate::AppState;
use crate::error::{Error, HttpError};
use tiyan_services::devices;
use tiyan_storage::Device;

/// Every API request names the protocol it speaks; another version gets a clear error.
pub async fn require_protocol(req: Request, next: Next) -> Result<Response, HttpError> {
    let Some(value) = req.headers().get(PROTOCOL_HEADER) else {
        return Err(Error::Malformed(format!("the {PROTOCOL_HEADER} header is missing")).into());
    };
    match value.to_str().ok().and_then(|s| s.trim().parse::<u32>().ok()) {
        Some(PROTOCOL_VERSION) => Ok(next.run(req).await),
        Some(other) => Err(Error::IncompatibleProtocol(other).into()),
        None => Err(Error::Malformed(format!("the {PROTOCOL_HEADER} header is not a number")).into()),
    }
}

/// An enrolled, not revoked device that proved its secret.
pub struct AuthedDevice(pub Device);

impl AuthedDevice {
    /// The device, if it is of `role`.
    pub fn of_role(self, role: DeviceRole) -> Result<Device, Error> {
        if self.0.role != role {
            let what = match role {
                DeviceRole::Kiosk => "an evaluation kiosk",
                DeviceRole::Officer => "an officer laptop",
            };
            return Err(Error::Forbidden(format!("only {what} may do this")));
        }
        Ok(self.0)
    }
}

fn credentials(parts: &Parts) -> Result<(Uuid, &str), Error> {
    let malformed = || Error::Unauthenticated("credentials must be 'Bearer <device id>:<secret>'".into());
    let value = parts
        .headers
        .get(AUTHORIZATION)
        .ok_or_else(|| Error::Unauthenticated("no credentials: enrol the device first".into()))?;
    let token = value.to_str().ok().and_then(|v| v.strip_prefix("Bearer ")).ok_or_else(malformed)?;
    let (id, secret) = token.split_once(':').ok_or_else(malformed)?;
    let id = Uuid::parse_str(id).map_err(|_| Error::Unauthenticated("the device id is not a UUID".into()))?;
    Ok((id, secret))
}

impl FromRequestParts<Arc<AppState>> for AuthedDevice {
    type Rejection = HttpError;

    async fn from_request_parts(parts: &mut Parts, state: &Arc<AppState>) -> Result<Self, Self::Rejection> {
        let (id, secret) = credentials(parts)?;
        Ok(AuthedDevice(devices::authenticate(&state.services, id, secret).await?))
    }
}

/// The credentials a device names, not yet checked: for the state request,
/// whose service checks them in the same read as the state (`devices::state`).
pub struct DeviceCredentials {
    pub id: Uuid,
    pub secret: String,
}

impl<S: Send + Sync> FromRequestParts<S> for DeviceCredentials {
    type Rejection = HttpError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let (id, secret) = credentials(parts)?;
        Ok(DeviceCredentials { id, secret: secret.to_string() })
    }
}
