//! Officer sign-in at the server (a laptop's first sign-in, and every one made
//! online): the password against its Argon2id hash, the appointment period,
//! and wrong passwords counted per officer and per client address with the
//! device's lock-out policy, in the database, so every server process counts
//! the same attempts.

use std::net::IpAddr;

use chrono::{DateTime, FixedOffset, Utc};
use tiyan_core::pin::{LockoutPolicy, PinGate};
use tiyan_core::reference::Officer;

use super::Hasher;
use crate::error::{Error, Result};
use crate::store::Storage;

/// Per officer: the PIN prompt's own policy (two free mistakes, then a doubling
/// wait, locked for 15 minutes after six in a row).
fn officer_policy() -> LockoutPolicy {
    LockoutPolicy::default()
}

/// Per client address: the same mechanism with more room, because a hall's
/// officers may share one address behind its router.
fn address_policy() -> LockoutPolicy {
    LockoutPolicy { free_failures: 10, lock_after: 30, ..LockoutPolicy::default() }
}

/// Officers are appointed by Chinese cities, which all keep China Standard
/// Time: the appointment is checked against today's date there.
fn china_today(now: DateTime<Utc>) -> chrono::NaiveDate {
    let cst = FixedOffset::east_opt(8 * 3600).unwrap_or_else(|| FixedOffset::east_opt(0).expect("zero offset"));
    now.with_timezone(&cst).date_naive()
}

pub async fn sign_in(
    store: &dyn Storage,
    hasher: &Hasher,
    officer_id: &str,
    password: &str,
    client: IpAddr,
    now: DateTime<Utc>,
) -> Result<Officer> {
    let keys = [(format!("officer:{officer_id}"), officer_policy()), (format!("address:{client}"), address_policy())];
    for (key, policy) in &keys {
        let held = store.attempts(key).await?;
        let failures = policy.failures_in_force(held.failures, held.last_failure, now);
        if failures == 0 && held.failures > 0 {
            store.clear_failures(key).await?; // a lock-out that ran out starts a fresh count
            continue;
        }
        match policy.gate(failures, held.last_failure, now) {
            PinGate::Open => {}
            PinGate::Wait { until } | PinGate::Locked { until } => {
                tracing::warn!(officer = officer_id, %client, %until, "officer sign-in refused: locked");
                return Err(Error::Locked { until });
            }
        }
    }
    let credentials = store.officer_credentials(officer_id).await?;
    let hash = credentials.as_ref().and_then(|c| c.password.as_ref()).map(|p| p.phc().to_string());
    // An unknown officer costs the same hash time as a wrong password.
    let ok = hasher.verify(password, hash.as_deref().unwrap_or(tiyan_infra::secret::DUMMY_HASH)).await?;
    let officer = match credentials {
        Some(c) if ok && hash.is_some() => c.officer,
        _ => {
            for (key, _) in &keys {
                store.record_failure(key, now).await?;
            }
            tracing::warn!(officer = officer_id, %client, "officer sign-in refused: wrong password");
            return Err(Error::WrongPassword);
        }
    };
    store.clear_failures(&keys[0].0).await?;
    if !officer.appointed_on(china_today(now)) {
        return Err(Error::NotAppointed);
    }
    Ok(officer)
}
