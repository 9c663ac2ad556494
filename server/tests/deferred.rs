//! What an upload and a state request leave for just after their answer (the
//! live-alert check, the device's report) is done by the server on its own,
//! within a second, without anyone settling it: the other suites settle it
//! after each request to look at once; this one does not.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::{Duration, Instant};

use axum::body::Body;
use axum::http::{Request, StatusCode};
use tiyan_core::Level;
use tiyan_core::accounts::Role;
use tiyan_core::protocol::StateQuery;
use tiyan_server::testing::Backend;
use tiyan_services::{alerts, fleet};
use tower::ServiceExt;

use common::*;

tiyan_server::on_both_backends!(
    an_upload_that_crosses_the_rule_raises_its_alert_within_a_second,
    a_state_request_reaches_the_fleet_within_a_second,
);

/// A request to `router` (a server process of its own), not settled afterwards.
async fn send(
    router: &axum::Router,
    method: &str,
    path: &str,
    headers: &[(&str, String)],
    body: Vec<u8>,
) -> StatusCode {
    let mut req = Request::builder().method(method).uri(path);
    for (k, v) in headers {
        req = req.header(*k, v);
    }
    router.clone().oneshot(req.body(Body::from(body)).unwrap()).await.unwrap().status()
}

async fn within_a_second<F: std::future::Future<Output = bool>>(what: &str, mut done: impl FnMut() -> F) {
    let began = Instant::now();
    while !done().await {
        assert!(began.elapsed() < Duration::from_secs(1), "{what} took more than a second");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn an_upload_that_crosses_the_rule_raises_its_alert_within_a_second(backend: Backend) {
    let s = server(backend).await;
    let admin = s.account(None, "sup", Role::Supervisor, None).await;
    let (device, secret) = s.enroll(Some("jianghai-w02")).await;
    let process = s.process(s.clock.clone());
    // Two good and two bad in one page: 2 of 4 bad, the default rule.
    let levels: [(i64, i64); 4] = [(5, 5), (4, 4), (1, 1), (2, 3)];
    let records: Vec<_> = levels
        .iter()
        .enumerate()
        .map(|(i, &(a, c))| {
            let (attitude, competence) = (Level::try_from(a).unwrap(), Level::try_from(c).unwrap());
            let bad = attitude.is_bad() || competence.is_bad();
            tiyan_core::rating::Rating {
                attitude,
                competence,
                case_no: Some(format!("D{i}")),
                reasons: if bad { vec!["long_wait".into()] } else { vec![] },
                ..rating(device, i as u64 + 1)
            }
        })
        .collect();
    let status =
        send(&process, "POST", "/api/v1/sync/upload", &upload_headers(device, &secret), ratings(&records)).await;
    assert_eq!(status, StatusCode::OK);
    let who = s.who(&admin);
    within_a_second("the alert", || async { alerts::open(s.cx(), &who).await.unwrap().len() == 1 }).await;
    // Once: the same window's next bad ratings raise no second alert.
    let more = [tiyan_core::rating::Rating {
        id: uuid::Uuid::now_v7(),
        seq: 5,
        case_no: Some("D9".into()),
        ..records[2].clone()
    }];
    let status = send(&process, "POST", "/api/v1/sync/upload", &upload_headers(device, &secret), ratings(&more)).await;
    assert_eq!(status, StatusCode::OK);
    tokio::time::sleep(Duration::from_millis(600)).await;
    assert_eq!(alerts::open(s.cx(), &who).await.unwrap().len(), 1);
}

async fn a_state_request_reaches_the_fleet_within_a_second(backend: Backend) {
    let s = server(backend).await;
    let admin = s.account(None, "sup", Role::Supervisor, None).await;
    let (device, secret) = s.enroll(Some("jianghai-w02")).await;
    let process = s.process(s.clock.clone());
    let query = StateQuery {
        app_version: Some("0.1.0".into()),
        device_time: None,
        rating: Some(12),
        diary: Some(0),
        feedback: Some(0),
        case: None,
        reference: None,
    };
    assert_eq!(send(&process, "GET", &query.path(), &auth(device, &secret), vec![]).await, StatusCode::OK);
    let who = s.who(&admin);
    within_a_second("the report", || async {
        let lines = fleet::fleet(s.cx(), &who).await.unwrap();
        lines.iter().any(|l| l.row.device.id == device && l.row.waiting == 12)
    })
    .await;
}
