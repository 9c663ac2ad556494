//! Who is asking: the protocol version every API request must name, and the
//! enrolled device behind `Authorization: Bearer <device id>:<secret>`.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::extract::{FromRequestParts, Request};
use axum::http::StatusCode;
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use axum::middleware::Next;
use axum::response::Response;
use sha2::{Digest, Sha256};
use tiyan_core::protocol::{ErrorCode, PROTOCOL_HEADER, PROTOCOL_VERSION};
use uuid::Uuid;

use crate::AppState;
use crate::error::ApiFailure;
use crate::store::Device;

/// Every API request names the protocol it speaks; another version gets a clear error.
pub async fn require_protocol(req: Request, next: Next) -> Result<Response, ApiFailure> {
    let Some(value) = req.headers().get(PROTOCOL_HEADER) else {
        return Err(ApiFailure::malformed(format!("the {PROTOCOL_HEADER} header is missing")));
    };
    match value.to_str().ok().and_then(|s| s.trim().parse::<u32>().ok()) {
        Some(PROTOCOL_VERSION) => Ok(next.run(req).await),
        Some(other) => Err(ApiFailure::new(
            StatusCode::BAD_REQUEST,
            ErrorCode::IncompatibleProtocol,
            format!("this server speaks protocol {PROTOCOL_VERSION}; the device speaks {other}: update the device"),
        )),
        None => Err(ApiFailure::malformed(format!("the {PROTOCOL_HEADER} header is not a number"))),
    }
}

/// Secrets are stored as Argon2id hashes; verifying one costs ~30 ms of CPU.
/// After a device proved its secret once, a SHA-256 of it is remembered (tied to
/// the stored hash, so a re-enrolment or a restart forgets it).
#[derive(Default)]
pub struct AuthCache(Mutex<HashMap<Uuid, (String, [u8; 32])>>);

impl AuthCache {
    fn known(&self, device: &Device, digest: &[u8; 32]) -> bool {
        let cache = self.0.lock().unwrap_or_else(|p| p.into_inner());
        cache.get(&device.id).is_some_and(|(hash, d)| *hash == device.secret_hash && d == digest)
    }

    fn remember(&self, device: &Device, digest: [u8; 32]) {
        let mut cache = self.0.lock().unwrap_or_else(|p| p.into_inner());
        cache.insert(device.id, (device.secret_hash.clone(), digest));
    }
}

/// An enrolled, not revoked device that proved its secret.
pub struct AuthedDevice(pub Device);

fn credentials(parts: &Parts) -> Result<(Uuid, String), ApiFailure> {
    let value = parts
        .headers
        .get(AUTHORIZATION)
        .ok_or_else(|| ApiFailure::unauthenticated("no credentials: enrol the device first"))?;
    let token = value
        .to_str()
        .ok()
        .and_then(|v| v.strip_prefix("Bearer "))
        .ok_or_else(|| ApiFailure::unauthenticated("credentials must be 'Bearer <device id>:<secret>'"))?;
    let (id, secret) = token
        .split_once(':')
        .ok_or_else(|| ApiFailure::unauthenticated("credentials must be 'Bearer <device id>:<secret>'"))?;
    let id = Uuid::parse_str(id).map_err(|_| ApiFailure::unauthenticated("the device id is not a UUID"))?;
    Ok((id, secret.to_string()))
}

impl FromRequestParts<Arc<AppState>> for AuthedDevice {
    type Rejection = ApiFailure;

    async fn from_request_parts(parts: &mut Parts, state: &Arc<AppState>) -> Result<Self, Self::Rejection> {
        let (id, secret) = credentials(parts)?;
        let store = state.store.clone();
        let device = tokio::task::spawn_blocking(move || store.device(id))
            .await
            .map_err(ApiFailure::internal)??
            .ok_or_else(|| ApiFailure::unauthenticated("this device is not enrolled"))?;
        if device.revoked_at.is_some() {
            return Err(ApiFailure::new(
                StatusCode::UNAUTHORIZED,
                ErrorCode::DeviceRevoked,
                "this device was revoked by the administrator",
            ));
        }
        let digest: [u8; 32] = Sha256::digest(secret.as_bytes()).into();
        if !state.auth.known(&device, &digest) {
            let phc = device.secret_hash.clone();
            let ok = tokio::task::spawn_blocking(move || tiyan_infra::secret::verify(&secret, &phc))
                .await
                .map_err(ApiFailure::internal)?
                .map_err(ApiFailure::internal)?;
            if !ok {
                tracing::warn!(device = %device.id, "wrong device secret");
                return Err(ApiFailure::unauthenticated("wrong device secret"));
            }
            state.auth.remember(&device, digest);
        }
        Ok(AuthedDevice(device))
    }
}
