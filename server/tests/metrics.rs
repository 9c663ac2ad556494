//! `/metrics` on both backends: nothing without its token (or without one
//! configured), and after uploads the counts a scrape shows are those the
//! uploads made: records taken in, duplicates, refusals by code, devices by
//! last contact, the database.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use tiyan_server::testing::Backend;
use tiyan_server::{AppState, Settings, app};
use tower::ServiceExt;

use common::*;

tiyan_server::on_both_backends!(a_scrape_after_uploads_counts_what_they_did);

const TOKEN: &str = "metrics-token-0123456789abcdef";

async fn scrape(router: &axum::Router, token: Option<&str>) -> (StatusCode, String) {
    let mut req = Request::builder().uri("/metrics");
    if let Some(t) = token {
        req = req.header("authorization", format!("Bearer {t}"));
    }
    let response = router.clone().oneshot(req.body(Body::empty()).unwrap()).await.unwrap();
    let status = response.status();
    let text = String::from_utf8(response.into_body().collect().await.unwrap().to_bytes().to_vec()).unwrap();
    (status, text)
}

fn value(text: &str, series: &str) -> Option<f64> {
    text.lines().find_map(|l| l.strip_prefix(series)?.strip_prefix(' ')?.parse().ok())
}

async fn a_scrape_after_uploads_counts_what_they_did(backend: Backend) {
    let s = server(backend).await;
    // Without a token configured there is no such page.
    assert_eq!(scrape(&s.router, Some(TOKEN)).await.0, StatusCode::NOT_FOUND);

    let settings = Settings {
        clock: s.clock.clone(),
        metrics_token: Some(tiyan_infra::secret::token_digest(TOKEN)),
        ..Settings::default()
    };
    let state = AppState::with_settings(s.store.clone(), settings);
    let router = app(state.clone());
    let (device, secret) = s.enroll(Some("jianghai-w02")).await;
    let page: Vec<_> = (1..=7).map(|i| rating(device, i)).collect();
    let upload = |body: Vec<u8>| {
        let router = router.clone();
        let headers = upload_headers(device, &secret);
        async move {
            let mut req = Request::builder().method("POST").uri("/api/v1/sync/upload");
            for (k, v) in headers {
                req = req.header(k, v);
            }
            router.oneshot(req.body(Body::from(body)).unwrap()).await.unwrap().status()
        }
    };
    assert_eq!(upload(ratings(&page)).await, StatusCode::OK);
    assert_eq!(upload(ratings(&page[..3])).await, StatusCode::OK, "a page sent again");
    assert_eq!(upload(ratings(&[rating(device, 10)])).await, StatusCode::UNPROCESSABLE_ENTITY, "a gap");

    assert_eq!(scrape(&router, None).await.0, StatusCode::UNAUTHORIZED);
    assert_eq!(scrape(&router, Some("metrics-token-0123456789abcdeX")).await.0, StatusCode::UNAUTHORIZED);
    let (status, text) = scrape(&router, Some(TOKEN)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(value(&text, r#"tiyan_records_total{kind="rating"}"#), Some(7.0), "{text}");
    assert_eq!(value(&text, r#"tiyan_duplicate_records_total{kind="rating"}"#), Some(3.0), "{text}");
    assert_eq!(value(&text, r#"tiyan_uploads_total{kind="rating",outcome="stored"}"#), Some(2.0), "{text}");
    assert_eq!(value(&text, r#"tiyan_uploads_total{kind="rating",outcome="gap"}"#), Some(1.0), "{text}");
    assert_eq!(value(&text, "tiyan_upload_seconds_count"), Some(3.0), "{text}");
    assert_eq!(value(&text, r#"tiyan_devices{last_contact="hour"}"#), Some(1.0), "{text}");
    assert_eq!(value(&text, "tiyan_database_up"), Some(1.0), "{text}");
    assert!(value(&text, "tiyan_database_schema").is_some_and(|v| v > 0.0), "{text}");
    let open = value(&text, "tiyan_database_connections{state=\"open\"}").expect("open connections");
    let max = value(&text, "tiyan_database_connections{state=\"max\"}").expect("the pool's size");
    let idle = value(&text, "tiyan_database_connections{state=\"idle\"}").expect("idle connections");
    assert!(open >= 1.0 && open <= max && idle <= open, "{text}");
    assert_eq!(value(&text, "tiyan_database_waiting"), Some(0.0), "{text}");
    assert!(text.ends_with("# EOF\n"), "{text}");
}
