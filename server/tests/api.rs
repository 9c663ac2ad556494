//! The API through `Router::oneshot`: a real SQLite store in a temp folder, no socket.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::sync::Arc;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use chrono::{DateTime, Duration, Utc};
use http_body_util::BodyExt;
use serde_json::{Value, json};
use tiyan_core::Level;
use tiyan_core::diary::{Channel, DiaryBody, DiaryRevision, Mode, Problem, ProblemCategory};
use tiyan_core::protocol::DeviceRole;
use tiyan_core::rating::Rating;
use tiyan_server::reference_files::load_json;
use tiyan_server::store::{NewCode, RatingFilter, SqliteStore, Storage};
use tiyan_server::{AppState, app};
use tower::ServiceExt;
use uuid::Uuid;

struct Server {
    router: axum::Router,
    store: Arc<SqliteStore>,
    _dir: tempfile::TempDir,
}

fn server() -> Server {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(SqliteStore::open(&dir.path().join("server.db")).unwrap());
    let loaded = load_json(&Path::new(env!("CARGO_MANIFEST_DIR")).join("../demo/reference.json")).unwrap();
    store.import_reference(&loaded.data, &loaded.photos).unwrap();
    Server { router: app(AppState::new(store.clone())), store, _dir: dir }
}

impl Server {
    fn code(&self, window: Option<&str>, role: DeviceRole, expires_at: DateTime<Utc>) -> String {
        let code = tiyan_server::codes::new_code();
        let new = NewCode { code: &code, role, hall_id: "jianghai", window_id: window, expires_at };
        self.store.create_code(&new, Utc::now()).unwrap();
        code
    }

    async fn call(&self, method: &str, path: &str, headers: &[(&str, String)], body: Vec<u8>) -> (StatusCode, Value) {
        let mut req = Request::builder().method(method).uri(path);
        for (k, v) in headers {
            req = req.header(*k, v);
        }
        let response = self.router.clone().oneshot(req.body(Body::from(body)).unwrap()).await.unwrap();
        let status = response.status();
        let bytes = response.into_body().collect().await.unwrap().to_bytes();
        let text = String::from_utf8_lossy(&bytes).to_string();
        for leak in ["SELECT", "INSERT", "rusqlite", "panicked", "/tmp", ".rs:"] {
            assert!(!text.contains(leak), "{leak:?} leaked into a response: {text}");
        }
        (status, serde_json::from_slice(&bytes).unwrap_or(Value::String(text)))
    }

    async fn enroll(&self, window: Option<&str>) -> (Uuid, String) {
        self.enroll_as(DeviceRole::Kiosk, window).await
    }

    async fn enroll_as(&self, role: DeviceRole, window: Option<&str>) -> (Uuid, String) {
        let device = Uuid::now_v7();
        let code = self.code(window, role, Utc::now() + Duration::hours(1));
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
}

fn proto() -> Vec<(&'static str, String)> {
    vec![("x-tiyan-protocol", "1".into())]
}

fn auth(device: Uuid, secret: &str) -> Vec<(&'static str, String)> {
    vec![("x-tiyan-protocol", "1".into()), ("authorization", format!("Bearer {device}:{secret}"))]
}

fn upload_headers(device: Uuid, secret: &str) -> Vec<(&'static str, String)> {
    let mut h = auth(device, secret);
    h.push(("x-tiyan-request-id", Uuid::now_v7().to_string()));
    h
}

fn rating(device: Uuid, seq: u64) -> Rating {
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

fn upload(records: &[Rating]) -> Vec<u8> {
    serde_json::to_vec(&json!({"kind": "rating", "records": records})).unwrap()
}

#[tokio::test]
async fn health_answers_in_the_envelope_without_credentials() {
    let s = server();
    let (status, body) = s.call("GET", "/api/v1/health", &[], vec![]).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["protocol"], 1);
    assert_eq!(body["ok"]["status"], "ok");
    let (status, body) = s.call("GET", "/api/v1/nowhere", &[], vec![]).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(body["error"]["code"], "not_found");
}

#[tokio::test]
async fn enrolment_codes_work_once_and_expire() {
    let s = server();
    let code = s.code(Some("jianghai-w02"), DeviceRole::Kiosk, Utc::now() + Duration::hours(1));
    let device = Uuid::now_v7();
    let req =
        serde_json::to_vec(&json!({"code": code.to_lowercase(), "device_id": device, "name": "窗口 02"})).unwrap();

    let (status, body) = s.call("POST", "/api/v1/enroll", &[("x-tiyan-protocol", "7".into())], req.clone()).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"]["code"], "incompatible_protocol");
    let (status, body) = s.call("POST", "/api/v1/enroll", &[], req.clone()).await;
    assert_eq!((status, body["error"]["code"].as_str()), (StatusCode::BAD_REQUEST, Some("malformed")));

    let (status, body) = s.call("POST", "/api/v1/enroll", &proto(), req.clone()).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["ok"]["device_id"], device.to_string());
    assert_eq!(body["ok"]["window_id"], "jianghai-w02");
    let secret = body["ok"]["secret"].as_str().unwrap();
    assert_eq!(secret.len(), 64);
    let stored = s.store.device(device).unwrap().unwrap();
    assert!(stored.secret_hash.starts_with("$argon2id$"), "only a hash of the secret is kept");
    assert!(!stored.secret_hash.contains(secret));

