//! Taking in a page of records: what the device may send is checked against
//! the reference data (`tiyan_core::intake`) before storage sees the page; the
//! ledger items its bad reviews and problems make are stored with it; a page
//! that arrives before the page it follows waits a moment for it.

use std::sync::Arc;
use std::time::{Duration, Instant};

use tiyan_core::intake::{Catalog, Sender, check_upload, normalize_times};
use tiyan_core::protocol::{MAX_PAGE, Upload, UploadAck};
use tiyan_core::sync::{PageError, check_page, worth_waiting};
use tokio::sync::Notify;
use uuid::Uuid;

use super::Services;
use super::cache::Versioned;
use crate::error::{Error, Result};
use tiyan_storage::{Device, IngestPage, Storage};

/// Between looks at the stream when the predecessor went to another process.
const POLL: Duration = Duration::from_millis(20);

/// The ids records may name, read once per reference version.
#[derive(Default)]
pub struct CatalogCache(Versioned<Option<i64>, Catalog>);

impl CatalogCache {
    /// The catalog of the current reference version.
    pub async fn current(&self, store: &dyn Storage) -> Result<Arc<Catalog>> {
        Ok(self.0.get(store.reference_version().await?, store.catalog()).await?)
    }
}

/// Wakes pages waiting for their predecessor when a page of this process is in.
#[derive(Default)]
pub struct Ingested(Notify);

/// Takes a page in. A page that arrived before the page it follows waits up
/// to `predecessor_wait` for it, then is answered with the gap. The live
/// alerts of the windows it rated are checked just after (`deferred`).
pub async fn upload(
    cx: &Services,
    device: &Device,
    request_id: Uuid,
    mut upload: Upload,
    predecessor_wait: Duration,
) -> Result<UploadAck> {
    let store = cx.store.as_ref();
    if upload.len() > MAX_PAGE {
        return Err(Error::TooLarge(format!("at most {MAX_PAGE} records per upload")));
    }
    let keys = upload.keys();
    check_page(device.id, &keys)?;
    let sender = Sender { role: device.role, hall_id: &device.hall_id };
    if let Err(refused) = check_upload(sender, &upload, &*cx.catalog.current(store).await?) {
        tracing::warn!(device = %device.id, %refused, "upload refused: nothing of it stored");
        return Err(refused.into());
    }
    normalize_times(&mut upload);
    let windows = super::alerts::rated_windows(&upload);
    let received_at = cx.now();
    let ledger = Arc::new(super::ledger::intake(cx, &upload, device.id, received_at).await?);
    let mut page = IngestPage { device_id: device.id, request_id, upload: Arc::new(upload), received_at, ledger };
    let started = Instant::now();
    let mut answered_again = 0;
    let ack = loop {
        let notified = cx.ingested.0.notified();
        tokio::pin!(notified);
        notified.as_mut().enable();
        match store.ingest(&page).await {
            Ok(ack) => {
                cx.ingested.0.notify_waiters();
                break ack;
            }
            Err(tiyan_storage::Error::Page(PageError::Gap { through, got }))
                if worth_waiting(through, got) && started.elapsed() < predecessor_wait =>
            {
                let _ = tokio::time::timeout(POLL, notified).await;
            }
            // An officer's answer was decided on an item a clerk stepped on
            // meanwhile: decided again on the item as it is now.
            Err(tiyan_storage::Error::Stale) if answered_again < 3 => {
                answered_again += 1;
                page.ledger = Arc::new(super::ledger::intake(cx, &page.upload, device.id, received_at).await?);
            }
            Err(e) => return Err(e.into()),
        }
    };
    if ack.stored > 0 {
        cx.deferred.windows_rated(windows);
        tracing::info!(device = %device.id, kind = ?ack.kind, stored = ack.stored, duplicates = ack.duplicates, through = ack.through, "records stored");
    }
    Ok(ack)
}
