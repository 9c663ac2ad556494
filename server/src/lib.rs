//! Tiyan's central server: enrols devices, takes in their records exactly once,
//! keeps the reference data they pull, and exports what it holds.
//!
//! Routes (`routes/`) are thin: they check who is asking and parse. Services
//! (`services/`) apply `tiyan_core`'s rules and call storage (`store/`), whose
//! traits the embedded SQLite backend and the PostgreSQL backend implement
//! alike. `app(state)` is the whole HTTP service (tests drive it with
//! `oneshot`); `serve(listener, state, shutdown)` runs it on a socket the
//! caller bound, so a test can start a real server on port 0.

mod admin;
mod auth;
mod client_addr;
pub mod clock;
pub mod codes;
pub mod config;
mod envelope;
pub mod error;
pub mod export;
pub mod reference_files;
pub mod report;
mod routes;
pub mod services;
pub mod store;
#[cfg(feature = "testing")]
pub mod testing;

use std::future::Future;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

pub use clock::Clock;
pub use error::{Error, Result};
use services::Hasher;
use services::calendar::CalendarCache;
use services::deferred::Deferred;
use services::housekeeping::Retention;
use services::ingest::{CatalogCache, Ingested};
use services::reference::ReferenceCache;
use store::Storage;
use tokio::net::TcpListener;

/// What an administrator sets when starting the server.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Proxies (nginx in front of several processes) whose `X-Forwarded-For` is
    /// believed; anyone else's is ignored.
    pub trusted_proxies: Vec<IpAddr>,
    pub retention: Retention,
    /// How long a page that overtook its predecessor waits for it.
    pub predecessor_wait: std::time::Duration,
    /// A hall-office session idle for longer than this ends.
    pub session_idle: chrono::Duration,
    /// The address people reach the server at (`https://…` behind TLS: the
    /// session cookie is then `Secure`).
    pub public_url: Option<String>,
    /// The clock every flow reads "now" from: the system clock in service;
    /// a rehearsal of what the hall office looks like on another day starts it
    /// there, and tests hold it still (see `clock.rs`).
    pub clock: Clock,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            trusted_proxies: Vec::new(),
            retention: Retention::default(),
            predecessor_wait: std::time::Duration::from_secs(2),
            session_idle: chrono::Duration::minutes(30),
            public_url: None,
            clock: Clock::system(),
        }
    }
}

pub struct AppState {
    pub store: Arc<dyn Storage>,
    pub settings: Settings,
    pub hasher: Hasher,
    pub calendar: CalendarCache,
    pub reference: ReferenceCache,
    /// Alert checks and device reports, done just after the requests that leave them.
    pub deferred: Arc<Deferred>,
    catalog: CatalogCache,
    ingested: Ingested,
}

impl AppState {
    pub fn new(store: Arc<dyn Storage>) -> Arc<AppState> {
        AppState::with_settings(store, Settings::default())
    }

    pub fn with_settings(store: Arc<dyn Storage>, settings: Settings) -> Arc<AppState> {
        Arc::new(AppState {
            deferred: Deferred::new(store.clone(), settings.clock.clone()),
            store,
            settings,
            hasher: Hasher::default(),
            calendar: CalendarCache::default(),
            reference: ReferenceCache::default(),
            catalog: CatalogCache::default(),
            ingested: Ingested::default(),
        })
    }
}

impl AppState {
    /// Now, by the server's clock (see `Settings::clock`).
    pub fn now(&self) -> chrono::DateTime<chrono::Utc> {
        self.settings.clock.now()
    }

    /// Does the alert checks and device reports left by requests now (see
    /// `services::deferred`): before a page that shows what they write, and at a stop.
    pub async fn settle(&self) {
        if let Err(e) = self.deferred.flush().await {
            tracing::error!(error = %e, "the deferred alert checks and device reports failed");
        }
    }
}

pub fn app(state: Arc<AppState>) -> axum::Router {
    routes::router(state)
}

/// Serves until `shutdown` resolves, then lets requests in flight finish.
/// Housekeeping runs beside it.
pub async fn serve(
    listener: TcpListener,
    state: Arc<AppState>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    if let Err(e) = services::calendar::seed(state.store.as_ref(), &state.calendar, state.now()).await {
        tracing::warn!(error = %e, "the working-day calendar could not be imported: deadlines are estimates");
    }
    match services::calendar::replay_missing_outcomes(state.store.as_ref(), &state.calendar).await {
        Ok(0) => {}
        Ok(n) => tracing::info!(items = n, "ledger items handled before outcomes were kept: replayed"),
        Err(e) => tracing::warn!(error = %e, "ledger items without an outcome could not be replayed"),
    }
    tracing::info!(address = %listener.local_addr()?, "tiyan-server listening");
    let housekeeping =
        services::housekeeping::spawn(state.store.clone(), state.settings.retention, state.settings.clock.clone());
    let service = app(state.clone()).into_make_service_with_connect_info::<SocketAddr>();
    let served = axum::serve(listener, service).with_graceful_shutdown(shutdown).await;
    housekeeping.abort();
    state.settle().await;
    served
}