    let (status, body) = s.call("POST", "/api/v1/enroll", &proto(), req).await;
    assert_eq!((status, body["error"]["code"].as_str()), (StatusCode::FORBIDDEN, Some("invalid_code")), "used once");

    let expired = s.code(None, DeviceRole::Kiosk, Utc::now() - Duration::seconds(1));
    let req = serde_json::to_vec(&json!({"code": expired, "device_id": Uuid::now_v7(), "name": "late"})).unwrap();
    let (status, body) = s.call("POST", "/api/v1/enroll", &proto(), req).await;
    assert_eq!((status, body["error"]["code"].as_str()), (StatusCode::FORBIDDEN, Some("invalid_code")), "expired");
}

#[tokio::test]
async fn requests_need_the_right_secret_and_a_device_not_revoked() {
    let s = server();
    let (device, secret) = s.enroll(Some("jianghai-w02")).await;
    let (status, body) = s.call("GET", "/api/v1/sync/state", &proto(), vec![]).await;
    assert_eq!((status, body["error"]["code"].as_str()), (StatusCode::UNAUTHORIZED, Some("unauthenticated")));
    let (status, _) = s.call("GET", "/api/v1/sync/state", &auth(device, "0000"), vec![]).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, _) = s.call("GET", "/api/v1/sync/state", &auth(Uuid::now_v7(), &secret), vec![]).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, body) = s.call("GET", "/api/v1/sync/state", &auth(device, &secret), vec![]).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["ok"]["streams"][0], json!({"kind": "rating", "through": 0}));
    assert_eq!(body["ok"]["reference_version"], 1);

    s.store.revoke(device, Utc::now()).unwrap();
    let (status, body) = s.call("GET", "/api/v1/sync/state", &auth(device, &secret), vec![]).await;
    assert_eq!((status, body["error"]["code"].as_str()), (StatusCode::UNAUTHORIZED, Some("device_revoked")));
    // Enrolled again with a new code, it works again, with a new secret only.
    let code = s.code(Some("jianghai-w02"), DeviceRole::Kiosk, Utc::now() + Duration::hours(1));
    let req = serde_json::to_vec(&json!({"code": code, "device_id": device, "name": "again"})).unwrap();
    let (_, body) = s.call("POST", "/api/v1/enroll", &proto(), req).await;
    let new_secret = body["ok"]["secret"].as_str().unwrap().to_string();
    assert_eq!(s.call("GET", "/api/v1/sync/state", &auth(device, &new_secret), vec![]).await.0, StatusCode::OK);
    assert_eq!(s.call("GET", "/api/v1/sync/state", &auth(device, &secret), vec![]).await.0, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn uploads_store_each_record_once_and_refuse_what_would_corrupt() {
    let s = server();
    let (device, secret) = s.enroll(Some("jianghai-w02")).await;
    let records: Vec<Rating> = (1..=3).map(|i| rating(device, i)).collect();

    let (status, body) =
        s.call("POST", "/api/v1/sync/upload", &upload_headers(device, &secret), upload(&records)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["ok"], json!({"kind": "rating", "through": 3, "stored": 3, "duplicates": 0}));

    // The same records again (a lost answer, retried): a no-op, acknowledged again.
    let (status, body) =
        s.call("POST", "/api/v1/sync/upload", &upload_headers(device, &secret), upload(&records)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["ok"], json!({"kind": "rating", "through": 3, "stored": 0, "duplicates": 3}));

    // The very same request again (same request id): a replay.
    let headers = upload_headers(device, &secret);
    let next = vec![rating(device, 4)];
    assert_eq!(s.call("POST", "/api/v1/sync/upload", &headers, upload(&next)).await.0, StatusCode::OK);
    let (status, body) = s.call("POST", "/api/v1/sync/upload", &headers, upload(&next)).await;
    assert_eq!((status, body["error"]["code"].as_str()), (StatusCode::CONFLICT, Some("replayed")));

    // Same id and sequence number, other content: 409, and nothing of that page is kept.
    let mut changed = records[1].clone();
    changed.attitude = Level::VeryDissatisfied;
    let page = vec![changed, rating(device, 5)];
    let (status, body) = s.call("POST", "/api/v1/sync/upload", &upload_headers(device, &secret), upload(&page)).await;
    assert_eq!((status, body["error"]["code"].as_str()), (StatusCode::CONFLICT, Some("conflict")));
    // Another id under a held sequence number is a conflict too.
    let (status, _) =
        s.call("POST", "/api/v1/sync/upload", &upload_headers(device, &secret), upload(&[rating(device, 2)])).await;
    assert_eq!(status, StatusCode::CONFLICT);

    // A hole, another device's records, disorder, no request id, junk, too much.
    let (status, body) =
        s.call("POST", "/api/v1/sync/upload", &upload_headers(device, &secret), upload(&[rating(device, 9)])).await;
    assert_eq!((status, body["error"]["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("gap")));
    let (status, body) = s
        .call("POST", "/api/v1/sync/upload", &upload_headers(device, &secret), upload(&[rating(Uuid::now_v7(), 5)]))
        .await;
    assert_eq!((status, body["error"]["code"].as_str()), (StatusCode::FORBIDDEN, Some("forbidden")));
    let (status, _) = s
        .call(
            "POST",
            "/api/v1/sync/upload",
            &upload_headers(device, &secret),
            upload(&[rating(device, 6), rating(device, 5)]),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, _) = s.call("POST", "/api/v1/sync/upload", &auth(device, &secret), upload(&[rating(device, 5)])).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, body) = s
        .call(
            "POST",
            "/api/v1/sync/upload",
            &upload_headers(device, &secret),
            b"{\"kind\":\"rating\",\"records\":[{\"seq\":\"x\"}]}".to_vec(),
        )
        .await;
    assert_eq!((status, body["error"]["code"].as_str()), (StatusCode::BAD_REQUEST, Some("malformed")));
    let mut huge = upload(&[rating(device, 5)]);
    huge.extend(std::iter::repeat_n(b' ', tiyan_core::protocol::MAX_BODY_BYTES));
    let (status, body) = s.call("POST", "/api/v1/sync/upload", &upload_headers(device, &secret), huge).await;
    assert_eq!((status, body["error"]["code"].as_str()), (StatusCode::PAYLOAD_TOO_LARGE, Some("too_large")));

    // After all that: exactly records 1..=4, as sent.
    let held = s.store.ratings(&RatingFilter::default()).unwrap();
    assert_eq!(held.iter().map(|r| r.rating.seq).collect::<Vec<_>>(), vec![1, 2, 3, 4]);
    assert_eq!(held[1].rating, records[1]);
    let (_, body) = s.call("GET", "/api/v1/sync/state", &auth(device, &secret), vec![]).await;
    assert_eq!(body["ok"]["streams"][0]["through"], 4);
}

#[tokio::test]
async fn a_kiosk_pulls_its_hall_and_the_photos_by_hash() {
    let s = server();
    let (device, secret) = s.enroll(Some("jianghai-w02")).await;
    let (status, body) = s.call("GET", "/api/v1/reference", &auth(device, &secret), vec![]).await;
    assert_eq!(status, StatusCode::OK);
    let data = &body["ok"]["data"];
    assert_eq!(body["ok"]["version"], 1);
    assert_eq!(data["halls"].as_array().unwrap().len(), 1);
    assert_eq!(data["staff"].as_array().unwrap().len(), 8);
    let sha = data["staff"][0]["photo_sha256"].as_str().unwrap().to_string();
    assert!(data["staff"][0].get("photo").is_none(), "no file paths leave the server");

    let (status, body) = s.call("GET", "/api/v1/reference?since=1", &auth(device, &secret), vec![]).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["ok"]["data"], Value::Null, "up to date: nothing to send");

    let req = Request::get(format!("/api/v1/photos/{sha}"))
        .header("x-tiyan-protocol", "1")
        .header("authorization", format!("Bearer {device}:{secret}"))
        .body(Body::empty())
        .unwrap();
    let response = s.router.clone().oneshot(req).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["content-type"], "image/jpeg");
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    assert_eq!(tiyan_server::store::sha256_hex(&bytes), sha);
    let (status, _) = s.call("GET", "/api/v1/photos/..%2F..%2Fetc%2Fpasswd", &auth(device, &secret), vec![]).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn an_import_that_changes_nothing_keeps_the_version() {
    let s = server();
    let loaded = load_json(&Path::new(env!("CARGO_MANIFEST_DIR")).join("../demo/reference.json")).unwrap();
    assert_eq!(s.store.import_reference(&loaded.data, &loaded.photos).unwrap(), 1);
    let mut changed = loaded.data.clone();
    changed.reasons.pop();
    assert_eq!(s.store.import_reference(&changed, &loaded.photos).unwrap(), 2);
    // A staff-only import keeps the other sections.
    let mut staff_only = changed.clone();
    staff_only.halls.clear();
    staff_only.windows.clear();
    staff_only.reasons.clear();
    staff_only.staff.truncate(3);
    assert_eq!(s.store.import_reference(&staff_only, &loaded.photos).unwrap(), 3);
    let now = s.store.reference().unwrap();
    assert_eq!((now.halls.len(), now.windows.len(), now.staff.len(), now.reasons.len()), (1, 6, 3, 8));
}

fn diary_revision(device: Uuid, seq: u64) -> DiaryRevision {
    DiaryRevision {
        id: Uuid::now_v7(),
        entry_id: Uuid::now_v7(),
        revision: 1,
        seq,
        device_id: device,
        officer_id: "gz-2026-07".into(),
        submitted_at: DateTime::parse_from_rfc3339("2026-11-23T10:00:00+08:00").unwrap(),
        body: DiaryBody {
            visited_at: Some(DateTime::parse_from_rfc3339("2026-11-23T09:00:00+08:00").unwrap()),
            hall_id: Some("jianghai".into()),
            matter_id: Some("m-geti".into()),
            channel: Some(Channel::Window),
            mode: Some(Mode::OnMyOwn),
            score: Some(7),
            account: "取号后等了二十分钟。".into(),
            problems: vec![Problem {
                id: Uuid::now_v7(), category: ProblemCategory::Guide, text: "指南过时".into()
            }],
            ..DiaryBody::default()
        },
    }
}

#[tokio::test]
async fn diaries_come_only_from_officer_laptops_and_register_their_problems() {
    let s = server();
    let (kiosk, kiosk_secret) = s.enroll(Some("jianghai-w02")).await;
    let diary = |r: &[DiaryRevision]| serde_json::to_vec(&json!({"kind": "diary", "records": r})).unwrap();
    let (status, body) = s
        .call("POST", "/api/v1/sync/upload", &upload_headers(kiosk, &kiosk_secret), diary(&[diary_revision(kiosk, 1)]))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");

    let (laptop, secret) = s.enroll_as(DeviceRole::Officer, None).await;
    let mut incomplete = diary_revision(laptop, 1);
    incomplete.body.score = None;
    let (status, body) =
        s.call("POST", "/api/v1/sync/upload", &upload_headers(laptop, &secret), diary(&[incomplete])).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");

    let r = diary_revision(laptop, 1);
    for _ in 0..2 {
        let (status, body) = s
            .call("POST", "/api/v1/sync/upload", &upload_headers(laptop, &secret), diary(std::slice::from_ref(&r)))
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body["ok"]["through"], 1);
    }
    assert_eq!(s.store.diary_revisions().unwrap().len(), 1, "a resend is a no-op");
    let mut changed = r.clone();
    changed.body.score = Some(2);
    let (status, _) = s.call("POST", "/api/v1/sync/upload", &upload_headers(laptop, &secret), diary(&[changed])).await;
    assert_eq!(status, StatusCode::CONFLICT);

    let (status, body) = s.call("GET", "/api/v1/ledger", &auth(laptop, &secret), vec![]).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["ok"][0]["problem_id"], r.body.problems[0].id.to_string());
    assert_eq!(body["ok"][0]["state"], "registered");
}

