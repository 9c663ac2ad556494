//! What the server's test suites share: the router over a fresh database of
//! either backend with the demo hall, and requests as devices make them.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr};
use std::path::Path;
use std::sync::Arc;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use chrono::{DateTime, Duration, Utc};
use http_body_util::BodyExt;
use serde_json::{Value, json};
use tiyan_core::Level;
use tiyan_core::accounts::{Place, Role};
use tiyan_core::diary::DiaryRevision;
use tiyan_core::protocol::DeviceRole;
use tiyan_core::rating::Rating;
use tiyan_server::testing::{Backend, TestDb};
use tiyan_server::{AppState, Settings, app};
use tiyan_services::Clock;
use tiyan_services::accounts::{self, AccountForm};
use tiyan_services::reference_files::load_json;
use tiyan_services::{Services, Who, calendar, devices, reference};
use tiyan_storage::Account;
use tiyan_storage::{RatingFilter, Storage};
use tower::ServiceExt;
use uuid::Uuid;

/// The password of every account the tests make.
pub const PASSWORD: &str = "correct horse battery";

/// When the suites' server stands unless a test moves it: a Monday morning in
/// the hall (China time), in a month and a year whose calendar is known. Every
/// assertion about a day, a month or a deadline follows from this clock, never
/// from the wall clock, so the suites pass whenever they run.
pub const START: &str = "2026-11-23T10:00:00+08:00";

pub fn instant(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().to_utc()
}

pub struct Server {
    pub router: axum::Router,
    /// The state behind `router`, whose deferred work each call settles.
    pub state: Arc<AppState>,
    pub store: Arc<dyn Storage>,
    pub db: TestDb,
    /// The server's clock, standing at [`START`] until a test moves it.
    pub clock: Clock,
}

pub fn demo() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../demo/reference.json")
}

pub async fn server(backend: Backend) -> Server {
    let db = TestDb::new(backend).await;
    let store = db.open().await;
    let clock = Clock::manual(instant(START));
    let state = process_state(&store, clock.clone());
    let cx = &state.services;
    reference::import(cx, &Who::console(clock.now()), load_json(&demo()).unwrap()).await.unwrap();
    // The published years, as a new server imports them at its first start.
    calendar::seed(cx).await.unwrap();
    Server { router: app(state.clone()), state, store, db, clock }
}

/// The state of a server process on `store`, reading `clock`.
fn process_state(store: &Arc<dyn Storage>, clock: Clock) -> Arc<AppState> {
    AppState::with_settings(store.clone(), Settings { clock, ..Settings::default() })
}

impl Server {
    /// Now, by the server's clock.
    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    /// The hall's date now (China time).
    pub fn today(&self) -> chrono::NaiveDate {
        tiyan_core::workdays::china_date(self.now())
    }

    /// A second server process on the same database, reading `clock`.
    pub fn process(&self, clock: Clock) -> axum::Router {
        app(process_state(&self.store, clock))
    }

    /// The services of the server's process.
    pub fn cx(&self) -> &Services {
        &self.state.services
    }

