//! The HTTP API. Handlers are short: check, call the store on the blocking
//! pool, answer in the envelope.

mod diary;
mod reference;
mod status;
mod sync;

use std::sync::Arc;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};
use tiyan_core::protocol::{MAX_BODY_BYTES, paths};

use crate::AppState;
use crate::error::ApiFailure;
use crate::store::{Storage, StoreResult};

pub fn router(state: Arc<AppState>) -> Router {
    // Health answers anyone (monitoring, a device checking the address); the rest
    // of the API needs the protocol header.
    let api = Router::new()
        .route(paths::ENROLL, post(sync::enroll))
        .route(paths::STATE, get(sync::state))
        .route(paths::UPLOAD, post(sync::upload))
        .route(paths::REFERENCE, get(reference::reference))
        .route(&format!("{}/{{sha256}}", paths::PHOTOS), get(reference::photo))
        .route(&format!("{}/{{sha256}}", paths::PHOTO_UPLOADS), get(diary::photo_upload_state).post(diary::photo_chunk))
        .route(paths::LEDGER, get(diary::ledger))
        .route(paths::OFFICER_SIGN_IN, post(diary::officer_sign_in))
        .route_layer(axum::middleware::from_fn(crate::auth::require_protocol));
    Router::new()
        .route("/", get(status::page))
        .route(paths::HEALTH, get(sync::health))
        .merge(api)
        .fallback(not_found)
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(tower_http::trace::TraceLayer::new_for_http())
        .with_state(state)
}

async fn not_found() -> ApiFailure {
    ApiFailure::new(axum::http::StatusCode::NOT_FOUND, tiyan_core::protocol::ErrorCode::NotFound, "no such endpoint")
}

/// Runs a store call on the blocking pool (SQLite and Argon2 block).
pub(crate) async fn blocking<T: Send + 'static>(
    state: &AppState,
    f: impl FnOnce(&dyn Storage) -> StoreResult<T> + Send + 'static,
) -> Result<T, ApiFailure> {
    let store = state.store.clone();
    tokio::task::spawn_blocking(move || f(store.as_ref()))
        .await
        .map_err(ApiFailure::internal)?
        .map_err(ApiFailure::from)
}
