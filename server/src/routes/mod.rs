//! The HTTP API. Handlers are short: check who asks, parse, call a service or
//! the store, answer in the envelope.

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
use crate::error::{Error, HttpError};

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
        .route("/metrics", get(crate::metrics::scrape))
        .merge(api)
        .nest("/admin", crate::admin::router())
        .nest("/public", crate::admin::public_router())
        .route("/admin/", get(|| async { axum::response::Redirect::permanent("/admin") }))
        .fallback(not_found)
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(tower_http::trace::TraceLayer::new_for_http())
        .with_state(state)
}

async fn not_found() -> HttpError {
    HttpError(Error::NoEndpoint)
}
