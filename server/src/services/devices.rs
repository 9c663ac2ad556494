//! Devices: enrolment with one-time codes, and who is asking on every request.
//!
//! A device secret is a 256-bit random token: the server keeps its SHA-256 and
//! compares in constant time, so authenticating a request costs microseconds
//! and an enrolment code is looked up by its SHA-256 before anything else
//! happens. Secrets hashed with Argon2id by an earlier version are verified
//! once (behind the hashing semaphore) and replaced by their SHA-256.

use chrono::{DateTime, Duration, Utc};
use tiyan_core::protocol::{DeviceRole, EnrollRequest, Enrolled};
use tiyan_infra::secret::{digests_match, new_token, token_digest};
use uuid::Uuid;

use super::Hasher;
use crate::codes;
use crate::error::{Error, Result};
use crate::store::{Device, Enrolment, NewCode, Storage, StoredSecret};

/// Issues a one-time code for a device of `role` at `hall` (a kiosk: at `window`).
pub async fn issue_code(
    store: &dyn Storage,
    role: DeviceRole,
    hall_id: &str,
    window_id: Option<&str>,
    valid_for: Duration,
    now: DateTime<Utc>,
) -> Result<String> {
    let code = codes::new_code();
    let new = NewCode {
        code_sha256: codes::digest(&code),
        role,
        hall_id: hall_id.to_string(),
        window_id: window_id.map(str::to_string),
        created_at: now,
        expires_at: now + valid_for,
    };
    store.create_code(&new).await?;
    Ok(code)
}

/// Redeems a code: the device gets a fresh secret, shown this once.
pub async fn enroll(store: &dyn Storage, req: &EnrollRequest, now: DateTime<Utc>) -> Result<Enrolled> {
    let secret = new_token();
    let enrolment = Enrolment {
        code_sha256: codes::digest(&req.code),
        device_id: req.device_id,
        name: req.name.trim().chars().take(80).collect(),
        secret_sha256: token_digest(&secret),
        expected: req.role,
        now,
    };
    let device = store.redeem_code(&enrolment).await?;
    tracing::info!(device = %device.id, hall = %device.hall_id, window = ?device.window_id, "device enrolled");
    Ok(Enrolled {
        device_id: device.id,
        secret,
        role: device.role,
        hall_id: device.hall_id,
        window_id: device.window_id,
    })
}

/// The enrolled, not revoked device whose secret this is.
pub async fn authenticate(store: &dyn Storage, hasher: &Hasher, id: Uuid, secret: &str) -> Result<Device> {
    let (device, stored) = store
        .device_credentials(id)
        .await?
        .ok_or_else(|| Error::Unauthenticated("this device is not enrolled".into()))?;
    if device.revoked_at.is_some() {
        return Err(Error::DeviceRevoked);
    }
    let digest = token_digest(secret);
    let ok = match stored {
        StoredSecret::Sha256(held) => digests_match(&held, &digest),
        StoredSecret::LegacyArgon2(phc) => {
            let ok = hasher.verify(secret, &phc).await?;
            if ok {
                store.replace_secret(id, digest).await?;
                tracing::info!(device = %id, "device secret moved from Argon2id to SHA-256");
            }
            ok
        }
    };
    if !ok {
        tracing::warn!(device = %id, "wrong device secret");
        return Err(Error::Unauthenticated("wrong device secret".into()));
    }
    Ok(device)
}
