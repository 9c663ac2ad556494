//! The sync worker: a tokio task that runs a round soon after each new record,
//! otherwise backs off exponentially with full jitter up to a cap, never
//! busy-loops, and stops retrying on errors a retry cannot fix until a person
//! asks ("sync now", a new enrolment).

use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, Utc};
use rand::Rng;
use serde::Serialize;
use tokio::sync::Notify;

use super::api::SyncError;
use super::engine::{Engine, Report};
use super::transport::{Transport, TransportError};
use crate::Store;
use crate::sync_state::{Enrolment, EnrolmentState};

/// Exponential backoff with full jitter: attempt n waits a uniformly random
/// time in [0, min(cap, base·2ⁿ)] (AWS architecture blog, "Exponential Backoff
/// And Jitter"), so a hall full of kiosks does not hammer a recovering server in step.
#[derive(Debug, Clone, Copy)]
pub struct Backoff {
    pub base: Duration,
    pub cap: Duration,
}

impl Default for Backoff {
    fn default() -> Self {
        Backoff { base: Duration::from_secs(2), cap: Duration::from_secs(300) }
    }
}

impl Backoff {
    pub fn ceiling(&self, failures: u32) -> Duration {
        let exp = self.base.saturating_mul(2u32.saturating_pow(failures.saturating_sub(1).min(20)));
        exp.min(self.cap)
    }

    pub fn delay(&self, failures: u32, rng: &mut impl Rng) -> Duration {
        let ceiling = self.ceiling(failures).as_millis() as u64;
        Duration::from_millis(rng.random_range(0..=ceiling))
    }
}

/// After a good round, look again this often (reference data may change, a
/// nudge may have been missed).
pub const IDLE_PERIOD: Duration = Duration::from_secs(60);
/// A new record waits this long so that a burst goes in one round.
pub const DEBOUNCE: Duration = Duration::from_millis(300);

#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct LastError {
    pub code: tiyan_core::error_code::ErrorCode,
    pub message: String,
    pub at: DateTime<Utc>,
}

/// What the admin screen shows about sync.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct SyncStatus {
    pub enrolment: Enrolment,
    /// Records not yet acknowledged by the server.
    pub waiting: u64,
    pub last_success: Option<DateTime<Utc>>,
    pub last_error: Option<LastError>,
    pub next_attempt: Option<DateTime<Utc>>,
    pub syncing: bool,
    /// Stopped on an error that needs a person; "sync now" resumes.
    pub waiting_for_person: bool,
}

#[derive(Default)]
struct Progress {
    last_success: Option<DateTime<Utc>>,
    last_error: Option<LastError>,
    next_attempt: Option<DateTime<Utc>>,
    syncing: bool,
    parked: bool,
}

struct Shared {
    nudge: Notify,
    manual: Notify,
    progress: Mutex<Progress>,
}

#[derive(Clone)]
pub struct SyncHandle {
    store: Arc<Store>,
    shared: Arc<Shared>,
}

impl SyncHandle {
    /// A new record is on disk: sync soon.
    pub fn nudge(&self) {
        self.shared.nudge.notify_one();
    }

    /// A person asked: sync now, even after an error that stopped retries.
    pub fn sync_now(&self) {
        self.shared.manual.notify_one();
    }

    pub fn status(&self) -> crate::Result<SyncStatus> {
        let p = self.shared.progress.lock().unwrap_or_else(|e| e.into_inner());
        Ok(SyncStatus {
            enrolment: self.store.enrolment()?,
            waiting: self.store.waiting()?,
            last_success: p.last_success,
            last_error: p.last_error.clone(),
            next_attempt: p.next_attempt,
            syncing: p.syncing,
            waiting_for_person: p.parked,
        })
    }

    fn progress(&self, f: impl FnOnce(&mut Progress)) {
        f(&mut self.shared.progress.lock().unwrap_or_else(|e| e.into_inner()));
    }
}

/// The worker and the handle to it; the caller spawns the future on its runtime
/// (Tauri's in the app, the test's in tests). `connect` makes a transport for
/// the server address the store holds, which a new enrolment may change.
pub fn worker<T, F>(store: Arc<Store>, connect: F, backoff: Backoff) -> (SyncHandle, impl Future<Output = ()> + Send)
where
    T: Transport,
    F: Fn(&str) -> Result<T, TransportError> + Send + Sync + 'static,
{
    let handle = SyncHandle {
        store,
        shared: Arc::new(Shared { nudge: Notify::new(), manual: Notify::new(), progress: Mutex::default() }),
    };
    let worker = handle.clone();
    (handle, async move { run(worker, connect, backoff).await })
}

