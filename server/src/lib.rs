//! Tiyan's central server, the process: the device API (`routes/`), the hall
//! office's pages (`admin/`, over `templates/`), its configuration and its
//! console commands (`main.rs`). Routes and pages are thin: they check who is
//! asking, parse, and call `tiyan-services`, which applies `tiyan-core`'s rules
//! over `tiyan-storage`'s traits; `database.rs` opens the backend a location
//! names (`tiyan-storage-sqlite` or `tiyan-storage-postgres`).
//! `app(state)` is the whole HTTP service (tests drive it with `oneshot`);
//! `serve(listener, state, shutdown)` runs it on a socket the caller bound, so
//! a test can start a real server on port 0.

mod admin;
mod auth;
pub mod backups;
mod client_addr;
pub mod config;
pub mod database;
mod envelope;
pub mod error;
pub mod metrics;
mod routes;
#[cfg(feature = "testing")]
pub mod testing;

use std::future::Future;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

pub use error::{Error, HttpError, Result};
use tiyan_services::housekeeping::Retention;
use tiyan_services::{Clock, Services};
use tiyan_storage::Storage;
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
    /// The provinces' platforms this process reports to (each target's
    /// sender runs in every process; a lease lets one send at a time).
    pub upward: Vec<Arc<tiyan_services::upward::Target>>,
    /// The SHA-256 of the token `/metrics` asks for (None: no such page).
    pub metrics_token: Option<[u8; 32]>,
    /// Where the nightly backups go (`[backup] dir`), for `/metrics` to say when the last was written.
    pub backup_dir: Option<std::path::PathBuf>,
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
            upward: Vec::new(),
            metrics_token: None,
            backup_dir: None,
        }
    }
}

pub struct AppState {
    pub services: Services,
    pub settings: Settings,
    pub metrics: metrics::Metrics,
}

impl AppState {
    pub fn new(store: Arc<dyn Storage>) -> Arc<AppState> {
        AppState::with_settings(store, Settings::default())
    }

    pub fn with_settings(store: Arc<dyn Storage>, settings: Settings) -> Arc<AppState> {
        Arc::new(AppState {
            services: Services::new(store, settings.clock.clone()),
            settings,
            metrics: metrics::Metrics::default(),
        })
    }

    /// Now, by the server's clock (see `Settings::clock`).
    pub fn now(&self) -> chrono::DateTime<chrono::Utc> {
        self.services.now()
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
    let services = &state.services;
    if let Err(e) = tiyan_services::calendar::seed(services).await {
        tracing::warn!(error = %e, "the working-day calendar could not be imported: deadlines are estimates");
    }
    match tiyan_services::calendar::replay_missing_outcomes(services).await {
        Ok(0) => {}
        Ok(n) => tracing::info!(items = n, "ledger items handled before outcomes were kept: replayed"),
        Err(e) => tracing::warn!(error = %e, "ledger items without an outcome could not be replayed"),
    }
    tracing::info!(address = %listener.local_addr()?, "tiyan-server listening");
    let housekeeping = tiyan_services::housekeeping::spawn(
        services.store.clone(),
        state.settings.retention,
        state.settings.clock.clone(),
    );
    let senders: Vec<_> = state
        .settings
        .upward
        .iter()
        .map(|target| {
            let (state, target) = (state.clone(), target.clone());
            tokio::spawn(async move { tiyan_services::upward::run(&state.services, &target).await })
        })
        .collect();
    let service = app(state.clone()).into_make_service_with_connect_info::<SocketAddr>();
    let served = axum::serve(listener, service).with_graceful_shutdown(shutdown).await;
    housekeeping.abort();
    // A batch cut off here is marked sent and goes again after its hold: the
    // platform deduplicates on the record's key.
    senders.iter().for_each(|s| s.abort());
    state.services.settle().await;
    served
}
