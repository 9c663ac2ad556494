//! The hall office's web pages at `/admin`, rendered on the server with
//! askama (auto-escaping every value), Simplified Chinese first with an
//! English toggle, every text from `texts`. Handlers are thin: they take who
//! is signed in (`Office`) or a checked form post (`Posted`, `Uploaded`),
//! call a service, and render a page or go back with what happened. The only
//! script is `admin.js` (print buttons and confirmations); every page works
//! without it.

mod accounts;
mod audit;
mod calendar;
mod chart;
mod dashboard;
mod devices;
mod figures;
mod ledger;
mod names;
mod officers;
mod page;
mod public;
mod reference;
mod region;
mod session;
mod sign_in;
pub mod texts;
mod upward;

use std::sync::Arc;

use axum::Router;
use axum::extract::{DefaultBodyLimit, Query, Request};
use axum::http::header::{self, HeaderName, HeaderValue};
use axum::http::{HeaderMap, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::Deserialize;

use crate::AppState;

/// A staff photo or a calendar file may be larger than a device's page.
const UPLOAD_LIMIT: usize = tiyan_infra::photo::MAX_PHOTO_BYTES + 64 * 1024;

/// The published figures at `/public`: no sign-in, the same protections.
pub fn public_router() -> Router<Arc<AppState>> {
    Router::new()
        .route("/", get(public::index))
        .route("/{hall}/{month}", get(public::month))
        .fallback(not_found)
        .layer(axum::middleware::from_fn(protect))
}

pub fn router() -> Router<Arc<AppState>> {
    let uploads = Router::new()
        .route("/reference/staff", post(reference::save_staff))
        .route("/calendar/file", post(calendar::import_file))
        .layer(DefaultBodyLimit::max(UPLOAD_LIMIT));
    Router::new()
        .route("/", get(dashboard::page))
        .route("/sign-in", get(sign_in::page).post(sign_in::submit))
        .route("/sign-out", post(sign_in::sign_out))
        .route("/lang", get(lang))
        .route("/ledger", get(ledger::list))
        .route("/ledger/{id}", get(ledger::item))
        .route("/ledger/{id}/step", post(ledger::step))
        .route("/ledger/{id}/reveal", post(ledger::reveal))
        .route("/ledger/{id}/link", post(ledger::link))
        .route("/ledger/{id}/photos/{sha256}", get(ledger::photo))
        .route("/accounts", get(accounts::page).post(accounts::create))
        .route("/accounts/{id}", post(accounts::update))
        .route("/accounts/{id}/password", post(accounts::reset_password))
        .route("/figures", get(figures::page))
        .route("/figures/print", get(figures::print))
        .route("/figures/workbook", get(figures::download))
        .route("/figures/trend", get(figures::trend))
        .route("/figures/close", post(figures::close))
        .route("/figures/settings", post(figures::settings))
        .route("/figures/method", post(figures::method))
        .route("/figures/region", get(region::page))
        .route("/figures/region/workbook", get(region::download))
        .route("/officers", get(officers::page))
        .route("/officers/print", get(officers::print))
        .route("/officers/nominate", post(officers::nominate))
        .route("/alerts/{id}/acknowledge", post(dashboard::acknowledge))
        .route("/audit", get(audit::page))
        .route("/devices", get(devices::page))
        .route("/devices/codes", post(devices::issue_code))
        .route("/devices/{id}/revoke", post(devices::revoke))
        .route("/reference", get(reference::page))
        .route("/reference/photos/{sha256}", get(reference::photo))
        .route("/reference/{kind}", post(reference::save))
        .route("/reference/{kind}/{id}/retire", post(reference::retire))
        .route("/calendar", get(calendar::page))
        .route("/calendar/registry", post(calendar::import_registry))
        .route("/calendar/day", post(calendar::set_day))
        .route("/calendar/limits", post(calendar::set_limits))
        .route("/upward", get(upward::page))
        .route("/upward/resend", post(upward::resend))
        .route("/static/admin.css", get(css))
        .route("/static/admin.js", get(js))
        .merge(uploads)
        .fallback(not_found)
        .layer(axum::middleware::from_fn(protect))
}

/// What every answer of the hall office carries: no framing, no scripts or
/// styles from elsewhere, forms post only here, nothing cached (pages hold
/// names and phone numbers), and a `Referer` only to this site.
async fn protect(req: Request, next: Next) -> Response {
    let mut response = next.run(req).await;
    let h = response.headers_mut();
    let set = |h: &mut HeaderMap, name: HeaderName, value: &'static str| {
        h.entry(name).or_insert(HeaderValue::from_static(value));
    };
    set(
        h,
        header::CONTENT_SECURITY_POLICY,
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; form-action 'self'; \
         frame-ancestors 'none'; base-uri 'none'; object-src 'none'",
    );
    set(h, header::X_FRAME_OPTIONS, "DENY");
    set(h, header::X_CONTENT_TYPE_OPTIONS, "nosniff");
    set(h, header::REFERRER_POLICY, "same-origin");
    set(h, header::CACHE_CONTROL, "no-store");
    response
}

async fn css() -> Response {
    static_file("text/css; charset=utf-8", include_str!("assets/admin.css"))
}

async fn js() -> Response {
    static_file("text/javascript; charset=utf-8", include_str!("assets/admin.js"))
}

fn static_file(kind: &'static str, body: &'static str) -> Response {
    // Replaces the default no-store: these change only with the binary.
    ([(header::CONTENT_TYPE, kind), (header::CACHE_CONTROL, "public, max-age=3600")], body).into_response()
}

#[derive(Deserialize)]
struct LangQuery {
    to: String,
    back: Option<String>,
}

/// The language toggle: remembered in a cookie, then back to the page.
async fn lang(state: axum::extract::State<Arc<AppState>>, Query(q): Query<LangQuery>) -> Response {
    let lang = texts::Lang::parse(&q.to);
    let cookie = session::lang_cookie(lang, session::secure(&state));
    let mut response = session::see_other(&session::local_path(q.back.as_deref()));
    if let Ok(v) = HeaderValue::from_str(&cookie) {
        response.headers_mut().append(header::SET_COOKIE, v);
    }
    response
}

async fn not_found(headers: HeaderMap) -> Response {
    let t = session::lang(&headers).texts();
    page::error_page(t, StatusCode::NOT_FOUND, t.not_found)
}
