//! What the server forgets on its own: request ids seen long ago (a replay that
//! old is a resend the stream's sameness check answers anyway), photo uploads a
//! device abandoned, and counts of wrong passwords long past any lock-out (a
//! stranger trying made-up officer ids must not grow a table for ever). Any
//! process may run it; it only deletes.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::error::Result;
use tiyan_storage::Storage;

#[derive(Debug, Clone, Copy)]
pub struct Retention {
    pub seen_requests: chrono::Duration,
    pub photo_uploads: chrono::Duration,
}

impl Default for Retention {
    fn default() -> Self {
        Retention { seen_requests: chrono::Duration::days(30), photo_uploads: chrono::Duration::days(7) }
    }
}

/// One pass: returns (request ids, photo uploads) forgotten.
pub async fn prune(store: &dyn Storage, retention: Retention, now: DateTime<Utc>) -> Result<(u64, u64)> {
    let requests = store.prune_seen_requests(now - retention.seen_requests).await?;
    let uploads = store.prune_photo_uploads(now - retention.photo_uploads).await?;
    // A day is far past the longest lock-out (15 minutes).
    store.prune_failures(now - chrono::Duration::days(1)).await?;
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
