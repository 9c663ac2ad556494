//! Devices: enrolment with one-time codes, and who is asking on every request.
//!
//! A device secret is a 256-bit random token: the server keeps its SHA-256 and
//! compares in constant time, so authenticating a request costs microseconds
//! and an enrolment code is looked up by its SHA-256 before anything else
//! happens. Secrets hashed with Argon2id by an earlier version are verified
//! once (behind the hashing semaphore) and replaced by their SHA-256.

use chrono::{DateTime, Duration, Utc};
use tiyan_core::accounts::Scope;
use tiyan_core::protocol::{DeviceRole, EnrollRequest, Enrolled, SyncState};
use tiyan_infra::secret::{digests_match, new_token, token_digest};
use uuid::Uuid;

use super::audit::{self, Actor};
use super::{Hasher, Who};
use crate::codes;
use crate::error::{Error, Invalid, Result};
use tiyan_storage::{Device, DeviceSummary, Enrolment, NewCode, Storage, StoredSecret};

/// Issues a one-time code for a device of `role` at `hall` (a kiosk: at `window`).
pub async fn issue_code(
    store: &dyn Storage,
    role: DeviceRole,
    hall_id: &str,
    window_id: Option<&str>,
    valid_for: Duration,
    now: DateTime<Utc>,
) -> Result<String> {
    if !(1..=720).contains(&valid_for.num_hours()) {
        return Err(Invalid::Hours.into());
    }
    super::reference::known_place(store, hall_id, window_id).await?;
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

/// The devices of the halls `scope` administers, with their last contact.
pub async fn list(store: &dyn Storage, scope: &Scope) -> Result<Vec<DeviceSummary>> {
    let mut devices = store.devices().await?;
    devices.retain(|d| scope.administers(&d.device.hall_id));
    Ok(devices)
}

/// A code issued in the hall office, by someone who administers the hall; logged.
pub async fn issue_code_for(
    store: &dyn Storage,
    who: &Who<'_>,
    role: DeviceRole,
    hall_id: &str,
    window_id: Option<&str>,
    valid_for: Duration,
) -> Result<String> {
    if !who.account.scope().administers(hall_id) {
        return Err(Error::Forbidden("you may not enrol devices of this hall".into()));
    }
    let code = issue_code(store, role, hall_id, window_id, valid_for, who.now).await?;
    let detail = format!("{} {} {}", role.as_str(), hall_id, window_id.unwrap_or(""));
    audit::record(store, Actor::Account(who.account), Some(who.client), "code_issued", hall_id, detail.trim(), who.now)
        .await?;
    Ok(code)
}

/// Revokes a device of a hall `who` administers (another hall's is "not found"); logged.
pub async fn revoke(store: &dyn Storage, who: &Who<'_>, id: Uuid) -> Result<()> {
    let scope = who.account.scope();
    let known = store.device_credentials(id).await?.is_some_and(|(d, _)| scope.administers(&d.hall_id));
    if !known {
        return Err(Error::NotFound("device".into()));
    }
    store.revoke(id, who.now).await?;
    let target = id.to_string();
    audit::record(store, Actor::Account(who.account), Some(who.client), "device_revoked", &target, "", who.now).await
}

/// The enrolled, not revoked device whose secret this is.
pub async fn authenticate(store: &dyn Storage, hasher: &Hasher, id: Uuid, secret: &str) -> Result<Device> {
    let (device, stored) = store.device_credentials(id).await?.ok_or_else(not_enrolled)?;
    verify(store, hasher, &device, stored, secret).await?;
    Ok(device)
}

/// A device's state request: authenticated as [`authenticate`] does, from the
/// one read that also holds what the server keeps of the device.
pub async fn state(store: &dyn Storage, hasher: &Hasher, id: Uuid, secret: &str) -> Result<(Device, SyncState)> {
    let found = store.device_state(id).await?.ok_or_else(not_enrolled)?;
    verify(store, hasher, &found.device, found.secret, secret).await?;
    let state = SyncState { device_id: id, streams: found.streams, reference_version: found.reference_version };
    Ok((found.device, state))
}

fn not_enrolled() -> Error {
    Error::Unauthenticated("this device is not enrolled".into())
}

/// The device may ask: not revoked, and `secret` is the one it was given.
async fn verify(
    store: &dyn Storage,
    hasher: &Hasher,
    device: &Device,
    stored: StoredSecret,
    secret: &str,
) -> Result<()> {
    if device.revoked_at.is_some() {
        return Err(Error::DeviceRevoked);
    }
    let digest = token_digest(secret);
    let ok = match stored {
        StoredSecret::Sha256(held) => digests_match(&held, &digest),
        StoredSecret::LegacyArgon2(phc) => {
            let ok = hasher.verify(secret, &phc).await?;
            if ok {
                store.replace_secret(device.id, digest).await?;
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