    /// `account` acting from this machine, now by the server's clock.
    pub fn who<'a>(&self, account: &'a Account) -> Who<'a> {
        Who::account(account, IpAddr::V4(Ipv4Addr::LOCALHOST), self.now())
    }

    /// An account made by `by` (None: the first supervisor, as `user add` makes it), with [`PASSWORD`].
    /// An account of a hall (`hall_id`), or of everywhere (None).
    pub async fn account(&self, by: Option<&Account>, login: &str, role: Role, hall_id: Option<&str>) -> Account {
        let place = hall_id.map_or(Place::Everywhere, |h| Place::Hall(h.to_string()));
        self.account_at(by, login, role, place).await
    }

    pub async fn account_at(&self, by: Option<&Account>, login: &str, role: Role, place: Place) -> Account {
        let form = AccountForm { login, name: login, role, place, password: PASSWORD };
        let who = by.map_or_else(|| Who::console(self.now()), |a| self.who(a));
        accounts::create(self.cx(), &who, &form).await.unwrap()
    }

    /// A code issued `age` ago, valid for an hour.
    pub async fn code(&self, window: Option<&str>, role: DeviceRole, age: Duration) -> String {
        let issued = Who::console(self.now() - age);
        devices::issue_code(self.cx(), &issued, role, "jianghai", window, Duration::hours(1)).await.unwrap()
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
        // What the request left for just after it (alert checks, device
        // reports) is done before the test looks; `deferred.rs` tests that it
        // is done soon without being asked.
        self.state.services.settle().await;
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

pub const ORIGIN: &str = "http://hall.test";

/// A browser on the admin web: keeps its cookies, sends the `Origin` and
/// `Host` of the hall's address, and fills in the form token.
pub struct Browser {
    pub router: axum::Router,
    pub cookies: HashMap<String, String>,
    pub csrf: String,
}

impl Browser {
    pub fn new(router: &axum::Router) -> Browser {
        Browser { router: router.clone(), cookies: HashMap::new(), csrf: String::new() }
    }

    /// Signed in as `login` (with [`PASSWORD`]), holding the page's form token.
    pub async fn signed_in(s: &Server, login: &str) -> Browser {
        let mut b = Browser::new(&s.router);
        let (status, location, body) = b.sign_in(login, PASSWORD).await;
        assert_eq!(status, StatusCode::SEE_OTHER, "{login}: {body}");
        assert_eq!(location, "/admin");
        let (_, _, page) = b.get("/admin").await;
        let at = page.find("name=\"csrf\" value=\"").expect("a form token on the page") + 19;
        b.csrf = page[at..].split('"').next().unwrap().to_string();
        b
    }

    pub async fn sign_in(&mut self, login: &str, password: &str) -> (StatusCode, String, String) {
        let body = serde_urlencoded::to_string([("login", login), ("password", password), ("next", "/admin")]).unwrap();
        self.read(self.raw("POST", "/admin/sign-in", Some(ORIGIN), body.into_bytes()).await).await
    }

    pub async fn get(&mut self, path: &str) -> (StatusCode, String, String) {
        self.read(self.raw("GET", path, None, vec![]).await).await
    }

    pub async fn post(&mut self, path: &str, fields: &[(&str, &str)]) -> (StatusCode, String, String) {
        let mut pairs = vec![("csrf", self.csrf.as_str())];
        pairs.extend_from_slice(fields);
        let body = serde_urlencoded::to_string(&pairs).unwrap();
        self.read(self.raw("POST", path, Some(ORIGIN), body.into_bytes()).await).await
    }

    /// A request as this browser sends it (`origin`: its `Origin` header, if any).
    pub async fn raw(&self, method: &str, path: &str, origin: Option<&str>, body: Vec<u8>) -> axum::response::Response {
        let cookie: Vec<String> = self.cookies.iter().map(|(k, v)| format!("{k}={v}")).collect();
        let mut req = Request::builder()
            .method(method)
            .uri(path)
            .header(header::HOST, "hall.test")
            .header(header::COOKIE, cookie.join("; "))
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
        if let Some(o) = origin {
            req = req.header(header::ORIGIN, o);
        }
        self.router.clone().oneshot(req.body(Body::from(body)).unwrap()).await.unwrap()
    }

    /// The status, where it sends the browser, and the page; cookies kept.
    pub async fn read(&mut self, response: axum::response::Response) -> (StatusCode, String, String) {
        let status = response.status();
        for c in response.headers().get_all(header::SET_COOKIE) {
            let c = c.to_str().unwrap();
            let (pair, attrs) = c.split_once(';').unwrap_or((c, ""));
            let (k, v) = pair.split_once('=').unwrap();
            if v.is_empty() || attrs.contains("Max-Age=0") {
                self.cookies.remove(k);
            } else {
                self.cookies.insert(k.to_string(), v.to_string());
            }
            assert!(attrs.contains("HttpOnly") && attrs.contains("SameSite=Strict"), "{c}");
        }
        let location =
            response.headers().get(header::LOCATION).map(|l| l.to_str().unwrap().to_string()).unwrap_or_default();
        let bytes = response.into_body().collect().await.unwrap().to_bytes();
        let text = String::from_utf8_lossy(&bytes).to_string();
        for leak in ["SELECT", "rusqlite", "SQLSTATE", "panicked", ".rs:"] {
            assert!(!text.contains(leak), "{leak:?} leaked into a page: {text}");
        }
        (status, location, text)
    }
}
