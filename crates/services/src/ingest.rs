//! Taking in a page of records: what the device may send is checked against
//! the reference data (`tiyan_core::intake`) before storage sees the page; the
//! ledger items its bad reviews and problems make are stored with it; a page
//! that arrives before the page it follows waits a moment for it.

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use tiyan_core::intake::{Catalog, Sender, check_upload, normalize_times};
use tiyan_core::protocol::{MAX_PAGE, Upload, UploadAck};
use tiyan_core::sync::{PageError, check_page, worth_waiting};
use tokio::sync::Notify;
use uuid::Uuid;

use super::cache::Versioned;
use super::calendar::CalendarCache;
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
/// to `predecessor_wait` for it, then is answered with the gap.
#[allow(clippy::too_many_arguments)]
pub async fn upload(
    store: &dyn Storage,
    catalog: &CatalogCache,
    calendar: &CalendarCache,
    ingested: &Ingested,
    predecessor_wait: Duration,
    device: &Device,
    request_id: Uuid,
    mut upload: Upload,
    received_at: DateTime<Utc>,
) -> Result<UploadAck> {
    if upload.len() > MAX_PAGE {
        return Err(Error::TooLarge(format!("at most {MAX_PAGE} records per upload")));
    }
    let keys = upload.keys();
    check_page(device.id, &keys)?;
    let sender = Sender { role: device.role, hall_id: &device.hall_id };
    if let Err(refused) = check_upload(sender, &upload, &*catalog.current(store).await?) {
        tracing::warn!(device = %device.id, %refused, "upload refused: nothing of it stored");
        return Err(refused.into());
    }
    normalize_times(&mut upload);
    let ledger = Arc::new(super::ledger::intake(store, calendar, &upload, device.id, received_at).await?);
    let page = IngestPage { device_id: device.id, request_id, upload: Arc::new(upload), received_at, ledger };
    let started = Instant::now();
    loop {
        let notified = ingested.0.notified();
        tokio::pin!(notified);
        notified.as_mut().enable();
        match store.ingest(&page).await {
            Ok(ack) => {
                ingested.0.notify_waiters();
                return Ok(ack);
            }
            Err(tiyan_storage::Error::Page(PageError::Gap { through, got }))
                if worth_waiting(through, got) && started.elapsed() < predecessor_wait =>
            {
                let _ = tokio::time::timeout(POLL, notified).await;
            }
            Err(e) => return Err(e.into()),
        }
    }
}
