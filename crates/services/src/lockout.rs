//! Wrong passwords, counted in the database (so every server process counts
//! the same attempts) with the PIN prompt's policy: per person, and per client
//! address with more room, since a hall's people may share one address behind
//! its router.

use std::net::IpAddr;

use chrono::{DateTime, Utc};
use tiyan_core::pin::{LockoutPolicy, PinGate};

use crate::error::{Error, Result};
use tiyan_storage::Storage;

/// The counters one sign-in attempt is checked against and counted on.
pub struct Tally {
    keys: [(String, LockoutPolicy); 2],
}

impl Tally {
    /// `who`: e.g. `officer:gz-2026-07` or `account:li.ming`.
    pub fn new(who: String, client: IpAddr) -> Tally {
        // Per person: two free mistakes, then a doubling wait, locked for 15 minutes after six in a row.
        let person = LockoutPolicy::default();
        let address = LockoutPolicy { free_failures: 10, lock_after: 30, ..LockoutPolicy::default() };
        Tally { keys: [(who, person), (format!("address:{client}"), address)] }
    }

    /// Refuses while either counter makes the caller wait or is locked.
    pub async fn check(&self, store: &dyn Storage, now: DateTime<Utc>) -> Result<()> {
        for (key, policy) in &self.keys {
            let held = store.attempts(key).await?;
            let failures = policy.failures_in_force(held.failures, held.last_failure, now);
            if failures == 0 && held.failures > 0 {
                store.clear_failures(key).await?; // a lock-out that ran out starts a fresh count
                continue;
            }
            match policy.gate(failures, held.last_failure, now) {
                PinGate::Open => {}
                PinGate::Wait { until } | PinGate::Locked { until } => return Err(Error::Locked { until }),
            }
        }
        Ok(())
    }

    pub async fn failed(&self, store: &dyn Storage, now: DateTime<Utc>) -> Result<()> {
        for (key, _) in &self.keys {
            store.record_failure(key, now).await?;
        }
        Ok(())
    }

    /// The person's count starts again; the address's runs on (one good password
    /// from an address does not excuse the wrong ones tried there).
    pub async fn succeeded(&self, store: &dyn Storage) -> Result<()> {
        Ok(store.clear_failures(&self.keys[0].0).await?)
    }
}
