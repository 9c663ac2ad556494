//! Devices: enrolment with one-time codes, and who is asking on every request.
//!
//! A device secret is a 256-bit random token: the server keeps its SHA-256 and
//! compares in constant time, so authenticating a request costs microseconds
//! and an enrolment code is looked up by its SHA-256 before anything else
//! happens. Secrets hashed with Argon2id by an earlier version are verified
//! once (behind the hashing semaphore) and replaced by their SHA-256.

use chrono::Duration;
use tiyan_core::protocol::{DeviceRole, EnrollRequest, Enrolled, StateQuery, SyncState};
use tiyan_infra::secret::{digests_match, new_token, token_digest};
use uuid::Uuid;

use super::audit::{self, AuditAction};
use super::{Services, Who};
use crate::codes;
use crate::error::{Error, Invalid, Result};
use tiyan_storage::{Device, DeviceSummary, Enrolment, NewCode, StoredSecret};

/// Issues a one-time code for a device of `role` at `hall` (a kiosk: at
/// `window`), to someone who administers the hall; logged.
pub async fn issue_code(
    cx: &Services,
    who: &Who<'_>,
    role: DeviceRole,
    hall_id: &str,
    window_id: Option<&str>,
    valid_for: Duration,
) -> Result<String> {
    if !who.scope().administers(hall_id) {
        return Err(Error::Forbidden("you may not enrol devices of this hall".into()));
    }
    if !(1..=720).contains(&valid_for.num_hours()) {
        return Err(Invalid::Hours.into());
    }
    super::reference::known_place(cx, hall_id, window_id).await?;
    let code = codes::new_code();
    let new = NewCode {
        code_sha256: codes::digest(&code),
        role,
        hall_id: hall_id.to_string(),
        window_id: window_id.map(str::to_string),
        created_at: who.now,
        expires_at: who.now + valid_for,
    };
    cx.store.create_code(&new).await?;
    let detail = format!("{} {} {}", role.as_str(), hall_id, window_id.unwrap_or(""));
    audit::record(cx, who, AuditAction::CodeIssued, hall_id, detail.trim()).await?;
    Ok(code)
}

/// Redeems a code: the device gets a fresh secret, shown this once.
pub async fn enroll(cx: &Services, req: &EnrollRequest) -> Result<Enrolled> {
    let secret = new_token();
    let enrolment = Enrolment {
        code_sha256: codes::digest(&req.code),
        device_id: req.device_id,
        name: req.name.trim().chars().take(80).collect(),
        secret_sha256: token_digest(&secret),
        expected: req.role,
        now: cx.now(),
    };
    let device = cx.store.redeem_code(&enrolment).await?;
    tracing::info!(device = %device.id, hall = %device.hall_id, window = ?device.window_id, "device enrolled");
    Ok(Enrolled {
        device_id: device.id,
        secret,
        role: device.role,
        hall_id: device.hall_id,
        window_id: device.window_id,
    })
}

/// The devices of the halls `scope` administers, with their last contact.
pub async fn list(cx: &Services, who: &Who<'_>) -> Result<Vec<DeviceSummary>> {
    let scope = who.scope();
    let mut devices = cx.store.devices().await?;
    devices.retain(|d| scope.administers(&d.device.hall_id));
    Ok(devices)
}

/// Revokes a device of a hall `who` administers (another hall's is "not found"); logged.
pub async fn revoke(cx: &Services, who: &Who<'_>, id: Uuid) -> Result<()> {
    let scope = who.scope();
    let known = cx.store.device_credentials(id).await?.is_some_and(|(d, _)| scope.administers(&d.hall_id));
    if !known {
        return Err(Error::NotFound("device".into()));
    }
    cx.store.revoke(id, who.now).await?;
    audit::record(cx, who, AuditAction::DeviceRevoked, &id.to_string(), "").await
}

/// The enrolled, not revoked device whose secret this is.
pub async fn authenticate(cx: &Services, id: Uuid, secret: &str) -> Result<Device> {
    let (device, stored) = cx.store.device_credentials(id).await?.ok_or_else(not_enrolled)?;
    verify(cx, &device, stored, secret).await?;
    Ok(device)
}

/// A device's state request: authenticated as [`authenticate`] does, from the
/// one read that also holds what the server keeps of the device (in a burst
/// every device asks at once, and each trip to the database is a wait for a
/// reader or a connection). What the device says of itself (`report`, as the
/// request's query was read) is kept for the fleet just after; a malformed
/// one is refused once the device is known, and changes nothing.
pub async fn state(cx: &Services, id: Uuid, secret: &str, report: Result<StateQuery>) -> Result<SyncState> {
    let found = cx.store.device_state(id).await?.ok_or_else(not_enrolled)?;
    verify(cx, &found.device, found.secret, secret).await?;
    cx.deferred.device_reported(id, super::fleet::report(&report?, cx.now())?);
    Ok(SyncState { device_id: id, streams: found.streams, reference_version: found.reference_version })
}

fn not_enrolled() -> Error {
    Error::Unauthenticated("this device is not enrolled".into())
}

/// The device may ask: not revoked, and `secret` is the one it was given.
async fn verify(cx: &Services, device: &Device, stored: StoredSecret, secret: &str) -> Result<()> {
    if device.revoked_at.is_some() {
        return Err(Error::DeviceRevoked);
    }
    let digest = token_digest(secret);
    let ok = match stored {
        StoredSecret::Sha256(held) => digests_match(&held, &digest),
        StoredSecret::LegacyArgon2(phc) => {
            let ok = cx.hasher.verify(secret, &phc).await?;
            if ok {
                cx.store.replace_secret(device.id, digest).await?;
                tracing::info!(device = %device.id, "device secret moved from Argon2id to SHA-256");
            }
            ok
        }
    };
    if !ok {
        tracing::warn!(device = %device.id, "wrong device secret");
        return Err(Error::Unauthenticated("wrong device secret".into()));
    }
    Ok(())
}
