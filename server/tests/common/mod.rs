//! What the server's test suites share: the router over a fresh database of
//! either backend with the demo hall, and requests as devices make them.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::net::{IpAddr, Ipv4Addr};
use std::path::Path;
use std::sync::Arc;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use chrono::{DateTime, Duration, Utc};
use http_body_util::BodyExt;
use serde_json::{Value, json};
use tiyan_core::Level;
use tiyan_core::accounts::Role;
use tiyan_core::diary::DiaryRevision;
use tiyan_core::protocol::DeviceRole;
use tiyan_core::rating::Rating;
use tiyan_server::reference_files::load_json;
use tiyan_server::services::accounts::{self, AccountForm};
use tiyan_server::services::{Hasher, Who, devices, reference};
use tiyan_server::store::Account;
use tiyan_server::store::{RatingFilter, Storage};
use tiyan_server::testing::{Backend, TestDb};
use tiyan_server::{AppState, app};
use tower::ServiceExt;
use uuid::Uuid;

/// The password of every account the tests make.
pub const PASSWORD: &str = "correct horse battery";

/// `account` acting from this machine, now.
pub fn who(account: &Account) -> Who<'_> {
    Who { account, client: IpAddr::V4(Ipv4Addr::LOCALHOST), now: Utc::now() }
}

pub struct Server {
    pub router: axum::Router,
    pub store: Arc<dyn Storage>,
    pub db: TestDb,
}

pub fn demo() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../demo/reference.json")
}

pub async fn server(backend: Backend) -> Server {
    let db = TestDb::new(backend).await;
    let store = db.open().await;
    reference::import(store.as_ref(), load_json(&demo()).unwrap()).await.unwrap();
    Server { router: app(AppState::new(store.clone())), store, db }
}

impl Server {
    /// An account made by `by` (None: the first supervisor, as `user add` makes it), with [`PASSWORD`].
    pub async fn account(&self, by: Option<&Account>, login: &str, role: Role, hall_id: Option<&str>) -> Account {
        let form = AccountForm { login, name: login, role, hall_id, password: PASSWORD };
        accounts::create(self.store.as_ref(), &Hasher::new(2), by, None, &form, Utc::now()).await.unwrap()
    }

    /// A code issued `age` ago, valid for an hour.
    pub async fn code(&self, window: Option<&str>, role: DeviceRole, age: Duration) -> String {
        let issued = Utc::now() - age;
        devices::issue_code(self.store.as_ref(), role, "jianghai", window, Duration::hours(1), issued).await.unwrap()
    }

    pub async fn call(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, String)],
        body: Vec<u8>,
    ) -> (StatusCode, Value) {
        let mut req = Request::builder().method(method).uri(path);
        for (k, v) in headers {
            req = req.header(*k, v);
        }
        let response = self.router.clone().oneshot(req.body(Body::from(body)).unwrap()).await.unwrap();
        let status = response.status();
        let bytes = response.into_body().collect().await.unwrap().to_bytes();
        let text = String::from_utf8_lossy(&bytes).to_string();
        for leak in ["SELECT", "INSERT", "rusqlite", "db error", "deadpool", "SQLSTATE", "panicked", "/tmp", ".rs:"] {
            assert!(!text.contains(leak), "{leak:?} leaked into a response: {text}");
        }
        (status, serde_json::from_slice(&bytes).unwrap_or(Value::String(text)))
    }

    pub async fn upload(&self, device: Uuid, secret: &str, body: Vec<u8>) -> (StatusCode, Value) {
        self.call("POST", "/api/v1/sync/upload", &upload_headers(device, secret), body).await
    }

    pub async fn enroll(&self, window: Option<&str>) -> (Uuid, String) {
        self.enroll_as(DeviceRole::Kiosk, window).await
    }

    pub async fn enroll_as(&self, role: DeviceRole, window: Option<&str>) -> (Uuid, String) {
        let device = Uuid::now_v7();
        let code = self.code(window, role, Duration::zero()).await;
        let (status, body) = self
            .call(
                "POST",
                "/api/v1/enroll",
                &proto(),
                serde_json::to_vec(&json!({"code": code, "device_id": device, "name": "test kiosk"})).unwrap(),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        (device, body["ok"]["secret"].as_str().unwrap().to_string())
    }

    pub async fn held(&self) -> Vec<u64> {
        self.store.ratings(&RatingFilter::default()).await.unwrap().iter().map(|r| r.rating.seq).collect()
    }
}

pub fn proto() -> Vec<(&'static str, String)> {
    vec![("x-tiyan-protocol", "1".into())]
}

pub fn auth(device: Uuid, secret: &str) -> Vec<(&'static str, String)> {
    vec![("x-tiyan-protocol", "1".into()), ("authorization", format!("Bearer {device}:{secret}"))]
}

pub fn upload_headers(device: Uuid, secret: &str) -> Vec<(&'static str, String)> {
    let mut h = auth(device, secret);
    h.push(("x-tiyan-request-id", Uuid::now_v7().to_string()));
    h
}

pub fn rating(device: Uuid, seq: u64) -> Rating {
    Rating {
        id: Uuid::now_v7(),
        seq,
        device_id: device,
        device_time: DateTime::parse_from_rfc3339("2026-11-23T09:00:00+08:00").unwrap() + Duration::minutes(seq as i64),
        hall_id: "jianghai".into(),
        window_id: "jianghai-w02".into(),
        staff_id: "staff-100102".into(),
        case_no: None,
        attitude: Level::VerySatisfied,
        competence: Level::Satisfied,
        reasons: vec![],
        comment: None,
        phone: None,
        misuse: false,
    }
}

pub fn ratings(records: &[Rating]) -> Vec<u8> {
    serde_json::to_vec(&json!({"kind": "rating", "records": records})).unwrap()
}

pub fn diaries(records: &[DiaryRevision]) -> Vec<u8> {
    serde_json::to_vec(&json!({"kind": "diary", "records": records})).unwrap()
}

pub fn code_of(body: &Value) -> Option<&str> {
    body["error"]["code"].as_str()
}
