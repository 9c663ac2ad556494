//! What the server forgets on its own: request ids seen long ago (a replay that
//! old is a resend the stream's sameness check answers anyway), photo uploads a
//! device abandoned, counts of wrong passwords long past any lock-out (a
//! stranger trying made-up officer ids must not grow a table for ever), and
//! citizens' call-back numbers once their time is up (PIPL: kept no longer
//! than needed; the masked form stays, the erasure is in the audit log). Any
//! process may run it; it only forgets.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::error::Result;
use tiyan_storage::Storage;

#[derive(Debug, Clone, Copy)]
pub struct Retention {
    pub seen_requests: chrono::Duration,
    pub photo_uploads: chrono::Duration,
    /// How long a call-back number is kept in full after its item closed (or
    /// after the rating, when it made no item).
    pub phones: chrono::Duration,
}

impl Default for Retention {
    fn default() -> Self {
        Retention {
            seen_requests: chrono::Duration::days(30),
            photo_uploads: chrono::Duration::days(7),
            phones: chrono::Duration::days(180),
        }
    }
}

/// Numbers erased in one go at most (the next pass takes the rest).
const PHONES_PER_PASS: u32 = 10_000;

/// Erases the call-back numbers past their time down to their masked form
/// (138****5678), and logs how many; returns how many.
pub async fn erase_phones(store: &dyn Storage, retention: Retention, now: DateTime<Utc>) -> Result<u64> {
    let mut erased = 0;
    for (rating, phone) in store.phones_past(now - retention.phones, PHONES_PER_PASS).await? {
        if store.erase_phone(rating, &tiyan_core::mask::mask_phone(&phone)).await? {
            erased += 1;
        }
    }
    if erased > 0 {
        let detail = format!("{erased} kept past {} days", retention.phones.num_days());
        crate::audit::by_server(store, crate::audit::AuditAction::PhonesErased, "ratings", &detail, now).await?;
        tracing::info!(erased, "housekeeping: call-back numbers erased after their time, masked forms kept");
    }
    Ok(erased)
}

/// One pass: returns (request ids, photo uploads) forgotten.
pub async fn prune(store: &dyn Storage, retention: Retention, now: DateTime<Utc>) -> Result<(u64, u64)> {
    let requests = store.prune_seen_requests(now - retention.seen_requests).await?;
    let uploads = store.prune_photo_uploads(now - retention.photo_uploads).await?;
    // A day is far past the longest lock-out (15 minutes).
    store.prune_failures(now - chrono::Duration::days(1)).await?;
    erase_phones(store, retention, now).await?;
    if requests + uploads > 0 {
        tracing::info!(requests, uploads, "housekeeping: forgot old request ids and abandoned photo uploads");
    }
    Ok((requests, uploads))
}

/// Prunes at start and then every hour, for as long as the server runs.
pub fn spawn(store: Arc<dyn Storage>, retention: Retention, clock: crate::Clock) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut every = tokio::time::interval(Duration::from_secs(3600));
        loop {
            every.tick().await;
            if let Err(e) = prune(store.as_ref(), retention, clock.now()).await {
                tracing::warn!(error = %e, "housekeeping failed; trying again in an hour");
            }
        }
    })
}
