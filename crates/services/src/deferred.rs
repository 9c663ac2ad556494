//! What a sync request leaves to be done just after it, off its critical path:
//! the live-alert check of the windows an upload rated, and the report a device
//! made of itself in its state request.
//!
//! Both are merged while they wait (a window is checked once however many pages
//! rated it meanwhile; a device's latest report stands) and done by one task per
//! process, at most every [`PACE`]: an alert is raised within a fraction of a
//! second of the upload that crosses its rule, and a burst of devices coming
//! back after an outage costs one write of reports per pace instead of one
//! write per state request, queued behind the pages on the single writer.
//!
//! What waits here is lost if the process is killed in between: a report is
//! made again at the device's next state request, and the next upload rating
//! the window checks its alert again. A graceful stop does it first (`serve`).

use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, Mutex, Once, PoisonError, Weak};
use std::time::Duration;

use tokio::sync::Notify;
use uuid::Uuid;

use super::alerts;
use crate::Clock;
use crate::error::{Error, Result};
use tiyan_storage::{DeviceReport, Storage};

/// The longest the work waits after the request that left it (plus its own time).
pub const PACE: Duration = Duration::from_millis(200);

#[derive(Default)]
struct Pending {
    /// (hall, window) pairs rated since the last check.
    windows: BTreeSet<(String, String)>,
    reports: HashMap<Uuid, DeviceReport>,
}

pub struct Deferred {
    store: Arc<dyn Storage>,
    clock: Clock,
    pending: Mutex<Pending>,
    /// One round at a time: a `flush` waits for the task's round in progress,
    /// so that what was left before it is done when it returns.
    round: tokio::sync::Mutex<()>,
    wake: Arc<Notify>,
    started: Once,
}

impl Deferred {
    pub fn new(store: Arc<dyn Storage>, clock: Clock) -> Arc<Deferred> {
        Arc::new(Deferred {
            store,
            clock,
            pending: Mutex::default(),
            round: tokio::sync::Mutex::new(()),
            wake: Arc::new(Notify::new()),
            started: Once::new(),
        })
    }

    /// Ratings of these (hall, window) pairs were stored: their alert is checked soon.
    pub fn windows_rated(self: &Arc<Self>, windows: Vec<(String, String)>) {
        if windows.is_empty() {
            return;
        }
        self.pending().windows.extend(windows);
        self.wake();
    }

    /// A device's report of itself, kept soon (replacing one still waiting).
    pub fn device_reported(self: &Arc<Self>, device: Uuid, report: DeviceReport) {
        self.pending().reports.insert(device, report);
        self.wake();
    }

    /// Does now what waits, and what the task is doing, before returning: for a
    /// page that shows the fleet, a graceful stop, and tests.
    pub async fn flush(&self) -> Result<()> {
        let _round = self.round.lock().await;
        let Pending { windows, reports } = std::mem::take(&mut *self.pending());
        // Each is tried whatever the other meets; the first failure is told.
        let reported = if reports.is_empty() {
            Ok(())
        } else {
            let reports: Vec<(Uuid, DeviceReport)> = reports.into_iter().collect();
            self.store.report_devices(&reports).await.map_err(Error::from)
        };
        let checked = if windows.is_empty() {
            Ok(())
        } else {
            let windows: Vec<(String, String)> = windows.into_iter().collect();
            alerts::check(self.store.as_ref(), &windows, self.clock.now()).await.map(drop)
        };
        reported.and(checked)
    }

    fn pending(&self) -> std::sync::MutexGuard<'_, Pending> {
        // What waits stays consistent whatever panicked while holding it: a set and a map.
        self.pending.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Starts the task at the first work (inside the server's runtime), then wakes it.
    fn wake(self: &Arc<Self>) {
        self.started.call_once(|| {
            tokio::spawn(run(Arc::downgrade(self), self.wake.clone()));
        });
        self.wake.notify_one();
    }
}

impl Drop for Deferred {
    /// Lets the task see that its server is gone, and end.
    fn drop(&mut self) {
        self.wake.notify_one();
    }
}

async fn run(deferred: Weak<Deferred>, wake: Arc<Notify>) {
    loop {
        wake.notified().await;
        let Some(deferred) = deferred.upgrade() else { return };
        if let Err(e) = deferred.flush().await {
            tracing::error!(error = %e, "the deferred alert check or device reports failed");
        }
        drop(deferred);
        tokio::time::sleep(PACE).await;
    }
}