#[tokio::test]
async fn photos_resume_by_chunk_and_must_match_their_hash() {
    let s = server();
    let (laptop, secret) = s.enroll_as(DeviceRole::Officer, None).await;
    let photo: Vec<u8> = (0..3000u32).map(|i| (i * 7 % 251) as u8).collect();
    let sha = tiyan_server::store::sha256_hex(&photo);
    let path = |offset: usize| format!("/api/v1/photo-uploads/{sha}?offset={offset}&size={}", photo.len());
    let (status, body) = s.call("GET", &format!("/api/v1/photo-uploads/{sha}"), &auth(laptop, &secret), vec![]).await;
    assert_eq!((status, body["ok"]["received"].as_u64()), (StatusCode::OK, Some(0)));
    let (_, body) = s.call("POST", &path(0), &auth(laptop, &secret), photo[..1000].to_vec()).await;
    assert_eq!(body["ok"]["received"], 1000);
    // A chunk sent again (its answer was lost) changes nothing and says where to go on.
    let (_, body) = s.call("POST", &path(0), &auth(laptop, &secret), photo[..1000].to_vec()).await;
    assert_eq!(body["ok"]["received"], 1000);
    let (_, body) = s.call("POST", &path(1000), &auth(laptop, &secret), photo[1000..].to_vec()).await;
    assert_eq!((body["ok"]["received"].as_u64(), body["ok"]["complete"].as_bool()), (Some(3000), Some(true)));
    assert_eq!(s.store.diary_photo(&sha).unwrap().unwrap(), photo);

    // Bytes that do not match the name: refused, and the upload starts over.
    let wrong = format!("{:064x}", 42);
    let (status, body) = s
        .call("POST", &format!("/api/v1/photo-uploads/{wrong}?offset=0&size=10"), &auth(laptop, &secret), vec![1; 10])
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    let (_, body) = s.call("GET", &format!("/api/v1/photo-uploads/{wrong}"), &auth(laptop, &secret), vec![]).await;
    assert_eq!(body["ok"]["received"], 0);
    let (status, _) = s
        .call(
            "POST",
            &format!("/api/v1/photo-uploads/{wrong}?offset=0&size=999999999"),
            &auth(laptop, &secret),
            vec![1],
        )
        .await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    let (status, _) = s.call("GET", "/api/v1/photo-uploads/not-a-hash", &auth(laptop, &secret), vec![]).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn officers_sign_in_with_their_password_only() {
    let s = server();
    let (laptop, secret) = s.enroll_as(DeviceRole::Officer, None).await;
    let sign_in = |id: &str, pw: &str| serde_json::to_vec(&json!({"officer_id": id, "password": pw})).unwrap();
    let (status, body) =
        s.call("POST", "/api/v1/officers/sign-in", &auth(laptop, &secret), sign_in("gz-2026-07", "tiyan-2026")).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["ok"]["name"], "梁小能");
    assert!(body["ok"].get("password_hash").is_none(), "the hash never leaves the server");
    for (id, pw) in [("gz-2026-07", "guess"), ("nobody", "tiyan-2026")] {
        let (status, body) = s.call("POST", "/api/v1/officers/sign-in", &auth(laptop, &secret), sign_in(id, pw)).await;
        assert_eq!((status, body["error"]["code"].as_str()), (StatusCode::FORBIDDEN, Some("wrong_password")));
    }
    let (kiosk, kiosk_secret) = s.enroll(Some("jianghai-w02")).await;
    let (status, _) = s
        .call("POST", "/api/v1/officers/sign-in", &auth(kiosk, &kiosk_secret), sign_in("gz-2026-07", "tiyan-2026"))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn a_code_for_the_other_role_is_refused_and_stays_usable() {
    let s = server();
    let code = s.code(None, DeviceRole::Officer, Utc::now() + Duration::hours(1));
    let enroll = |role: &str| {
        serde_json::to_vec(&json!({"code": code, "device_id": Uuid::now_v7(), "name": "x", "role": role})).unwrap()
    };
    let (status, body) = s.call("POST", "/api/v1/enroll", &proto(), enroll("kiosk")).await;
    assert_eq!((status, body["error"]["code"].as_str()), (StatusCode::FORBIDDEN, Some("wrong_role")));
    let (status, body) = s.call("POST", "/api/v1/enroll", &proto(), enroll("officer")).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["ok"]["role"], "officer");
}
