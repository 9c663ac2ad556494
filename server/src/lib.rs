//! Tiyan's central server: enrols devices, takes in their records exactly once,
//! keeps the reference data they pull, and exports what it holds.
//!
//! `app(state)` is the whole HTTP service (tests drive it with `oneshot`);
//! `serve(listener, state, shutdown)` runs it on a socket the caller bound, so a
//! test can start a real server on port 0.

mod auth;
pub mod codes;
mod envelope;
mod error;
pub mod export;
pub mod reference_files;
mod routes;
pub mod store;

use std::future::Future;
use std::sync::Arc;

pub use auth::AuthCache;
use store::Storage;
use tokio::net::TcpListener;

pub struct AppState {
    pub store: Arc<dyn Storage>,
    pub auth: AuthCache,
}

impl AppState {
    pub fn new(store: Arc<dyn Storage>) -> Arc<AppState> {
        Arc::new(AppState { store, auth: AuthCache::default() })
    }
}

pub fn app(state: Arc<AppState>) -> axum::Router {
    routes::router(state)
}

/// Serves until `shutdown` resolves, then lets requests in flight finish.
pub async fn serve(
    listener: TcpListener,
    state: Arc<AppState>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    tracing::info!(address = %listener.local_addr()?, "tiyan-server listening");
    axum::serve(listener, app(state)).with_graceful_shutdown(shutdown).await
}