/// Starts the worker on the current tokio runtime.
pub fn spawn<T, F>(store: Arc<Store>, connect: F, backoff: Backoff) -> SyncHandle
where
    T: Transport,
    F: Fn(&str) -> Result<T, TransportError> + Send + Sync + 'static,
{
    let (handle, future) = worker(store, connect, backoff);
    tokio::spawn(future);
    handle
}

async fn run<T, F>(h: SyncHandle, connect: F, backoff: Backoff)
where
    T: Transport,
    F: Fn(&str) -> Result<T, TransportError> + Send + Sync + 'static,
{
    let mut failures: u32 = 0;
    let mut first = true;
    loop {
        if !first {
            let parked = h.shared.progress.lock().map(|p| p.parked).unwrap_or(false);
            let wait = if parked {
                None
            } else if failures == 0 {
                Some(IDLE_PERIOD)
            } else {
                Some(backoff.delay(failures, &mut rand::rng()))
            };
            h.progress(|p| {
                p.next_attempt = wait.and_then(|w| chrono::Duration::from_std(w).ok()).map(|w| Utc::now() + w)
            });
            tokio::select! {
                _ = h.shared.manual.notified() => h.progress(|p| p.parked = false),
                _ = h.shared.nudge.notified(), if !parked => tokio::time::sleep(DEBOUNCE).await,
                _ = sleep_or_forever(wait) => {}
            }
        }
        first = false;
        h.progress(|p| {
            p.syncing = true;
            p.next_attempt = None;
        });
        let outcome = round(&h.store, &connect).await;
        let now = Utc::now();
        match outcome {
            Ok(report) => {
                failures = 0;
                if report.stored > 0 {
                    tracing::info!(stored = report.stored, duplicates = report.duplicates, "synced");
                }
                h.progress(|p| {
                    p.last_success = Some(now);
                    p.last_error = None;
                });
            }
            Err(e) => {
                let person = e.needs_a_person();
                if e.code() == tiyan_core::error_code::ErrorCode::DeviceRevoked {
                    let _ = h.store.mark_revoked();
                }
                if person {
                    tracing::warn!(error = %e, "sync stopped until someone acts");
                } else {
                    failures = failures.saturating_add(1);
                    tracing::info!(error = %e, failures, "sync failed; will retry");
                }
                h.progress(|p| {
                    p.parked = person;
                    p.last_error = Some(LastError { code: e.code(), message: e.to_string(), at: now });
                });
            }
        }
        h.progress(|p| p.syncing = false);
    }
}

async fn sleep_or_forever(wait: Option<Duration>) {
    match wait {
        Some(w) => tokio::time::sleep(w).await,
        None => std::future::pending().await,
    }
}

async fn round<T, F>(store: &Arc<Store>, connect: &F) -> Result<Report, SyncError>
where
    T: Transport,
    F: Fn(&str) -> Result<T, TransportError>,
{
    let enrolment = store.enrolment().map_err(|e| SyncError::Store(e.to_string()))?;
    let Some(url) = enrolment.server_url.filter(|_| enrolment.state != EnrolmentState::NotEnrolled) else {
        return Err(SyncError::NotEnrolled);
    };
    let engine = Engine::new(store.clone(), connect(&url)?);
    engine.run_once().await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_to_the_cap_with_full_jitter() {
        let b = Backoff::default();
        assert_eq!(b.ceiling(1), Duration::from_secs(2));
        assert_eq!(b.ceiling(2), Duration::from_secs(4));
        assert_eq!(b.ceiling(5), Duration::from_secs(32));
        assert_eq!(b.ceiling(9), Duration::from_secs(300));
        assert_eq!(b.ceiling(1000), Duration::from_secs(300));
        let mut rng = rand::rng();
        let delays: Vec<Duration> = (0..200).map(|_| b.delay(4, &mut rng)).collect();
        assert!(delays.iter().all(|d| *d <= Duration::from_secs(16)));
        assert!(delays.iter().any(|d| *d < Duration::from_secs(4)), "full jitter reaches down to zero");
        assert!(delays.iter().any(|d| *d > Duration::from_secs(12)));
    }
}
